"""The checks that grade students: one ``check_*`` function per graded
behaviour, called from the notebooks' hidden test cells.  The registry
(bpkit.checks.registry) lists them with their grade cells and mistake keys."""
from bpkit.checks.core import CheckFailure

__all__ = ["CheckFailure"]
