"""The sandboxed child: loads the student's files by path and runs the programs the grader sends.

Started by :mod:`autograder.sandbox.runner` as ``python -I -S -B -c ...`` (or forked by the zygote) with a
private ``sys.path`` (this package, NumPy, SymPy, array-api-compat; never the grader, the solutions or any
expected value) and the submission's temporary folder as working directory. :func:`isolation.confine` has
set its resource limits and other layers before :func:`main` runs; ``main`` moves the protocol to private
descriptors and points fds 0-2 at /dev/null and a capped log file, so nothing the student prints can
corrupt a reply.

It only evaluates: every verdict is made in the parent from the plain numbers and arrays sent back.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from typing import Any

import numpy as np

from . import wire
from .executor import StepTimeout, describe_exception, load_callables, lookup, run_steps


def _redirect_stdio(log_path: str) -> tuple[Any, Any]:
    """Keep the protocol on private fds; the student's stdin is empty and stdout/stderr go to a log."""
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    return proto_in, proto_out


#: Modules the child provides; an import of anything else names them in its message.
PROVIDED = "numpy, sympy, mpmath and the Python standard library"


class Submission:
    """The student's modules, imported lazily by path; an import failure is remembered per module.

    An import that never finishes (an infinite loop, ``os._exit``, a crash at import time) kills the child, and
    the restarted child would import the module again for every function asked of it. So each import leaves
    a marker file beside the sources while it runs; a marker left behind by an earlier child means that
    import never finished, and the module counts as failed to import without running it again.
    """

    def __init__(self, folder: str):
        self.folder = folder
        self.modules: dict[str, Any] = {}

    def _marker(self, module: str) -> str:
        return os.path.join(self.folder, f".importing-{module}")

    def function(self, module: str, name: str):
        if module not in self.modules:
            self.modules[module] = self._load(module)
        mod = self.modules[module]
        if isinstance(mod, Exception):
            raise LookupError(str(mod))
        fn = getattr(mod, name, None)
        if not callable(fn):
            raise LookupError(f"{module}.py has no function {name}()")
        return fn

    def _load(self, module: str):
        path = os.path.join(self.folder, f"{module}.py")
        if not os.path.isfile(path):
            return FileNotFoundError(f"the submission has no file {module}.py")
        marker = self._marker(module)
        if os.path.lexists(marker):
            return ImportError(
                f"importing {module}.py never finished: the evaluator was stopped while running the module's "
                "top-level code (an infinite loop, an exit or a crash at import time)"
            )
        try:
            with open(marker, "w"):
                pass
        except OSError:
            marker = None
        try:
            spec = importlib.util.spec_from_file_location(f"submission_{module}", path)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = mod
            spec.loader.exec_module(mod)
            result = mod
        except StepTimeout:
            self.modules[module] = ImportError(f"importing {module}.py did not finish in time (its top-level code)")
            raise
        except SyntaxError as exc:
            result = ImportError(f"{module}.py does not compile: {_syntax_message(exc)} (line {exc.lineno})")
        except BaseException as exc:
            d = describe_exception(exc, (f"{module}.py",))
            where = f" at {d['where'][-1]}" if d["where"] else ""
            extra = f" (the grader provides {PROVIDED} only)" if isinstance(exc, ModuleNotFoundError) else ""
            result = ImportError(f"importing {module}.py raised {d['type']}: {d['message']}{extra}{where}")
        if marker is not None:
            try:
                os.unlink(marker)
            except OSError:
                pass
        return result


def _syntax_message(exc: SyntaxError) -> str:
    """The compiler's message, in words a student acts on where the file is not UTF-8 text."""
    msg = str(exc.msg)
    if "utf-8" in msg.lower() or "non-utf-8" in msg.lower() or "unicode" in msg.lower():
        return f"the file is not UTF-8 text ({msg}); save it with UTF-8 encoding"
    return msg


