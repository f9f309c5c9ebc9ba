#!/usr/bin/env bash
# Runs Pulse in dev mode on :8080 with everything it needs: starts the local PostgreSQL and
# InfluxDB (src/scripts/stack.sh), creates a dev signing key, prints how to connect with a dev token, then starts
# Quarkus dev mode (live reload; press q to quit). Safe to run again.
#
# Dev mode listens on 127.0.0.1 only (it serves /dev/token, which mints tokens for any tenant): set
# PULSE_DEV_HOST=0.0.0.0 to reach it from another machine, knowingly.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
source "$ROOT/src/scripts/prerequisites.sh"
require_java

"$ROOT/src/scripts/stack.sh" up dev

KEYS=${PULSE_DEV_KEYS_DIR:-$ROOT/.pulse/dev-keys}
if [ ! -f "$KEYS/private.pem" ]; then
  mkdir -p "$KEYS"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/private.pem" 2>/dev/null
  openssl pkey -in "$KEYS/private.pem" -pubout -out "$KEYS/public.pem"
  chmod 600 "$KEYS/private.pem"
fi
export PULSE_DEV_KEYS_DIR=$KEYS

# A dev token (tenant "demo", role customer_admin, 12 hours), signed here with the dev key so it can be printed
# before the service starts. The running service mints more at http://localhost:8080/dev/token (dev mode only).
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)
payload=$(printf '{"iss":"https://pulse.local/dev","sub":"developer","tenant_id":"demo","role":"customer_admin","iat":%d,"exp":%d}' \
  "$now" $((now + 43200)) | b64url)
signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$KEYS/private.pem" -binary | b64url)
token="$header.$payload.$signature"

cat <<BANNER

  Pulse dev mode is starting on http://localhost:8080

  Dashboard: http://localhost:8080/   (demo mode: 20 simulated devices of tenant "demo", token filled in)
  Connect:   ws://localhost:8080/api/v2/ws?token=$token
  Then send: {"action":"subscribe","type":"device","device_id":"dev-01"}
             {"action":"subscribe","type":"alerts"}
  More tokens: curl 'http://localhost:8080/dev/token?tenant=demo&role=customer_viewer'
  Health: http://localhost:9000/q/health   Metrics: http://localhost:9000/q/metrics  (management port)

BANNER
HOST=${PULSE_DEV_HOST:-127.0.0.1}
exec "$ROOT/mvnw" -B quarkus:dev -Dquarkus.http.host="$HOST" -Dquarkus.management.host="$HOST" "$@"
