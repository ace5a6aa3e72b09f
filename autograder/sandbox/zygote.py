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

Before it serves, the zygote warms itself up (:func:`warm_up`): the first uses of NumPy (ufuncs, einsum,
linalg, random), of SymPy where it is preloaded (symbols, sympify, srepr, diff, simplify) and one dummy
request through the child's own code path, all on fixed data that no check uses, so each fork starts past
those one-off costs instead of paying them again. Nothing of it depends on a grading seed (the zygote is
never sent one), and it leaves no global state changed (the NumPy error state, the warning filters and the
legacy global random state are as before).

Requests and replies are JSON objects, one per packet of a ``SOCK_SEQPACKET`` socket pair:
``{"spawn": {...}}`` + 2 fds -> ``{"pid": PID}``; ``{"poll": PID}`` -> ``{"code": None | int}`` (a negative
code is the signal that ended it, as in :mod:`subprocess`). A request's ``"id"``, when it has one, is echoed in
its reply (several grader processes may share the socket, one request at a time: a reply that comes after its
asker gave up is then told from the next one's). The first packet, sent once the warm-up is done, is
``{"ready": true}``. A zygote started as ``serve(fd, None)`` is first told its preload: ``{"preload": [names]}``.
"""

from __future__ import annotations

import ctypes
import gc
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


class _WarmSubmission:
    """Stands for a submission in the warm-up's dummy request: its functions are the warm-up's own."""

    @staticmethod
    def function(module: str, name: str):
        import numpy as np

        def scaled(x):
            return np.tanh(x) * 2.0 + np.einsum("ij,j->i", x, x[0])[:, None]

        def curve(t):
            import sympy

            return sympy.exp(-t) / (1 + sympy.cosh(t / 2) ** 2)

        return {"scaled": scaled, "curve": curve}[name]


def _warm_numpy() -> None:
    import numpy as np

    rng = np.random.default_rng(12345)  # a generator of its own: the legacy global state is not touched
    a = rng.standard_normal((6, 6))
    b = np.exp(a) + np.log1p(np.abs(a)) + np.maximum(a, 0.0) * np.sqrt(np.abs(a)) + np.tanh(a) ** 2
    b = np.einsum("ij,jk->ik", a, b) + np.einsum("ij->j", a)[None, :] + a @ a.T
    np.linalg.solve(b + 10 * np.eye(6), a[:, 0])
    np.linalg.norm(np.linalg.inv(b + 10 * np.eye(6)))
    np.linalg.eigvalsh(a + a.T)
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(a, 1), (3, 3))
    np.isclose(windows.sum(axis=(-1, -2)), 0.0).any()
    np.allclose(a, a.copy())
    np.argmax(a, axis=1), np.where(a > 0, a, 0.0).mean(), np.array_equal(a, a), np.isfinite(a).all()
    str(a[:2, :2])


def _warm_sympy() -> None:
    import sympy

    t, u = sympy.Symbol("t", real=True), sympy.Symbol("u", positive=True)
    e = sympy.sympify("exp(-t) / (1 + exp(-t))", locals={"t": t})
    d = sympy.diff(e, t, 2) + sympy.diff(sympy.log(1 + sympy.exp(u)), u)
    sympy.simplify(d - sympy.diff(e, t, 2))
    sympy.srepr(sympy.sympify(sympy.srepr(d)))
    sympy.KroneckerDelta(t, u) - sympy.Add(*[sympy.exp(t - u), sympy.cosh(u / 2) ** 2])


def _warm_request(preload: tuple[str, ...]) -> None:
    """One dummy request the way a child handles it: the frame parsed, the steps run, the returns conformed
    and framed."""
    import numpy as np

    from . import child, wire

    x = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    steps = [{"name": "r", "fn": "scaled", "args": [{"$ref": ["x"]}], "kwargs": {}}]
    returns = [{"label": "r", "ref": ["r"], "schema": {"kind": "array"}}]
    if "sympy" in preload:
        steps.append({"name": "s", "fn": "curve", "args": [{"$symbol": "t", "assumptions": {"real": True}}]})
        returns.append({"label": "s", "ref": ["s"], "schema": {"kind": "sympy"}})
    request = {"module": "_warm", "inputs": {"x": wire.encode(x)}, "steps": steps, "returns": returns}
    parsed = wire.parse_frame(wire.frame_bytes(request)[8:], max_nodes=None)
    reply = child.handle(parsed, _WarmSubmission())
    wire.parse_frame(wire.frame_bytes(reply)[8:])


def warm_up(preload: tuple[str, ...], numpy_too: bool = True) -> None:
    """The first uses the children need, paid once here (fixed data, unrelated to any check): NumPy's (unless
    not ``numpy_too``: done already), SymPy's where ``preload`` has it, and one dummy request. Best effort: a
    part that fails is skipped; the NumPy error state, the warning filters and NumPy's legacy global random
    state are left as they were."""
    import warnings

    import numpy as np

    legacy = np.random.get_state()
    parts = [_warm_numpy] if numpy_too else []
    parts += [_warm_sympy] if "sympy" in preload else []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for part in [*parts, lambda: _warm_request(preload)]:
            try:
                part()
            except Exception:
                pass
    np.random.set_state(legacy)


def _import(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _told_preload(sock: socket.socket) -> tuple[str, ...] | None:
    """The preload named by the grader's first packet (``{"preload": [names]}``), or None (the socket closed,
    or the packet was something else): the zygote then stops."""
    try:
        message = json.loads(sock.recv(1 << 16) or b"null")
    except (OSError, ValueError):
        return None
    names = message.get("preload") if isinstance(message, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return tuple(names)


def serve(fd: int, preload: tuple[str, ...] | None = ()) -> None:
    """Import NumPy and ``preload`` and warm up, then fork a child for every ``spawn`` request on the socket
    ``fd``. With ``preload`` None (a zygote started before the grader knew its assignment), NumPy is imported
    and warmed while the grader goes on, and the first packet on the socket names the preload."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the zygote ends with the grader that started it
    _prctl(PR_SET_DUMPABLE, 0)
    sock = socket.socket(fileno=fd)
    _import(("numpy",) if preload is None else ("numpy", *preload))
    from . import child, isolation  # noqa: F401  (imported once here, inherited by every fork)

    if preload is None:
        warm_up(())
        preload = _told_preload(sock)
        if preload is None:
            return
        _import(preload)
        if preload:
            warm_up(preload, numpy_too=False)
    else:
        warm_up(preload)

    gc.collect()
    gc.freeze()  # what the imports and the warm-up made is never collected in a fork (no copy-on-write of it)
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
        if "id" in request:
            reply["id"] = request["id"]
        reaper.collect()
        sock.send(json.dumps(reply).encode())
