"""Stock `nbgrader autograde` versus `bpkit grade`, in one run: time, core-seconds, stages, memory.

Builds a synthetic class (correct, wrong and broken submissions for both
assignments, cycling through the sample class and the mistake catalogue) and
grades a fresh copy of it in each mode, in the same run:

- stock `nbgrader autograde` (sequential, unsandboxed);
- `bpkit grade --workers 1` and `--workers N` as shipped (sandboxed kernels,
  the judge decides);
- `bpkit grade --workers 1 --no-sandbox` (to price the sandbox);
- the floor: merely executing the same notebooks one after another with
  nbclient, in this process.

It checks that every grade cell got the same score in every mode as with
stock nbgrader, and prints for each mode the wall time, its ratio to stock,
the core-seconds per notebook, and for the bpkit modes where they go, per
notebook (from bpkit.timings: BPKIT_TIMINGS is set for those runs): kernel
start, execution, checks, nbgrader's converter, annotation, gradebook writes.
It also prints peak memory: the main process, the largest worker, the whole
grading side, and the kernels.  ``--repeat N`` does the timed part N times
(a fresh copy of the class each time, modes in rotated order) and prints the
spread of each ratio.

    .venv/bin/python benchmarks/grading_speed.py --students 60 --workers 2
    .venv/bin/python benchmarks/grading_speed.py --students 60 --workers 2 --repeat 3
    .venv/bin/python benchmarks/grading_speed.py --students 500 --workers 2 --no-stock
"""
from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.api import Gradebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bpkit import timings  # noqa: E402
from bpkit.sample import SAMPLE_DIR, sample_students, student_cells, write_submission  # noqa: E402

CATALOGUE = ROOT / "tests" / "catalogue"
BIN = Path(sys.executable).parent
ASSIGNMENTS = ["ch4_gradients", "ch5_backprop"]
MIB = 1024 * 1024


# ----------------------------------------------------------------- class ---

def synthetic_class(course: Path, n: int) -> None:
    """n students: sample class and catalogue entries in turn; every tenth broken."""
    sources = [(s, SAMPLE_DIR) for s in sample_students()] + [(p.stem, CATALOGUE) for p in sorted(CATALOGUE.glob("*.py"))]
    for i in range(n):
        name, directory = sources[i % len(sources)]
        student = f"s{i:03d}_{name}"
        for assignment in ASSIGNMENTS:
            dest = course / "submitted" / student / assignment
            write_submission(course / "release", assignment, student_cells(name, directory), dest)
            if i % 10 == 9:  # broken: not JSON, or the notebook renamed
                notebook = next(dest.glob("*.ipynb"))
                if i % 20 == 9:
                    notebook.write_text("{ not json", encoding="utf-8")
                else:
                    notebook.rename(dest / "renamed.ipynb")


def make_template(dest: Path, n: int) -> Path:
    """The course with the class submitted and the assignments recorded in
    its gradebook (not timed; every mode grades a copy of it)."""
    dest.mkdir(parents=True)
    for name in ("nbgrader_config.py", "source", "release"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    synthetic_class(dest, n)
    for assignment in ASSIGNMENTS:
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force",
                        "--CourseDirectory.release_directory=" + str(dest / "scratch-release")],
                       cwd=dest, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return dest


def _env(**extra) -> dict:
    env = dict(os.environ, PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]), **extra)
    if timings.ENV not in extra:
        env.pop(timings.ENV, None)
    return env


# ---------------------------------------------------------------- memory ---

