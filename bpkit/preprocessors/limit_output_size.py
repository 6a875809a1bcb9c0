"""Cut huge outputs by size.  nbgrader's LimitOutput counts lines only, so a
single print of tens of megabytes would be stored whole in the graded
notebook, the feedback page and the formgrader."""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer

from bpkit.preprocessors.limited_execute import json_size

__all__ = ["LimitOutputSize"]

#: Text mime types, cut to max_chars; any other type larger than max_data_chars is dropped with a note.
TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/svg+xml", "application/javascript")


class LimitOutputSize(Preprocessor):
    """Truncate each text stream, text result and error (name, message,
    traceback) of a cell to max_chars; drop any other data (an image, JSON)
    larger than max_data_chars and display metadata larger than
    max_metadata_chars (issue 20: every channel a kernel sends is capped)."""

    # nbgrader registers preprocessors without enabling them; this one always runs.
    enabled = Bool(True).tag(config=True)
    max_chars = Integer(100_000, help="largest text output kept per cell output").tag(config=True)
    max_data_chars = Integer(2_000_000, help="largest non-text data (e.g. a PNG) kept per cell output").tag(config=True)
    max_metadata_chars = Integer(10_000, help="largest display metadata kept per cell output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and len(output.get("text", "")) > self.max_chars:
                dropped = len(output["text"]) - self.max_chars
                output["text"] = output["text"][: self.max_chars] + f"\n... {dropped} characters cut ...\n"
            if output.get("output_type") == "error":
                # a student's exception: any class name, any message (LimitedExecute lets errors through)
                output["ename"] = str(output.get("ename", ""))[:200]
                if len(str(output.get("evalue", ""))) > self.max_chars:
                    output["evalue"] = str(output["evalue"])[: self.max_chars] + "\n... cut ..."
                kept, budget = [], self.max_chars
                for line in output.get("traceback") or []:
                    line = str(line)[:budget]
                    kept.append(line)
                    budget -= len(line)
                    if budget <= 0:
                        kept.append("... cut ...")
                        break
                output["traceback"] = kept
            data = output.get("data", {})
            for key in list(data):
                if key in TEXT_TYPES and isinstance(data[key], str):
                    if len(data[key]) > self.max_chars:
                        data[key] = data[key][: self.max_chars] + "\n... cut ..."
                elif json_size(data[key], self.max_data_chars + 1) > self.max_data_chars:
                    del data[key]
                    data.setdefault("text/plain", f"({key[:100]} output too large to keep / 出力が大きすぎるため省略)")
            if "metadata" in output and json_size(output["metadata"], self.max_metadata_chars + 1) > \
                    self.max_metadata_chars:
                output["metadata"] = {}
        return cell, resources
