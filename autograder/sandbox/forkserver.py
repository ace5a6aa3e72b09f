"""Parent side of the zygote (:mod:`autograder.sandbox.zygote`): one per grader process and preload set.

Starting a child costs an interpreter plus NumPy and SymPy imports (about 0.5 s); forking the zygote costs
a few milliseconds. :class:`ForkedChild` gives :class:`~autograder.sandbox.runner.Sandbox` the part of
``subprocess.Popen`` it uses, for a child the zygote forked.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
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
            if self.pidfd is not None and not self.ended_polls:
                select.select([self.pidfd], [], [], 0.005)  # wakes the moment it ends
            else:
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


class _ProcessTurn:
    """One process at a time on a zygote's socket, among the processes that share it (a pool's workers forked
    from the grader inherit it): a POSIX record lock on a nameless file, which each process holds on its own
    (a lock is never inherited through fork) and the kernel drops when its holder dies."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()

    def __enter__(self) -> None:
        fcntl.lockf(self.file, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.lockf(self.file, fcntl.LOCK_UN)


class Zygote:
    """A running zygote: ``spawn`` forks a child for a submission folder.

    Its socket may be shared by the grader and the pool workers it forks (they inherit the object): each
    request and its reply are taken under a lock that excludes the other threads and processes, and each
    request carries an id its reply echoes, so a reply that arrives after its asker gave up is never taken
    for the next one's. Only the process that started the zygote (``owner``) stops it; another one that
    finds it dead or unresponsive drops its own reference and starts its own (:func:`zygote_for`)."""

    def __init__(self, launch: Callable[[int], subprocess.Popen]):
        """``launch(fd)`` starts ``python ... serve(fd, preload)`` with the socket ``fd`` passed to it."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = launch(theirs.fileno())
        finally:
            theirs.close()
        self.sock, self.owner = ours, os.getpid()
        self.lock = threading.Lock()  # one request and its reply at a time among this process's threads
        self.turn = _ProcessTurn()  # ... and among the processes that share the socket
        self.asked = 0
        try:  # readable once the zygote has ended, in any process that holds it
            self.pidfd: int | None = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        self.ready = False  # its imports run while the grader goes on: until it first answered, wait longer

    def _receive(self, rid: str, seconds: float) -> dict:
        """The reply to request ``rid``; other packets (the start's ``ready``, a reply to an asker that gave
        up) are skipped."""
        deadline = time.monotonic() + seconds
        while True:
            ready, _, _ = select.select([self.sock], [], [], max(0.0, deadline - time.monotonic()))
            try:
                reply = json.loads(self.sock.recv(1 << 16) or b"null") if ready else None
            except (OSError, ValueError):  # it died with our request unread (a reset), or sent garbage
                reply = None
            if reply is None:
                self.close()
                raise ZygoteError("the zygote did not answer")
            if isinstance(reply, dict) and reply.get("id") == rid:
                return reply

    def _ask(self, request: dict, fds: list[int] = ()) -> dict:
        with self.lock, self.turn:
            if self.proc is None:
                raise ZygoteError("the zygote is closed")
            self.asked += 1
            rid = f"{os.getpid()}.{self.asked}"
            try:
                socket.send_fds(self.sock, [json.dumps({**request, "id": rid}).encode()], list(fds))
            except OSError:
                self.close()
                raise ZygoteError("the zygote is gone") from None
            reply = self._receive(rid, REPLY_SECONDS if self.ready else START_SECONDS)
            self.ready = True
            return reply

    def configure(self, preload: tuple[str, ...]) -> None:
        """Name the preload of a zygote started without one (``serve(fd, None)``); its first packet."""
        with self.lock, self.turn:
            try:
                self.sock.send(json.dumps({"preload": list(preload)}).encode())
            except OSError:
                self.close()

    def alive(self) -> bool:
        if self.proc is None:
            return False
        if self.owner == os.getpid():
            return self.proc.poll() is None
        if self.pidfd is not None:  # inherited: not our child, so ask its pidfd (or the kernel) instead
            return not select.select([self.pidfd], [], [], 0)[0]
        try:
            os.kill(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

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
        """Stop the zygote (in the process that started it); elsewhere only let go of it."""
        proc, self.proc = getattr(self, "proc", None), None
        if proc is not None and self.owner == os.getpid():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            proc.wait()
        if getattr(self, "sock", None) is not None:
            self.sock.close()
        if getattr(self, "pidfd", None) is not None:
            os.close(self.pidfd)
            self.pidfd = None


_zygotes: dict[Any, Zygote] = {}
_early: dict[Any, Zygote] = {}  # started before their preload was known (start_early), by the key's base
_zygotes_lock = threading.Lock()


def zygote_for(key: tuple[Any, tuple[str, ...]], launch: Callable[[int], subprocess.Popen]) -> Zygote:
    """The grader process's zygote for ``key`` = (base, preload): base says where it runs from (the runtime
    folder), preload what it imports. Started on first use, unless one started early for that base (by this
    process) is waiting to be told its preload; one inherited from the process that forked this one is used
    as long as it lives; a dead one is replaced by one of this process's own."""
    with _zygotes_lock:
        z = _zygotes.get(key)
        if z is None or not z.alive():
            if z is not None:
                z.close()
            early = _early.pop(key[0], None)
            if early is not None and early.owner == os.getpid() and early.alive():
                early.configure(key[1])
                z = early
            else:
                if early is not None:
                    early.close()
                z = Zygote(launch)
            _zygotes[key] = z
        return z


