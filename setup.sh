#!/usr/bin/env bash
# Set up everything this course needs on a fresh machine with Python 3.11:
# a virtualenv in .venv with the pinned packages, bpkit and the reference.
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps -e .
echo "setup: .venv ready ($(.venv/bin/python --version), $(.venv/bin/bpkit --version))"