def _some(names: list[str], shown: int = 5, width: int = 40) -> str:
    """A few of the student's names, each cut short: the message names the mistake, not all 20,000 keys."""
    cut = [n if len(n) <= width else n[:width] + "..." for n in names[:shown]]
    return f"{cut}" + (f" and {len(names) - shown} more" if len(names) > shown else "")


def conform(value: Any, schema: dict) -> Any:
    """Encode a student's return value in the form the parent asked for, or ``{"$error": why}``."""
    kind = schema["kind"]
    try:
        if kind == "array" or kind == "scalar":
            arr = np.asarray(value)
            if type(arr) is not np.ndarray:
                arr = np.array(arr, copy=True).view(np.ndarray)
            if arr.dtype.hasobject or arr.dtype.kind not in "fiubc":
                return {"$error": f"returned {type(value).__name__} that is not numeric (dtype {arr.dtype})"}
            return wire.encode_array(np.array(arr, copy=True, order="C"))  # a copy: later writes do not reach it
        if kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            return {"$error": f"returned {type(value).__name__}, expected a bool"}
        if kind == "sympy":
            import sympy

            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = sympy.sympify(value)
            if not isinstance(value, sympy.Basic):
                return {"$error": f"returned {type(value).__name__}, expected a SymPy expression"}
            return {"$srepr": sympy.srepr(value)}
        if kind == "tuple":
            items = schema["items"]
            if not isinstance(value, (tuple, list)):
                return {"$error": f"returned {type(value).__name__}, expected a tuple of {len(items)}"}
            if len(value) != len(items):
                return {"$error": f"returned a {type(value).__name__} of {len(value)} items, expected {len(items)}"}
            return {"$tuple": [conform(v, s) for v, s in zip(value, items, strict=False)]}
        if kind == "dict":
            if not isinstance(value, dict):
                return {"$error": f"returned {type(value).__name__}, expected a dict"}
            keys = [str(k) for k in value]
            want = schema["items"]
            missing = [k for k in want if k not in value]
            extra = [k for k in keys if k not in want]
            if missing or extra:
                parts = [f"missing keys {missing}"] if missing else []
                parts += [f"extra keys {_some(extra)}"] if extra else []
                return {"$error": "returned a dict with " + " and ".join(parts)}
            return {"$dict": {k: conform(value[k], s) for k, s in want.items()}}
        if kind == "any":
            return None
    except StepTimeout:
        raise
    except BaseException as exc:
        return {"$error": f"could not read the returned value ({type(exc).__name__})"}
    return {"$error": f"unknown schema {kind}"}


def handle(request: dict, submission: Submission) -> dict:
    program = {
        "inputs": {k: wire.decode(v) for k, v in request["inputs"].items()},
        "steps": request["steps"],
    }
    module = request["module"]
    files = tuple(f"{m}.py" for m in [module])
    callables = load_callables(request.get("callables") or "")  # the assignment's trusted callables' text
    env, reports = run_steps(program, lambda name: submission.function(module, name), files, callables=callables)
    return {"steps": reports, "returns": encode_returns(env, reports, request["returns"])}


def encode_returns(env: dict, reports: list[dict], returns: list[dict]) -> list:
    """The values a program sends back, each in its schema's form (:func:`conform`), or ``{"$error": why}``
    where its step failed or it cannot be indexed."""
    out = []
    failed = {r["name"] for r in reports if r["status"] != "ok"}
    for ret in returns:
        if ret["ref"][0] in failed:
            out.append({"$error": "not computed"})
            continue
        try:
            value = lookup(env, ret["ref"])
        except StepTimeout:
            raise
        except BaseException as exc:
            out.append({"$error": f"could not index the returned value ({type(exc).__name__})"})
            continue
        out.append(conform(value, ret["schema"]))
    return out


