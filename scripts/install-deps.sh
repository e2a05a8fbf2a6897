#!/bin/sh
# Installs the Debian 12 packages sohoa needs, only those that are missing.
# Usage: install-deps.sh [samples] [fuzz] [bench]   (what `make samples`, `make fuzz`
# and `make bench` need besides the build)
set -eu
BUILD="gcc make pkg-config openssl python3 \
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd \
  libtesseract-dev libleptonica-dev libtiff-dev \
  libssl-dev libxml2-dev libxmlsec1-dev \
  libsqlite3-dev libmicrohttpd-dev libjansson-dev libinih-dev libzbar-dev \
  libsystemd-dev libcmocka-dev libutf8proc-dev libnss3-tools \
  libqpdf-dev libharfbuzz-dev liblcms2-dev libcurl4-openssl-dev fonts-liberation2 \
  libengine-pkcs11-openssl softhsm2 opensc poppler-utils xmlsec1 qpdf libxml2-utils \
  libpoppler-glib-dev libgnutls28-dev wrk chromium chromium-driver python3-selenium \
  python3-yaml valgrind"
SAMPLES="python3-pil python3-qrcode python3-numpy fonts-liberation2"
FUZZ="clang libclang-rt-14-dev"
BENCH="ocrmypdf time"

wanted="$BUILD"
for group in "$@"; do
	case "$group" in
	samples) wanted="$wanted $SAMPLES" ;;
	fuzz) wanted="$wanted $FUZZ" ;;
	bench) wanted="$wanted $BENCH $SAMPLES" ;;
	*) echo "install-deps.sh: unknown group '$group'" >&2; exit 2 ;;
	esac
done

missing=""
for pkg in $wanted; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "sohoa: installing missing packages:$missing"
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
