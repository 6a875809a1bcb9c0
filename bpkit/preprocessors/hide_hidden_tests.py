"""Remove hidden tests from feedback: their code, and the tracebacks that
would show it (stock nbgrader prints both, its issues #917 and #1363)."""
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool
from nbgrader.utils import is_grade

from bpkit.checks.core import DATA_PREFIX

__all__ = ["HideHiddenTests", "strip_hidden", "short_error"]

_HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.DOTALL)


def strip_hidden(source: str) -> str:
    return _HIDDEN.sub("", source)


def short_error(evalue: str) -> str:
    """The error message without the machine-readable data line."""
    return "\n".join(line for line in evalue.splitlines() if not line.startswith(DATA_PREFIX))


class HideHiddenTests(Preprocessor):
    """For every grade cell: drop the hidden-test region from the source and
    replace an error's traceback (which lists the hidden lines and the checks'
    internals) by its message."""

    # nbgrader registers preprocessors without enabling them; these always run.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if not is_grade(cell):
            return cell, resources
        cell.source = strip_hidden(cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["evalue"] = short_error(output.get("evalue", ""))
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output['evalue']}"]
        return cell, resources
