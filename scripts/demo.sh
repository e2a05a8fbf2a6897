#!/bin/sh
# make demo: a self-contained setup in ./demo, checked; one sample scan put
# through the pipeline and filed in the archive, then found again.
set -eu
SOHOA=${1:?sohoa binary}
DIR=${2:?demo directory}
if [ -e "$DIR/sohoa.conf" ]; then
	echo "sohoa demo: using the existing $DIR (remove it for a fresh one)"
else
	"$SOHOA" init "$DIR"
fi
S="$SOHOA -c $DIR/sohoa.conf"
$S config check
SAMPLE=samples/hungyen-2684-300dpi-g4.tif
echo
echo "sohoa demo: \$ sohoa process $SAMPLE   (OCR, then filed in $DIR/archive)"
$S process "$SAMPLE" | head -n 12
echo "..."
echo
echo "sohoa demo: \$ sohoa search --text 'kiem soat thu tuc' --fold"
$S search --text 'kiem soat thu tuc' --fold
echo
echo "sohoa demo: \$ sohoa stats"
$S stats
echo
echo "sohoa demo: \$ sohoa fsck"
$S fsck
echo
echo "sohoa demo: the daemon (sohoa run: watch $DIR/inbox, spool, sign) is not implemented"
echo "yet; until it is, scans are filed with:  $S process FILE..."