def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes ({} if it is gone)."""
    found = {}
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith((b"VmRSS:", b"VmHWM:")):
                    key, value = line.split(b":", 1)
                    found[key.decode()] = int(value.split()[0]) * 1024
    except (OSError, ValueError):
        pass
    return found


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds so far: user + system, all threads), for every process."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()  # fields[0] is stat's field 3 (state)
                found[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
            except (OSError, ValueError, IndexError):
                continue
    return found


def _kernel_side(cmdline: bytes) -> bool:
    argv0 = cmdline.split(b"\0", 1)[0]
    return os.path.basename(argv0) == b"bwrap" or b"ipykernel" in cmdline or b"zygote" in cmdline


@dataclass
class Memory:
    """Peaks over a run, in bytes.  The grading side is the main process and
    its direct children that are not kernels (bpkit's workers); the kernel
    side is everything below (bwrap, kernels, zygotes), and processes
    orphaned during the run (re-parented to this script).  Totals are sums
    of VmRSS at one sample (pages shared between forked workers count once
    per process, so an upper bound; PSS splits them)."""

    main: int = 0
    worker: int = 0  # the largest worker's VmHWM
    workers: int = 0  # how many workers were seen
    grading_rss: int = 0
    grading_pss: int = 0
    kernel: int = 0  # the largest kernel-side process's VmHWM
    kernel_rss: int = 0

    def merge(self, other: "Memory") -> "Memory":
        return Memory(*(max(a, b) for a, b in zip(vars(self).values(), vars(other).values())))


@dataclass
class Sampled:
    """What the sampler saw of a run: memory peaks, and the CPU seconds of
    the grading side (main + workers, as last seen: up to one interval of
    each process's last moments is missed)."""

    memory: Memory
    grading_cpu: float
    helpers: set[str]


class TreeSampler(threading.Thread):
    """Samples /proc every `interval` seconds while a run goes on: the
    per-process peaks come from VmHWM (exact, as long as the process was
    seen alive once), the totals from VmRSS/PSS at each sample."""

    def __init__(self, root: int, interval: float = 0.1):
        super().__init__(name="memory-sampler", daemon=True)
        self.root, self.interval, self.me = root, interval, os.getpid()
        self.memory, self._workers, self._cpu, self.helpers = Memory(), set(), {}, set()
        self._root_cmdline = b""
        self._halt = threading.Event()

    def run(self) -> None:
        while True:
            self.sample()
            if self._halt.wait(self.interval):
                return

    def stop(self) -> Sampled:
        self._halt.set()
        self.join()
        self.memory.workers = len(self._workers)
        return Sampled(self.memory, sum(self._cpu.values()), self.helpers)

    def sample(self) -> None:
        processes = _processes()
        children: dict[int, list[int]] = {}
        for pid, (parent, _) in processes.items():
            children.setdefault(parent, []).append(pid)
        m = self.memory
        grading_rss = grading_pss = kernel_rss = 0
        self._root_cmdline = _cmdline(self.root) or self._root_cmdline  # forked workers share it
        stack = [(pid, self.me) for pid in children.get(self.me, [])]
        while stack:
            pid, parent = stack.pop()
            stack += [(child, pid) for child in children.get(pid, [])]
            status = _status(pid)
            if not status:
                continue
            rss, hwm = status.get("VmRSS", 0), status.get("VmHWM", 0)
            if pid == self.root:
                m.main = max(m.main, hwm)
            elif parent == self.root and not _kernel_side(cmdline := _cmdline(pid)):
                if not cmdline:  # in the middle of an exec, or gone
                    continue
                if cmdline == self._root_cmdline or b"multiprocessing" in cmdline:
                    self._workers.add(pid)
                    m.worker = max(m.worker, hwm)
                else:  # e.g. alembic, run by nbgrader when it makes a gradebook
                    self.helpers.add(cmdline.replace(b"\0", b" ")[:120].decode(errors="replace"))
            else:
                m.kernel = max(m.kernel, hwm)
                kernel_rss += rss
                continue
            grading_rss += rss
            grading_pss += _pss(pid)
            self._cpu[pid] = max(self._cpu.get(pid, 0.0), processes[pid][1])
        m.grading_rss = max(m.grading_rss, grading_rss)
        m.grading_pss = max(m.grading_pss, grading_pss)
        m.kernel_rss = max(m.kernel_rss, kernel_rss)


# ------------------------------------------------------------------- runs ---

def _become_subreaper() -> bool:
    """Processes orphaned by a run (a worker's zygote, a kernel left behind)
    become this script's children, so they are seen, reaped and their CPU
    counted (PR_SET_CHILD_SUBREAPER)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_orphans(grace: float = 5.0) -> int:
    """Wait up to `grace` seconds for the run's orphans to end and reap
    them; returns how many are still alive after that (left running)."""
    deadline = time.monotonic() + grace
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return 0
        if pid:
            continue
        if time.monotonic() > deadline:
            me = os.getpid()
            return sum(1 for parent, _ in _processes().values() if parent == me)
        time.sleep(0.05)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Run:
    wall: float = 0.0
    cpu: float = 0.0  # core-seconds of everything the run started
    grading_cpu: float | None = None  # of these, the grading side's (sampled)
    memory: Memory = field(default_factory=Memory)
    left_running: int = 0
    failed: int = 0
    helpers: set[str] = field(default_factory=set)  # the main process's children that are neither workers nor kernels

    def __add__(self, other: "Run") -> "Run":
        grading = None if self.grading_cpu is None and other.grading_cpu is None else \
            (self.grading_cpu or 0.0) + (other.grading_cpu or 0.0)
        return Run(self.wall + other.wall, self.cpu + other.cpu, grading, self.memory.merge(other.memory),
                   self.left_running + other.left_running, self.failed + other.failed, self.helpers | other.helpers)


def run(cmd: list[str], cwd: Path, **env) -> Run:
    """One command, timed: wall seconds, core-seconds, memory peaks.

    Core-seconds are the growth of getrusage(RUSAGE_CHILDREN) (user +
    system) across the run.  They count every process of the run that has
    ended and been waited for by its parent, its parent's parent and so on
    up to this script: the command itself, its workers, the kernels they
    shut down (inside bwrap too: bwrap waits for its child), and, because
    this script is a child subreaper and reaps orphans after each run, the
    zygotes that outlive their worker.  They do not count a process still
    running when the run ends (reported as left running), one whose parent
    never waited for it and that was reaped by something other than this
    script, nor this script's own threads (the memory sampler)."""
    before = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    code = proc.wait()
    wall = time.perf_counter() - start
    left = _reap_orphans()
    sampled = sampler.stop()
    return Run(wall, _children_cpu() - before, sampled.grading_cpu, sampled.memory, left, int(code != 0),
               sampled.helpers)


def scores(course: Path) -> dict:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {(a, s.student.id, g.name): g.score for a in ASSIGNMENTS
                for s in gb.find_assignment(a).submissions for n in s.notebooks for g in n.grades}


def nbclient_floor(course: Path) -> Run:
    """Execute the submitted notebooks that nbgrader could grade, one by one,
    in this process (core-seconds: this process plus the kernels)."""
    paths = sorted(p for p in (course / "autograded").rglob("*.ipynb"))
    own, before = resource.getrusage(resource.RUSAGE_SELF), _children_cpu()
    start = time.perf_counter()
    for graded in paths:
        submitted = course / "submitted" / graded.relative_to(course / "autograded")
        nb = nbformat.read(submitted, as_version=4)
        NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                       extra_arguments=["--IPKernelApp.log_level=ERROR"],  # as the course's c.Execute
                       resources={"metadata": {"path": str(graded.parent)}}).execute()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime + _children_cpu() - before
    return Run(wall, cpu)


def graded_notebooks(course: Path) -> int:
    return len(list((course / "autograded").rglob("*.ipynb")))


# -------------------------------------------------------------- report ---

@dataclass
class Mode:
    key: str
    label: str
    bpkit: bool
    args: list[str] = field(default_factory=list)

    def grade(self, course: Path, timings_file: Path) -> Run:
        total = Run()
        for assignment in ASSIGNMENTS:
            if self.bpkit:
                cmd = [str(BIN / "bpkit"), "grade", assignment, "--no-feedback", *self.args]
                total += run(cmd, course, **{timings.ENV: str(timings_file)})
            else:
                # nbgrader's own autograde: the course routes `nbgrader autograde` through bpkit otherwise
                total += run([str(BIN / "nbgrader"), "autograde", assignment, "--BpkitAutograde.stock_nbgrader=True"],
                             course)
        return total


def modes(workers: int) -> list[Mode]:
    found = [Mode("stock", "stock nbgrader autograde (sequential)", False),
             Mode("w1", "bpkit grade --workers 1 (sandboxed)", True, ["--workers", "1"])]
    if workers != 1:
        found.append(Mode(f"w{workers}", f"bpkit grade --workers {workers} (sandboxed)", True,
                          ["--workers", str(workers)]))
    found.append(Mode("nosandbox", "bpkit grade --workers 1 --no-sandbox", True, ["--workers", "1", "--no-sandbox"]))
    return found


def stage_rows(records: list[dict], run: Run) -> list[tuple[str, float | None, float | None]]:
    """(what, wall seconds, CPU seconds) summed over a run's timings records,
    then the rest of the run's core-seconds: the grading processes outside
    any stage (sampled), and the kernel side (the run's total minus the
    grading side: kernels, bwrap, zygotes)."""
    workers = [r for r in records if r.get("role") == "worker"]
    main = [r for r in records if r.get("role") == "main"]

    def get(recs, name):
        return (sum(r["stages"].get(name, {}).get("wall", 0.0) for r in recs),
                sum(r["stages"].get(name, {}).get("cpu", 0.0) for r in recs))

    sub, auto, start, execute, checks, stop, annotate = (get(workers, name) for name in (
        "submission", "autograde", "kernel_start", "execute", "checks", "kernel_shutdown", "annotate"))
    book = get(main, "gradebook")
    minus = lambda a, *bs: tuple(a[i] - sum(b[i] for b in bs) for i in range(2))  # noqa: E731
    return [
        ("kernel start (until it answers)", *start),
        ("execution (cells, without checks)", *minus(execute, checks)),
        ("checks (the judge, in the worker)", *checks),
        ("kernel shutdown", *stop),
        ("converter (rest of nbgrader autograde)", *minus(auto, start, execute, stop)),
        ("annotation (verdicts, judge file)", *annotate),
        ("rest of the worker's submission", *minus(sub, auto, annotate)),
        ("gradebook writes (main process)", *book),
    ] + ([] if run.grading_cpu is None else [
        ("grading processes outside any stage", None, run.grading_cpu - sub[1] - book[1]),
        ("kernel side (kernels, bwrap, zygotes)", None, run.cpu - run.grading_cpu),
    ])


def print_stages(results: dict[str, Run], records: dict[str, list[dict]], labels: dict[str, str],
                 notebooks: int) -> None:
    keys = [k for k in results if k in records]
    if not keys:
        return
    print("\nwhere it goes, per notebook: wall s / CPU s (the stages: CPU of the grading process they ran in; "
          "the last two rows: the rest of core-s/nb)")
    print(f"  {'':42}" + "".join(f"{labels[k]:>18}" for k in keys))
    table = {k: stage_rows(records[k], results[k]) for k in keys}
    for i, (what, *_rest) in enumerate(table[keys[0]]):
        cells = []
        for k in keys:
            _, wall, cpu = table[k][i]
            cells.append(("     -" if wall is None else f"{wall / notebooks:6.3f}") + f" / {cpu / notebooks:6.3f}")
        print(f"  {what:42}" + "".join(f"{c:>18}" for c in cells))
    lines = {k: len(records[k]) for k in keys}
    print(f"  (timings lines: {', '.join(f'{labels[k]} {n}' for k, n in lines.items())}; execution includes the "
          f"checks in wall time, shown apart; CPU is process time, all threads)")


def print_memory(results: dict[str, Run], labels: dict[str, str]) -> None:
    print("\npeak memory, MiB: main process, largest worker (VmHWM), grading side total (sum of VmRSS / PSS over "
          "main + workers), kernel side (largest process, total VmRSS)")
    for key, r in results.items():
        m = r.memory
        if not m.main:
            continue
        worker = f"{m.worker / MIB:7.0f} ({m.workers} seen)" if m.workers else "      - (none)"
        print(f"  {labels[key]:<12} main {m.main / MIB:6.0f}   worker {worker}   grading side "
              f"{m.grading_rss / MIB:6.0f} / {m.grading_pss / MIB:6.0f}   kernels {m.kernel / MIB:5.0f}, "
              f"{m.kernel_rss / MIB:6.0f} total")


def compare(stock: dict, other: dict) -> list:
    return sorted(k for k, v in stock.items() if v is not None and other.get(k) != v)


def repetition(template: Path, work: Path, rep: int, mode_list: list[Mode]) -> tuple[dict, bool]:
    """Grade a fresh copy of the class in every mode; print the report;
    returns ({mode: ratio to stock}, scores identical)."""
    courses = {}
    for mode in mode_list:
        courses[mode.key] = work / f"{mode.key}-{rep}"
        shutil.copytree(template, courses[mode.key], symlinks=True)
    order = mode_list[rep % len(mode_list):] + mode_list[:rep % len(mode_list)]
    results, records = {}, {}
    for mode in order:
        timings_file = work / f"timings-{mode.key}-{rep}.jsonl"
        results[mode.key] = mode.grade(courses[mode.key], timings_file)
        if mode.bpkit:
            records[mode.key] = timings.read(timings_file)
    results = {m.key: results[m.key] for m in mode_list}
    stock = scores(courses["stock"])
    scored = [k for k, v in stock.items() if v is not None]
    mismatched = {m.key: compare(stock, scores(courses[m.key])) for m in mode_list if m.key != "stock"}
    floor = nbclient_floor(courses["stock"])
    notebooks = max(graded_notebooks(courses["stock"]), 1)

    labels = {m.key: m.key for m in mode_list}
    t_stock = results["stock"].wall
    print(f"\n--- run {rep + 1} (order: {', '.join(m.key for m in order)}); {notebooks} notebooks graded by stock, "
          f"{len(scored)} grade cells scored")
    print(f"  {'mode':46}{'wall s':>8}{'vs stock':>10}{'core-s/nb':>11}   (grading side + kernel side)")
    rows = [(m.label, results[m.key]) for m in mode_list] + [("nbclient floor (execute only, 1 process)", floor)]
    for label, r in rows:
        split = "" if r.grading_cpu is None else \
            f"   ({r.grading_cpu / notebooks:.2f} + {(r.cpu - r.grading_cpu) / notebooks:.2f})"
        print(f"  {label:46}{r.wall:8.1f}{r.wall / t_stock:10.2f}{r.cpu / notebooks:11.2f}{split}")
    ratios = {m.key: results[m.key].wall / t_stock for m in mode_list if m.key != "stock"}
    ratios["floor"] = floor.wall / t_stock
    if "w1" in results and "nosandbox" in results:
        wall = (results["w1"].wall - results["nosandbox"].wall) / notebooks
        cpu = (results["w1"].cpu - results["nosandbox"].cpu) / notebooks
        print(f"  sandbox + judge cost at 1 worker: {wall:.3f} s wall, {cpu:.3f} core-s per notebook")
    print_stages(results, records, labels, notebooks)
    print_memory(results, labels)
    # every grading command exits non-zero when a submission could not be graded, and the class has broken ones
    trouble = [f"{labels[k]}: {r.failed} command(s) exited non-zero (expected: the class has broken submissions)"
               for k, r in results.items() if r.failed]
    trouble += [f"{labels[k]}: {r.left_running} process(es) still running 5 s after the run" for k, r in
                results.items() if r.left_running]
    trouble += [f"{labels[k]}: other processes of the grading side: {sorted(r.helpers)}" for k, r in
                results.items() if r.helpers]
    for line in trouble:
        print(f"  NOTE {line}")
    same = not any(mismatched.values())
    for key, keys in mismatched.items():
        if keys:
            print(f"  MISMATCHED scores, {labels[key]} vs stock: {len(keys)}, e.g. {keys[:5]}")
    print("  scores identical in every mode" if same else "  scores DIFFER")
    return ratios, same


def bpkit_only(template: Path, work: Path, args) -> int:
    """Grade a large class with bpkit alone (sandboxed, --workers N); every
    submission must end up in the gradebook with a score for every grade
    cell (nothing lost).  Prints time, core-seconds, stages and memory."""
    course = work / "ours"
    shutil.copytree(template, course, symlinks=True)
    timings_file = work / "timings-ours.jsonl"
    mode = Mode("ours", f"bpkit grade --workers {args.workers} (sandboxed)", True, ["--workers", str(args.workers)])
    result = mode.grade(course, timings_file)
    students = sorted(p.name for p in (course / "submitted").iterdir())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        lost = []
        for a in ASSIGNMENTS:
            cells = sum(len(nb.grade_cells) for nb in gb.find_assignment(a).notebooks)
            graded = {s.student.id: [g.score for n in s.notebooks for g in n.grades]
                      for s in gb.find_assignment(a).submissions}
            lost += [(a, s) for s in students if len(graded.get(s, [])) != cells or None in graded[s]]
    submissions = len(students) * len(ASSIGNMENTS)
    notebooks = max(graded_notebooks(course), 1)
    print(f"{len(students)} students x {len(ASSIGNMENTS)} assignments graded in {result.wall:.1f} s "
          f"({result.wall / submissions:.2f} s per submission; {notebooks} notebooks autograded, "
          f"{result.cpu / notebooks:.2f} core-s per notebook); submissions without a full set of scores: {len(lost)}")
    labels = {"ours": f"--workers {args.workers}"}
    print_stages({"ours": result}, {"ours": timings.read(timings_file)}, labels, notebooks)
    print_memory({"ours": result}, labels)
    if result.left_running:
        print(f"NOTE {result.left_running} process(es) still running 5 s after the run")
    if result.helpers:
        print(f"NOTE other processes of the grading side: {sorted(result.helpers)}")
    return 1 if lost or result.failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="run the timed part N times and print the spread")
    parser.add_argument("--no-stock", action="store_true",
                        help="grade only with bpkit and check that every submission has an outcome (large classes)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch courses and timings files")
    args = parser.parse_args()
    os.environ["PATH"] = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    os.environ.pop(timings.ENV, None)
    if not _become_subreaper():
        print("note: could not become a child subreaper; orphaned processes' CPU may be missed")
    work = Path(tempfile.mkdtemp(prefix="bpkit-bench-"))
    try:
        return benchmark(work, args)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def benchmark(work: Path, args) -> int:
    template = make_template(work / "template", args.students)
    print(f"{args.students} students x {len(ASSIGNMENTS)} assignments")
    if args.no_stock:
        return bpkit_only(template, work, args)

    mode_list = modes(args.workers)
    print("modes: " + "; ".join(f"{m.key} = {m.label}" for m in mode_list))
    spread, identical = {}, True
    for rep in range(args.repeat):
        ratios, same = repetition(template, work, rep, mode_list)
        identical &= same
        for key, ratio in ratios.items():
            spread.setdefault(key, []).append(ratio)
    if args.repeat > 1:
        print(f"\nratio to stock over {args.repeat} runs: min / median / max")
        for key, values in spread.items():
            print(f"  {key:12}{min(values):6.2f} {statistics.median(values):6.2f} {max(values):6.2f}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
