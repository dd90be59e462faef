#!/bin/sh
# run.sh BUILD SECONDS TARGET... -- run each libFuzzer target for SECONDS from
# its seed corpus fuzz/corpus/NAME/ (NAME = TARGET without "fuzz_").  New
# inputs go to BUILD/fuzz/corpus-NAME/ (merge good ones into the seeds by
# hand); a crash, leak or timeout is written to fuzz/crashes/NAME/ and fails
# the run.  One line per target: executions, coverage, corpus, result.
build=$1; secs=$2; shift 2
fail=0
for t in "$@"; do
    name=${t#fuzz_}
    seeds=fuzz/corpus/$name
    work=$build/fuzz/corpus-$name
    crashes=fuzz/crashes/$name
    log=$build/fuzz/$t.log
    mkdir -p "$seeds" "$work" "$crashes"
    dict=""
    [ -f "fuzz/$name.dict" ] && dict="-dict=fuzz/$name.dict"
    # libconfig's own leak on a syntax error is not ours (fuzz/lsan.supp);
    # -close_fd_mask=1: the commands' stdout is noise; stderr keeps the reports
    LSAN_OPTIONS="suppressions=fuzz/lsan.supp:print_suppressions=0" "$build/fuzz/$t" "$work" "$seeds" $dict -max_total_time="$secs" -timeout=20 \
        -rss_limit_mb=2560 -malloc_limit_mb=1024 -max_len=65536 -close_fd_mask=1 \
        -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1
    rc=$?
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -E '#[0-9]+.*(DONE|pulse|NEW|REDUCE).*cov:' "$log" | tail -n 1 | sed -E 's/.*cov: ([0-9]+).*ft: ([0-9]+).*corp: ([0-9]+).*/cov \1, features \2, corpus \3/')
    if [ $rc -eq 0 ]; then
        echo "fuzz $name: ${secs}s, ${runs:-?} runs, $cov: ok"
    else
        fail=1
        echo "fuzz $name: FAILED (exit $rc) after ${runs:-?} runs; log $log; artifact:"
        grep -E 'Test unit written to|ERROR: |SUMMARY: |fuzz invariant failed' "$log" | head -n 6 | sed 's/^/    /'
    fi
done
exit $fail
