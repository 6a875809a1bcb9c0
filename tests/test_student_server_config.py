"""The student-server snippet the README gives (deploy/student-server/, a
Jupyter config directory): a student's JupyterLab offers no formgrader and
no Create Assignment, and keeps the Assignments tab and Validate.  Without
it, the same server exposes formgrader (the premise)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, VENV_BIN

SNIPPET = ROOT / "deploy" / "student-server"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def student_server(tmp_path, config_dir):
    """Start JupyterLab as a student would have it; yields a GET function (url path -> (status, text))."""
    port, token = free_port(), "student-token"
    (tmp_path / "home").mkdir()
    env = dict(os.environ, PATH=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
               JUPYTER_CONFIG_DIR=str(config_dir), JUPYTER_RUNTIME_DIR=str(tmp_path / "run"))
    process = subprocess.Popen([str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--allow-root", f"--port={port}",
                                "--ip=127.0.0.1", f"--ServerApp.token={token}",
                                f"--ServerApp.root_dir={tmp_path / 'home'}"],
                               cwd=tmp_path / "home", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def get(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}{'&' if '?' in path else '?'}token={token}",
                                        timeout=10) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    for _ in range(240):
        try:
            get("/api/status")
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("JupyterLab did not start")
    return process, get


def disabled_plugins(page: str) -> list[str]:
    data = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.DOTALL)
    return json.loads(data.group(1)).get("disabledExtensions", [])


@pytest.mark.parametrize("with_snippet", [False, True])
def test_does_the_student_server_snippet_turn_off_formgrader_and_create_assignment(tmp_path, with_snippet):
    config_dir = tmp_path / "jupyter-config"
    if with_snippet:
        shutil.copytree(SNIPPET, config_dir)
    else:
        config_dir.mkdir()
    process, get = student_server(tmp_path, config_dir)
    try:
        formgrader, _ = get("/formgrader/manage_assignments")
        status, page = get("/lab")
        assignments, _ = get("/assignments")  # the Assignments tab's API (nbgrader's assignment_list)
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert status == 200 and assignments != 404
    plugins = disabled_plugins(page)
    if with_snippet:
        assert formgrader == 404
        assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} <= set(plugins)
        assert not {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"} & set(plugins)
    else:  # nbgrader's own installation exposes both
        assert formgrader == 200 and "@jupyter/nbgrader:formgrader" not in plugins
