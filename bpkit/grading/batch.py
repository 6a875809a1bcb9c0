"""Grade a class in parallel with nbgrader, one writer to the gradebook.

Each worker process runs nbgrader's own autograde for one submission at a
time against a private scratch gradebook (a copy of one template, made once
per batch, holding the assignment's definition), writing the graded notebook
into autograded/ as usual.  Only the main process writes the course
gradebook (bpkit.grading.gradebook.GradebookWriter, one session per batch):
it copies each submission's automatic scores and comments over, exactly as
nbgrader's SaveAutoGrades would, never touching a grader's manual score.  So
SQLite sees a single writer, PostgreSQL works the same way, and scores do
not depend on the number of workers.

A submission already graded from the same files is skipped (resume after an
interruption, idempotent re-runs) unless force=True.

Nothing reads submitted/ but bpkit.grading.intake: each submission is first copied
into the batch's scratch folder (``/tmp/bpkit-batch-*/submitted``) without
following any link, reading only regular files, within size caps; a
submission with a link, a hard link, a special file, too much data or a
name that cannot be an nbgrader id is refused with its reason (recorded as
not graded, zero points if its id can be recorded) and the others go on.
The hash, nbgrader (its ``CourseDirectory.submitted_directory`` points at
the scratch copy) and the sandbox all read that copy.

A worker process that dies (killed, out of memory) never costs a student
points: the pool is rebuilt, the students still queued are graded, and the
submissions that were being graded are retried one at a time in a pool of
their own; only one whose retry kills its worker again is recorded as not
graded, with that reason.  Each worker runs under a soft address-space cap
(``c.BpkitWorker.memory_bytes``, default WORKER_MEMORY_BYTES; 0 = none), and
one that runs out of memory ends itself, so the retry logic handles it.

Sandboxed grading (the default): each notebook's kernel is forked by the
worker's warm sandbox (bpkit.isolation.sandbox, bpkit.isolation.nursery) and
every hidden check is decided by a Judge in the worker (bpkit.judging.judge),
which never runs student code; bpkit.grading.verdicts turns its verdicts into
the scores (a cell the judge failed scores zero whatever the notebook
showed), the judge file next to the graded notebook and the diagnosis in the
graded cells.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from bpkit import timings
from bpkit.course import id_problem
from bpkit.grading.intake import Limits, Refused, check_timestamp, take_in, tree_hash
from bpkit.grading.gradebook import GradebookWriter, scratch_gradebooks_without_fsync, template_gradebook
from bpkit.grading.records import NOT_GRADED_FILE, failure_summary, record_intake_notes, record_not_graded
from bpkit.grading.verdicts import annotate, apply_verdicts, graded_with, judged_only
from bpkit.isolation.kernelspec import fork_kernelspec_dir, sandbox_kernelspec_dir

__all__ = ["WorkerResult", "grade_submissions", "submission_hash", "MARKER", "WORKER_MEMORY_BYTES", "worker_memory_bytes",
           "WORKER_DIED_TWICE", "default_workers", "in_grading_worker", "pool_context"]

#: Written next to a graded notebook: the hash of the files it was graded from.
MARKER = ".bpkit-graded.json"


@dataclass
class WorkerResult:
    """What a worker sends back: plain data only."""

    student: str
    ok: bool
    error: str = ""
    timestamp: str | None = None
    late_from: str | None = None  # when the files say it was written, if later than timestamp.txt (late penalties)
    grades: dict[str, dict[str, float | None]] = field(default_factory=dict)  # notebook -> id -> auto score
    comments: dict[str, dict[str, str | None]] = field(default_factory=dict)  # notebook -> id -> auto comment


#: sha256 over a sanitised copy's files (bpkit.grading.intake.take_in): never call it on submitted/ itself.
submission_hash = tree_hash


def _graded_hash(course, assignment: str, student: str) -> str | None:
    """The hash recorded when this submission was last graded, if any."""
    marker = course.autograded(student, assignment) / MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8"))["hash"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ------------------------------------------------------------- workers ---

_WORKER = {}


def in_grading_worker() -> bool:
    """Whether this process is a batch's grading worker (where nbgrader's own
    autograde runs on one sanitised copy, see bpkit.nbgrader_hooks)."""
    return "course" in _WORKER


def _once(key: str, make):
    """A value computed once per worker process (e.g. read from source/)."""
    if key not in _WORKER:
        _WORKER[key] = make()
    return _WORKER[key]


#: The default cap on a grading worker's address space (RLIMIT_AS, soft
#: limit only, so a sandboxed kernel can still set its own 3 GiB).  A worker
#: grading this course peaks at about 0.7 GiB of address space and 0.15 GiB
#: resident (measured: the sample class, 2 workers, nbclient, NumPy,
#: OpenBLAS threads, the judge); OpenBLAS reserves more per core on bigger
#: machines, hence the margin.  Kernels started without the sandbox inherit
#: the cap too.
WORKER_MEMORY_BYTES = 4 << 30

#: Why a submission was not graded when its worker died twice grading it.
WORKER_DIED_TWICE = ("the grading worker died twice while grading this submission (out of memory?); "
                     "ask your instructor\n"
                     "この提出物の採点中に採点プロセスが2回停止しました（メモリ不足？）。教員に相談してください")


def worker_memory_bytes(config) -> int:
    """c.BpkitWorker.memory_bytes from nbgrader_config.py (0: no cap)."""
    try:
        return int(config.get("BpkitWorker", {}).get("memory_bytes", WORKER_MEMORY_BYTES))
    except (TypeError, ValueError):
        return WORKER_MEMORY_BYTES


def _cap_memory(limit: int) -> None:
    """Lower this process's soft RLIMIT_AS to limit (the hard limit stays, so
    children may raise theirs again)."""
    import resource

    if limit > 0:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _init_worker(root: str, template: str, assignment: str, kernels: str, sandbox: bool,
                 intake: str = "", memory: int = 0) -> None:
    """Once per worker: a Course whose gradebook is a private copy of the
    batch's template gradebook (which holds the assignment's definition),
    which reads submissions from the batch's sanitised copies in `intake`
    (never from submitted/), and kernels that are either sandboxed
    (bpkit.isolation.sandbox) or, with the sandbox turned off, forked from a warm
    zygote (bpkit.isolation.zygote); the worker's address space is capped at `memory`."""
    from bpkit.course import Course

    _cap_memory(memory)
    # the notebooks' "Check my work" cells (bpkit.learner.check_cell) see it and do nothing: never graded
    os.environ["BPKIT_GRADING"] = "1"
    os.environ["JUPYTER_PATH"] = os.pathsep.join([kernels, os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)

    scratch = Path(tempfile.mkdtemp(prefix="worker-", dir=Path(template).parent))
    shutil.copy(template, scratch / "gradebook.db")
    course = Course(root)
    course.config.CourseDirectory.db_url = f"sqlite:///{scratch / 'gradebook.db'}"
    if intake:
        course.config.CourseDirectory.submitted_directory = intake  # absolute: os.path.join keeps it
    course.config.LimitedExecute.fast_kernels = True  # bpkit.isolation.kernel_client: no fixed waits
    course.config.Execute.shutdown_kernel = "immediate"  # a graded notebook's kernel has nothing left to save
    _cached_metadata_checks(course.config)
    scratch_gradebooks_without_fsync()
    _WORKER.update(course=course, assignment=assignment, sandbox=sandbox, scratch=scratch)
    if sandbox:  # the warm sandbox imports ipykernel and NumPy while this worker starts on its first submission
        from bpkit.isolation.sandbox import warm_sandbox

        warm_sandbox(scratch)


def _cached_metadata_checks(config) -> None:
    """nbgrader's CheckCellMetadata steps (as configured, or nbgrader's
    default lists) replaced by the same checks with a compiled schema
    (bpkit.preprocessors.CachedCheckCellMetadata)."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import CheckCellMetadata

    from bpkit.preprocessors import CachedCheckCellMetadata

    def swapped(steps):
        return [CachedCheckCellMetadata if step is CheckCellMetadata or step == "nbgrader.preprocessors.CheckCellMetadata"
                else step for step in steps]

    for name in ("sanitize_preprocessors", "autograde_preprocessors"):
        section = config.Autograde
        steps = section[name] if name in section else Autograde.class_traits()[name].default()
        section[name] = swapped(list(steps))


def _grade_one(student: str) -> WorkerResult:
    from nbgrader.api import MissingEntry

    course, assignment = _WORKER["course"], _WORKER["assignment"]
    folder = course.submitted(student, assignment)  # the batch's sanitised copy (see _init_worker)
    expected = _once("notebooks", lambda: _notebook_names(course, assignment))
    present = sorted(p.name for p in folder.glob("*.ipynb"))
    if not any(f"{name}.ipynb" in present for name in expected):
        found = ", ".join(present) or "no notebook at all"
        return WorkerResult(student, False, error=f"expected {', '.join(n + '.ipynb' for n in expected)}; "
                                                  f"found {found}")
    judge = None
    for _ in range(STARTUP_RETRIES + 1):
        with timings.stage("autograde"):  # nbgrader's converter, kernel included (and the judge's set-up)
            if _WORKER["sandbox"]:
                outcome, judge = _autograde_judged(course, assignment, student)
            else:
                outcome = course.api.autograde(assignment, student, force=True, create=True)
        if outcome["success"] or not _kernel_failed_to_start(outcome):
            break
    if judge is not None and judge.out_of_memory:  # the grader's problem, never the student's: _work ends
        raise MemoryError("the judge ran out of memory")  # this worker and the batch retries the submission
    if not outcome["success"]:
        error = failure_summary(outcome)
        if judge is not None and judge.verdicts and _kernel_stopped(outcome):
            # nbgrader saved no scores: the judge's verdicts alone
            grades, record = judged_only(judge, _once("grade_cells", lambda: _grade_cells(course, assignment)), error)
            record.write(course.autograded(student, assignment))
            return WorkerResult(student, True, grades=grades)
        return WorkerResult(student, False, error=error)
    result = WorkerResult(student, True)
    with course.gradebook() as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return WorkerResult(student, False, error="nbgrader recorded no submission")
        result.timestamp = submission.timestamp.isoformat() if submission.timestamp else None
        for notebook in submission.notebooks:
            result.grades[notebook.name] = {g.name: g.auto_score for g in notebook.grades}
            result.comments[notebook.name] = {c.name: c.auto_comment for c in notebook.comments}
    with timings.stage("annotate"):
        folder = course.autograded(student, assignment)
        if judge is not None:
            cells = _once("grade_cells", lambda: _grade_cells(course, assignment))
            record = apply_verdicts(result.grades, judge, cells)
            annotate(folder, record.cells, record, graded_with(cells))  # adds the grading side's reasons and findings
            record.write(folder)
        else:  # --no-sandbox: no verdicts, but formgrader still shows no [data] line or kit frames
            annotate(folder, {name: {} for name in result.grades})
    return result


def _timeouts(course) -> tuple[float, float]:
    """(seconds the judge waits for one answer, seconds a kernel may live),
    from nbgrader's per-cell Execute.timeout."""
    from bpkit.judging.judge import CALL_TIMEOUT

    try:
        cell = float(course.config.Execute.timeout)
    except (TypeError, ValueError, AttributeError):
        cell = 30.0
    return min(CALL_TIMEOUT, cell / 2), max(60.0, 5 * cell)


def _autograde_judged(course, assignment: str, student: str):
    """nbgrader's autograde with a sandboxed kernel and a judge listening on
    a socket in the kernel's directory; returns (outcome, judge)."""
    from bpkit.judging.judge import Judge
    from bpkit.isolation.sandbox import new_kernel_dir, use_kernel_dir
    from bpkit.judging.secret import course_secret, student_salt

    call_timeout, wall = _timeouts(course)
    cells = _once("grade_cells", lambda: _grade_cells(course, assignment))
    allowed = {name for notebook in cells.values() for cell in notebook.values() for name in cell.checks}
    salt = student_salt(_once("secret", lambda: course_secret(course.root)), student)
    kernel_dir = new_kernel_dir(_WORKER["scratch"])  # in the worker's warm sandbox, if it has one
    try:
        with Judge(kernel_dir, timeout=call_timeout, allowed=allowed, salt=salt) as judge:
            use_kernel_dir(kernel_dir, wall_seconds=wall)
            outcome = course.api.autograde(assignment, student, force=True, create=True)
    finally:
        use_kernel_dir(None)
        shutil.rmtree(kernel_dir, ignore_errors=True)
    return outcome, judge


def _grade_cells(course, assignment: str) -> dict[str, dict]:
    """notebook -> grade_id -> the instructor's grade cell (read from
    source/ by the registry, never from the submission: its checks and
    points), in notebook order."""
    from bpkit.checks.registry import grade_cells

    found = {}
    for cell in grade_cells(course.root, assignment):
        found.setdefault(cell.notebook, {})[cell.grade_id] = cell
    return found


def _kernel_stopped(outcome: dict) -> bool:
    text = _outcome_text(outcome)
    return "DeadKernelError" in text or "Kernel died" in text or "CellTimeoutError" in text


def _notebook_names(course, assignment: str) -> list[str]:
    with course.gradebook() as gb:
        return [nb.name for nb in gb.find_assignment(assignment).notebooks]


#: A kernel that dies before it even answers kernel_info has not run any
#: student code yet (e.g. its sandbox could not start in time under heavy load):
#: such a start is retried, a submission is never blamed for it.
STARTUP_RETRIES = 2


def _kernel_failed_to_start(outcome: dict) -> bool:
    return "Kernel died before replying to kernel_info" in _outcome_text(outcome)


def _outcome_text(outcome: dict) -> str:
    """What nbgrader logged and raised while autograding one submission."""
    return (outcome.get("log") or "") + (outcome.get("error") or "")


# ----------------------------------------------------------- the batch ---


def grade_submissions(course, assignment: str, students: list[str], workers: int = 1,
                      force: bool = False, on_done=None, sandbox: bool = True) -> tuple[list[WorkerResult], list[str]]:
    """Grade the students' submissions; returns (results, skipped students).

    on_done(student) is called after each submission is recorded (progress).
    sandbox: run kernels in bubblewrap and let the judge decide; the caller
    has checked that the sandbox starts (grade_assignment does, before it
    touches the gradebook).
    """
    root = course.root
    done = on_done or (lambda student: None)
    results, skipped, todo, hashes, notes, submitted_at = [], [], [], {}, {}, {}

    def finish(result: WorkerResult) -> None:
        if id_problem(result.student) is None:  # never record a name nbgrader would take as a glob
            # the late penalty follows the files' time; the recorded time stays timestamp.txt's (formgrader
            # lists a submission as graded only when the two agree)
            result.late_from = submitted_at.get(result.student)
            if not result.ok:
                _failed_as_graded(course, assignment, result, intake / result.student / assignment)
            with timings.stage("gradebook"):
                writer.record(result)
            folder = course.autograded(result.student, assignment)
            marker = folder / MARKER
            record_intake_notes(folder, notes.get(result.student, []))  # e.g. a timestamp.txt that disagrees
            if result.ok:
                (folder / NOT_GRADED_FILE).unlink(missing_ok=True)
                marker.write_text(json.dumps({"hash": hashes[result.student]}), encoding="utf-8")
            else:  # never skip it next time as "already graded" from an older marker
                marker.unlink(missing_ok=True)
                record_not_graded(folder, result.error)  # what `bpkit report` says, never read from submitted/
            timings.flush(result.student, role="main", assignment=assignment, ok=result.ok)
        results.append(result)
        done(result.student)

    with tempfile.TemporaryDirectory(prefix="bpkit-batch-") as name, GradebookWriter(course, assignment) as writer:
        scratch = Path(name)
        intake = _intake_root(scratch)
        limits, ignore = Limits.from_config(course.config), list(course.api.coursedir.ignore)
        for student in students:
            try:
                copy = take_in(Path(course.api.coursedir.root) / course.api.coursedir.submitted_directory, student,
                               assignment, intake / student / assignment, limits, ignore)
            except Refused as exc:
                finish(WorkerResult(student, False, error=f"refused: {exc}"))
                continue
            note, submitted_at[student] = check_timestamp(copy, limits)  # a timestamp.txt the files contradict
            notes[student] = [note] if note else []
            # hashed before grading, so a file changed meanwhile is graded again next time
            hashes[student] = tree_hash(copy)
            if not force and _graded_hash(course, assignment, student) == hashes[student]:
                skipped.append(student)
                shutil.rmtree(copy)
            else:
                todo.append(student)
        if todo:
            template = template_gradebook(course, assignment, scratch)
            if sandbox:
                kernels = sandbox_kernelspec_dir(scratch)  # removed with the batch's scratch directory
            else:
                kernels = fork_kernelspec_dir(scratch)
            initargs = (str(root), str(template), assignment, str(kernels), sandbox, str(intake),
                        worker_memory_bytes(course.config))
            _grade_all(todo, workers, initargs, finish)
    for student in skipped:
        done(student)
    return results, skipped


def _failed_as_graded(course, assignment: str, result: WorkerResult, copy: Path) -> None:
    """A submission that could not be graded is graded, with zero: formgrader
    lists it so (not as "needs autograding") when its autograded folder
    exists and the gradebook holds the timestamp of its submission (that of
    the sanitised copy, which nbgrader reads as it reads submitted/)."""
    if result.timestamp is None and copy.is_dir():
        stamp = course.api.coursedir.get_existing_timestamp(str(copy))
        result.timestamp = stamp.isoformat() if stamp else None
    course.autograded(result.student, assignment).mkdir(parents=True, exist_ok=True)


def _intake_root(scratch: Path) -> Path:
    """Where the batch's sanitised copies go.  nbgrader uses an absolute
    submitted_directory unescaped inside a regular expression, so the path
    must match itself as one."""
    intake = scratch / "submitted"
    intake.mkdir()
    try:
        usable = re.fullmatch(str(intake), str(intake)) is not None
    except re.error:
        usable = False
    if not usable:
        raise RuntimeError(f"the scratch folder {intake} holds characters nbgrader cannot use in a path; "
                           "set TMPDIR to a plain path such as /tmp")
    return intake


def _work(student: str) -> WorkerResult:
    """_grade_one in a worker; running out of memory ends the worker (the
    batch then retries the submission alone, see _grade_all)."""
    try:
        with timings.stage("submission"):
            result = _grade_one(student)
    except MemoryError:
        os._exit(70)
    if not result.ok and result.error.startswith("MemoryError"):  # raised in this worker, logged by nbgrader
        os._exit(70)
    timings.flush(student, role="worker", assignment=_WORKER.get("assignment"), ok=result.ok)
    return result


def _grade_all(todo: list[str], workers: int, initargs: tuple, finish) -> None:
    """Grade every student of todo in pools of worker processes, calling
    finish(result) for each, whatever happens to the workers.

    At most `workers` submissions are in flight, so the ones in flight are
    exactly those being graded.  When a worker dies the pool breaks: the
    students still queued go to a new pool, and those in flight are retried
    one at a time, each in a pool of its own; a student whose retry kills
    its worker again is finished as not graded (WORKER_DIED_TWICE)."""
    queue, suspects = deque(todo), deque()
    while queue or suspects:
        alone = bool(suspects)
        source = suspects if alone else queue
        width = 1 if alone else max(1, min(workers, len(source)))
        died, broken = [], False
        with ProcessPoolExecutor(max_workers=width, initializer=_init_worker, initargs=initargs,
                                 mp_context=pool_context()) as pool:
            running = {}
            while running or (source and not broken):
                while source and not broken and len(running) < width:
                    student = source.popleft()
                    try:
                        running[pool.submit(_work, student)] = student
                    except BrokenProcessPool:  # it broke in between: this one never started
                        source.appendleft(student)
                        broken = True
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    student = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:  # its worker (or another one) died
                        died.append(student)
                        broken = True
                        continue
                    except Exception as exc:  # an error in bpkit itself: this student only
                        result = WorkerResult(student, False, error=f"worker failed: {type(exc).__name__}: {exc}")
                    finish(result)
        if broken:
            _kill_orphans(Path(initargs[1]).parent)
        for student in died:
            if alone:
                finish(WorkerResult(student, False, error=WORKER_DIED_TWICE))
            else:
                suspects.append(student)


def pool_context():
    """How worker processes start: forked (fast) from a plain command; spawned
    afresh from a server (formgrader's Autograde runs in the Jupyter server's
    event loop, beside its threads, where a fork could copy a lock held by
    another thread)."""
    import asyncio
    import multiprocessing
    import threading

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        if threading.current_thread() is threading.main_thread():
            return None
    return multiprocessing.get_context("spawn")


def _kill_orphans(scratch: Path) -> None:
    """SIGKILL what the batch's dead workers left running: a worker killed
    from outside leaves its sandboxed kernel behind (reparented to init,
    idle for ever).  Called when no worker of the batch is alive, so every
    process whose command line names the batch's scratch folder is such an
    orphan."""
    import signal

    needle = str(scratch).encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            if needle in Path(f"/proc/{name}/cmdline").read_bytes():
                os.kill(int(name), signal.SIGKILL)
        except OSError:
            continue


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
