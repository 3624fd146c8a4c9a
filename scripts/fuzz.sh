#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (libFuzzer), each for FUZZ_SECONDS (default 20) on a copy
# of its committed corpus in fuzz/corpus/<target>/, so a run never writes into the clone. Fails on
# any crash, timeout or leak and prints where the input that caused it was saved.
#   bash scripts/fuzz.sh                          # every target, 20 s each
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh phone  # one target, an hour
#   FUZZ_SEED=0 bash scripts/fuzz.sh              # a random seed instead of the fixed one
# The seed is fixed (FUZZ_SEED, default 1) so that a CI run is reproducible: a landing fails for a
# change it carries, not for an old input that a lucky seed happened to reach. Longer runs with a
# random seed are how new inputs are found; a crash found that way is fixed and its input added to
# the corpus, which every later run starts from.
# The instrumented build (its own workspace and lock file, fuzz/Cargo.lock) goes to a target folder
# outside the clone that later runs reuse: a cold build takes many minutes, a warm one seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
seed="${FUZZ_SEED:-1}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tenantry"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
# Not the main build's target folder (scripts/test.sh exports that one): the flags differ.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$cache/fuzz-target}"
# Inputs that crashed, kept after the run (outside the clone).
artifacts="${FUZZ_ARTIFACTS:-$cache/fuzz-artifacts}"

# cargo-fuzz needs nightly compiler flags (-Zsanitizer): a nightly toolchain if there is one,
# else the stable compiler with its nightly features unlocked.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  cargo_fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  cargo_fuzz=(cargo fuzz)
fi
# Release build with debug assertions and overflow checks, AddressSanitizer (cargo-fuzz's default).
flags=(--fuzz-dir fuzz --release --debug-assertions)

# The lock file is committed: refuse to run if it no longer matches fuzz/Cargo.toml.
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <("${cargo_fuzz[@]}" list --fuzz-dir fuzz)
fi

echo "==> building ${#targets[@]} fuzz targets in $CARGO_TARGET_DIR"
start=$(date +%s)
if [ $# -eq 0 ]; then
  nice -n 10 "${cargo_fuzz[@]}" build "${flags[@]}"
else
  for t in "${targets[@]}"; do nice -n 10 "${cargo_fuzz[@]}" build "${flags[@]}" "$t"; done
fi
echo "    built in $(($(date +%s) - start)) s"

# Longest input per target: pictures need room, text fields do not.
max_len() {
  case "$1" in
    avatar_image) echo 65536 ;;
    csv_import) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

work=$(mktemp -d)
# cargo-fuzz makes fuzz/artifacts/<target>/ even when told to save elsewhere: leave no empty ones.
trap 'rm -rf "$work"; rmdir fuzz/artifacts/* fuzz/artifacts 2>/dev/null || true' EXIT
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$artifacts/$t"
  [ -d "fuzz/corpus/$t" ] && cp -r "fuzz/corpus/$t/." "$work/$t/"
  log="$work/$t.log"
  echo "==> fuzzing $t for ${seconds} s"
  if nice -n 10 "${cargo_fuzz[@]}" run "${flags[@]}" "$t" "$work/$t" -- \
    -max_total_time="$seconds" -seed="$seed" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=30 \
    -artifact_prefix="$artifacts/$t/" -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units)' "$log" | head -2 | sed 's/^/    /' || true
  else
    failed+=("$t")
    # The panic or sanitizer report, then libFuzzer's summary.
    grep -m1 -A4 -E "panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)" "$log" || true
    grep -E "^(SUMMARY|artifact_prefix|Base64)" "$log" | head -3 || true
    crash=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/^Test unit written to //' || true)
    echo "!!! $t failed; the input is in ${crash:-$artifacts/$t/}"
    [ -n "$crash" ] && echo "    reproduce: ${cargo_fuzz[*]} run ${flags[*]} $t $crash"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "==> fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "==> fuzzing found nothing in ${#targets[@]} targets (${seconds} s each)"
