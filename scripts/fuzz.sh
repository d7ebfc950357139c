#!/usr/bin/env bash
# Fuzz every loader and parser of the library (the cargo-fuzz crate in fuzz/), each target for a
# bounded time, starting from the seeds in fuzz/seeds/<target>/ (copied into a scratch corpus
# under fuzz/corpus/<target>/, which is kept between runs and not tracked).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60, or $FUZZ_SECONDS
#   TARGET...           default: every target (`cargo fuzz list`)
# Environment: FUZZ_JOBS (parallel libFuzzer jobs per target, default 1), CARGO_TARGET_DIR
# (where the instrumented build goes; default fuzz/target).
#
# Runs on a stable toolchain: cargo-fuzz needs nightly flags (-Zsanitizer), allowed here by
# RUSTC_BOOTSTRAP=1. Installs cargo-fuzz when missing. Exits non-zero when a target crashes,
# printing the crash input and the command that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-${FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...] (got '$seconds')" >&2
  exit 2
fi
jobs=${FUZZ_JOBS:-1}
if ! [[ $jobs =~ ^[0-9]+$ ]] || [ "$jobs" -lt 1 ]; then
  echo "FUZZ_JOBS must be a positive integer (got '$jobs')" >&2
  exit 2
fi

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz" >&2
  # its own target dir, so the install does not disturb (or reuse) the fuzz build's
  CARGO_TARGET_DIR="${TMPDIR:-/tmp}/cargo-fuzz-install" cargo install cargo-fuzz --locked
fi

cd fuzz
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

echo "== building ${#targets[@]} fuzz targets (release, address sanitizer, debug assertions)" >&2
for t in "${targets[@]}"; do
  cargo fuzz build "$t"
done

failed=()
for t in "${targets[@]}"; do
  corpus="$root/fuzz/corpus/$t"
  artifacts="$root/fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "$root/fuzz/seeds/$t" ]; then
    cp -n "$root/fuzz/seeds/$t/"* "$corpus/" 2>/dev/null || true
  fi
  find "$artifacts" -type f | sort >"$artifacts.before"
  echo "== fuzzing $t for ${seconds}s (corpus $corpus)" >&2
  log="$root/fuzz/artifacts/$t.log"
  status=0
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=8192
    -print_final_stats=1 -artifact_prefix="$artifacts/")
  # parallel jobs write their own logs, fuzz/fuzz-N.log, which libFuzzer prints at the end
  [ "$jobs" -gt 1 ] && flags+=(-jobs="$jobs" -workers="$jobs")
  cargo fuzz run "$t" "$corpus" -- "${flags[@]}" >"$log" 2>&1 || status=$?
  new=$(find "$artifacts" -type f | sort | comm -13 "$artifacts.before" -)
  rm -f "$artifacts.before"
  if [ "$status" -ne 0 ] || [ -n "$new" ]; then
    failed+=("$t")
    echo "!! $t FAILED (exit $status); full log: $log" >&2
    # the panic (or sanitizer report) and libFuzzer's verdict
    grep -E -A2 'panicked at|ERROR: (AddressSanitizer|libFuzzer)' "$log" | head -n 12 >&2 || true
    grep -E '^SUMMARY' "$log" >&2 || tail -n 20 "$log" >&2
    for a in $new; do
      echo "   crash input: $a" >&2
      echo "   reproduce:   (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $t $a)" >&2
      echo "   minimise:    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz tmin $t $a)" >&2
    done
  else
    runs=$(grep -Eo '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
    echo "   $t: no crash (${runs:-no summary}; log $log)" >&2
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== crashes in: ${failed[*]} (artifacts under fuzz/artifacts/)" >&2
  exit 1
fi
echo "== no crash in ${#targets[@]} targets (${seconds}s each)" >&2
