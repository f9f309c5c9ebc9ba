# Sourced by run.sh and test.sh: checks for what the scripts cannot install on the fly.
require_java() {
  local java_cmd=java
  [ -n "${JAVA_HOME:-}" ] && java_cmd=$JAVA_HOME/bin/java
  if ! command -v "$java_cmd" >/dev/null 2>&1; then
    echo "Pulse needs a JDK 17 or newer: install one (Debian: 'apt-get install openjdk-17-jdk-headless') and retry." >&2
    exit 1
  fi
  local version
  version=$("$java_cmd" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
  if [ "${version%%.*}" -lt 17 ] 2>/dev/null; then
    echo "Pulse needs a JDK 17 or newer; found $version. Install one and retry." >&2
    exit 1
  fi
}
