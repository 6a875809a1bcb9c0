"""nbgrader's CheckCellMetadata with its JSON schema compiled once.

nbgrader validates every cell's nbgrader metadata with ``jsonschema.validate``,
which checks the schema itself and builds a new validator on every call:
most of the step's time, twice per graded notebook.  This step makes the
same checks in the same order (schema version, the schema, then nbgrader's
own rules for grade ids, points and markdown cells, and duplicate ids) and
raises the same errors, with one compiled validator per schema.  bpkit's
grading workers use it in place of nbgrader's (bpkit.grading.batch); plain
nbgrader keeps its own."""
from __future__ import annotations

import functools
import json
import traceback

import jsonschema
from jsonschema.exceptions import best_match
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator, SchemaTooNewError, SchemaTooOldError
from nbgrader.preprocessors import CheckCellMetadata

__all__ = ["CachedCheckCellMetadata"]


@functools.lru_cache(maxsize=4)
def _compiled(schema_json: str):
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class _CompiledSchema(BaseMetadataValidator):
    """BaseMetadataValidator.validate_cell, with the compiled validator."""

    def __init__(self) -> None:
        super().__init__()
        self._schema = _compiled(json.dumps(self.schema, sort_keys=True))

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        schema = cell.metadata["nbgrader"].get("schema_version", 0)
        if schema < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {schema} (expected {self.schema_version})",
                                    schema, self.schema_version)
        if schema > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {schema} (expected {self.schema_version})",
                                    schema, self.schema_version)
        error = best_match(self._schema.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class _Validator(MetadataValidator, _CompiledSchema):
    """nbgrader's current MetadataValidator; its super().validate_cell is
    _CompiledSchema's."""


class CachedCheckCellMetadata(CheckCellMetadata):
    """CheckCellMetadata, validating with _Validator."""

    def preprocess(self, nb, resources):
        try:
            _Validator().validate_nb(nb)
        except ValidationError:  # logged and raised as nbgrader's own step does
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg)
        return nb, resources
