#!/usr/bin/env bash
# The benchmark (src/docs/benchmarks.md): starts PostgreSQL and InfluxDB as the run command does, packages Pulse, starts
# it from the jar with a fixed heap, runs the scenarios with the harness's own load generator, prints a table and
# writes target/bench/results.json and src/bench/BENCHMARKS.md. Takes about twelve minutes.
#
#   src/scripts/bench.sh                       15,000 connections, 1,000 devices, a fan-out room of 1,000
#   src/scripts/bench.sh --connections 19000 --devices 2000 --room 2000 --rates 50,100 --heap 1g --seconds 5
#   ... --skip telemetry,alerts,tenants,floor  a partial run: printed, BENCHMARKS.md left as it is
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
source "$ROOT/src/scripts/prerequisites.sh"
require_java
"$ROOT/src/scripts/stack.sh" up test
ARGS=${*:---connections 15000}
exec "$ROOT/mvnw" -B -Pbench verify -DskipTests -Dbench.args="$ARGS"
