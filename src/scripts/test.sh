#!/usr/bin/env bash
# Runs the whole test suite against real PostgreSQL and InfluxDB servers, starting them first if needed
# (src/scripts/stack.sh up test). Extra arguments go to Maven, e.g. src/scripts/test.sh -Dtest=SeedScenarioTest
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
source "$ROOT/src/scripts/prerequisites.sh"
require_java

"$ROOT/src/scripts/stack.sh" up test
exec "$ROOT/mvnw" -B verify "$@"
