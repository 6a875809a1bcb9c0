"""The instructor's commands: `bpkit grade` in a fresh course copy, a broken
submission that does not stop the batch, `bpkit release`, and plain nbgrader
commands that keep working on the same course."""
import csv
import json
import subprocess

import course_facts as facts
from bpkit.sample import student_cells, write_submission
from conftest import ROOT, VENV_BIN, clean_env, copy_course, nbgrader


def bpkit(*args, cwd):
    return subprocess.run([str(VENV_BIN / "bpkit"), *args], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=600)


def submit(course, student, assignment="ch4_gradients", based_on="aoki"):
    dest = course / "submitted" / student / assignment
    write_submission(course / "release", assignment, student_cells(based_on), dest)
    return dest


def test_grade_works_in_a_fresh_copy_and_a_broken_submission_does_not_stop_the_batch(tmp_path):
    course = copy_course(tmp_path / "course")
    submit(course, "alice")
    broken = submit(course, "bob")
    (broken / "losses_and_gradients.ipynb").write_text("this is not a notebook {", encoding="utf-8")
    submit(course, "carol", based_on="endo")
    proc = bpkit("grade", "ch4_gradients", cwd=course)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # not every submission could be graded
    full = facts.score_text(facts.total("ch4_gradients"), "ch4_gradients")
    assert "alice" in out and full in out and "not graded" in out and "NotJSONError" in out
    with open(course / "grades.csv", newline="") as f:
        scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    assert {s: scores[s] for s in ("alice", "carol")} == {"alice": facts.expected_score("aoki", "ch4_gradients"),
                                                         "carol": facts.expected_score("endo", "ch4_gradients")}
    assert (course / "feedback" / "alice" / "ch4_gradients" / "losses_and_gradients.html").is_file()
    proc = bpkit("report", "ch4_gradients", cwd=course)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    numbers = json.loads((course / "reports" / "ch4_gradients" / "summary.json").read_text(encoding="utf-8"))
    assert numbers["graded"] == 2 and numbers["not_graded"] == 1
    page = (course / "reports" / "ch4_gradients" / "index.html").read_text(encoding="utf-8")
    assert "bob" in page and "NotJSONError" in page


def test_grade_refuses_an_unknown_assignment_with_a_clear_message(tmp_path):
    course = copy_course(tmp_path / "course")
    proc = bpkit("grade", "ch9_nope", cwd=course)
    assert proc.returncode == 2 and "unknown assignment 'ch9_nope'" in proc.stderr


def test_bpkit_outside_a_course_says_so(tmp_path):
    proc = bpkit("grade", "ch4_gradients", cwd=tmp_path)
    assert proc.returncode == 2 and "nbgrader_config.py is missing" in proc.stderr


def test_release_regenerates_every_assignment(tmp_path):
    course = copy_course(tmp_path / "course")
    for nb in (course / "release").rglob("*.ipynb"):
        nb.unlink()
    proc = bpkit("release", cwd=course)
    assert proc.returncode == 0, proc.stderr
    for assignment in facts.ASSIGNMENTS:  # each validated through the judge first
        full = facts.total(assignment)
        assert f"validated {assignment} through the judge: the solution scores {full:g} / {full:g}, the stubs pass " \
               f"0 cells" in proc.stdout, proc.stdout
    assert sorted(p.relative_to(course) for p in (course / "release").rglob("*.ipynb")) == \
        sorted(p.relative_to(ROOT) for p in (ROOT / "release").rglob("*.ipynb"))


def test_plain_nbgrader_commands_work_on_the_course(tmp_path):
    course = copy_course(tmp_path / "course")
    assert nbgrader("generate_assignment", "ch5_backprop", "--force", cwd=course).returncode == 0
    submit(course, "dan", "ch5_backprop")
    for args in (["autograde", "ch5_backprop"], ["generate_feedback", "ch5_backprop"],
                 ["export", "--to", "out.csv"]):
        proc = nbgrader(*args, cwd=course)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(course / "out.csv", newline="") as f:
        (row,) = [r for r in csv.DictReader(f) if r["assignment"] == "ch5_backprop"]
    assert row["student_id"] == "dan" and float(row["score"]) == facts.total("ch5_backprop")
    assert (course / "feedback" / "dan" / "ch5_backprop" / "backprop_layers.html").is_file()


def test_does_the_command_start_without_building_jsonschemas_iri_grammar():
    """rfc3987_syntax compiles a grammar as it is imported (0.9 s per start);
    the command keeps jsonschema from importing it, and still validates
    notebooks."""
    import subprocess
    import sys

    code = ("import sys; import bpkit.cli, nbformat; "
            "nbformat.validate(nbformat.v4.new_notebook()); "
            "print(sys.modules.get('rfc3987_syntax') is None, 'lark' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "False"], done.stderr  # no grammar module was even imported


# ------------------------------------------------------- arguments (no grading) ---

def test_is_course_accepted_before_and_after_the_sub_command():
    from bpkit.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["--course", "a", "grade", "ch4_gradients"]).course == "a"
    assert parse(["grade", "ch4_gradients", "--course", "b"]).course == "b"
    assert parse(["report", "--course", "c", "ch4_gradients"]).course == "c"
    assert parse(["grade", "ch4_gradients"]).course is None


def test_does_every_argument_of_every_sub_command_have_help_text():
    import argparse

    from bpkit.cli import build_parser

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    missing = [(name, action.dest) for name, command in sub.choices.items() for action in command._actions
               if not action.help]
    assert len(sub.choices) >= 6 and not missing, missing


def test_is_the_sandbox_advice_right_for_how_bwrap_fails(monkeypatch):
    import argparse

    import bpkit.cli

    args = argparse.Namespace(command="grade")
    monkeypatch.setattr(bpkit.cli.shutil, "which", lambda name: None)
    missing = bpkit.cli.sandbox_advice(args)
    assert "setup.sh" in missing and "apt-get install bubblewrap" in missing  # this is a checkout
    monkeypatch.setattr(bpkit.cli.shutil, "which", lambda name: "/usr/bin/bwrap")
    refused = bpkit.cli.sandbox_advice(args)  # installed, but user namespaces are refused
    assert "installed but cannot start" in refused and "setup.sh" not in refused and "--no-sandbox" in refused
