"""Parent side of the sandbox: start the child, send it programs, read its replies under deadlines.

Isolation in force here (:mod:`autograder.sandbox.isolation` adds the layers this machine allows: a
dedicated uid, a tmpfs of its own for the sandbox's folder, network, mount, PID and IPC namespaces, a
filesystem view, no-new-privileges and a seccomp filter; ``autograder doctor`` lists them):
- the child is ``python -I -S -B`` with a ``sys.path`` of a private runtime folder (the child package and
  symlinks to NumPy, SymPy, mpmath, array-api-compat) plus the stdlib; the grader, ``solutions/`` and
  every expected value are not importable, and site-packages (``.pth`` hooks, ``sitecustomize``) is not read;
- its working directory is a fresh temporary folder holding only copies of the submission's ``.py`` files;
- a minimal environment, one BLAS thread, resource limits on CPU time, address space, file size and
  core dumps, a new session (so the whole process group is killed after a timeout);
- replies are read with a deadline and a size cap (the request's ``reply_bytes``, derived by the grader from the
  expected values; a longer frame is refused from its length prefix, unread), their values counted before
  JSON parses them, then validated by :mod:`autograder.sandbox.wire`. A reply that breaks the protocol (over the
  cap, malformed, not asked for) kills the child and is recorded in :attr:`Sandbox.refused`.

A request is one program (:meth:`Sandbox.send`) or a batch of them (:meth:`Sandbox.send_cases`, one request for
a submission's cases), answered one reply per program, in order, each with the request's id and its index.

Children are forked by a zygote (:mod:`autograder.sandbox.zygote`) that has imported NumPy and SymPy once,
so a submission's child starts in milliseconds; each fork confines itself exactly as a started child does.
``AUTOGRADER_ZYGOTE=0`` starts every child from scratch instead.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import forkserver, isolation, wire
from .child import stops_batch
from .runtime import child_environment, compiled_runtime_dir, runtime_dir

MAX_SOURCE_BYTES = 1_000_000
MARKER = ".importing-"  # the child's marker of an import under way (child.Submission)
#: The least time a reply is waited for once the caller asks for it, whenever it was sent (see Sandbox.receive).
LATE_READ_SECONDS = 2.0
DEFAULT_LIMITS = {"cpu": 120, "as": 4 * 1024**3, "fsize": 16 * 1024**2, "core": 0}


def copy_sources(files: dict[str, Path], dest: Path) -> list[str]:
    """Copy the submission's Python files (regular files only, size-capped); returns notes on skipped ones."""
    notes = []
    for name, path in sorted(files.items()):
        if path.is_symlink() or not path.is_file():
            notes.append(f"{name}: skipped (not a regular file)")
            continue
        if path.stat().st_size > MAX_SOURCE_BYTES:
            notes.append(f"{name}: skipped (larger than {MAX_SOURCE_BYTES} bytes)")
            continue
        shutil.copyfile(path, dest / name)
    return notes


