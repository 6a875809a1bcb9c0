"""Grading: a class's submissions through nbgrader.  intake copies each
submission safely, batch drives the worker processes (each runs nbgrader's
autograde with a sandboxed kernel and a judge), verdicts turns the judge's
verdicts into scores and graded-notebook annotations, gradebook writes the
course gradebook (the only writer), records reads everything back, and
root_cause explains failures caused by an earlier cell."""