def cpu_seconds() -> dict[str, float]:
    """This process's own CPU time so far (``getrusage(RUSAGE_SELF)``: a forked child's count starts at its fork),
    what the grader asks for with ``{"rusage": true}`` to measure the sandbox's cost (benchmarks only: the
    student's code could make the child say anything, so no verdict and no limit uses it)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": usage.ru_utime, "system": usage.ru_stime}


def _on_alarm(signum, frame):
    raise StepTimeout()


def main(folder: str, log_path: str, preload: tuple[str, ...] = ()) -> None:
    """Serve the grader's requests; the process is already confined (:func:`isolation.confine` has set its
    resource limits, namespaces, uid and seccomp filter)."""
    for name in preload:  # e.g. sympy, imported before any student code runs
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    proto_in, proto_out = _redirect_stdio(log_path)
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    except (AttributeError, ValueError):
        pass
    submission = Submission(folder)
    wire.write_frame(proto_out, {"ready": True})
    while True:
        try:
            request = wire.read_frame(proto_in, max_nodes=None, trusted=True)  # the grader's own requests
        except EOFError:
            return
        seconds = float(request.get("seconds", 10.0))
        if "cases" not in request:
            _send(proto_out, _answer(request, submission, seconds), request, request.get("reply_bytes"))
            continue
        try:
            cases = wire.cases_of(request)
        except BaseException as exc:
            _send(proto_out, {"crash": describe_exception(exc)}, request, None, 0)
            continue
        for index, case in enumerate(cases):  # each case's reply goes out as soon as it is computed
            if not _send(proto_out, _answer(case, submission, seconds), request, case.get("reply_bytes"), index):
                break


def stops_batch(reply: Any) -> bool:
    """Whether a case's reply ends the batch it belongs to (:func:`wire.batch`): a timeout, a crash, a death,
    a refusal or a function the child could not find, any of which can change which of the next cases the grader
    runs. Both sides apply it: the child runs no further case of the batch, and the grader
    (:meth:`~autograder.sandbox.runner.Sandbox.receive`) expects no further reply to it."""
    steps = reply.get("steps") if isinstance(reply, dict) else None
    return not isinstance(steps, list) or any(isinstance(s, dict) and s.get("status") == "missing" for s in steps)


def _answer(request: dict, submission: Submission, seconds: float) -> dict:
    """One program run under the request's timer: its reply, ``{"timeout": true}`` or ``{"crash": ...}``."""
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        reply = {"rusage": cpu_seconds()} if request.get("rusage") else handle(request, submission)
        signal.setitimer(signal.ITIMER_REAL, 0)
    except StepTimeout:
        reply = {"timeout": True}
    except BaseException as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        reply = {"crash": describe_exception(exc)}
    return reply


def _send(out: Any, reply: dict, request: dict, cap: Any, case: int | None = None) -> bool:
    """Write one reply, with the request's id (and the case's index in a batch), which let the parent tell it
    from one the student's code wrote itself; whether its batch goes on (:func:`stops_batch`)."""
    if "id" in request:
        reply["id"] = request["id"]
    if case is not None:
        reply["case"] = case
    data, reply = _bounded_frame(reply, cap)
    out.write(data)
    out.flush()
    return not stops_batch(reply)


def _bounded_frame(reply: dict, cap: Any) -> tuple[bytes, dict]:
    """The reply's frame, kept under the parent's cap (``reply_bytes``): the parent refuses a longer frame
    as one the student's code forged, so values too large to send become an ``$error`` each; with the reply
    the frame holds."""
    data = wire.frame_bytes(reply)
    if not isinstance(cap, int) or len(data) - 8 <= cap:
        return data, reply
    why = (
        f"the returned values take {len(data) - 8} bytes, more than the grader reads for this case ({cap}); "
        "check their shapes"
    )
    if isinstance(reply.get("returns"), list):
        reply = dict(reply, returns=[{"$error": why} for _ in reply["returns"]])
        data = wire.frame_bytes(reply)
    if len(data) - 8 > cap:
        ids = {k: reply[k] for k in ("id", "case") if k in reply}
        reply = {"crash": {"type": "ReplyTooLarge", "message": why}, **ids}
        data = wire.frame_bytes(reply)
    return data, reply
