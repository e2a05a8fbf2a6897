#!/bin/sh
# make bench, archive part: commit rate with blobs (archive_load), then one index
# grown to 10000 results and on to BENCH_ARCHIVE_N (default 100000, ~3 min;
# 1000000 takes ~25 min), measured at both sizes: commit rate, a commit's cost at
# that size (the mean of its last 1000), size per result, dossier lookup and
# full-text p50/p99; then whether the cost per result stays flat.
set -eu
TOOLS=${1:-build/release/tools}
N=${BENCH_ARCHIVE_N:-100000}
Q=${BENCH_ARCHIVE_QUERIES:-1000}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "archive: 300 full commits (4 KiB original, blob fsync'd, then the index transaction)"
"$TOOLS/archive_load" "$tmp/full" 300 >/dev/null
echo "archive: one index at 10000, then $N results ($Q queries at each size)"
"$TOOLS/archive_bench" "$tmp/index" 10000 "$Q" | tee "$tmp/small.json"
"$TOOLS/archive_bench" "$tmp/index" "$N" "$Q" | tee "$tmp/big.json"
"$PYTHON" - "$tmp/small.json" "$tmp/big.json" <<'EOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print(f"archive: from {a['results']} to {b['results']} results (x{b['results'] / a['results']:.0f}):")
rows = [("commit", a["commit_ms_last_1000"], b["commit_ms_last_1000"])]
rows += [(k[:-3], a[k]["p50"], b[k]["p50"]) for k in a if k.endswith("_ms")]
for name, x, y in rows:
    flat = "flat" if y <= 1.5 * x else "grows"
    print(f"  {name:16s} {x:7.3f} ms -> {y:7.3f} ms  (x{y / x:.2f}, {flat})")
EOF
