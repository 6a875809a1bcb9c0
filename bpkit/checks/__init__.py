"""The checks that grade students: one ``check_*`` function per graded
behaviour, called from the notebooks' hidden test cells."""
from bpkit.checks.core import CheckFailure

__all__ = ["CheckFailure"]
