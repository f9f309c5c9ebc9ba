#!/usr/bin/env bash
# Builds the native executable and runs the integration tests (*IT) against it, with the real servers of the test
# stack. Extra arguments go to Maven.
#
#   src/scripts/native-test.sh
#
# Which native-image it uses, first match wins:
#   1. GRAALVM_HOME, when the caller set it (a GraalVM or Mandrel distribution with bin/native-image);
#   2. a toolchain already assembled under PULSE_NATIVE_TOOLCHAIN (default $HOME/.cache/native-image-toolchain);
#   3. one assembled now by the workspace's assembler, found only relative to this repository
#      (../shared/tools/native-image/assemble.sh, about 2.5 minutes, once).
# When none can be had, the stage prints one "NOTICE: native stage skipped: <reason>" line and exits 0: a machine
# without a toolchain is not a failure of Pulse. When a toolchain exists, a failing native build or native test fails
# this script (and CI).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

skip() { echo "NOTICE: native stage skipped: $*"; exit 0; }

has_native_image() { [ -n "${1:-}" ] && [ -x "$1/bin/native-image" ]; }

if [ -n "${GRAALVM_HOME:-}" ]; then
  has_native_image "$GRAALVM_HOME" || { echo "[native] GRAALVM_HOME=$GRAALVM_HOME has no bin/native-image" >&2; exit 1; }
  echo "[native] using GRAALVM_HOME=$GRAALVM_HOME"
else
  TOOLCHAIN=${PULSE_NATIVE_TOOLCHAIN:-$HOME/.cache/native-image-toolchain}
  GRAALVM_HOME=$TOOLCHAIN/graalvm-home
  if ! has_native_image "$GRAALVM_HOME"; then
    ASSEMBLER=$ROOT/../shared/tools/native-image/assemble.sh
    [ -f "$ASSEMBLER" ] || skip "GRAALVM_HOME is unset, no toolchain in $TOOLCHAIN, and no assembler at ../shared/tools/native-image/assemble.sh"
    echo "[native] assembling the native-image toolchain into $TOOLCHAIN"
    mkdir -p "$TOOLCHAIN"
    log=$TOOLCHAIN/assemble-attempt.log
    if ! bash "$ASSEMBLER" "$TOOLCHAIN" >"$log" 2>&1; then
      reason=$( { grep -E 'ERROR:|FAILED in step' "$log" || true; } | tail -n 2 | sed 's/^\[assemble *[0-9]*s\] //' | paste -sd ';' -)
      tail -n 15 "$log" >&2
      skip "GRAALVM_HOME is unset and the toolchain could not be assembled (${reason:-see $log})"
    fi
    has_native_image "$GRAALVM_HOME" || skip "the assembler finished but left no native-image in $GRAALVM_HOME"
  fi
  echo "[native] using the assembled toolchain GRAALVM_HOME=$GRAALVM_HOME"
fi
export GRAALVM_HOME
"$ROOT/src/scripts/stack.sh" up test
JAVA_HOME=$GRAALVM_HOME ./mvnw -B verify -Pnative "$@"