def start_early(base: Any, launch: Callable[[int], subprocess.Popen]) -> None:
    """Start a zygote for ``base`` now, before its preload is known (``launch`` starts ``serve(fd, None)``):
    it imports NumPy while the grader does its own imports, and the first :func:`zygote_for` with that base
    names its preload. Call it from the main thread: a zygote dies with the thread that started it."""
    with _zygotes_lock:
        if base not in _early and not any(k[0] == base for k in _zygotes):
            _early[base] = Zygote(launch)


def enabled() -> bool:
    """Whether children are forked by a zygote (``AUTOGRADER_ZYGOTE=0`` starts every child from scratch)."""
    return os.environ.get("AUTOGRADER_ZYGOTE", "1") != "0"


def launch(fd: int, preload: tuple[str, ...] | None) -> subprocess.Popen:
    """Start a zygote on socket ``fd``: the child's interpreter, path and environment, in its own session;
    ``preload`` None: told later (:func:`start_early`)."""
    from .runtime import child_environment, runtime_dir

    rt = str(runtime_dir())
    boot = f"import sys; sys.path[:0] = [{rt!r}]; from _agchild.zygote import serve; serve({fd}, {preload!r})"
    return subprocess.Popen(
        [sys.executable, "-I", "-S", "-B", "-c", boot],
        cwd=rt,
        env=child_environment(rt),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        pass_fds=[fd],
    )


_guessed: set[Any] = set()  # keys of the zygotes started on a guess of their preload (start(..., guess=True))


def start(preload: tuple[str, ...] | None = None, guess: bool = False) -> None:
    """Start this grader's zygote now, so its imports overlap the grader's: for ``preload``, or (None) one
    told its preload by the first sandbox that needs it. With ``guess``, ``preload`` is a guess made before
    the assignment's declaration was imported: the next start with the preload itself stops a zygote started
    on a guess that differs (no sandbox would use it, and its imports would compete with the grader's for the
    CPU). Call it from the main thread (a zygote dies with the thread that started it), before starting
    threads that grade."""
    if not enabled():
        return
    from .runtime import runtime_dir

    base = str(runtime_dir())
    if preload is None:
        start_early(base, lambda fd: launch(fd, None))
        return
    key = (base, preload)
    if guess:
        _guessed.add(key)
    else:
        _drop_guesses(key)
    zygote_for(key, lambda fd: launch(fd, preload))


def _drop_guesses(settled: Any) -> None:
    """Stop the zygotes started on a guessed preload other than the ``settled`` key's."""
    with _zygotes_lock:
        wrong = [_zygotes.pop(key) for key in _guessed - {settled} if key in _zygotes]
        _guessed.clear()
    for z in wrong:
        z.close()


def _after_fork_in_child() -> None:
    """In a forked copy of the grader (a pool worker): fresh thread locks, since another thread may have held
    one at the fork (the socket's turn among processes is a lock the fork did not copy)."""
    global _zygotes_lock
    _zygotes_lock = threading.Lock()
    for z in [*_zygotes.values(), *_early.values()]:
        z.lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def close_all() -> None:
    for z in [*_zygotes.values(), *_early.values()]:
        if z.owner == os.getpid():
            z.close()
    _zygotes.clear()
    _early.clear()
