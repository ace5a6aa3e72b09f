"""The trusted worker process that parses and judges students' SymPy answers, so the grader never does.

SymPy can compute for ever, or fill memory, on a small expression (``sin(exp(10**6*x**2))``), and pure-Python
work cannot be interrupted from another thread. So every symbolic judgement (:func:`equivalent`,
:func:`asymptotic`, :func:`symbol_names`) runs in a separate, plain Python process that imports SymPy and this
package: trusted code only, never the student's sandbox, never the grader's own thread. It takes the
answer's ``srepr`` text, parses it through :func:`autograder.symbolic.parse_srepr` and judges it with
:mod:`autograder.symbolic`.

Limits: ``SECONDS`` of wall time per answer (the clock starts once the worker is ready); a worker over it is
killed and replaced, and the check scores 0 ("the grader could not evaluate your answer within 5 s").
``MEMORY_BYTES`` of address space (``RLIMIT_AS``): an answer that needs more scores 0 and its worker is
replaced. A worker that dies under an answer is replaced and the answer retried once (a worker killed from
outside costs nothing); a second death scores 0. Every failure of the worker scores 0 (fail closed).

Workers start lazily (or early: :func:`autograder.symbolic.with_seed`) and are reused across answers, so a
judgement costs tens of milliseconds once one is warm; idle ones are kept per process (up to ``KEEP``, one per
grading thread that needs one), and a forked grader process starts its own. Where it can, a process forks its
workers from a template, a copy of itself made while it had one thread, instead of starting interpreters that
import SymPy again (see "workers forked from a copy of the grader" below).

Protocol, one JSON object per line: the worker writes ``{"ready": true}`` once SymPy is imported, then one
reply ``{"id", "ok", "message", "names"[, "restart"]}`` per request ``{"id", "task", ...}``. Tasks:
``equivalent`` (answer, expected, symbols, seed), ``asymptotic`` (answer, expected, symbols in the limits'
order), ``names`` (answer) and ``critical_set`` (answer: the solutions, gradient, symbols, seed, cover): answers
are the student's ``srepr`` text, the rest the grader's own. In a public run the reference's answers are not
there: ``at`` (the values public data shipped, :func:`autograder.symbolic.values_at_points` or
:func:`~autograder.symbolic.grid_values`) replaces ``expected``, and ``gradient_at`` replaces ``gradient``.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .symbolic import MAX_SREPR_CHARS, Verdict, derived_seed

SECONDS = 5.0  # wall time of one answer in the worker
MEMORY_BYTES = 2 * 2**30  # the worker's address space
STARTUP_SECONDS = 60.0  # a fresh worker's import of SymPy (not counted against an answer)
CPU_BACKSTOP_SECONDS = 60  # RLIMIT_CPU per answer, in case the grader is gone and cannot kill the worker
KEEP = 4  # idle workers kept per process
MAX_REPLY_BYTES = 1 << 20
MAX_MESSAGE_CHARS = 4_000
MAX_NAMES = 100

_BOOT = (  # the memory limit is set before anything is imported (this module imports SymPy)
    "import resource, sys; m = int(sys.argv[2]); m > 0 and resource.setrlimit(resource.RLIMIT_AS, (m, m)); "
    "sys.path[:0] = __import__('json').loads(sys.argv[1]); "
    "from autograder.symbolic_worker import serve; serve(m)"
)


def time_message(seconds: float) -> str:
    return f"the grader could not evaluate your answer within {seconds:g} s"


def memory_message(memory_bytes: int) -> str:
    return f"the grader could not evaluate your answer within its memory limit ({memory_bytes / 2**30:g} GiB)"


CRASHED = "the grader's evaluation of your answer crashed (its worker process died)"
OUT_OF_FORM = "the grader's evaluator of SymPy answers replied out of form"
NOT_STARTED = "the grader could not start its evaluator of SymPy answers"


# -- the worker process ---------------------------------------------------------------------------------


def serve(memory_bytes: int) -> None:
    """The worker's main loop (``python -I -S -c _BOOT PATHS MEMORY``): limits, SymPy, then one reply per
    request line on stdin until it closes. Nothing but the protocol reaches stdout."""
    import resource
    import signal

    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when its workers end
    out = os.fdopen(os.dup(1), "wb")
    requests = os.fdopen(os.dup(0), "rb")  # not sys.stdin: a forked worker's is the grader's object
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    from . import symbolic  # SymPy: the slow part of starting (a forked worker has it already)

    def send(reply: dict) -> None:
        out.write(json.dumps(reply).encode("ascii") + b"\n")
        out.flush()

    send({"ready": True})
    for line in requests:
        reply = _handle(line, symbolic, memory_bytes)
        send(reply)
        if reply.get("restart"):
            os._exit(0)


def _handle(line: bytes, symbolic: Any, memory_bytes: int) -> dict:
    import resource

    try:
        request = json.loads(line)
        rid = request["id"]
    except (ValueError, KeyError, TypeError):
        return {"id": None, "ok": False, "message": "a malformed request"}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + CPU_BACKSTOP_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.getrlimit(resource.RLIMIT_CPU)[1]))
    try:
        verdict = _judge(request, symbolic)
        reply = {"ok": bool(verdict.ok), "message": verdict.message, "names": list(verdict.names)}
    except symbolic.PublicDataError as exc:
        reply = {"ok": False, "message": f"the public checks' data is damaged ({exc}); download the assignment again"}
    except symbolic.AnswerError as exc:
        reply = {"ok": False, "message": str(exc)}
    except MemoryError:
        reply = {"ok": False, "message": memory_message(memory_bytes), "restart": True}
    except RecursionError:
        reply = {"ok": False, "message": "the answer is nested too deeply for the grader", "restart": True}
    except Exception as exc:
        reply = {"ok": False, "message": f"the grader could not evaluate your answer ({type(exc).__name__})"}
    reply["message"] = reply["message"][:MAX_MESSAGE_CHARS]
    return {"id": rid, "names": [], **reply}


def _judge(request: dict, symbolic: Any) -> Verdict:
    def trusted(text: str):
        try:
            return symbolic.parse_srepr(text)
        except symbolic.AnswerError as exc:
            raise RuntimeError(f"the grader's own expression could not be read: {exc}") from None

    # the assignment's symbolic aliases (e.g. sigma), sent with each request: name -> definition in x
    functions = {str(name): trusted(text) for name, text in (request.get("functions") or {}).items()}
    if request["task"] == "critical_set":
        return _critical_set(request, symbolic, trusted, functions)
    answer = symbolic.parse_srepr(request["answer"], functions)  # the student's text: AnswerError if unreadable
    if request["task"] == "names":
        names = sorted({str(s.name)[:200] for s in answer.free_symbols})
        return Verdict(True, "", tuple(names[:MAX_NAMES]))

    symbols = [trusted(t) for t in request["symbols"]]
    if "at" in request:  # a public run: the reference's values at public points, never its text
        at = request["at"]
        if request["task"] == "equivalent":
            return symbolic.agrees_at(answer, symbols, at)
        if request["task"] == "asymptotic":
            exact = symbolic.from_grid(at, symbols)
            return symbolic.asymptotically_equivalent(
                answer, exact, symbols, about=lambda a: symbolic.grid_difference(a, at, symbols)
            )
    elif request["task"] == "equivalent":
        return symbolic.equivalent(answer, trusted(request["expected"]), symbols, seed=int(request["seed"]))
    elif request["task"] == "asymptotic":
        return symbolic.asymptotically_equivalent(answer, trusted(request["expected"]), symbols)
    raise ValueError(f"unknown task {request['task']!r}")


def _critical_set(request: dict, symbolic: Any, trusted: Any, functions: dict) -> Verdict:
    """The ``critical_set`` task: the student's solutions (a JSON list of {name: srepr}), the grader's gradient."""
    solutions = json.loads(request["answer"])
    if not isinstance(solutions, list) or not all(isinstance(s, dict) for s in solutions):
        raise symbolic.AnswerError("the solutions could not be read")
    parsed = [{str(k): symbolic.parse_srepr(v, functions) for k, v in s.items()} for s in solutions]
    symbols = [trusted(t) for t in request["symbols"]]
    if "gradient_at" in request:  # a public run: the gradient rebuilt from its values on a grid
        gradient = [symbolic.from_grid(at, symbols) for at in request["gradient_at"]]
    else:
        gradient = [trusted(t) for t in request["gradient"]]
    return symbolic.critical_set(parsed, gradient, symbols, int(request["seed"]), bool(request["cover"]))


# -- workers forked from a copy of the grader -----------------------------------------------------------
#
# A fresh worker costs an interpreter and SymPy's import (about 0.5 s of CPU, as much as the grader's own
# import of SymPy); the two workers a cold `autograder grade ONE` needs (its canary and its submission are
# judged side by side) took a quarter of its CPU time, on a machine of two cores. So the grader forks, once and
# while it has a single thread, a template: a copy of itself (SymPy and this package imported already) that
# runs nothing but a loop forking one worker per request. Each worker is then as a fresh one (the same
# limits, protocol and code), started in milliseconds. The template and its workers end with the grader
# (``PR_SET_PDEATHSIG``); they hold none of its descriptors (sandbox pipes, the zygote's socket, claims'
# locks), only /dev/null in their place. Where a template cannot be made (another thread runs, no pidfds,
# CUDA in use, or too little of the worker's address-space limit left beside the grader's copy), workers
# are started fresh as before.

PR_SET_PDEATHSIG = 1
TEMPLATE_SECONDS = 10.0  # a template's reply to a fork request


def _die_with_parent() -> None:
    """Have the kernel SIGKILL this process when the one that forked it ends (Linux ``PR_SET_PDEATHSIG``)."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _vm_bytes() -> int | None:
    """This process's address space (``VmSize``), or None where /proc does not say."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            sizes = [int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:")]
    except (OSError, ValueError, IndexError):
        return None
    return sizes[0] if sizes else None


def _quiet_descriptors(keep: int) -> None:
    """Point every descriptor but ``keep`` at /dev/null: the grader's pipes, sockets and locked files are let go
    of here, while their numbers stay taken, so an object of the grader's that closes its old number later
    never closes a descriptor opened since."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir("/proc/self/fd"):
        if int(name) not in (keep, devnull):
            try:
                os.dup2(devnull, int(name))
            except OSError:  # the listing's own descriptor, closed since
                pass


