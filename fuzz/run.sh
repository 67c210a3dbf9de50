#!/usr/bin/env bash
# Runs every fuzz target for MINUTES minutes each (default 1), one after the
# other on one core, then prints execs, coverage and crashes per target.
#
#   fuzz/run.sh [MINUTES] [TARGET...]
#
# Seeds and dictionaries are regenerated first (fuzz/make_seeds.py); the
# corpus in fuzz/corpus/<target> grows across runs. A crash, timeout or OOM
# is saved to fuzz/artifacts/<target>/ (counted in the summary; the last
# summary line's crash counts include older runs' artifacts) and libFuzzer
# is restarted for the time left; see fuzz/README.md for what to do with a
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

# No sanitizer: the library has no unsafe code, and without ASan it runs
# about twice as fast. Debug assertions (and so overflow checks) on: an
# arithmetic overflow is a bug even where release builds would wrap.
flags=(-O --sanitizer none --debug-assertions)

python3 make_seeds.py
"${cargo[@]}" fuzz build "${flags[@]}"

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
    : >"$log"
    echo "== $t: $minutes min" >&2
    start=$(date +%s)
    execs=0
    runs=0
    # One worker. libFuzzer stops at the first crash, timeout (10 s) or OOM
    # (2 GiB) after saving it to artifacts/<target>/; the loop restarts it on
    # the grown corpus for the time left, so a finding never ends the run.
    # SIGSEGV/SIGBUS are left to common/overflow.rs, which turns a stack
    # overflow into an abort libFuzzer can report (its own handler would die
    # on the exhausted stack without saving the input).
    while :; do
        left=$((seconds - ($(date +%s) - start)))
        [ "$left" -gt 0 ] || break
        runs=$((runs + 1))
        "${cargo[@]}" fuzz run "${flags[@]}" "$t" "corpus/$t" -- \
            -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 \
            -handle_segv=0 -handle_bus=0 \
            -max_len=8192 -dict="$(dict_for "$t")" \
            -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
            >>"$log" 2>&1 || true
        n=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
        execs=$((execs + ${n:-0}))
        # Keep only the last run's final stats line from being counted twice.
        sed -i 's/^stat::number_of_executed_units:/counted::number_of_executed_units:/' "$log"
    done
    elapsed=$(($(date +%s) - start))
    # Progress lines: `#N  NEW|REDUCE|pulse|DONE  cov: C ft: F corp: K/SIZE ...`.
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's#.* corp: ([0-9]+)/.*#\1#p' <<<"$last")
    crashes=$(find "artifacts/$t" -name 'crash-*' | wc -l)
    timeouts=$(find "artifacts/$t" -name 'timeout-*' | wc -l)
    ooms=$(find "artifacts/$t" -name 'oom-*' | wc -l)
    summary+=("$(printf '%-11s %5ss %10s execs %6s/s  cov %6s  ft %7s  corpus %6s  runs %3s  crash/timeout/oom %s/%s/%s' \
        "$t" "$elapsed" "$execs" "$((execs / (elapsed > 0 ? elapsed : 1)))" "${cov:-?}" "${ft:-?}" \
        "${corp:-?}" "$runs" "$crashes" "$timeouts" "$ooms")")
done

printf '%s\n' "${summary[@]}"
