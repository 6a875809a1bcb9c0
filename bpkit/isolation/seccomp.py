"""A seccomp filter for the sandbox: the kernel may start threads, never
processes, and may not make memory that none of its caps counts.

rlimits are per process, and for a sandbox started by root the kernel does
not enforce RLIMIT_NPROC, so a submission that forks could multiply its
memory and CPU caps (or fork-bomb the machine).  No exercise here needs a
second process, so the filter refuses fork, vfork, clone without
CLONE_THREAD, and clone3 (with ENOSYS, so the C library falls back to clone
for threads).  It also refuses any other system-call ABI (x32, 32-bit) that
could dodge these numbers.

It also refuses (EPERM) the ways to hold host memory outside the sandbox's
address-space limit and its size-capped tmpfs mounts: memfd_create and
memfd_secret (anonymous files, 64 MB each by the file-size limit, times the
open-file limit), System V shared memory and message queues (they outlive
the process that fills them, until the sandbox ends), and unshare/setns (in
a user namespace of its own a sandbox could mount a tmpfs with no size cap;
bwrap's --disable-userns says the same).  No exercise or library of the
kernel's runtime uses any of them.  bubblewrap installs it (``--seccomp FD``) just
before it starts the sandboxed command.

The program is classic BPF, a dozen instructions, assembled here rather than
pulled in through libseccomp's bindings (not on PyPI for this Python).
"""
from __future__ import annotations

import errno
import os
import platform
import struct

__all__ = ["no_processes_filter", "filter_fd"]

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
_NR, _ARCH, _ARG0_LOW = 0, 4, 16  # (little-endian: the low half of args[0] comes first)

_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _KILL = 0x7FFF0000, 0x80000000
_ERRNO = 0x00050000
_CLONE_THREAD = 0x00010000

# machine -> (AUDIT_ARCH, clone, clone3, [fork-like syscalls], lowest number of another ABI,
#             [memfd_create, memfd_secret, shmget, msgget, unshare, setns])
_ABI = {
    "x86_64": (0xC000003E, 56, 435, [57, 58], 0x40000000,  # fork, vfork; x32 calls set bit 30
               [319, 447, 29, 68, 272, 308]),
    "aarch64": (0xC00000B7, 220, 435, [], None, [279, 447, 194, 186, 97, 268]),
}


def _assemble(program: list) -> bytes:
    """program: (code, k) or (code, k, "label-if-true", "label-if-false") or a
    label string; jumps name labels, None meaning "next instruction"."""
    labels, index = {}, 0
    for item in program:
        if isinstance(item, str):
            labels[item] = index
        else:
            index += 1
    out, index = [], 0
    for item in program:
        if isinstance(item, str):
            continue
        code, k, *targets = item
        jt, jf = ((labels[t] - index - 1) if t else 0 for t in (targets + [None, None])[:2])
        out.append(struct.pack("=HBBI", code, jt, jf, k))
        index += 1
    return b"".join(out)


def no_processes_filter(machine: str | None = None) -> bytes:
    """The filter program for this machine's architecture (OSError on a
    machine the filter does not know: grading then refuses to run student
    code, with this reason, rather than run it unfiltered)."""
    machine = machine or platform.machine()
    if machine not in _ABI:
        raise OSError(f"the sandbox's seccomp filter knows {' and '.join(sorted(_ABI))}, not {machine}")
    arch, clone, clone3, forks, other_abi, refused = _ABI[machine]
    program = [(_LD_ABS, _ARCH), (_JEQ, arch, "native", None), (_RET, _KILL), "native",
               (_LD_ABS, _NR)]
    if other_abi is not None:
        program.append((_JGE, other_abi, "eperm", None))
    program.append((_JEQ, clone, "clone", None))
    program += [(_JEQ, nr, "eperm", None) for nr in forks + refused]
    program += [(_JEQ, clone3, "enosys", None), (_RET, _ALLOW),
                "clone", (_LD_ABS, _ARG0_LOW), (_JSET, _CLONE_THREAD, "allow", "eperm"),
                "allow", (_RET, _ALLOW),
                "eperm", (_RET, _ERRNO | errno.EPERM),
                "enosys", (_RET, _ERRNO | errno.ENOSYS)]
    return _assemble(program)


def filter_fd() -> int:
    """A readable file descriptor holding the filter (for ``bwrap --seccomp``);
    the caller passes it to bwrap and closes it afterwards."""
    read, write = os.pipe()
    os.write(write, no_processes_filter())
    os.close(write)
    return read
