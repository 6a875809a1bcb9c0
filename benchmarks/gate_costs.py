"""What an attack of issue 20 costs the grading side: `bpkit grade` and then
`bpkit report` on three honest students plus one attacker, per attack.

    .venv/bin/python benchmarks/gate_costs.py                    # this checkout
    .venv/bin/python benchmarks/gate_costs.py --code /path/to/other/checkout   # e.g. main, for "before"

Attacks (the issue's numbers): 40 x 8 MiB of display metadata, 1 500 errors
of 100 KiB, a markdown cell of 51 200 ``$x$``, a judge reply naming one
4 MiB blob 36 864 times (``--only wire``).  For each run it prints the
wall time and the peak memory (VmHWM) of the main process and of the
largest grading worker, the main process's CPU seconds, the size of the
attacker's graded notebook and feedback page, and the peak memory and wall
time of `bpkit report`.  Nothing here is a test: it prints numbers.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bpkit.sample import student_cells, write_submission  # noqa: E402
from grading_speed import TreeSampler, _become_subreaper, _env  # noqa: E402

CH4, NB = "ch4_gradients", "losses_and_gradients"
MIB = 1 << 20
SOFTMAX = student_cells("aoki")["softmax"]
ATTACKS = {
    "none": {},
    "metadata 40 x 8 MiB": {"softmax": SOFTMAX + (
        "\nfrom IPython.display import publish_display_data\nfor _i in range(40):\n"
        "    publish_display_data({'text/plain': '.'}, metadata={'m': 'x' * (8 << 20)})\n")},
    "errors 1500 x 100 KiB": {"softmax": SOFTMAX + (
        "\n_ip = get_ipython()\nfor _i in range(1500):\n    try:\n        raise ValueError('e' * (100 << 10))\n"
        "    except ValueError:\n        _ip.showtraceback()\n")},
    "TeX 51 200 $x$": {"softmax +markdown": " ".join(["$x$"] * 51_200)},
    # one 4 MiB blob named 36 864 times in a header under 1 MB (the probe's send, patched in the kernel)
    "wire aliasing 36 864 x 4 MiB": {"softmax": (
        "import bpkit.probe as _probe\nimport numpy as _np\n_real_send, _state = _probe.send, {'done': False}\n"
        "def _aliasing_send(sock, header, blobs=()):\n"
        "    value = header.get('value') if isinstance(header, dict) else None\n"
        "    if not _state['done'] and header.get('ok') and isinstance(value, dict) and value.get('t') == 'ndarray':\n"
        "        _state['done'] = True\n"
        "        blobs = list(blobs) + [_probe.npy(_np.zeros((4 << 20) // 8 - 16))]\n"
        "        ref = {'t': 'ndarray', 'b': len(blobs) - 1}\n"
        "        header = dict(header, value={'t': 'list', 'items': [{'t': 'list', 'items': [\n"
        "            {'t': 'list', 'items': [ref] * 64}] * 64}] * 9})\n"
        "    return _real_send(sock, header, blobs)\n"
        "_probe.send = _aliasing_send\n") + SOFTMAX},
}


def course_with(code: Path, dest: Path, attack: dict) -> Path:
    dest.mkdir(parents=True)
    for name in ("nbgrader_config.py", "source", "release"):
        src = code / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    for student in ("aoki", "fujita", "goto"):
        write_submission(dest / "release", CH4, student_cells(student), dest / "submitted" / student / CH4)
    if attack:
        write_submission(dest / "release", CH4, {**student_cells("aoki"), **attack},
                         dest / "submitted" / "attacker" / CH4)
    return dest


def run(code: Path, course: Path, *args: str) -> tuple[float, object, float]:
    """(wall seconds, memory peaks, main process CPU seconds) of one bpkit command run from `code`."""
    command = [sys.executable, "-m", "bpkit.cli", "--course", str(course), *args]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=code, env=_env(PYTHONPATH=str(code)), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    sampler = TreeSampler(process.pid, interval=0.05)
    sampler.start()
    process.wait()
    wall = time.perf_counter() - start
    main_cpu = sampler._cpu.get(process.pid, 0.0)
    return wall, sampler.stop().memory, main_cpu


def size(path: Path) -> str:
    return f"{path.stat().st_size / MIB:.1f}" if path.exists() else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", default=str(ROOT), help="the checkout whose bpkit runs (default: this one)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="attacks to run (default: all)")
    args = parser.parse_args()
    code = Path(args.code).resolve()
    _become_subreaper()
    print(f"code: {code}  workers: {args.workers}")
    print(f"{'attack':<24} {'grade s':>8} {'main MiB':>9} {'main CPU s':>10} {'worker MiB':>10} "
          f"{'notebook MiB':>12} {'page MiB':>9} {'report s':>9} {'report MiB':>10}")
    for name, attack in ATTACKS.items():
        if args.only and name.split()[0] not in args.only:
            continue
        with tempfile.TemporaryDirectory(prefix="bpkit-gate-bench-") as tmp:
            course = course_with(code, Path(tmp) / "course", attack)
            wall, memory, main_cpu = run(code, course, "grade", CH4, "--workers", str(args.workers))
            report_wall, report_memory, _ = run(code, course, "report", CH4)
            who = "attacker" if attack else "aoki"
            print(f"{name:<24} {wall:>8.1f} {memory.main / MIB:>9.0f} {main_cpu:>10.1f} {memory.worker / MIB:>10.0f} "
                  f"{size(course / 'autograded' / who / CH4 / f'{NB}.ipynb'):>12} "
                  f"{size(course / 'feedback' / who / CH4 / f'{NB}.html'):>9} {report_wall:>9.1f} "
                  f"{report_memory.main / MIB:>10.0f}", flush=True)


if __name__ == "__main__":
    main()
