"""Parent side of the zygote (:mod:`autograder.sandbox.zygote`): one per grader process and preload set.

Starting a child costs an interpreter plus NumPy and SymPy imports (about 0.5 s); forking the zygote costs
a few milliseconds. :class:`ForkedChild` gives :class:`~autograder.sandbox.runner.Sandbox` the part of
``subprocess.Popen`` it uses, for a child the zygote forked.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

START_SECONDS = 60.0
REPLY_SECONDS = 10.0


class ZygoteError(RuntimeError):
    """The zygote could not be started or stopped answering; the caller starts children directly."""


class ForkedChild:
    """A child forked by the zygote, with the ``Popen`` surface the sandbox uses."""

    def __init__(self, zygote: Zygote, pid: int, stdin: Any, stdout: Any):
        self.zygote, self.pid, self.stdin, self.stdout = zygote, pid, stdin, stdout
        self.returncode: int | None = None
        self.ended_polls = 0
        try:  # readable once the process has ended: spares asking the zygote on every request
            self.pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None

    def poll(self) -> int | None:
        if self.returncode is None and self.pidfd is not None and not select.select([self.pidfd], [], [], 0)[0]:
            return None
        if self.returncode is None:
            try:
                self.returncode = self.zygote.poll(self.pid)
            except ZygoteError:
                self.returncode = -signal.SIGKILL  # its zygote is gone, so is it (PDEATHSIG)
            if self.returncode is None and self.pidfd is not None:  # it has ended: give the zygote a moment
                self.ended_polls += 1  # to reap it, and never wait forever for a status that went missing
                if self.ended_polls > 200:
                    self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("zygote child", timeout)
            time.sleep(0.005)
        return self.returncode

    def __del__(self) -> None:
        if getattr(self, "pidfd", None) is not None:
            os.close(self.pidfd)
            self.pidfd = None

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class Zygote:
    """A running zygote: ``spawn`` forks a child for a submission folder."""

    def __init__(self, launch: Callable[[int], subprocess.Popen]):
        """``launch(fd)`` starts ``python ... serve(fd, preload)`` with the socket ``fd`` passed to it."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = launch(theirs.fileno())
        finally:
            theirs.close()
        self.sock, self.owner = ours, os.getpid()
        self.lock = threading.Lock()  # one request and its reply at a time (graders may share it across threads)
        self.ready = False  # its imports run while the grader goes on; the first request waits for them

    def _wait_ready(self) -> None:
        reply = self._receive(START_SECONDS)
        if reply.get("ready") is not True:
            self.close()
            raise ZygoteError(f"the zygote did not start: {reply}")
        self.ready = True

    def _receive(self, seconds: float) -> dict:
        ready, _, _ = select.select([self.sock], [], [], seconds)
        data = self.sock.recv(1 << 16) if ready else b""
        if not data:
            self.close()
            raise ZygoteError("the zygote did not answer")
        return json.loads(data)

    def _ask(self, request: dict, fds: list[int] = ()) -> dict:
        with self.lock:
            if self.proc is None:
                raise ZygoteError("the zygote is closed")
            if not self.ready:
                self._wait_ready()
            try:
                socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds))
            except OSError:
                self.close()
                raise ZygoteError("the zygote is gone") from None
            return self._receive(REPLY_SECONDS)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self, spec: dict) -> ForkedChild:
        """Fork a child (``spec``: its folder, log, limits and the isolation spec it confines itself with);
        its protocol runs over two new pipes, as a started child's would."""
        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        try:
            reply = self._ask({"spawn": spec}, [child_in, child_out])
        except ZygoteError:
            for fd in (to_child, from_child):
                os.close(fd)
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        if not isinstance(reply.get("pid"), int):
            os.close(to_child)
            os.close(from_child)
            raise ZygoteError(f"the zygote did not fork: {reply}")
        return ForkedChild(self, reply["pid"], os.fdopen(to_child, "wb", 0), os.fdopen(from_child, "rb", 0))

    def poll(self, pid: int) -> int | None:
        code = self._ask({"poll": pid}).get("code")
        return code if isinstance(code, int) else None

    def close(self) -> None:
        proc, self.proc = getattr(self, "proc", None), None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            proc.wait()
        if getattr(self, "sock", None) is not None:
            self.sock.close()


_zygotes: dict[Any, Zygote] = {}
_zygotes_lock = threading.Lock()


def zygote_for(key: Any, launch: Callable[[int], subprocess.Popen]) -> Zygote:
    """The grader process's zygote for ``key`` (the preload set and layers), started on first use."""
    with _zygotes_lock:
        z = _zygotes.get(key)
        if z is not None and z.owner != os.getpid():  # inherited through a fork (a worker pool): not ours
            z = None
        if z is None or not z.alive():
            if z is not None:
                z.close()
            z = _zygotes[key] = Zygote(launch)
        return z


@atexit.register
def close_all() -> None:
    for z in _zygotes.values():
        if z.owner == os.getpid():
            z.close()
    _zygotes.clear()
