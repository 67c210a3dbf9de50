#!/usr/bin/env bash
# Runs every fuzz target for MINUTES minutes each (default 1), one after the
# other on one core, then prints execs, coverage and crashes per target.
#
#   fuzz/run.sh [MINUTES] [TARGET...]
#
# Seeds and dictionaries are regenerated first (fuzz/make_seeds.py); the
# corpus in fuzz/corpus/<target> grows across runs. libFuzzer runs in fork
# mode with one worker so a crash is saved to fuzz/artifacts/<target>/ and
# the run goes on for the full time; see fuzz/README.md for what to do with a
# saved crash. Uses the nightly toolchain when installed, else stable with
# RUSTC_BOOTSTRAP=1.
set -euo pipefail

cd "$(dirname "$0")"
minutes="${1:-1}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(policy_fmt authorize token callback)

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    cargo=(cargo +nightly)
else
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo)
fi

python3 make_seeds.py
"${cargo[@]}" fuzz build -O

dict_for() {
    case "$1" in
        policy_fmt) echo dict/policy.dict ;;
        *) echo dict/params.dict ;;
    esac
}

seconds=$((minutes * 60))
summary=()
for t in "${targets[@]}"; do
    mkdir -p "artifacts/$t" "corpus/$t"
    log="artifacts/$t/run.log"
    echo "== $t: $minutes min" >&2
    start=$(date +%s)
    # -fork=1: one worker, restarted after a crash, timeout or OOM (each is
    # still saved as an artifact and counted below). Inputs up to 8 KiB;
    # anything slower than 10 s per input is a finding, not a stall.
    "${cargo[@]}" fuzz run -O "$t" "corpus/$t" -- \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -dict="$(dict_for "$t")" \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
        >"$log" 2>&1 || true
    elapsed=$(($(date +%s) - start))
    # Fork mode prints `#EXECS: cov: N ft: N corp: N exec/s: N
    # oom/timeout/crash: A/B/C time: Ts ...` lines; the last one is the total.
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
    execs=$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
    otc=$(sed -nE 's#.*oom/timeout/crash: ([0-9/]+).*#\1#p' <<<"$last")
    saved=$(find "artifacts/$t" -type f ! -name run.log | wc -l)
    summary+=("$(printf '%-11s %5ss %12s execs  cov %6s  ft %7s  corpus %6s  oom/timeout/crash %-8s  artifacts %s' \
        "$t" "$elapsed" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${otc:-?}" "$saved")")
done

printf '%s\n' "${summary[@]}"
