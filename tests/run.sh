#!/bin/sh
# Runs every unit test binary in $1 and every integration test against the
# sohoa binary $2, then prints one closing line: "N passed, N failed".
set -u
TESTDIR=${1:?test binary directory}
SOHOA=${2:?sohoa binary}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # $1 = pattern, prints the number before "test(s)"
	sed -n "s/^\[  $1  \] \([0-9][0-9]*\) test(s).*/\1/p" "$log" | tail -n 1
}

for t in "$TESTDIR"/test_*; do
	[ -x "$t" ] || continue
	echo "== $(basename "$t")"
	OMP_THREAD_LIMIT=1 "$t" >"$log" 2>&1  # as sohoa sets it for itself
	status=$?
	cat "$log"
	p=$(count PASSED); f=$(count FAILED)
	p=${p:-0}; f=${f:-0}
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $(basename "$t") exited with status $status"
		f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
done

for t in tests/integration/test_*.py tests/hostile/test_*.py tests/chaos/test_*.py; do
	[ -f "$t" ] || continue
	echo "== $(basename "$t")"
	SOHOA="$SOHOA" "$PYTHON" "$t" >"$log" 2>&1
	status=$?
	cat "$log"
	p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $(basename "$t") exited with status $status"
		f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
