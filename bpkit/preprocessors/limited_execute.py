"""nbgrader's Execute, with a cap on how much output a notebook may send
while it runs.  LimitOutputSize trims what is *stored* afterwards; this stops
a kernel that prints gigabytes from filling the grading process's memory on
the way.  It also times its stages for bpkit.timings (nothing is measured
unless BPKIT_TIMINGS is set): kernel_start (the kernel process, then its
client until the kernel answers), execute (each cell), kernel_shutdown."""
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from bpkit.timings import stage

__all__ = ["LimitedExecute", "message_size", "json_size", "ERROR_KEPT_CHARS", "CUT"]

CUT = "\n... more output than the grader keeps; the rest was dropped ...\n"

#: What an error keeps of its message once the notebook is past its cap.
ERROR_KEPT_CHARS = 2_000


def message_size(msg_type: str, content, limit: int = 1 << 62) -> int:
    """Characters an IOPub message would store: a stream's text; the data
    of every mime type and the display metadata of a display or result; an
    error's name, message and traceback (anything else: every string, key
    and number of its content).  Counted without building anything, up to
    `limit` (the count stops there)."""
    if not isinstance(content, dict):
        return json_size(content, limit)
    if msg_type == "stream":
        return json_size(content.get("text"), limit)
    if msg_type in ("display_data", "execute_result", "update_display_data"):
        data = content.get("data")
        return json_size(list(data.values()) if isinstance(data, dict) else data, limit) - 1 + (
            json_size(content.get("metadata"), limit) if content.get("metadata") else 0)
    if msg_type == "error":
        return json_size([content.get("ename"), content.get("evalue"), content.get("traceback")], limit) - 2
    return json_size(content, limit)


def json_size(value, limit: int = 1 << 62) -> int:
    """Characters of a JSON value's strings, keys and numbers (about its
    stored size), counted iteratively up to `limit`."""
    size, stack = 0, [value]
    while stack and size <= limit:
        value = stack.pop()
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, dict):
            size += 2 * len(value)
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            size += 1
            stack.extend(value)
        elif value is not None:
            size += 8
    return size


class LimitedExecute(Execute):
    """Execute, keeping at most max_output_bytes of output per notebook and
    at most max_outputs outputs.

    Every character a kernel sends counts before it is stored: streams,
    display data and execute results of every mime type, their display
    metadata, error names, messages and tracebacks; a display update counts
    once for every output it rewrites (one update of an id displayed a
    thousand times is stored a thousand times).  Past either cap, a cell's
    error still passes, cut to ERROR_KEPT_CHARS (only its latest one is
    kept), and a cell that writes to stderr still gets one short stderr
    output, so nbgrader scores it exactly as it would have; all other
    output is dropped with one note per cell, and display updates stop.
    """

    max_output_bytes = Integer(20_000_000, help="output kept per notebook while it runs").tag(config=True)
    max_outputs = Integer(10_000, help="outputs kept per notebook while it runs").tag(config=True)
    fast_kernels = Bool(False, help="start and stop kernels without jupyter_client's fixed waits "
                                    "(bpkit.isolation.kernel_client); `bpkit grade` workers turn it on").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.fast_kernels:  # nbgrader's Execute sets kernel_manager_class itself, past the config
            from bpkit.isolation.kernel_client import GradingKernelManager

            self.kernel_manager_class = GradingKernelManager

    def preprocess(self, nb, resources=None, *args, **kwargs):
        self._output_bytes, self._outputs, self._noted, self._late_errors = 0, 0, set(), {}
        return super().preprocess(nb, resources, *args, **kwargs)

    # The synchronous methods nbconvert's ExecutePreprocessor.preprocess
    # calls (through nbclient's setup_kernel), each timed as it is.
    def start_new_kernel(self, **kwargs):
        with stage("kernel_start"):
            return super().start_new_kernel(**kwargs)

    def start_new_kernel_client(self):
        with stage("kernel_start"):
            return super().start_new_kernel_client()

    def preprocess_cell(self, cell, resources, index):
        with stage("execute"):
            return super().preprocess_cell(cell, resources, index)

    def _cleanup_kernel(self):
        with stage("kernel_shutdown"):
            return super()._cleanup_kernel()

    def _over(self) -> bool:
        return (getattr(self, "_output_bytes", 0) > self.max_output_bytes
                or getattr(self, "_outputs", 0) > self.max_outputs)

    def process_message(self, msg, cell, cell_index):
        """A display id makes nbclient rewrite every output shown under it
        (display_data and update_display_data alike), outside output():
        such a message counts once per output it rewrites, and past the cap
        it loses its display id (no rewrite; an update is then dropped)."""
        content = msg.get("content") or {}
        transient = content.get("transient") if isinstance(content, dict) else None
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        if display_id and msg.get("msg_type") in ("execute_result", "display_data", "update_display_data"):
            targets = sum(len(v) for v in getattr(self, "_display_id_map", {}).get(display_id, {}).values())
            if targets:
                limit = self.max_output_bytes + 1
                self._output_bytes = getattr(self, "_output_bytes", 0) + targets * message_size(
                    "display_data", content, limit)
            if self._over():
                msg = {**msg, "content": {**content, "transient": {}}}
        return super().process_message(msg, cell, cell_index)

    def output(self, outs, msg, display_id, cell_index):
        msg_type, content = msg["msg_type"], msg.get("content", {})
        size = message_size(msg_type, content, self.max_output_bytes + 1)
        before = getattr(self, "_output_bytes", 0)
        self._output_bytes = before + size
        self._outputs = getattr(self, "_outputs", 0) + 1
        if not self._over():
            return super().output(outs, msg, display_id, cell_index)
        if msg_type == "error":  # it decides the cell's outcome: kept, cut, the cell's latest one only
            return self._late_error(outs, msg, cell_index)
        name = content.get("name") if msg_type == "stream" else "stdout"
        if (cell_index, name) in self._noted:
            return None
        self._noted.add((cell_index, name))
        # keep what still fits of a stream (the kernel may send many prints as one message)
        fits = self._outputs <= self.max_outputs and msg_type == "stream"
        kept = str(content.get("text", ""))[:max(self.max_output_bytes - before, 0)] if fits else ""
        # a stream in the header too: nbformat builds the output from header.msg_type
        note = {**msg, "msg_type": "stream", "header": {**msg.get("header", {}), "msg_type": "stream"},
                "content": {"name": name, "text": kept + CUT}}
        return super().output(outs, note, None, cell_index)

    def _late_error(self, outs, msg, cell_index):
        """An error past the cap: its name and message cut, no traceback but
        its last line, replacing the cell's previous late error."""
        content = msg.get("content", {})
        ename = str(content.get("ename", ""))[:200]
        evalue = str(content.get("evalue", ""))
        if len(evalue) > ERROR_KEPT_CHARS:
            evalue = evalue[:ERROR_KEPT_CHARS] + "\n... cut ..."
        traceback = content.get("traceback") if isinstance(content.get("traceback"), list) else []
        short = {**msg, "content": {"ename": ename, "evalue": evalue,
                                    "traceback": [str(traceback[-1])[:ERROR_KEPT_CHARS]] if traceback else []}}
        previous = self._late_errors.get(cell_index)
        if previous is not None and any(o is previous for o in outs):
            outs[:] = [o for o in outs if o is not previous]
        out = super().output(outs, short, None, cell_index)
        self._late_errors[cell_index] = out
        return out
