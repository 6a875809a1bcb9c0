"""Cut huge outputs by size.  nbgrader's LimitOutput counts lines only, so a
single print of tens of megabytes would be stored whole in the graded
notebook, the feedback page and the formgrader."""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer

__all__ = ["LimitOutputSize"]


class LimitOutputSize(Preprocessor):
    """Truncate each text stream, text result and error (name, message,
    traceback) of a cell to max_chars."""

    # nbgrader registers preprocessors without enabling them; this one always runs.
    enabled = Bool(True).tag(config=True)
    max_chars = Integer(100_000, help="largest text output kept per cell output").tag(config=True)

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
            for key in ("text/plain", "text/html", "text/markdown", "image/svg+xml", "application/javascript"):
                data = output.get("data", {})
                if isinstance(data.get(key), str) and len(data[key]) > self.max_chars:
                    data[key] = data[key][: self.max_chars] + "\n... cut ..."
        return cell, resources