def _template_main(sock: Any, parent: int) -> None:
    """The template's loop (in the fork of the grader): a worker forked per request, until the socket closes.
    A request is ``{"memory": BYTES}`` with the worker's two pipe ends; the reply ``{"pid": PID}`` carries a
    pidfd of the worker, opened before the template may reap it (so the pid it names is never another's)."""
    import gc
    import signal
    import socket

    try:
        _die_with_parent()
        if os.getppid() != parent:  # the grader ended before the request took effect
            return
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _quiet_descriptors(sock.fileno())
        gc.freeze()  # what the grader made is never collected here (nor copied, page by page, into workers)
        while True:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 12, 2)
            if not data or len(fds) != 2:
                return
            pid = os.fork()
            if pid == 0:
                _worker_main(sock, fds, int(json.loads(data)["memory"]))
            for fd in fds:
                os.close(fd)
            pidfd = os.pidfd_open(pid)
            socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [pidfd])
            os.close(pidfd)
            _reap()
    except BaseException:
        pass
    finally:
        _reap()
        os._exit(0)


def _reap() -> None:
    """Collect the template's workers that have ended (their pidfds were opened before they could be)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _worker_main(sock: Any, fds: list[int], memory_bytes: int) -> None:
    """A worker forked by the template: its pipes as stdin and stdout, then :func:`serve` as in a fresh one. One
    whose limit the address space it inherits already exceeds ends at once (the grader reads it as not started)."""
    try:
        sock.close()
        _die_with_parent()
        os.dup2(fds[0], 0)
        os.dup2(fds[1], 1)
        for fd in fds:
            os.close(fd)
        size = _vm_bytes()
        if memory_bytes <= 0 or (size is not None and size < memory_bytes):
            serve(memory_bytes)
    except BaseException:
        pass
    finally:
        os._exit(0)


class _ForkedProcess:
    """The part of ``Popen`` :class:`_Worker` uses, for a worker the template forked: not this process's child,
    so it is watched and killed through its pidfd, never through a pid that may have been reused."""

    def __init__(self, pid: int, pidfd: int, stdin: Any, stdout: Any):
        self.pid, self.pidfd, self.stdin, self.stdout = pid, pidfd, stdin, stdout

    def _ended(self, seconds: float) -> bool:
        return self.pidfd is None or bool(select.select([self.pidfd], [], [], seconds)[0])

    def poll(self) -> int | None:
        """None while it runs; else an exit code (the template, not this process, collects the real one)."""
        return -9 if self._ended(0) else None

    def kill(self) -> None:
        import signal

        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:  # it has ended already
                pass

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended(timeout):
            raise subprocess.TimeoutExpired("symbolic worker", timeout)
        self.close()
        return -9

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


class _Template:
    """This process's template (:func:`_template`), and the socket its fork requests go through."""

    def __init__(self, address_space: int):
        import socket

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            ours.close()
            _template_main(theirs, parent)
        theirs.close()
        self.pid, self.sock, self.owner, self.address_space = pid, ours, parent, address_space
        self.lock = threading.Lock()  # one request and its reply at a time

    def fork(self, memory_bytes: int) -> _ForkedProcess | None:
        """A new worker with that address-space limit, or None when the template did not fork one (it is then
        closed, and workers start fresh)."""
        import socket

        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        reply, fds = None, []
        try:
            with self.lock:
                if self.sock is not None:
                    socket.send_fds(self.sock, [json.dumps({"memory": memory_bytes}).encode()], [child_in, child_out])
                    if select.select([self.sock], [], [], TEMPLATE_SECONDS)[0]:
                        data, fds, _, _ = socket.recv_fds(self.sock, 1 << 12, 1)
                        reply = json.loads(data or b"null")
        except (OSError, ValueError):
            reply = None
        finally:
            os.close(child_in)
            os.close(child_out)
        if not (isinstance(reply, dict) and isinstance(reply.get("pid"), int) and len(fds) == 1):
            for fd in (to_child, from_child, *fds):
                os.close(fd)
            self.close()
            return None
        return _ForkedProcess(reply["pid"], fds[0], os.fdopen(to_child, "wb"), os.fdopen(from_child, "rb", 0))

    def close(self) -> None:
        """Stop the template (its workers end with it): by closing its socket, and in the process that forked
        it, by reaping it."""
        with self.lock:
            sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()
            if self.owner == os.getpid():
                try:
                    os.waitpid(self.pid, 0)
                except ChildProcessError:
                    pass


