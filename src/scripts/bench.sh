#!/usr/bin/env bash
# The benchmark (src/docs/benchmarks.md): starts PostgreSQL and InfluxDB as the run command does, packages Pulse, starts
# it from the jar with a fixed heap, runs the scenarios with the harness's own load generator, prints a table and
# writes target/bench/results.json and src/bench/BENCHMARKS.md. Takes about three minutes.
#
#   src/scripts/bench.sh                       10,000 connections, 1,000 devices
#   src/scripts/bench.sh --connections 19000 --devices 2000 --heap 1g --seconds 5
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
source "$ROOT/src/scripts/prerequisites.sh"
require_java
"$ROOT/src/scripts/stack.sh" up test
ARGS=${*:---connections 10000}
exec "$ROOT/mvnw" -B -Pbench verify -DskipTests -Dbench.args="$ARGS"
