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
echo "sohoa demo: \$ sohoa process $SAMPLE   (OCR, signed PDF/A + XML, filed in $DIR/archive)"
$S process "$SAMPLE" | head -n 12
echo "..."
ID=$($S search --text 'kiem soat thu tuc' --fold --json | head -n 1 | sed 's/.*"id": *"\([0-9a-f]*\)".*/\1/')
echo
echo "sohoa demo: \$ sohoa verify $ID   (signatures, chain, fixity)"
$S verify "$ID"
$S get "$ID" --pdf -o "$DIR/e-copy.pdf"
$S get "$ID" --xml -o "$DIR/e-result.xml"
echo "sohoa demo: the signed copies are $DIR/e-copy.pdf and $DIR/e-result.xml; check them with"
echo "  xmlsec1 --verify --trusted-pem $DIR/keys/ca.pem $DIR/e-result.xml"
echo "  pdfsig $DIR/e-copy.pdf   (after: certutil -A -n dev -t C,C,C -i $DIR/keys/ca.pem -d sql:NSSDB)"
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
echo
echo "sohoa demo: now the daemon, in the foreground (Ctrl-C stops it; nothing is lost)."
echo "  Drop scans into $DIR/inbox/, e.g. in another terminal:"
echo "    cp samples/gialai-949-300dpi-g4.tif $DIR/inbox/"
echo "  then watch them arrive:  $S status   /   $S search"
echo "  Scans that cannot be read go to $DIR/quarantine/ with a reason.txt."
if grep -q '^\[api\]' "$DIR/sohoa.conf"; then
	echo
	echo "sohoa demo: the web page and the API: https://127.0.0.1:8443/"
	echo "  The certificate is from the demo CA ($DIR/keys/ca.pem): import it into the browser,"
	echo "  or accept the warning. Log in with the token in $DIR/keys/admin-token"
	echo "  (admin; $DIR/keys/api-token is read-only, as the one-stop system gets)."
	echo "  curl --cacert $DIR/keys/ca.pem -H \"Authorization: Bearer \$(cat $DIR/keys/api-token)\" \\"
	echo "    https://127.0.0.1:8443/v1/results/$ID"
	echo "  A token for counter staff: $S token add quay-1 --scope review"
else
	echo "  ($DIR was made before the API existed: remove it for a demo with the web page.)"
fi
exec $S run
