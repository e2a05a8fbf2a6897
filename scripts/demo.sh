#!/bin/sh
# make demo: a self-contained setup in ./demo, checked, with one sample scan
# put through the pipeline so the OCR can be seen.
set -eu
SOHOA=${1:?sohoa binary}
DIR=${2:?demo directory}
if [ -e "$DIR/sohoa.conf" ]; then
	echo "sohoa demo: using the existing $DIR (remove it for a fresh one)"
else
	"$SOHOA" init "$DIR"
fi
"$SOHOA" -c "$DIR/sohoa.conf" config check
SAMPLE=samples/hungyen-2684-300dpi-g4.tif
[ -f "$SAMPLE" ] || SAMPLE=$(ls samples/*.tif | head -n 1)
echo
echo "sohoa demo: OCR of $SAMPLE (sohoa process):"
"$SOHOA" -c "$DIR/sohoa.conf" process "$SAMPLE" | head -n 30
echo "..."
echo
echo "sohoa demo: the daemon (sohoa run: watch $DIR/inbox, spool, sign, archive) is not"
echo "implemented yet; until it is, scans are processed one by one with:"
echo "  $SOHOA -c $DIR/sohoa.conf process --json FILE..."