class Sandbox:
    """One student's code, evaluated in a child process that is restarted after a timeout or a crash."""

    def __init__(
        self,
        files: dict[str, Path],
        limits: dict | None = None,
        startup_seconds: float = 30.0,
        preload: tuple[str, ...] = (),
    ):
        isolation.require_limits()
        self.root = Path(tempfile.mkdtemp(prefix=f"{isolation.SCRATCH_PREFIX}{os.getpid()}-"))
        self.mounted = isolation.in_force()["disk"]["on"] and isolation.mount_scratch(str(self.root))
        self.folder = self.root / "submission"
        self.folder.mkdir()
        self.notes = copy_sources(files, self.folder)
        self.log_path = self.root / "output.log"
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.startup_seconds = startup_seconds
        self.preload = preload
        self.proc: subprocess.Popen | None = None
        self.ready = False
        self.restarts = 0  # children started again after one died or was killed
        self.request_id = 0  # every request carries the next id; the child echoes it in its reply
        self._inflight: _InFlight | None = None  # the request whose replies are still to come
        self._pending: list[memoryview] = []  # what the child's pipe has not taken yet of the request in flight
        self._broken = False  # the pipe broke while the request in flight was written
        self.refused: str | None = None  # why the last reply broke the protocol (the child was then killed)
        self.uid_claim = None
        if isolation.in_force()["uid"]["on"]:
            self.uid_claim = isolation.claim_uid()
            if self.uid_claim is None:
                isolation.turn_off("uid", f"all {isolation.UID_SLOTS} dedicated uids are in use")
            else:  # the child's own folder; the runtime and sources stay root's
                uid = self.uid_claim[0]
                for path in (self.root, self.folder):
                    os.chown(path, uid, uid)
                    os.chmod(path, 0o700)

    @property
    def uid(self) -> int | None:
        """The dedicated uid the child runs as, or None when it runs as the grader's."""
        return self.uid_claim[0] if self.uid_claim is not None else None

    def start(self) -> None:
        """Start the child (or the zygote it will be forked from) now without waiting for it, so its start-up
        overlaps the grader's own work."""
        if self.proc is None and self._use_zygote():
            forkserver.zygote_for(self._zygote_key(), self._launch_zygote)  # forks at the first request
        elif self.proc is None:
            self._spawn()

    def _use_zygote(self) -> bool:
        return forkserver.enabled()

    def _zygote_key(self) -> tuple:
        return (str(runtime_dir()), self.preload)

    # -- process management -------------------------------------------------------------------
    def _spawn(self) -> None:
        rt = runtime_dir()
        folder, log = str(self.folder), str(self.log_path)
        uid = self.uid if isolation.in_force()["uid"]["on"] else None
        if uid is None and self.uid_claim is not None:  # the uid layer went off: the folder is the grader's again
            for path in (self.root, self.folder):
                os.chown(path, os.getuid(), os.getgid())
        prefix, spec = isolation.launch(str(rt), str(self.root), folder, self.limits, uid)
        if not prefix and self._use_zygote():
            try:
                zygote = forkserver.zygote_for(self._zygote_key(), self._launch_zygote)
                self.proc = zygote.spawn({"folder": folder, "log": log, "confine": spec})
                self.ready = False
                return
            except forkserver.ZygoteError as exc:
                print(f"autograder: starting the child without a zygote ({exc})", file=sys.stderr)
        rt = compiled_runtime_dir()  # a child started afresh reads its package's bytecode, never compiles it
        boot = (
            f"import sys; sys.path[:0] = [{str(rt)!r}]; sys.path.append({folder!r}); "
            f"from _agchild.isolation import confine; confine({spec!r}); "
            f"from _agchild.child import main; main({folder!r}, {log!r}, {self.preload!r})"
        )
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-I", "-S", "-B", "-c", boot],
            cwd=self.folder,
            env=child_environment(folder),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
        self.ready = False

    def _launch_zygote(self, fd: int) -> subprocess.Popen:
        """Start a zygote on socket ``fd``: the child's interpreter and path, NumPy and the preload imported."""
        return forkserver.launch(fd, self.preload)

    def _wait_ready(self) -> None:
        for _ in range(len(isolation.LAYERS) + 1):
            reply = self._ready_reply()
            failed = reply.get("confine_error") if isinstance(reply, dict) else None
            if not isinstance(failed, dict):
                break
            self.kill()  # a layer failed before any student code ran: go on without it, and say so
            isolation.turn_off(str(failed.get("layer")), str(failed.get("message")))
            self._spawn()
        for layer in ("fs", "uid"):
            if reply == repr(EOFError()) and isolation.in_force()[layer]["on"]:
                reply = self._try_without(layer, reply)
        if not (isinstance(reply, dict) and reply.get("ready")):
            self.kill()
            raise RuntimeError(f"the sandbox child did not start: {reply}")
        self.ready = True

    def _ready_reply(self) -> Any:
        """The child's first frame (``{"ready": true}`` or a ``confine_error``), else why none came."""
        try:
            return self._read(time.monotonic() + self.startup_seconds, wire.READY_BYTES)
        except (TimeoutError, EOFError, wire.WireError) as exc:
            return repr(exc)

    def _try_without(self, layer: str, reply: Any) -> Any:
        """The child died before it was ready (a library its view lacks, files its uid cannot read, on a
        machine laid out differently?): try once without that layer; if that starts, go on without it."""
        self.kill()
        why = {
            "fs": "the child did not start inside the view (does the Python installation need files outside it?)",
            "uid": "the child did not start as the dedicated uid (can that uid read the Python installation?)",
        }[layer]
        before = isolation.turn_off(layer, why, quiet=True)
        self._spawn()
        second = self._ready_reply()
        if isinstance(second, dict) and second.get("ready"):
            isolation.restore(before)
            isolation.turn_off(layer, why)
            return second
        isolation.restore(before)
        return reply

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc = None
        self._pending, self._broken, self._inflight = [], False, None
        if self.uid_claim is not None and not isolation.in_force()["pid"]["on"]:
            # daemons that left the process group (without a PID namespace, whose end kills them)
            isolation.kill_uid(self.uid_claim[0])

    def close(self) -> None:
        self.kill()
        isolation.release_uid(self.uid_claim)
        self.uid_claim = None
        if self.mounted:
            isolation.unmount_scratch(str(self.root))
            self.mounted = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def import_markers(self) -> list[str]:
        """The modules whose import never finished in this sandbox (the child's ``.importing-*`` markers)."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return []
        stems = {Path(n).stem for n in os.listdir(self.folder) if n.endswith(".py")}
        return sorted(n[len(MARKER) :] for n in names if n.startswith(MARKER) and n[len(MARKER) :] in stems)

    def carry_markers(self, modules: list[str]) -> None:
        """Mark these modules' imports as never finished here too (from an earlier sandbox of the submission),
        so a module that hung or crashed at import is not run again in a fresh child."""
        stems = {p.stem for p in self.folder.glob("*.py")}
        for module in modules:
            if module in stems:
                (self.folder / f"{MARKER}{module}").touch()

    def output(self, limit: int = 2000) -> str:
        """The first characters the student's code printed (stdout and stderr), for the feedback."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read(limit).decode("utf-8", "replace")
        except OSError:
            return ""

    # -- I/O under a deadline ---------------------------------------------------------------------
    def _read_exact(self, n: int, deadline: float) -> bytearray:
        """``n`` bytes of the child's protocol, read into one buffer (no second copy of a large reply; the wire's
        arrays are views of it). A request still being written goes out meanwhile (:meth:`_flush`)."""
        fd = self.proc.stdout.fileno()
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        while got < n:
            left = deadline - time.monotonic()
            out = [self.proc.stdin.fileno()] if self._pending else []
            ready, writable, _ = select.select([fd], out, [], max(0.0, left))
            if writable:
                self._flush()
            if not ready:
                if writable and left > 0:
                    continue
                raise TimeoutError
            read = os.readv(fd, [view[got : got + (1 << 20)]])
            if not read:
                raise EOFError
            got += read
        view.release()
        return buf

    def _read(self, deadline: float, max_bytes: int) -> Any:
        """One frame; over ``max_bytes`` it is refused from its length prefix and its body never read."""
        (length,) = struct.unpack(">Q", self._read_exact(8, deadline))
        if length > max_bytes:
            raise wire.FrameTooLarge(f"a reply of {length} bytes, over the {max_bytes} bytes this request allows")
        return wire.parse_frame(self._read_exact(length, deadline))

    def _flush(self) -> None:
        """Write what the child's pipe takes now of the request under way (never blocks)."""
        fd = self.proc.stdin.fileno()
        os.set_blocking(fd, False)
        while self._pending:
            try:
                sent = os.writev(fd, self._pending[:64])
            except BlockingIOError:
                return
            while sent and self._pending:
                first = self._pending[0]
                if sent >= len(first):
                    sent -= len(first)
                    self._pending.pop(0)
                else:
                    self._pending[0] = first[sent:]
                    sent = 0

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=1.0) if self.proc else None
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            why = {
                "SIGXCPU": "the CPU-time limit",
                "SIGSEGV": "a segmentation fault",
                "SIGKILL": "a kill (memory or time limit)",
            }.get(name, name)
            return f"the student's code crashed the evaluator ({why})"
        return f"the student's code ended the evaluator (exit status {code})"

    # -- the public calls: one request in flight at a time --------------------------------------------
    def run(self, request: dict | wire.Message, seconds: float) -> dict:
        """Send one program and wait for its reply (:meth:`send`, then :meth:`receive`)."""
        self.send(request, seconds)
        return self.receive()

    def child_cpu(self) -> float | None:
        """The CPU seconds the running child says it has used (:func:`child.cpu_seconds`), or None when no child
        is running or it does not answer in the protocol's form. For benchmarks only: the child runs the
        student's code, so what it says is never used for a verdict or a limit."""
        if self.proc is None or not self.ready or self._inflight is not None:
            return None
        usage = self.run({"rusage": True}, 2.0).get("rusage")
        if not isinstance(usage, dict) or not all(isinstance(usage.get(k), float) for k in ("user", "system")):
            return None
        return usage["user"] + usage["system"]

    def send(self, request: dict | wire.Message, seconds: float) -> None:
        """Send one program (a request dict, or a :class:`wire.Message` encoded once for many submissions; its
        id, ``seconds`` and reply cap are added to the frame, the body is not encoded again) without waiting for
        its reply, so the caller can work (judge the previous reply) while the child computes this one.

        The reply may take ``request["reply_bytes"]`` bytes (else :data:`wire.DEFAULT_REPLY_BYTES`); the child is
        told the cap and keeps under it. A child that died (or was killed) since the last reply is started again
        first. What the pipe does not take at once goes out while :meth:`receive` waits."""
        body = request if isinstance(request, wire.Message) else wire.message(request)
        cap = _cap(body.reply_bytes)
        self._transmit(lambda id: body.frame(id=id, seconds=seconds, reply_bytes=cap), [cap], seconds, False)

    def send_cases(self, messages: list[wire.Message], seconds: float) -> None:
        """Send several programs in one request (:func:`wire.batch`: each case's message as encoded once for a
        class), each to be run for at most ``seconds``; the child answers each as soon as it has run it, so
        :meth:`receive` gives one reply per case, in order, while the child computes the next. A reply that
        ends the batch (:func:`~autograder.sandbox.child.stops_batch`: a timeout, a crash, a death, a refusal)
        is the last one: :attr:`awaiting` is then 0, and the cases after it are the caller's to send again."""
        if not messages:
            raise ValueError("no case to send")
        caps = [_cap(m.reply_bytes) for m in messages]
        self._transmit(lambda id: wire.batch(messages, id=id, seconds=seconds), caps, seconds, True)

    @property
    def awaiting(self) -> int:
        """How many replies the request in flight still has to come (0: none is in flight)."""
        return 0 if self._inflight is None else len(self._inflight.caps) - self._inflight.index

    def abandon(self) -> None:
        """Give up the replies still to come: the child computing them is killed (the next request starts a new
        one), so nothing it sends later is taken for the reply to another request."""
        if self._inflight is not None:
            self.kill()

    def _transmit(self, frame: Any, caps: list[int], seconds: float, batch: bool) -> None:
        if self._inflight is not None:
            raise RuntimeError("a request is already in flight: receive its replies first")
        self.refused = None
        if self.proc is not None and self.proc.poll() is not None:
            self.kill()
        if self.proc is None:
            self.restarts += self.ready  # a child that was ready before died or was killed
            self._spawn()
        if not self.ready:
            self._wait_ready()
        self.request_id += 1
        parts = frame(self.request_id)
        self._inflight = _InFlight(self.request_id, caps, seconds, time.monotonic(), batch)
        self._pending = [memoryview(p).cast("B") for p in parts if len(p)]
        try:
            self._flush()
        except (BrokenPipeError, ConnectionResetError):
            self._pending = []
            self._broken = True

    def receive(self) -> dict:
        """The next reply to the request in flight, or ``{"timeout": seconds}`` / ``{"died": message}``.

        Its deadline is ``seconds`` + 2 s from when it was sent (in a batch: from when the previous case's reply
        was read; the child's own timer stops each program at ``seconds``), and never less than
        :data:`LATE_READ_SECONDS` from now, so a reply that came while the caller was busy is read, not taken
        for a timeout. A reply that breaks the protocol (over the cap, malformed, too many values, not the one
        asked for) kills the child, comes back as ``{"died": ...}`` and sets :attr:`refused` (which every
        request resets). A timeout, a death or a refusal ends the request: no further reply of a batch comes."""
        flight = self._inflight
        if flight is None:
            raise RuntimeError("no request in flight")
        index, cap = flight.index, flight.caps[flight.index]
        flight.index += 1
        if flight.index == len(flight.caps):
            self._inflight = None
        deadline = max(flight.since + flight.seconds + 2.0, time.monotonic() + LATE_READ_SECONDS)
        try:
            if self._broken:
                raise BrokenPipeError
            reply = self._read(deadline, cap)
            for _ in range(4):  # a late reply to an earlier request (a forged twin was taken for it): skip
                if not flight.earlier(reply, index):
                    break
                reply = self._read(deadline, cap)
        except TimeoutError:
            self.kill()
            return {"timeout": flight.seconds}
        except (EOFError, BrokenPipeError, ConnectionResetError):
            time.sleep(0.01)
            message = self._death()
            self.kill()
            return {"died": message}
        except wire.FrameTooLarge as exc:
            return self._refuse(f"the evaluator's channel carried {exc} (written by your code)")
        except wire.WireError as exc:
            return self._refuse(f"the evaluator sent a malformed reply ({exc})")
        if self._pending:  # the child answered before it read the whole request: not the child's own reply
            return self._refuse("the evaluator's channel carried a reply to an unread request (written by your code)")
        if not isinstance(reply, dict):
            return self._refuse("the evaluator sent a malformed reply")
        if reply.pop("id", None) != flight.id or (flight.batch and reply.pop("case", None) != index):
            return self._refuse(  # written by the student's code, not by the evaluator
                "the evaluator's channel carried a reply the grader did not ask for (written by your code)"
            )
        flight.since = time.monotonic()
        if reply.get("timeout"):
            reply = {"timeout": flight.seconds}
        if self._inflight is flight and stops_batch(reply):  # the child runs no further case of it
            self._inflight = None
        return reply

    def _refuse(self, why: str) -> dict:
        """A reply that broke the protocol: the child is killed (nothing more is read from it) and ``why`` kept."""
        self.kill()
        self.refused = why
        return {"died": why}


def _cap(reply_bytes: Any) -> int:
    """A request's reply cap: its own where it names a sound one, else :data:`wire.DEFAULT_REPLY_BYTES`."""
    ok = isinstance(reply_bytes, int) and 0 < reply_bytes <= wire.MAX_FRAME_BYTES
    return reply_bytes if ok else wire.DEFAULT_REPLY_BYTES


class _InFlight:
    """The request whose replies are still to come: its id, each reply's cap (one per case of a batch, else
    one), how long each case may run, when the last reply came (or the request went), the next reply's index."""

    __slots__ = ("id", "caps", "seconds", "since", "batch", "index")

    def __init__(self, id: int, caps: list[int], seconds: float, since: float, batch: bool):
        self.id, self.caps, self.seconds, self.since, self.batch, self.index = id, caps, seconds, since, batch, 0

    def earlier(self, reply: Any, index: int) -> bool:
        """Whether ``reply`` answers an earlier request, or an earlier case of this batch."""
        if not (isinstance(reply, dict) and isinstance(reply.get("id"), int)):
            return False
        if reply["id"] < self.id:
            return True
        case = reply.get("case")
        return self.batch and reply["id"] == self.id and isinstance(case, int) and case < index
