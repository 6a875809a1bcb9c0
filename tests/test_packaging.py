"""A normal (non-editable) `pip install .` carries everything bpkit needs at
run time, the bundled sample class of `bpkit demo` included.

Offline and quick: the wheel is built from a copy of the sources with this
environment's setuptools (`--no-build-isolation --no-deps`, nothing is
downloaded), then installed into a fresh virtualenv that borrows the pinned
dependencies from this one (a .pth line) but not bpkit itself."""
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

SOURCES = ["pyproject.toml", "README.md", "bpkit", "reference"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


def run(*argv, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=120, env=env, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, argv))}\n{proc.stdout}{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools")  # the build backend, from requirements.lock's environment
    base = tmp_path_factory.mktemp("packaging")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:  # a copy, so the build never writes build/ or *.egg-info into the repository
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=IGNORE)
        else:
            shutil.copy2(ROOT / name, src / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "-w", base / "dist", src)
    (path,) = (base / "dist").glob("bpkit-*.whl")
    return {"path": path, "src": src, "base": base}


def _modules(src: Path) -> set[str]:
    """Every Python file of the bpkit and reference sources (sample class included)."""
    return {p.relative_to(src).as_posix() for top in ("bpkit", "reference") for p in (src / top).rglob("*.py")
            if "__pycache__" not in p.parts}


def test_the_wheel_holds_every_module_and_the_sample_class(wheel):
    with zipfile.ZipFile(wheel["path"]) as whl:
        names = set(whl.namelist())
        entry_points = next(whl.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    sample_class = {m for m in _modules(wheel["src"]) if m.startswith("bpkit/sample_class/")}
    assert len(sample_class) >= 8, sample_class
    missing = sorted(_modules(wheel["src"]) - names)
    assert not missing, f"a normal install would lack: {missing}"
    assert "bpkit = bpkit.cli:main" in entry_points
    assert "bpkit-sandbox = bpkit.isolation.sandbox:SandboxProvisioner" in entry_points


def test_bpkit_installed_non_editable_in_a_fresh_virtualenv_finds_its_sample_class(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # The pinned dependencies come from this environment; bpkit itself must not.
    (purelib / "bpkit_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel["path"])
    probe = (
        "import bpkit, bpkit.cli, bpkit.demo, reference, pathlib, sys\n"
        "from bpkit.sample import SAMPLE_DIR, sample_students, student_cells\n"
        f"assert pathlib.Path(bpkit.__file__).is_relative_to({str(purelib)!r}), bpkit.__file__\n"
        f"assert pathlib.Path(reference.__file__).is_relative_to({str(purelib)!r}), reference.__file__\n"
        "students = sample_students()\n"
        "assert len(students) >= 8 and student_cells(students[0]), students\n"
        # what `bpkit demo` does before grading: the course copy with every sample submission
        f"dest = bpkit.demo.make_scratch_course(pathlib.Path({str(ROOT)!r}), pathlib.Path({str(tmp_path / 'demo')!r}))\n"
        "made = sorted(p.name for p in dest.glob('submitted/*'))\n"
        "assert made == students, made\n"
        "print(len(students))\n"
    )
    proc = run(python, "-c", probe, cwd=tmp_path)
    assert int(proc.stdout) == len(list((ROOT / "bpkit" / "sample_class").glob("*.py")))
    assert run(venv / "bin" / "bpkit", "--version", cwd=tmp_path).stdout.startswith("bpkit ")
