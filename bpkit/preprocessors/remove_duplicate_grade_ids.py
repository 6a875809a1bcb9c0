"""Repair a notebook in which a student copied a graded cell.

nbgrader's own DeduplicateIds blanks the metadata of the earlier copy, which
its next check then rejects as "an old version of the nbgrader metadata",
failing the whole notebook.  Here, a copied test cell is dropped (the original
is restored from source/ anyway) and an earlier copy of a solution cell
becomes an ordinary code cell, so the last copy is the one graded.
"""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from nbgrader.utils import is_grade, is_solution

__all__ = ["RemoveDuplicateGradeIds"]


class RemoveDuplicateGradeIds(Preprocessor):
    """Keep one cell per nbgrader grade_id (the last one)."""

    # nbgrader registers preprocessors without enabling them; this one always runs.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        seen, kept = set(), []
        for cell in reversed(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = meta.get("grade_id")
            if grade_id and grade_id in seen:
                if is_grade(cell) and not is_solution(cell):
                    self.log.warning("Dropping a copy of test cell %r", grade_id)
                    continue
                self.log.warning("Treating an earlier copy of cell %r as ordinary code", grade_id)
                del cell.metadata["nbgrader"]
            elif grade_id:
                seen.add(grade_id)
            kept.append(cell)
        nb.cells = kept[::-1]
        return nb, resources
