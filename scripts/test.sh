#!/usr/bin/env bash
# Runs the whole test suite against real PostgreSQL and InfluxDB servers, starting them first if needed
# (scripts/stack.sh up test). Extra arguments go to Maven, e.g. scripts/test.sh -Dtest=SeedScenarioTest
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source "$ROOT/scripts/prerequisites.sh"
require_java

"$ROOT/scripts/stack.sh" up test
exec "$ROOT/mvnw" -B verify "$@"
