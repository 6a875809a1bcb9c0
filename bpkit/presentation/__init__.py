"""Presentation: what people read.  The terminal (console), feedback pages
nbgrader cannot write (pages), the grades CSV (export) and the class report
(report).  It reads graded results through bpkit.grading.records only."""
