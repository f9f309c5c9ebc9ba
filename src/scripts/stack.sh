#!/usr/bin/env bash
# Local PostgreSQL and InfluxDB for Pulse: installs what is missing (Debian, as root), starts both on loopback with
# their data under one folder, and creates the databases and users (the schema comes from Pulse's migrations).
# Idempotent: run it as often as you like.
#
#   src/scripts/stack.sh up [dev|test]     start both servers, prepare the dev (default) or test databases (test:
#                                          also Chromium and chromedriver, Prometheus and promtool, Node.js)
#   src/scripts/stack.sh down              stop both servers (data is kept)
#   src/scripts/stack.sh start-postgres | stop-postgres | start-influx | stop-influx
#   src/scripts/stack.sh env [dev|test]    print the environment a Pulse process needs to reach this stack
#
# Everything lives under PULSE_DATA_DIR (default: .pulse in the project). Ports and passwords below are for this
# local, loopback-only stack; production settings come from the environment (see src/docs/configuration.md).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=${PULSE_DATA_DIR:-$ROOT/.pulse}
PG_PORT=${PULSE_PG_PORT:-15432}
INFLUX_PORT=${PULSE_INFLUX_PORT:-18086}
INFLUX_RPC_PORT=${PULSE_INFLUX_RPC_PORT:-18088}
PG_SUPERUSER_PASSWORD=${PULSE_PG_SUPERUSER_PASSWORD:-postgres}
PG_GATEWAY_PASSWORD=${PULSE_PG_GATEWAY_PASSWORD:-pulse_gateway}
INFLUX_ADMIN_USER=admin
INFLUX_ADMIN_PASSWORD=${PULSE_INFLUX_ADMIN_PASSWORD:-admin-secret}
INFLUX_READER_USER=pulse
INFLUX_READER_PASSWORD=${PULSE_INFLUX_READER_PASSWORD:-pulse-secret}

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

database_names() { # profile -> "postgres_db influx_db"
  case "${1:-dev}" in
    dev) echo "pulse pulse" ;;
    test) echo "pulse_test pulse_test" ;;
    *) die "unknown profile '$1' (use dev or test)" ;;
  esac
}

# --- prerequisites -----------------------------------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_packages() { # package...
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "missing $*: install them (Debian/Ubuntu: 'apt-get install $*' as root) and run this again"
  fi
  log "installing $* (apt-get)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "could not install $*"
  fi
}

