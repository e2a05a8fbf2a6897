#!/bin/sh
# make bench: see bench/bench.py.
set -eu
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" bench/bench.py "${1:-bin/sohoa}"
