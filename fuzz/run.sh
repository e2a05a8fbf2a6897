#!/bin/sh
# Runs each fuzz target for SECONDS, one after the other (nice'd), from the
# committed seeds (fuzz/corpus/<t>, fuzz/regress/<t>) plus what earlier runs
# found (OUT/corpus/<t>, kept between runs). What crashes, leaks, times out
# or runs out of memory lands in OUT/crashes/<t>/ (emptied at each run).
# Usage: run.sh SECONDS OUT TARGET...   Exits 1 when any target failed.
set -u
SECS=${1:?seconds per target}
OUT=${2:?output folder}
shift 2
export OMP_THREAD_LIMIT=1 UBSAN_OPTIONS=print_stacktrace=1
failed=""
samples=$(mktemp -d)
trap 'rm -rf "$samples"' EXIT

# Seeds too big to commit, taken from samples/ at run time (cut to -max_len).
mkdir -p "$samples/decode" "$samples/extract"
find samples -maxdepth 2 -type f -size -200k \( -name '*.tif' -o -name '*.png' -o \
    -name '*.jpg' -o -name '*.pgm' -o -name '*.pdf' \) -exec cp {} "$samples/decode/" \;
cp samples/corpus/*.txt "$samples/extract/" 2>/dev/null

for t in "$@"; do
	# A page within the daemon's limits (300 Mpx) may take about 2.2 GB in colour
	# (docs/internals/hostile.md), more under ASan: only more than that is a finding.
	rss=2048
	case "$t" in
	decode)  opts="-max_len=131072 -timeout=60"; rss=6144 ;;
	extract) opts="-max_len=32768 -timeout=20" ;;
	api)     opts="-max_len=8192 -timeout=30" ;;
	*)       opts="-max_len=16384 -timeout=20" ;;
	esac
	[ -f "fuzz/$t.dict" ] && opts="$opts -dict=fuzz/$t.dict"
	work="$OUT/corpus/$t"
	crashes="$OUT/crashes/$t"
	rm -rf "$crashes"
	mkdir -p "$work" "$crashes" "fuzz/regress/$t"
	extra=""
	[ -d "$samples/$t" ] && extra="$samples/$t"
	echo "== fuzz_$t: $SECS s"
	# shellcheck disable=SC2086
	nice -n 10 "build/fuzz/fuzz_$t" $opts -max_total_time="$SECS" -rss_limit_mb="$rss" \
	    -artifact_prefix="$crashes/" -print_final_stats=1 \
	    "$work" "fuzz/corpus/$t" "fuzz/regress/$t" $extra >"$OUT/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$OUT/$t.log" | tail -n 1)
	found=$(find "$crashes" -type f \( -name 'crash-*' -o -name 'leak-*' -o \
	    -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
		failed="$failed $t"
		echo "FAIL fuzz_$t: exit $rc, $found input(s) in $crashes/; log $OUT/$t.log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$OUT/$t.log" | head -n 5
	else
		echo "ok   fuzz_$t: ${execs:-?} runs, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) files"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed; the inputs are in $OUT/crashes/<target>/ (to keep one as a"
	echo "regression test, copy it into fuzz/regress/<target>/ once it is fixed)"
	exit 1
fi
echo "fuzz: no crash in $*"