ensure_prerequisites() {
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # NSS checks RSA token signatures in native code (pulse.auth.native-rsa); NativeRsaVerificationTest requires it.
  # The folders NativeRsaVerification.NSS_DIRECTORIES searches.
  [ -n "$(ls /usr/lib64/libnss3.so /usr/lib/x86_64-linux-gnu/libnss3.so /usr/lib/aarch64-linux-gnu/libnss3.so \
    /usr/lib/libnss3.so 2>/dev/null)" ] || missing+=(libnss3)
  if [ ${#missing[@]} -gt 0 ]; then install_packages "${missing[@]}"; fi
  # The Debian package enables a system-wide influxd on :8086; Pulse runs its own, so keep that one out of the way.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet influxdb 2>/dev/null; then
    systemctl stop influxdb >/dev/null 2>&1 || true
  fi
}

# The browser test (DashboardBrowserTest) drives Debian's Chromium through its chromedriver; PrometheusRulesTest
# checks and unit-tests the alert rules with Debian's promtool, PrometheusIT runs its prometheus; PulseClientIT runs
# the JavaScript client's tests in Node.
ensure_browser() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  if [ ${#missing[@]} -gt 0 ]; then install_packages "${missing[@]}"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- PostgreSQL --------------------------------------------------------------------------------------------------
# PostgreSQL refuses to run as root, so as root the cluster belongs to the 'postgres' user. Its data folder must be
# reachable by that user; when the project sits somewhere it cannot enter (a 0700 home), the cluster goes to
# /var/lib/postgresql instead.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_data_dir() {
  local preferred=$DATA/postgres
  if [ "$(id -u)" != 0 ]; then echo "$preferred"; return; fi
  mkdir -p "$DATA"
  if runuser -u postgres -- test -x "$DATA" 2>/dev/null; then
    echo "$preferred"
  else
    echo "/var/lib/postgresql/pulse-$(printf '%s' "$DATA" | sha1sum | cut -c1-12)"
  fi
}

pg_is_up() { as_pg "$(pg_bin)/pg_ctl" -D "$(pg_data_dir)" status >/dev/null 2>&1; }

start_postgres() {
  local dir bin
  dir=$(pg_data_dir); bin=$(pg_bin)
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    local pwfile
    pwfile=$(mktemp)
    printf '%s\n' "$PG_SUPERUSER_PASSWORD" >"$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    as_pg "$bin/initdb" -D "$dir" -U postgres --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=peer \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >>"$dir/postgresql.conf" <<EOF
# Pulse local stack
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
  if pg_is_up; then return; fi
  if port_in_use "$PG_PORT"; then
    die "port $PG_PORT is taken by another process (another checkout's stack? run its 'src/scripts/stack.sh down', or set PULSE_PG_PORT)"
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
}

stop_postgres() {
  pg_is_up || return 0
  log "stopping PostgreSQL"
  as_pg "$(pg_bin)/pg_ctl" -D "$(pg_data_dir)" -m fast -w -t 60 stop >/dev/null
}

psql_super() { # db, psql args...
  local db=$1; shift
  PGOPTIONS="-c client_min_messages=warning" PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" "$@"
}

# The database and the gateway's login role (with its password) are the administrator's part; the schema is not:
# Pulse's Flyway migrations (src/main/resources/db/migration) create it at start in dev and test, as the stack's
# superuser, and a Kubernetes Job in production (src/docs/deployment.md).
prepare_postgres() { # database
  local db=$1
  if [ -z "$(psql_super postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    log "creating PostgreSQL database $db"
    psql_super postgres -c "CREATE DATABASE $db"
  fi
  if [ -z "$(psql_super postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'pulse_gateway'")" ]; then
    psql_super postgres -c "CREATE ROLE pulse_gateway LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE" >/dev/null
  fi
  psql_super postgres -c "ALTER ROLE pulse_gateway PASSWORD '$PG_GATEWAY_PASSWORD'" >/dev/null
}

# --- InfluxDB ----------------------------------------------------------------------------------------------------
influx_pid_file() { echo "$DATA/influxdb/influxd.pid"; }
influx_is_up() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$INFLUX_PORT/ping")" = 204 ]; }

start_influx() {
  local dir=$DATA/influxdb
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  cat >"$dir/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$INFLUX_RPC_PORT"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$INFLUX_PORT"
  auth-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
EOF
  if influx_is_up; then return; fi
  log "starting InfluxDB on 127.0.0.1:$INFLUX_PORT"
  nohup influxd -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
  echo $! >"$(influx_pid_file)"
  local deadline=$((SECONDS + 60))
  until influx_is_up; do
    if ! kill -0 "$(cat "$(influx_pid_file)")" 2>/dev/null; then
      tail -n 20 "$dir/influxd.log" >&2; die "InfluxDB exited during start-up"
    fi
    [ $SECONDS -lt $deadline ] || die "InfluxDB did not answer /ping within 60 s (log: $dir/influxd.log)"
    sleep 0.2
  done
}

stop_influx() {
  local pid_file
  pid_file=$(influx_pid_file)
  [ -f "$pid_file" ] || return 0
  local pid
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping InfluxDB"
    kill "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
}

influx_query() { # user password statement -> prints the response body, fails on an "error" in it
  local body
  body=$(curl -sS -u "$1:$2" -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=$3")
  case "$body" in *'"error"'*) printf '%s\n' "$body" >&2; return 1 ;; esac
  printf '%s\n' "$body"
}

prepare_influx() { # database
  local db=$1
  # With authentication on and no user yet, InfluxDB accepts exactly one statement unauthenticated: the first admin.
  if curl -sS -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=SHOW USERS" | grep -q 'create admin user first'; then
    log "creating InfluxDB admin user"
    curl -sS -XPOST "http://127.0.0.1:$INFLUX_PORT/query" \
      --data-urlencode "q=CREATE USER $INFLUX_ADMIN_USER WITH PASSWORD '$INFLUX_ADMIN_PASSWORD' WITH ALL PRIVILEGES" >/dev/null
  fi
  influx_query "$INFLUX_ADMIN_USER" "$INFLUX_ADMIN_PASSWORD" "CREATE DATABASE $db" >/dev/null
  if ! influx_query "$INFLUX_ADMIN_USER" "$INFLUX_ADMIN_PASSWORD" "SHOW USERS" | grep -q "\"$INFLUX_READER_USER\""; then
    influx_query "$INFLUX_ADMIN_USER" "$INFLUX_ADMIN_PASSWORD" \
      "CREATE USER $INFLUX_READER_USER WITH PASSWORD '$INFLUX_READER_PASSWORD'" >/dev/null
  fi
  # Pulse only reads: the gateway's InfluxDB user gets READ and nothing else.
  influx_query "$INFLUX_ADMIN_USER" "$INFLUX_ADMIN_PASSWORD" "GRANT READ ON $db TO $INFLUX_READER_USER" >/dev/null
}

# --- environment for Pulse and its tests ----------------------------------------------------------------------------
print_env() { # profile
  local pg_db influx_db
  read -r pg_db influx_db <<<"$(database_names "${1:-dev}")"
  cat <<EOF
export QUARKUS_DATASOURCE_REACTIVE_URL=postgresql://127.0.0.1:$PG_PORT/$pg_db
export QUARKUS_DATASOURCE_USERNAME=pulse_gateway
export QUARKUS_DATASOURCE_PASSWORD=$PG_GATEWAY_PASSWORD
export PULSE_INFLUX_URL=http://127.0.0.1:$INFLUX_PORT
export PULSE_INFLUX_DATABASE=$influx_db
export PULSE_INFLUX_USERNAME=$INFLUX_READER_USER
export PULSE_INFLUX_PASSWORD=$INFLUX_READER_PASSWORD
export PULSE_STACK_PG_SUPERUSER_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/$pg_db
export PULSE_STACK_PG_SUPERUSER_PASSWORD=$PG_SUPERUSER_PASSWORD
export PULSE_STACK_INFLUX_ADMIN_USER=$INFLUX_ADMIN_USER
export PULSE_STACK_INFLUX_ADMIN_PASSWORD=$INFLUX_ADMIN_PASSWORD
EOF
}

up() { # profile
  local pg_db influx_db
  read -r pg_db influx_db <<<"$(database_names "${1:-dev}")"
  ensure_prerequisites
  if [ "${1:-dev}" = test ]; then ensure_browser; fi
  start_postgres
  prepare_postgres "$pg_db"
  start_influx
  prepare_influx "$influx_db"
  log "PostgreSQL 127.0.0.1:$PG_PORT/$pg_db and InfluxDB 127.0.0.1:$INFLUX_PORT/$influx_db are ready (data: $DATA)"
}

case "${1:-}" in
  up) up "${2:-dev}" ;;
  down) stop_influx; stop_postgres ;;
  start-postgres) start_postgres ;;
  stop-postgres) stop_postgres ;;
  start-influx) start_influx ;;
  stop-influx) stop_influx ;;
  env) print_env "${2:-dev}" ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