_templates: dict[int, _Template] = {}  # by the pid of the process that made it
_templates_lock = threading.Lock()


def _can_fork() -> bool:
    """Whether a template may be forked now: on Linux (pidfds, descriptor passing), from the only thread of this
    process, which must not have CUDA in use (a forked CUDA context is unusable)."""
    import signal
    import socket

    return (
        all(hasattr(os, name) for name in ("fork", "pidfd_open"))
        and hasattr(signal, "pidfd_send_signal")
        and hasattr(socket, "send_fds")
        and threading.current_thread() is threading.main_thread()
        and threading.active_count() == 1
        and "cupy" not in sys.modules
    )


def _template(memory_bytes: int) -> _Template | None:
    """This process's template for workers limited to ``memory_bytes``, made at the first call that may fork one
    (:func:`_can_fork`) while the grader's address space, which every worker inherits, is under half of
    :data:`MEMORY_BYTES`; None where there is none, or where that address space is over ``memory_bytes``
    (such a worker starts fresh)."""
    with _templates_lock:
        template = _templates.get(os.getpid())
        if template is None or template.sock is None:
            size = _vm_bytes()
            if size is None or size >= MEMORY_BYTES / 2 or not _can_fork():
                return None
            template = _templates[os.getpid()] = _Template(size)
        return template if memory_bytes <= 0 or template.address_space < memory_bytes else None


