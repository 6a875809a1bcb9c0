"""Kernelspecs that name bpkit's kernel provisioners: a Jupyter data
directory whose python3 kernelspec starts kernels through
bpkit.isolation.sandbox.SandboxProvisioner (sandboxed, the default) or
bpkit.isolation.zygote.ForkProvisioner (--no-sandbox), put first on a
grading worker's JUPYTER_PATH.  Plain nbgrader never sees them."""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["kernelspec_dir", "sandbox_kernelspec_dir", "fork_kernelspec_dir"]


def kernelspec_dir(provisioner: str, display_name: str, parent: str | os.PathLike | None = None, **spec) -> Path:
    """A Jupyter data directory whose python3 kernelspec starts kernels
    through the named provisioner (put first on JUPYTER_PATH in a grading
    worker), made in `parent` (a batch's scratch directory, removed with
    it); spec: more kernel.json fields."""
    root = Path(tempfile.mkdtemp(prefix="bpkit-kernels-", dir=parent))
    folder = root / "kernels" / "python3"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": provisioner}},
        **spec,
    }))
    return root


def fork_kernelspec_dir(parent: str | os.PathLike | None = None) -> Path:
    """The kernelspec directory of ForkProvisioner (in `parent`)."""
    return kernelspec_dir("bpkit-fork", "Python 3 (ipykernel)", parent)


def sandbox_kernelspec_dir(parent: str | os.PathLike | None = None) -> Path:
    """The kernelspec directory of SandboxProvisioner, in `parent` (see
    kernelspec_dir)."""
    # interrupts as messages: a signal to bwrap would not reach the kernel
    return kernelspec_dir("bpkit-sandbox", "Python 3 (ipykernel, sandboxed)", parent, interrupt_mode="message")
