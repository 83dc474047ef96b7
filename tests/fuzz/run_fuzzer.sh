#!/usr/bin/env bash
#
# Run one libFuzzer harness for a bounded time: the `fuzz` meson suite and
# tools/fuzz both come through here.
#   run_fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS [LIBFUZZER_ARG...]
# New inputs go to WORK_DIR/corpus (the seed corpus in the source tree is
# only read), crashes to WORK_DIR/artifacts/.  The fuzzer stops by itself
# after SECONDS; `timeout` ends it 60 s later if it does not.  Exit status:
# 0 when nothing was found, else the fuzzer's (a crash, a sanitizer
# report, a leak, a timeout of one input or running out of memory).
set -euo pipefail
(($# >= 4)) || {
	echo "usage: run_fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS [ARG...]" >&2
	exit 2
}
fuzzer=$1 seeds=$2 work=$3 secs=$4
shift 4
if ! [[ $secs =~ ^[0-9]+$ ]] || ((secs == 0)); then
	echo "run_fuzzer.sh: SECONDS must be a positive integer" >&2
	exit 2
fi
mkdir -p "$work/corpus" "$work/artifacts"
# Every sanitizer report is fatal; the UBSan suppressions (the alignment
# check only, see the file) sit next to this script.
here=$(cd "$(dirname "$0")" && pwd)
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:suppressions=$here/ubsan.supp"
rc=0
# libFuzzer exits 77 on a crash by default, which meson counts as a skip:
# a crash must fail the suite (-error_exitcode), as must a slow input.
timeout --kill-after=10 $((secs + 60)) "$fuzzer" \
	-max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$@" "$work/corpus" "$seeds" || rc=$?
if ((rc != 0)); then
	echo "run_fuzzer.sh: ${fuzzer##*/} failed (status $rc); inputs in $work/artifacts/:" >&2
	ls -l "$work/artifacts/" >&2 || true
fi
exit "$rc"