def _close_templates() -> None:
    for template in _templates.values():
        template.close()
    _templates.clear()


def _forget_templates() -> None:
    """In a forked child: the parent's template is not this process's (its socket is let go of here)."""
    global _templates_lock
    _templates_lock = threading.Lock()
    for template in _templates.values():
        template.lock = threading.Lock()
        if template.sock is not None:
            template.sock.close()
            template.sock = None
    _templates.clear()


# -- the grader's side ----------------------------------------------------------------------------------


class _Failed(Exception):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind  # "start", "time", "crash", "form"


def _import_paths() -> list[str]:
    """Folders the worker imports this package, SymPy and mpmath from: the grader's own."""
    import mpmath
    import sympy

    import autograder

    dirs = [str(Path(m.__file__).resolve().parent.parent) for m in (autograder, sympy, mpmath)]
    return list(dict.fromkeys(dirs))


class _Worker:
    """One worker process and its two pipes: forked by this process's template where it has one, else fresh."""

    def __init__(self, memory_bytes: int):
        self.owner = os.getpid()
        self.ready = False
        self._buffer = b""
        template = _template(memory_bytes)
        self.proc: subprocess.Popen | _ForkedProcess | None = template and template.fork(memory_bytes)
        if self.proc is not None:
            return
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _BOOT, json.dumps(_import_paths()), str(memory_bytes)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                cwd="/",
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
            )
        except OSError:
            self.proc = None

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _line(self, deadline: float) -> bytes | None:
        """The next line from the worker; None when ``deadline`` passes first, b"" at its end."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not poller.poll(left * 1000):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b""
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY_BYTES:
                raise _Failed("form")
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _reply(self, deadline: float, kind: str) -> dict:
        line = self._line(deadline)
        if line is None:
            raise _Failed(kind)
        if not line:
            raise _Failed("crash" if self.ready else "start")
        try:
            reply = json.loads(line)
        except ValueError:
            raise _Failed("form") from None
        if not isinstance(reply, dict):
            raise _Failed("form")
        return reply

    def ask(self, request: dict, seconds: float) -> dict:
        if self.proc is None:
            raise _Failed("start")
        if not self.ready:
            if self._reply(time.monotonic() + STARTUP_SECONDS, "start") != {"ready": True}:
                raise _Failed("form")
            self.ready = True
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode("ascii") + b"\n")
            self.proc.stdin.flush()
        except OSError:  # BrokenPipeError: it died before the request reached it
            raise _Failed("crash") from None
        reply = self._reply(time.monotonic() + seconds, "time")
        if not _well_formed(reply, request["id"]):
            raise _Failed("form")
        return reply

    def kill(self) -> None:
        if self.proc is None or self.owner != os.getpid():
            return
        self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass

    def forget(self) -> None:
        """In a forked copy of the grader: let go of a worker that belongs to the parent (never kill it)."""
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout):
                try:
                    if pipe is not None:
                        os.close(pipe.fileno())
                except (OSError, ValueError):
                    pass
            if isinstance(self.proc, _ForkedProcess):
                self.proc.close()
            self.proc = None


def _well_formed(reply: dict, rid: int) -> bool:
    names = reply.get("names", [])
    return (
        reply.get("id") == rid
        and isinstance(reply.get("ok"), bool)
        and isinstance(reply.get("message"), str)
        and len(reply["message"]) <= MAX_MESSAGE_CHARS
        and isinstance(names, list)
        and len(names) <= MAX_NAMES
        and all(isinstance(n, str) for n in names)
    )


#: Verdicts kept per process (:class:`Workers`): a class's students often hand in the same answer text.
REMEMBERED = 4096


class Workers:
    """A process's idle workers: each judgement takes one (or starts one), and gives it back unless it failed.

    ``ask`` never raises: a failure of the worker is a failed verdict with its reason. A verdict the worker
    gave is remembered for the very same request (the answer's text, the reference's, the symbols, the seed or
    the public values: a judgement is a function of these alone), so an answer a class hands in many times is
    judged once; a failure of the worker (time, crash, start, form, memory) is never remembered."""

    def __init__(self, seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES, keep: int = KEEP):
        self.seconds, self.memory_bytes, self.keep = seconds, memory_bytes, keep
        self._remembered: collections.OrderedDict[str, dict] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._ids = itertools.count(1)
        self._owner = os.getpid()

    def _forget_if_forked(self) -> None:  # under the lock
        if self._owner != os.getpid():
            for w in self._idle:
                w.forget()
            self._idle, self._owner = [], os.getpid()

    def after_fork(self) -> None:
        """In a forked child: a fresh lock (another thread may have held it at the fork), no inherited worker."""
        self._lock = threading.Lock()
        self._forget_if_forked()

    def warm(self) -> None:
        """Start a worker in the background unless one is idle (it imports SymPy while the grader goes on)."""
        with self._lock:
            self._forget_if_forked()
            if not self._idle:
                self._idle.append(_Worker(self.memory_bytes))

    def pids(self) -> list[int]:
        """The idle workers' process ids (for tests and diagnostics)."""
        with self._lock:
            self._forget_if_forked()
            return [w.pid for w in self._idle if w.pid is not None]

    def _take(self) -> _Worker:
        with self._lock:
            self._forget_if_forked()
            while self._idle:
                w = self._idle.pop()
                if w.alive():
                    return w
                w.kill()
        return _Worker(self.memory_bytes)

    def _give(self, w: _Worker) -> None:
        with self._lock:
            if w.owner == os.getpid() == self._owner and len(self._idle) < self.keep and w.alive():
                self._idle.append(w)
                return
        w.kill()

    def ask(self, request: dict) -> dict:
        """The worker's reply to ``request`` (an ``id`` is added), or ``{"ok": False, "message": why}``."""
        key = json.dumps(request, sort_keys=True)
        with self._lock:
            if key in self._remembered:
                self._remembered.move_to_end(key)
                return dict(self._remembered[key])
        reply = self._ask(request)
        if not reply.get("failed") and not reply.get("restart"):  # a memory or nesting failure: not remembered
            with self._lock:
                self._remembered[key] = dict(reply)
                while len(self._remembered) > REMEMBERED:
                    self._remembered.popitem(last=False)
        return {k: v for k, v in reply.items() if k != "failed"}

    def _ask(self, request: dict) -> dict:
        for attempt in range(2):
            with self._lock:
                rid = next(self._ids)
            w = self._take()
            try:
                reply = w.ask({**request, "id": rid}, self.seconds)
            except _Failed as failure:
                w.kill()
                if failure.kind == "crash" and attempt == 0:
                    continue  # a worker killed from outside costs nothing: a fresh one tries the answer again
                if failure.kind == "time":
                    self.warm()  # the next answer need not wait for SymPy's import
                message = {
                    "time": time_message(self.seconds),
                    "crash": CRASHED,
                    "start": NOT_STARTED,
                    "form": OUT_OF_FORM,
                }[failure.kind]
                return {"ok": False, "message": message, "names": [], "failed": True}
            if reply.get("restart"):
                w.kill()
            else:
                self._give(w)
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Stop the idle workers (those of this process only)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for w in idle:
            w.kill()


