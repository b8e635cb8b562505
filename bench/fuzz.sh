#!/usr/bin/env bash
# The fuzz targets under fuzz/ (cargo-fuzz, libFuzzer with AddressSanitizer), each for
# FUZZ_SECONDS (default 600: ten CPU-minutes, one core each, one target after another), from
# their seeds and the corpus earlier runs kept. Prints executions and coverage per target;
# stops at the first crash, hang (an input over 10 s) or allocation over the target's cap,
# and says where the input is. FUZZ_TARGETS (space-separated) runs only those.
#   bash bench/fuzz.sh                      # all six, 10 minutes each (an hour)
#   FUZZ_SECONDS=60 FUZZ_TARGETS=media_pipeline bash bench/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC2086 # the targets are words
exec cargo xtask fuzz --seconds "${FUZZ_SECONDS:-600}" ${FUZZ_TARGETS:-}
