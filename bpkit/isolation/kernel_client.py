"""The grading workers' kernel manager and client: jupyter_client's own,
without its fixed waits.

A graded notebook costs one kernel start and one shutdown, and jupyter_client
pays for each with a wait that is only latency:

- ``wait_for_ready`` ends by draining IOPub until 0.2 s pass with no message
  (0.2 s per kernel, whatever the kernel does).  Readiness is unchanged here:
  a kernel_info reply on the shell channel and one IOPub message (ipykernel's
  ``iopub_welcome`` or the request's status), so IOPub is known to be
  subscribed; the messages that would have been drained belong to the
  kernel_info request, and nbclient ignores IOPub messages of other requests.
- the manager checks every 0.1 s whether a kernel it stopped has ended; here
  every 0.01 s.

Used only by ``bpkit grade`` workers (``c.Execute.kernel_manager_class``,
set in bpkit.grading.batch); plain nbgrader keeps jupyter_client's classes.
"""
from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async
from traitlets import DottedObjectName, Type

__all__ = ["GradingKernelClient", "GradingKernelManager"]

_POLL_SECONDS = 0.01


class GradingKernelClient(AsyncKernelClient):
    """AsyncKernelClient whose wait_for_ready returns as soon as the kernel
    has answered kernel_info and IOPub delivers."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await ensure_async(self.iopub_channel.get_msg(timeout=1))
                except Empty:
                    pass  # IOPub not subscribed yet: ask again
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


class GradingKernelManager(AsyncKernelManager):
    """AsyncKernelManager with GradingKernelClient, polling a stopped kernel
    every 10 ms."""

    client_class = DottedObjectName("bpkit.isolation.kernel_client.GradingKernelClient", config=True)
    client_factory = Type(GradingKernelClient, klass=AsyncKernelClient, config=True)

    async def _async_wait(self, pollinterval: float = _POLL_SECONDS) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, _POLL_SECONDS))
