"""setup.sh, the first thing a new user runs: on a machine where everything
works it says one true line and nothing alarming; where the sandbox cannot
start it says so in one line, with no traceback."""
from __future__ import annotations

import os
import subprocess

from conftest import ROOT


def run_setup(tmp_path, extra_path: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": os.pathsep.join(p for p in (extra_path, os.environ.get("PATH", "")) if p)}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(["bash", str(ROOT / "setup.sh")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=1200)


def test_setup_on_a_working_machine_prints_no_traceback_and_no_warning(tmp_path):
    done = run_setup(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output and "rror" not in output, output
    assert "warning" not in output.lower(), output  # the sandbox starts here, and the install is clean
    assert done.stdout.strip().splitlines()[-1].startswith("setup: .venv ready"), output
    assert "sandbox: bubblewrap" in done.stdout


def test_a_sandbox_that_cannot_start_is_one_line_of_warning_not_a_traceback(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    done = run_setup(tmp_path, str(fake))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "sandbox cannot start" in warnings[0] and "--no-sandbox" in warnings[0]
