"""Isolation: where student code runs.  bubblewrap sandboxes (sandbox), the
warm sandbox's nursery that forks each kernel into namespaces of its own
(nursery), the seccomp filter (seccomp), the unsandboxed warm start used
with --no-sandbox (zygote), kernelspecs naming these provisioners
(kernelspec), and the grading side's kernel manager and client
(kernel_client).  Nothing here knows about checks, scores or nbgrader.

nursery.py also runs inside the sandbox: keep this file free of imports."""
