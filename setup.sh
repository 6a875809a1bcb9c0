#!/usr/bin/env bash
# Set up everything this course needs on a fresh machine with Python 3.11:
# a virtualenv in .venv with the pinned packages, bpkit and the reference.
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"

# System packages from Debian: bubblewrap (the sandbox every student's kernel
# runs in; grading refuses to run without it), Chromium and its driver (the
# report and feedback pages are tested in a real headless browser), CJK fonts
# (so Japanese renders in screenshots) and PostgreSQL (the tests also grade
# into a PostgreSQL gradebook, on a throwaway server they start themselves).
# Needs root or sudo; skipped if present.
APT_PACKAGES="bubblewrap chromium chromium-driver fonts-noto-cjk postgresql"
missing=""
for pkg in $APT_PACKAGES; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
    if [ "$SUDO" = "none" ]; then
        echo "setup: cannot install$missing (need root or sudo); grading and the browser tests will fail" >&2
    else
        echo "setup: installing$missing from Debian"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
    fi
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# -qq: errors only (a machine's own pip configuration and setuptools' notes on
# editable installs are not news to a new user; a failed install still says why).
.venv/bin/python -m pip install -qq --upgrade pip
.venv/bin/python -m pip install -qq -r requirements.lock
.venv/bin/python -m pip install -qq --no-deps -e .
# The sandbox must start here (user namespaces allowed); say so now rather
# than at grading time.
.venv/bin/python - <<'EOF'
import sys
from bpkit.isolation.sandbox import SandboxUnavailable, check_sandbox
try:
    check_sandbox()
except SandboxUnavailable as exc:
    print(f"setup: warning: the bubblewrap sandbox cannot start on this machine ({exc}); bpkit grade will "
          "refuse to run student code until it can (or is given --no-sandbox)", file=sys.stderr)
EOF
echo "setup: .venv ready ($(.venv/bin/python --version), $(.venv/bin/bpkit --version), sandbox: bubblewrap $(bwrap --version 2>/dev/null | cut -d' ' -f2))"
