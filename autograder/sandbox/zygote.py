"""A template child that forks one sandboxed child per submission, so NumPy and SymPy are imported once.

Started with the child's interpreter, path and environment (``python -I -S -B`` on the private runtime
folder), it runs no student code itself: it imports the numeric libraries, makes itself undumpable and
waits on a Unix socket for requests from the grader. A ``spawn`` request carries the two pipe ends of a new
child's protocol (as ``SCM_RIGHTS``), the submission's folder and log, and the isolation spec (limits included); the
zygote forks, and the fork starts a new session, takes the pipes as fds 0 and 1, confines itself with that
spec (:func:`isolation.confine`: namespaces, view, limits, its own uid, seccomp) and runs
:func:`child.main` exactly as a freshly started child would. Each submission thus gets a fresh copy of a
clean process, never one that ran other code; the zygote keeps the grader's uid, so the children (a
dedicated uid, where the grader is root) can neither signal nor trace it.

Requests and replies are JSON objects, one per packet of a ``SOCK_SEQPACKET`` socket pair:
``{"spawn": {...}}`` + 2 fds -> ``{"pid": PID}``; ``{"poll": PID}`` -> ``{"code": None | int}`` (a negative
code is the signal that ended it, as in :mod:`subprocess`).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import signal
import socket
import sys

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _exit_code(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


class _Reaper:
    """Exit codes of the zygote's children, collected without blocking."""

    def __init__(self) -> None:
        self.codes: dict[int, int] = {}

    def collect(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.codes[pid] = _exit_code(status)

    def code(self, pid: int) -> int | None:
        self.collect()
        return self.codes.pop(pid, None)


def _become_child(sock: socket.socket, fds: list[int], spec: dict) -> None:
    """In the fork: a new session, the protocol on fds 0 and 1, the submission's folder; then the child."""
    try:
        sock.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.dup2(fds[0], 0)
        os.dup2(fds[1], 1)
        for fd in fds:
            os.close(fd)
        folder = spec["folder"]
        os.environ["HOME"] = os.environ["TMPDIR"] = folder
        from .isolation import confine

        confine(spec["confine"])  # namespaces, view, limits, uid, seccomp: as a started child does
        os.chdir(folder)
        sys.path.append(folder)
        from .child import main

        main(folder, spec["log"], ())
    finally:
        os._exit(0)


def serve(fd: int, preload: tuple[str, ...] = ()) -> None:
    """Import ``preload``, then fork a child for every ``spawn`` request on the socket ``fd``."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the zygote ends with the grader that started it
    _prctl(PR_SET_DUMPABLE, 0)
    for name in ("numpy", *preload):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    from . import child, isolation  # noqa: F401  (imported once here, inherited by every fork)

    sock = socket.socket(fileno=fd)
    reaper = _Reaper()
    sock.send(b'{"ready": true}')
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 2)
        except OSError:
            return
        if not data:
            return
        request = json.loads(data)
        if "spawn" in request and len(fds) == 2:
            pid = os.fork()
            if pid == 0:
                _become_child(sock, fds, request["spawn"])
            for f in fds:
                os.close(f)
            reply = {"pid": pid}
        elif "poll" in request:
            reply = {"code": reaper.code(int(request["poll"]))}
        else:
            for f in fds:
                os.close(f)
            reply = {"error": "unknown request"}
        reaper.collect()
        sock.send(json.dumps(reply).encode())
