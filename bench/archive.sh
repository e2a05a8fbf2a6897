#!/bin/sh
# make bench, archive part: commit rate with blobs (archive_load), and the
# index at BENCH_ARCHIVE_N results (default 100000; 1000000 takes ~25 min):
# commit rate, size per result, dossier lookup and full-text p50/p99.
set -eu
TOOLS=${1:-build/release/tools}
N=${BENCH_ARCHIVE_N:-100000}
Q=${BENCH_ARCHIVE_QUERIES:-1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "archive: 300 full commits (4 KiB original, blob fsync'd, then the index transaction)"
"$TOOLS/archive_load" "$tmp/full" 300 >/dev/null
echo "archive: index at $N results ($Q queries each)"
"$TOOLS/archive_bench" "$tmp/index" "$N" "$Q"
