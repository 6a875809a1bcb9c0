"""Keep or drop the "Check my work / 答え合わせ" cells when an assignment is
released (nbgrader's generate_assignment, run by ``bpkit release``).

The cells live in the instructor's notebooks in ``source/``, tagged
SELF_CHECK_TAG: one setup cell (it imports ``check_my_work`` from the kit, or
defines a stand-in that says how to install the kit) and one cell after each
exercise.  They are never graded (no nbgrader metadata) and do nothing while
a notebook is graded (bpkit.learner.check_cell).  An instructor switches them
off per assignment in nbgrader_config.py::

    c.SelfCheckCells.per_assignment = {"ch5_two_layer_net": False}

and the released notebooks of that assignment have none."""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Dict

__all__ = ["SelfCheckCells", "SELF_CHECK_TAG", "is_self_check"]

#: The tag of every self-check cell (cell.metadata.tags).
SELF_CHECK_TAG = "bpkit-self-check"


def is_self_check(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return isinstance(tags, list) and SELF_CHECK_TAG in tags


class SelfCheckCells(Preprocessor):
    """Drop the self-check cells of an assignment whose cells are off."""

    # nbgrader registers preprocessors without enabling them; this one always runs.
    enabled = Bool(True).tag(config=True)
    default = Bool(True, help="whether assignments keep their self-check cells").tag(config=True)
    per_assignment = Dict(value_trait=Bool(), help="assignment -> keep its self-check cells (True) or "
                                                   "drop them (False); others follow `default`").tag(config=True)

    def keeps(self, assignment: str) -> bool:
        return bool(self.per_assignment.get(assignment, self.default))

    def preprocess(self, nb, resources):
        assignment = (resources or {}).get("nbgrader", {}).get("assignment", "")
        if not self.keeps(assignment):
            nb.cells = [cell for cell in nb.cells if not is_self_check(cell)]
        return nb, resources