WORKERS = Workers()
atexit.register(_close_templates)  # registered first, so it runs after the workers are stopped
atexit.register(WORKERS.close)
os.register_at_fork(after_in_child=WORKERS.after_fork)
os.register_at_fork(after_in_child=_forget_templates)


def _verdict(request: dict, workers: Workers | None) -> Verdict:
    text = request.get("answer")
    if not isinstance(text, str) or len(text) > MAX_SREPR_CHARS:
        return Verdict(False, "the answer is not SymPy text of a sensible size")
    reply = (workers or WORKERS).ask(request)
    return Verdict(reply["ok"], reply["message"], tuple(reply.get("names", ())))


def equivalent(
    answer: str,
    expected: str,
    symbols: list[str],
    seed: int | None = None,
    workers: Workers | None = None,
    functions: Mapping[str, str] | None = None,
) -> Verdict:
    """Whether the student's ``srepr`` text ``answer`` equals ``expected`` as a function of ``symbols`` (their
    ``srepr``), judged in a worker by :func:`autograder.symbolic.equivalent` at points drawn from ``seed`` (the
    grading seed; without one, a seed derived from the question). ``functions``: the undefined functions the
    answer may apply (name -> ``srepr`` of the definition in ``x``: :func:`autograder.symbolic.definitions`)."""
    if seed is None:
        seed = derived_seed(expected, *symbols)
    request = {"task": "equivalent", "answer": answer, "expected": expected, "symbols": symbols, "seed": int(seed)}
    return _verdict({**request, "functions": dict(functions or {})}, workers)


