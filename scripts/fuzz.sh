#!/usr/bin/env bash
# Fuzz the engine's input side with cargo fuzz (libFuzzer; needs the nightly toolchain and
# `cargo install cargo-fuzz`). Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]
# Starts each target from the seeds, the test fixtures and the shared corpus's
# wire-format files; crashes land in
# fuzz/artifacts/<target>/ and the run stops with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(detect_extract clean process)
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    # seed inputs: the seed articles, the test fixtures and (when present) the shared
    # corpus's wire-format and HTML files — copied into the git-ignored fuzz corpus
    { find seeds tests/datelines tests/golden -type f -size -256k
      find ../shared/corpus -type f \( -name '*.xml' -o -name '*.json' -o -name '*.htm*' \) \
          -size -256k 2>/dev/null | head -300; } | while read -r f; do
        cp -n "$f" "fuzz/corpus/$t/$(echo "$f" | tr '/' '_')" 2>/dev/null || true
    done
    echo "== fuzzing $t for ${secs}s"
    cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
done
