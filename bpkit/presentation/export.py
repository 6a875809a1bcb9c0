"""The grades CSV (nbgrader's columns), written safely."""
from __future__ import annotations

from pathlib import Path

from bpkit.course import Course
from bpkit.escaping import csv_row

__all__ = ["export_csv", "GRADES_CSV_COLUMNS"]


GRADES_CSV_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                      "raw_score", "late_submission_penalty", "score", "max_score"]


def export_csv(course: Course, path: Path, assignment: str | None = None) -> Path:
    """Write nbgrader's standard grades CSV (the columns and values of
    `nbgrader export`), for every assignment or just one.  Written with the
    csv module, unlike nbgrader's plugin: a comma in a name stays in its
    cell, and no cell starts a spreadsheet formula (bpkit.escaping.csv_cell)."""
    import csv

    from nbgrader.api import MissingEntry

    with course.gradebook() as gb, open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(GRADES_CSV_COLUMNS)
        for db_assignment in gb.assignments:
            if assignment and db_assignment.name != assignment:
                continue
            for student in gb.students:
                row = {"assignment": db_assignment.name, "duedate": db_assignment.duedate, "student_id": student.id,
                       "last_name": student.last_name, "first_name": student.first_name, "email": student.email,
                       "max_score": db_assignment.max_score}
                try:
                    submission = gb.find_submission(db_assignment.name, student.id)
                except MissingEntry:
                    row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0)
                else:
                    penalty = submission.late_submission_penalty
                    row.update(timestamp=submission.timestamp, raw_score=submission.score,
                               late_submission_penalty=penalty, score=max(0.0, submission.score - penalty))
                writer.writerow(csv_row("" if row[k] is None else str(row[k]) for k in GRADES_CSV_COLUMNS))
    return path