def public(
    answer: str,
    at: Mapping,
    symbols: list[str],
    task: str = "equivalent",
    workers: Workers | None = None,
    functions: Mapping[str, str] | None = None,
) -> Verdict:
    """A public run's judgement of the student's ``srepr`` text ``answer`` against the values public data shipped
    for the reference's answer (``at``): by equivalence at the shipped points (:func:`autograder.symbolic.agrees_at`)
    or, with ``task="asymptotic"`` (``symbols`` in the limits' order), by the count rebuilt from its grid
    (:func:`~autograder.symbolic.from_grid`), judged as grading judges it; ``functions`` as for :func:`equivalent`."""
    request = {"task": task, "answer": answer, "at": at, "symbols": symbols, "functions": dict(functions or {})}
    return _verdict(request, workers)


def asymptotic(
    answer: str,
    exact: str,
    order: list[str],
    workers: Workers | None = None,
    functions: Mapping[str, str] | None = None,
) -> Verdict:
    """Whether ``answer``/``exact`` → 1 with the limits taken in ``order`` (symbols' ``srepr``), in a worker
    (:func:`autograder.symbolic.asymptotically_equivalent`); ``functions`` as for :func:`equivalent`."""
    request = {"task": "asymptotic", "answer": answer, "expected": exact, "symbols": order}
    return _verdict({**request, "functions": dict(functions or {})}, workers)


