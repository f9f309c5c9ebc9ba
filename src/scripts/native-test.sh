#!/usr/bin/env bash
# Builds the native executable and runs the integration tests (*IT) against it, with the real servers of the test
# stack. Assembles the native-image toolchain first when it is missing (about 2.5 minutes, once; cached under
# $HOME/.cache/native-image-toolchain). Extra arguments go to Maven.
#
#   src/scripts/native-test.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

TOOLCHAIN=${PULSE_NATIVE_TOOLCHAIN:-$HOME/.cache/native-image-toolchain}
GRAALVM_HOME=$TOOLCHAIN/graalvm-home
if [ ! -x "$GRAALVM_HOME/bin/native-image" ]; then
  # The assembler ships beside the project in this workspace (../shared); PULSE_NATIVE_ASSEMBLER can point elsewhere.
  ASSEMBLER=${PULSE_NATIVE_ASSEMBLER:-}
  for candidate in "$ASSEMBLER" "$ROOT/../shared/tools/native-image/assemble.sh" /work/shared/tools/native-image/assemble.sh; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then ASSEMBLER=$candidate; break; fi
  done
  if [ -z "$ASSEMBLER" ] || [ ! -x "$ASSEMBLER" ]; then
    echo "[native] no native-image at $GRAALVM_HOME and no assemble.sh found; set PULSE_NATIVE_ASSEMBLER" >&2
    exit 1
  fi
  echo "[native] assembling the native-image toolchain into $TOOLCHAIN"
  "$ASSEMBLER" "$TOOLCHAIN"
fi
export GRAALVM_HOME
"$ROOT/src/scripts/stack.sh" up test
JAVA_HOME=$GRAALVM_HOME ./mvnw -B verify -Pnative "$@"
