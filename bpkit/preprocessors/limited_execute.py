"""nbgrader's Execute, with a cap on how much output a notebook may send
while it runs.  LimitOutputSize trims what is *stored* afterwards; this stops
a kernel that prints gigabytes from filling the grading process's memory on
the way.  It also times its stages for bpkit.timings (nothing is measured
unless BPKIT_TIMINGS is set): kernel_start (the kernel process, then its
client until the kernel answers), execute (each cell), kernel_shutdown."""
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from bpkit.timings import stage

__all__ = ["LimitedExecute", "CUT"]

CUT = "\n... more output than the grader keeps; the rest was dropped ...\n"


class LimitedExecute(Execute):
    """Execute, keeping at most max_output_bytes of output per notebook.

    Past the cap, error messages still pass (they decide a cell's outcome),
    and a cell that writes to stderr still gets one (short) stderr output, so
    nbgrader scores it exactly as it would have; all other output is dropped
    with one note per cell.
    """

    max_output_bytes = Integer(20_000_000, help="output kept per notebook while it runs").tag(config=True)
    fast_kernels = Bool(False, help="start and stop kernels without jupyter_client's fixed waits "
                                    "(bpkit.isolation.kernel_client); `bpkit grade` workers turn it on").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.fast_kernels:  # nbgrader's Execute sets kernel_manager_class itself, past the config
            from bpkit.isolation.kernel_client import GradingKernelManager

            self.kernel_manager_class = GradingKernelManager

    def preprocess(self, nb, resources=None, *args, **kwargs):
        self._output_bytes, self._noted = 0, set()
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

    def output(self, outs, msg, display_id, cell_index):
        msg_type, content = msg["msg_type"], msg.get("content", {})
        if msg_type == "stream":
            size = len(content.get("text", ""))
        elif msg_type in ("display_data", "execute_result", "update_display_data"):
            size = sum(len(str(v)) for v in content.get("data", {}).values())
        else:
            size = 0
        before = getattr(self, "_output_bytes", 0)
        self._output_bytes = before + size
        if msg_type == "error" or self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        name = content.get("name") if msg_type == "stream" else "stdout"
        if (cell_index, name) in self._noted:
            return None
        self._noted.add((cell_index, name))
        # keep what still fits of a stream (the kernel may send many prints as one message)
        kept = content.get("text", "")[:max(self.max_output_bytes - before, 0)] if msg_type == "stream" else ""
        # a stream in the header too: nbformat builds the output from header.msg_type
        note = {**msg, "msg_type": "stream", "header": {**msg.get("header", {}), "msg_type": "stream"},
                "content": {"name": name, "text": kept + CUT}}
        return super().output(outs, note, None, cell_index)