def symbol_names(answer: str, workers: Workers | None = None, functions: Mapping[str, str] | None = None) -> Verdict:
    """The names of the free symbols of the student's ``srepr`` text (``Verdict.names``), read in a worker;
    not ok, with the reason, when the text is not an answer the grader can read (``functions`` as for
    :func:`equivalent`)."""
    return _verdict({"task": "names", "answer": answer, "functions": dict(functions or {})}, workers)


def critical_set(
    solutions: list[dict[str, str]],
    gradient: list[str] | list[Mapping],
    symbols: list[str],
    seed: int,
    cover: bool,
    workers: Workers | None = None,
) -> Verdict:
    """Whether the student's solution families (dicts symbol name -> ``srepr`` text) form the critical set of
    ``gradient`` (the grader's ``srepr`` texts in ``symbols``; in a public run, the grids public data shipped,
    :func:`autograder.symbolic.grid_values`), judged in a worker by :func:`autograder.symbolic.critical_set`:
    every family zeroes the gradient and, with ``cover``, together they hold the origin and the points (t, 1/t)
    drawn from ``seed``."""
    shipped = bool(gradient) and all(isinstance(g, Mapping) for g in gradient)
    request = {
        "task": "critical_set",
        "answer": json.dumps(solutions),
        "gradient_at" if shipped else "gradient": list(gradient),
        "symbols": list(symbols),
        "seed": int(seed),
        "cover": bool(cover),
    }
    return _verdict(request, workers)
