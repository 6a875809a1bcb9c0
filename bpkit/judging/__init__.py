"""Judging: deciding hidden checks outside the sandbox.  The judge (judge)
serves the registered checks (bpkit.checks.registry) to one kernel over the
wire protocol (wire, shared with the kernel-side bpkit.probe), with inputs
seeded per student from the course secret (secret).

wire.py also runs inside the sandbox: keep this file free of imports."""
