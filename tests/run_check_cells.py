"""Run by tests/test_packaging.py with the Python of the virtualenv the wheel
was installed into: execute each notebook given (every cell, in order, as
*Run All* does with errors allowed) with nbclient, in a kernel of that
Python, and print as JSON what each notebook's "Check my work" cells
showed: their verdicts (the outputs' metadata), and any output they wrote
to stderr, any error they raised and how many images they drew."""
import json
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from bpkit.isolation.kernel_client import GradingKernelManager
from bpkit.learner.check_cell import METADATA
from bpkit.preprocessors.self_check_cells import is_self_check

kernels = Path(tempfile.mkdtemp(prefix="cells-")) / "kernels"
(kernels / "cells").mkdir(parents=True)
# kernels forked from a warm process (bpkit's own provisioner, as the wheel registers it): the same ipykernel,
# a tenth of the start-up time of a new Python per notebook
(kernels / "cells" / "kernel.json").write_text(json.dumps({
    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "language": "python",
    "display_name": "cells", "metadata": {"kernel_provisioner": {"provisioner_name": "bpkit-fork"}}}))
specs = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
found = {}
for name in sys.argv[1:]:
    path = Path(name)
    nb = nbformat.read(path, as_version=4)
    km = GradingKernelManager(kernel_name="cells", kernel_spec_manager=specs)
    client = NotebookClient(nb, km=km, timeout=120, allow_errors=True, resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    finally:  # nbclient leaves a kernel manager it was handed, and its own client, running
        if client.kc is not None:
            client.kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
    outputs = [o for c in nb.cells if is_self_check(c) for o in c.get("outputs", [])]
    found[name] = {
        "cells": sum(1 for c in nb.cells if is_self_check(c)),
        "verdicts": [v for o in outputs for v in o.get("metadata", {}).get(METADATA, [])],
        "stderr": [o.get("text", "")[:500] for o in outputs if o.get("name") == "stderr"],
        "errors": [f"{o.get('ename')}: {o.get('evalue', '')[:300]}" for o in outputs if o.output_type == "error"],
        "images": sum(1 for o in outputs if "image/png" in o.get("data", {})),
    }
print(json.dumps(found))
