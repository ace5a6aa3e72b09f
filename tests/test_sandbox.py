"""The sandboxed child and its parent: results, step statuses, isolation, timeouts, crashes and restarts.

One Sandbox serves the whole module (several student modules side by side); tests that kill the child check
that the next request gets a fresh one.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import wire
from autograder.sandbox.child import conform
from autograder.sandbox.executor import run_steps
from autograder.sandbox.runner import Sandbox

SECONDS = 1.0  # per request; the loops below are stopped after 0.5 s

GOOD = """
import json
import os
import sys

import numpy as np


def double(x):
    return x * 2


def add_in_place(x, y):
    x += y
    return x.sum()


def scale_params(params, k):
    params["W"] *= k
    return params["W"].sum()


def untouched(x):
    return x.copy()


def not_done(x):
    raise NotImplementedError("TODO")


def fails(x):
    return [1, 2][5]


def chatty(x):
    print("MARK-print", x.shape)
    sys.stdout.write("MARK-sys-stdout\\n")
    sys.stdout.flush()
    sys.__stdout__.write("MARK-dunder-stdout\\n")
    sys.__stdout__.flush()
    os.write(1, b"MARK-fd1\\n")
    # bytes that look like a whole reply frame, on the descriptor the protocol used to be on
    os.write(1, _frame('{"steps":[],"returns":[]}'))
    os.write(2, b"\\nMARK-fd2\\n")
    print("MARK-stderr", file=sys.stderr)
    return x + 1


def spin_forever():
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass


def plain_loop():
    while True:
        pass


def hard_exit():
    os._exit(3)


def soft_exit():
    sys.exit()


def soft_exit_code():
    sys.exit(7)


def huge_list():
    return [float(i) for i in range(10**6)]


def oversized():
    return np.zeros(21_000_000, dtype=bool)


class Duck:
    def __array__(self, dtype=None, copy=None):
        return np.arange(4.0).reshape(2, 2)


class BadDuck:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no")


def duck():
    return Duck()


def bad_duck():
    return BadDuck()


def object_array():
    return np.array([1, "a", None], dtype=object)


def partial_dict():
    return {"a": np.zeros(2), "z": 1.0}


def short_tuple():
    return (np.zeros(2),)


def pair():
    return np.ones(2), np.float64(2.0)


def forged_srepr():
    import sympy

    class Forged(sympy.Symbol):
        def _sympyrepr(self, printer):
            return "Integer('not a number')"

    return Forged("x")


def as_bytes(info):
    return np.frombuffer(json.dumps(info).encode(), dtype=np.uint8).copy()


def environment():
    import importlib

    imported = []
    for name in ("autograder", "solutions", "assignments", "source_lib", "autograder.sandbox.wire",
                 "solutions.hw1", "pytest", "hypothesis"):
        try:
            importlib.import_module(name)
            imported.append(name)
        except BaseException:
            pass
    return as_bytes({
        "imported": imported,
        "isolated": sys.flags.isolated,
        "no_site": sys.flags.no_site,
        "path": sys.path,
        "cwd": os.getcwd(),
        "listing": sorted(os.listdir(".")),
        "env": sorted(os.environ),
    })


def numpy_location():
    import mpmath
    import numpy
    import statistics

    return as_bytes({
        "numpy": numpy.__file__, "np_has_ndarray": hasattr(numpy, "ndarray"), "mpmath": mpmath.__file__,
        "statistics": statistics.__file__, "same_numpy": numpy is np,
        "sum": float(numpy.arange(5.0).sum()),
    })


def _protocol_write(data):
    # raw bytes to the evaluator's protocol pipe (the first pipe fd that accepts a write), as forgers do
    import stat
    for fd in range(3, 64):
        try:
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                continue
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            return fd
        except OSError:
            continue
    return None


def _frame(text, binary=b""):
    # a whole frame as the wire writes one: its length, the JSON's length, the JSON, the binary section
    body = len(text.encode()).to_bytes(8, "big") + text.encode() + binary
    return len(body).to_bytes(8, "big") + body


def forge_overlap():
    # a well-formed reply (with the request's id) whose two arrays share their bytes
    ref = '{"$nd":["<f8",[2],0]}'
    text = '{"id":%d,"steps":[],"returns":[%s,%s]}' % (_request_id(), ref, ref)
    text += " " * (-(8 + len(text)) % 64)
    _protocol_write(_frame(text, bytes(16)))
    return np.zeros(1)  # its own reply comes late, and is skipped


def _request_id():
    frame = sys._getframe(1)
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "id" in request:
            return request["id"]
        frame = frame.f_back
    return None


def forge_next_case():
    # during a batch's first case, a reply (with the request's id) that claims to answer its second one
    _protocol_write(_frame('{"id":%d,"case":1,"steps":[],"returns":[]}' % _request_id()))
    return np.zeros(1)


def forge_huge_prefix():
    # a length prefix that claims 1 GiB, and not one byte of the body: only a parent that reads it waits
    import time
    _protocol_write((1 << 30).to_bytes(8, "big"))
    time.sleep(3)
    return np.zeros(1)


def forge_many_values():
    _protocol_write(_frame('{"id":%d,"steps":[],"returns":[[' % _request_id() + "0," * 200_000 + '0]]}'))
    return np.zeros(1)


def forge_deep():
    _protocol_write(_frame('{"id":%d,"steps":[],"returns":[' % _request_id() + "[" * 300 + "]" * 300 + "]}"))
    return np.zeros(1)
"""

FILES = {
    "good.py": GOOD,
    "broken.py": "def f(x):\n    return x +\n",
    "raises.py": "import math\n\nVALUE = 1 / 0\n\ndef f(x):\n    return x\n",
    "numpy.py": "raise RuntimeError('the student numpy.py was imported')\n",
    "mpmath.py": "raise RuntimeError('the student mpmath.py was imported')\n",
    "statistics.py": "raise RuntimeError('the student statistics.py was imported')\n",
}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    src = tmp_path_factory.mktemp("submission")
    files = {}
    for name, text in FILES.items():
        (src / name).write_text(textwrap.dedent(text))
        files[name] = src / name
    sb = Sandbox(files, preload=("sympy",))  # as grading does when a SymPy answer is checked
    sb.start()
    yield sb
    sb.close()


def request(fn: str, args=(), inputs=None, schema=None, module: str = "good", kwargs=None) -> dict:
    """A one-step program as grading.run_case builds it: ``r = fn(*args)``, returning ``r``."""
    inputs = inputs or {}
    return {
        "module": module,
        "inputs": {k: wire.encode(v) for k, v in inputs.items()},
        "steps": [
            {
                "name": "r",
                "fn": fn,
                "args": [{"$ref": [a]} for a in args],
                "kwargs": {k: {"$ref": [v]} for k, v in (kwargs or {}).items()},
            }
        ],
        "returns": [{"label": "r", "ref": ["r"], "schema": schema or {"kind": "array"}}],
    }


def run(sb: Sandbox, req: dict, seconds: float = SECONDS) -> dict:
    reply = sb.run(req, seconds)
    if "returns" in reply:
        reply = dict(reply, returns=[wire.decode(r) for r in reply["returns"]])
    return reply


def info_of(reply: dict) -> dict:
    assert reply["steps"][0]["status"] == "ok", reply
    value = reply["returns"][0]
    assert isinstance(value, np.ndarray) and value.dtype == np.uint8, value
    return json.loads(value.tobytes().decode())


def assert_works(sb: Sandbox) -> None:
    """The sandbox answers a normal request correctly."""
    x = np.array([1.0, -2.5, 3.0])
    reply = run(sb, request("double", ["x"], {"x": x}))
    assert reply["steps"][0]["status"] == "ok", reply
    np.testing.assert_array_equal(reply["returns"][0], 2 * x)


# -- results and statuses --------------------------------------------------------------------------------


def test_result_comes_back(sandbox):
    x = np.arange(6.0).reshape(2, 3) - 2.5
    reply = run(sandbox, request("double", ["x"], {"x": x}))
    (step,) = reply["steps"]
    assert step["status"] == "ok" and step["fn"] == "double" and step["mutated"] == []
    got = reply["returns"][0]
    assert got.dtype == np.float64 and got.shape == (2, 3)
    np.testing.assert_array_equal(got, 2 * x)


def test_int_and_bool_inputs_keep_their_dtype(sandbox):
    reply = run(sandbox, request("untouched", ["x"], {"x": np.array([[1, 2]], dtype=np.int32)}))
    assert reply["returns"][0].dtype == np.int32
    reply = run(sandbox, request("untouched", ["x"], {"x": np.array([True, False])}))
    np.testing.assert_array_equal(reply["returns"][0], [True, False])


def test_mutated_input_is_reported(sandbox):
    x, y = np.arange(3.0), np.ones(3)
    reply = run(sandbox, request("add_in_place", ["x", "y"], {"x": x, "y": y}, {"kind": "scalar"}))
    (step,) = reply["steps"]
    assert step["status"] == "ok"
    assert step["mutated"] == ["x"]
    assert float(np.asarray(reply["returns"][0]).ravel()[0]) == 6.0


def test_mutated_array_inside_a_dict_is_reported_with_its_key(sandbox):
    inputs = {"params": {"W": np.eye(2), "b": np.zeros(2)}, "k": 3.0}
    reply = run(sandbox, request("scale_params", ["params", "k"], inputs, {"kind": "scalar"}))
    assert reply["steps"][0]["mutated"] == ["params['W']"]


def _mutated_by(fn, inputs: dict) -> list[str]:
    """The "mutated" labels run_steps (the executor the child runs) reports for ``fn(params)``."""
    program = {"inputs": inputs, "steps": [{"name": "r", "fn": "f", "args": [{"$ref": ["params"]}], "kwargs": {}}]}
    _, (report,) = run_steps(program, lambda name: fn)
    assert report["status"] == "ok", report
    return report["mutated"]


def test_executor_reports_in_place_change_of_one_of_several_arrays():
    def change_b(params):
        params["b"][1] = 7.0

    assert _mutated_by(change_b, {"params": {"W": np.zeros(2), "b": np.zeros(2)}}) == ["params['b']"]


def test_executor_reports_an_array_replaced_by_a_non_array():
    def replace_w(params):
        params["W"] = 0.0

    assert _mutated_by(replace_w, {"params": {"W": np.zeros(2), "b": np.zeros(2)}}) == ["params['W']"]


def test_executor_reports_a_deleted_array_and_the_right_label():
    def pop_w(params):
        del params["W"]
        params["b"][0] = 5.0

    assert sorted(_mutated_by(pop_w, {"params": {"W": np.zeros(2), "b": np.zeros(2)}})) == [
        "params['W']",
        "params['b']",
    ]


def test_no_mutation_is_reported_for_a_pure_function(sandbox):
    reply = run(sandbox, request("untouched", ["x"], {"x": np.arange(4.0)}))
    assert reply["steps"][0]["mutated"] == []


def test_every_call_gets_a_fresh_copy_of_the_inputs(sandbox):
    req = {
        "module": "good",
        "inputs": {"x": wire.encode(np.arange(3.0)), "y": wire.encode(np.full(3, 10.0))},
        "steps": [
            {"name": "a", "fn": "add_in_place", "args": [{"$ref": ["x"]}, {"$ref": ["y"]}], "kwargs": {}},
            {"name": "b", "fn": "untouched", "args": [{"$ref": ["x"]}], "kwargs": {}},
        ],
        "returns": [
            {"label": "a", "ref": ["a"], "schema": {"kind": "scalar"}},
            {"label": "b", "ref": ["b"], "schema": {"kind": "array"}},
        ],
    }
    reply = run(sandbox, req)
    assert [s["status"] for s in reply["steps"]] == ["ok", "ok"]
    assert reply["steps"][0]["mutated"] == ["x"]
    np.testing.assert_array_equal(reply["returns"][1], [0.0, 1.0, 2.0])


def test_not_implemented(sandbox):
    reply = run(sandbox, request("not_done", ["x"], {"x": np.zeros(1)}))
    (step,) = reply["steps"]
    assert step["status"] == "not_implemented"
    assert reply["returns"] == [{"$error": "not computed"}]


def test_exception_is_an_error_step_with_where(sandbox):
    reply = run(sandbox, request("fails", ["x"], {"x": np.zeros(1)}))
    (step,) = reply["steps"]
    assert step["status"] == "error"
    assert step["error"]["type"] == "IndexError"
    assert any(w.startswith("good.py, line") and "fails" in w for w in step["error"]["where"]), step
    assert reply["returns"] == [{"$error": "not computed"}]


def test_later_steps_depending_on_a_failed_one_are_skipped(sandbox):
    req = request("fails", ["x"], {"x": np.zeros(1)})
    req["steps"].append({"name": "s", "fn": "double", "args": [{"$ref": ["r"]}], "kwargs": {}})
    req["returns"].append({"label": "s", "ref": ["s"], "schema": {"kind": "array"}})
    reply = run(sandbox, req)
    assert [s["status"] for s in reply["steps"]] == ["error", "skipped"]
    assert reply["returns"] == [{"$error": "not computed"}] * 2


def test_missing_function_names_the_file(sandbox):
    reply = run(sandbox, request("nowhere"))
    (step,) = reply["steps"]
    assert step["status"] == "missing"
    assert "good.py" in step["error"]["message"] and "nowhere" in step["error"]["message"]
    assert reply["returns"] == [{"$error": "not computed"}]


def test_missing_file_names_the_file(sandbox):
    reply = run(sandbox, request("f", module="p9_absent"))
    (step,) = reply["steps"]
    assert step["status"] == "missing"
    assert "p9_absent.py" in step["error"]["message"]


def test_syntax_error_says_it_does_not_compile_with_the_line(sandbox):
    reply = run(sandbox, request("f", ["x"], {"x": np.zeros(1)}, module="broken"))
    (step,) = reply["steps"]
    assert step["status"] == "missing"
    message = step["error"]["message"]
    assert "broken.py does not compile" in message
    assert "(line 2)" in message


def test_exception_at_import_says_importing_raised_it(sandbox):
    reply = run(sandbox, request("f", ["x"], {"x": np.zeros(1)}, module="raises"))
    (step,) = reply["steps"]
    assert step["status"] == "missing"
    message = step["error"]["message"]
    assert message.startswith("importing raises.py raised ZeroDivisionError")
    assert "raises.py, line 3" in message
    # the failure is remembered: the second request says the same without importing again
    again = run(sandbox, request("f", ["x"], {"x": np.zeros(1)}, module="raises"))
    assert again["steps"][0]["error"]["message"] == message


# -- the student's output --------------------------------------------------------------------------------


def test_prints_do_not_corrupt_replies_and_are_shown(sandbox):
    x = np.arange(3.0)
    reply = run(sandbox, request("chatty", ["x"], {"x": x}))
    assert reply["steps"][0]["status"] == "ok", reply
    np.testing.assert_array_equal(reply["returns"][0], x + 1)
    assert_works(sandbox)  # nothing left in the pipe either
    out = sandbox.output(limit=1_000_000)
    for mark in (
        "MARK-print (3,)",
        "MARK-sys-stdout",
        "MARK-dunder-stdout",
        "MARK-fd1",
        "MARK-fd2",
        "MARK-stderr",
        '{"steps":[],"returns":[]}',
    ):
        assert mark in out, (mark, out)
    assert len(sandbox.output(limit=10)) == 10


# -- isolation -------------------------------------------------------------------------------------------


def test_child_is_isolated(sandbox):
    info = info_of(run(sandbox, request("environment")))
    assert info["imported"] == []
    assert info["isolated"] == 1
    assert info["no_site"] == 1
    assert not [p for p in info["path"] if "site-packages" in p or "dist-packages" in p], info["path"]
    assert not [p for p in info["path"] if p in ("", ".") or Path(p).resolve() == Path.cwd().resolve()]
    assert info["path"][-1] == str(sandbox.folder)  # the submission comes last: it shadows nothing
    assert Path(info["cwd"]).resolve() == sandbox.folder.resolve()
    assert info["listing"] == sorted(FILES)
    assert not {"PYTHONPATH", "PYTHONSTARTUP", "VIRTUAL_ENV"} & set(info["env"])


def test_student_modules_named_like_libraries_shadow_nothing(sandbox):
    info = info_of(run(sandbox, request("numpy_location")))
    folder = str(sandbox.folder.resolve())
    for lib in ("numpy", "mpmath", "statistics"):
        assert not str(Path(info[lib]).resolve()).startswith(folder), info
    assert info["np_has_ndarray"] and info["same_numpy"]
    assert info["sum"] == 10.0


# -- conform: the form of the returned values ------------------------------------------------------------


def test_conform_duck_with_array_interface():
    class Duck:
        def __array__(self, dtype=None, copy=None):
            return np.arange(3, dtype=np.float32)

    got = wire.decode(conform(Duck(), {"kind": "array"}))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [0, 1, 2])


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_conform_subclass_becomes_plain_ndarray():
    got = wire.decode(conform(np.matrix([[1.0, 2.0]]), {"kind": "array"}))
    assert type(got) is np.ndarray and got.shape == (1, 2)


@pytest.mark.parametrize(
    "value",
    [np.array([1, "a"], dtype=object), ["a", "b"], np.array(["x"]), np.zeros(2, dtype="datetime64[s]"), {"a": 1}, None],
    ids=["object", "strings", "unicode", "datetime", "dict", "None"],
)
def test_conform_non_numeric_is_an_error(value):
    got = conform(value, {"kind": "array"})
    assert set(got) == {"$error"}
    assert "not numeric" in got["$error"]


def test_conform_hostile_array_interface_is_an_error():
    class Bad:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("no")

    assert conform(Bad(), {"kind": "array"}) == {"$error": "could not read the returned value (RuntimeError)"}


def test_conform_dict_missing_and_extra_keys_are_named():
    schema = {"kind": "dict", "items": {"a": {"kind": "array"}, "b": {"kind": "array"}}}
    got = conform({"a": np.zeros(1), "c": 2.0}, schema)
    assert set(got) == {"$error"}
    assert "missing keys ['b']" in got["$error"] and "extra keys ['c']" in got["$error"]
    ok = wire.decode(conform({"b": np.ones(1), "a": np.zeros(1)}, schema))
    assert list(ok) == ["a", "b"]
    assert conform([1], schema) == {"$error": "returned list, expected a dict"}


def test_conform_tuple_of_wrong_length_is_reported():
    schema = {"kind": "tuple", "items": [{"kind": "array"}, {"kind": "array"}]}
    got = conform((np.zeros(1), np.zeros(1), np.zeros(1)), schema)
    assert got == {"$error": "returned a tuple of 3 items, expected 2"}
    assert conform([np.zeros(1)], schema) == {"$error": "returned a list of 1 items, expected 2"}
    assert conform(np.zeros(2), schema) == {"$error": "returned ndarray, expected a tuple of 2"}
    good = wire.decode(conform([np.zeros(1), 3], schema))
    assert type(good) is tuple and len(good) == 2


def test_conform_bool_and_sympy_kinds():
    import sympy as sp

    assert conform(np.bool_(False), {"kind": "bool"}) is False
    assert "expected a bool" in conform(1, {"kind": "bool"})["$error"]
    assert conform(sp.Symbol("x") + 1, {"kind": "sympy"}) == {"$srepr": sp.srepr(sp.Symbol("x") + 1)}
    assert conform(2, {"kind": "sympy"}) == {"$srepr": "Integer(2)"}
    assert "expected a SymPy expression" in conform("x + 1", {"kind": "sympy"})["$error"]
    assert conform(1, {"kind": "nonsense"}) == {"$error": "unknown schema nonsense"}


def test_conform_scalar_keeps_zero_dimensions():
    got = wire.decode(conform(2.5, {"kind": "scalar"}))
    assert got.shape == ()


def test_conform_in_the_child(sandbox):
    reply = run(sandbox, request("duck"))
    np.testing.assert_array_equal(reply["returns"][0], np.arange(4.0).reshape(2, 2))
    assert run(sandbox, request("bad_duck"))["returns"][0] == {
        "$error": "could not read the returned value (RuntimeError)"
    }
    assert "not numeric" in run(sandbox, request("object_array"))["returns"][0]["$error"]
    schema = {"kind": "dict", "items": {"a": {"kind": "array"}, "b": {"kind": "scalar"}}}
    err = run(sandbox, request("partial_dict", schema=schema))["returns"][0]["$error"]
    assert "missing keys ['b']" in err and "extra keys ['z']" in err
    schema = {"kind": "tuple", "items": [{"kind": "array"}, {"kind": "scalar"}]}
    assert run(sandbox, request("short_tuple", schema=schema))["returns"][0] == {
        "$error": "returned a tuple of 1 items, expected 2"
    }
    a, b = run(sandbox, request("pair", schema=schema))["returns"][0]
    np.testing.assert_array_equal(a, [1.0, 1.0])
    assert float(np.asarray(b).ravel()[0]) == 2.0


def test_student_controls_the_srepr_text(sandbox):
    """The srepr text the parent parses is whatever the student's object prints: the parser must hold."""
    reply = run(sandbox, request("forged_srepr", schema={"kind": "sympy"}))
    assert reply["returns"] == [{"$srepr": "Integer('not a number')"}]


def test_forged_srepr_is_an_answer_error():
    from autograder.symbolic import AnswerError, parse_srepr

    with pytest.raises(AnswerError):
        parse_srepr("Integer('not a number')")


# -- big values ------------------------------------------------------------------------------------------


def test_huge_list_comes_back(sandbox):
    t0 = time.monotonic()
    reply = run(sandbox, request("huge_list"), seconds=1.5)
    assert time.monotonic() - t0 < 1.5 + 2.5
    assert reply["steps"][0]["status"] == "ok", reply
    got = reply["returns"][0]
    assert got.shape == (10**6,) and got.dtype == np.float64
    assert got[0] == 0.0 and got[-1] == 10**6 - 1


def test_array_over_the_element_limit_is_a_clear_wire_error(sandbox):
    reply = sandbox.run(request("oversized"), 1.5)
    assert reply["steps"][0]["status"] == "ok"
    with pytest.raises(wire.WireError, match="larger than the grader accepts"):
        wire.decode(reply["returns"][0])
    assert_works(sandbox)


# -- timeouts, crashes, restarts -------------------------------------------------------------------------


def test_loop_that_swallows_the_alarm_times_out_and_the_child_restarts(sandbox):
    seconds = 0.5
    before = sandbox.restarts
    t0 = time.monotonic()
    reply = sandbox.run(request("spin_forever"), seconds)
    elapsed = time.monotonic() - t0
    assert reply == {"timeout": seconds}
    assert seconds <= elapsed < seconds + 2.5
    assert sandbox.proc is None  # killed
    assert_works(sandbox)
    assert sandbox.restarts == before + 1


def test_plain_loop_is_stopped_by_the_child_without_a_restart(sandbox):
    assert_works(sandbox)
    seconds = 0.5
    before = sandbox.restarts
    t0 = time.monotonic()
    reply = sandbox.run(request("plain_loop"), seconds)
    assert reply == {"timeout": seconds}
    assert time.monotonic() - t0 < seconds + 1.0
    assert_works(sandbox)
    assert sandbox.restarts == before


def test_os_exit_is_a_died_reply_then_the_next_request_works(sandbox):
    reply = sandbox.run(request("hard_exit"), SECONDS)
    assert set(reply) == {"died"}
    assert "exit status 3" in reply["died"]
    assert_works(sandbox)


@pytest.mark.parametrize("fn, message", [("soft_exit", ""), ("soft_exit_code", "7")])
def test_sys_exit_is_an_error_step_and_the_child_lives(sandbox, fn, message):
    assert_works(sandbox)
    before = sandbox.restarts
    reply = sandbox.run(request(fn), SECONDS)
    (step,) = reply["steps"]
    assert step["status"] == "error"
    assert step["error"]["type"] == "SystemExit"
    assert step["error"]["message"] == message
    assert reply["returns"] == [{"$error": "not computed"}]
    assert_works(sandbox)
    assert sandbox.restarts == before


# -- replies bounded before they are parsed --------------------------------------------------------------


def test_a_frame_over_the_cap_is_refused_from_its_length_prefix(sandbox):
    """The forged prefix claims 1 GiB and no body follows: the parent refuses it at once (it never waits for,
    reads or allocates the body), kills the child and says why in ``refused``."""
    assert_works(sandbox)
    t0 = time.monotonic()
    reply = sandbox.run(request("forge_huge_prefix"), 5.0)
    assert time.monotonic() - t0 < 2.5  # the forger sleeps 3 s after the prefix
    assert set(reply) == {"died"}
    assert "1073741824 bytes, over the" in reply["died"] and "written by your code" in reply["died"]
    assert sandbox.refused == reply["died"]
    assert sandbox.proc is None  # killed: nothing more is read from it
    assert_works(sandbox)
    assert sandbox.refused is None  # every call starts afresh


def test_the_cap_comes_from_the_request(sandbox):
    """The same value is fine under the default cap and refused under a small one; the honest child, told
    the cap, sends an ``$error`` in place of values that do not fit (never a frame over the cap)."""
    req = request("huge_list")
    ok = sandbox.run(req, 2.0)
    assert ok["steps"][0]["status"] == "ok" and isinstance(ok["returns"][0], wire.ArrayRef)
    small = sandbox.run(dict(req, reply_bytes=1_000_000), 2.0)
    assert sandbox.refused is None
    assert small["steps"][0]["status"] == "ok"
    (err,) = small["returns"]
    assert "more than the grader reads for this case (1000000)" in err["$error"], err
    assert_works(sandbox)


@pytest.mark.parametrize(
    ("fn", "why"), [("forge_many_values", "more than 100000 values"), ("forge_deep", "nested more than 200 deep")]
)
def test_a_reply_with_too_many_or_too_deep_values_is_refused(sandbox, fn, why):
    reply = sandbox.run(request(fn), 5.0)
    assert set(reply) == {"died"} and why in reply["died"], reply
    assert sandbox.refused == reply["died"] and sandbox.proc is None
    assert_works(sandbox)


def test_import_markers_carry_over_to_a_fresh_sandbox(tmp_path):
    """A module whose import killed the child is marked; a later sandbox of the same submission (grading's
    hidden checks) counts it as never finished without running its top-level code again."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "dies.py").write_text("import os\nos._exit(5)\n")
    (src / "fine.py").write_text("def f():\n    return 1.0\n")
    files = {p.name: p for p in src.iterdir()}
    with Sandbox(files) as first:
        assert "died" in first.run(request("f", module="dies", schema={"kind": "scalar"}), SECONDS)
        assert first.run(request("f", module="fine", schema={"kind": "scalar"}), SECONDS)["steps"][0]["status"] == "ok"
        markers = first.import_markers()
    assert markers == ["dies"]
    with Sandbox(files) as second:
        assert second.import_markers() == []  # a fresh folder: nothing of the first sandbox is there
        second.carry_markers([*markers, "../escape", "nosuchmodule"])
        assert second.import_markers() == ["dies"]
        (step,) = second.run(request("f", module="dies", schema={"kind": "scalar"}), SECONDS)["steps"]
        assert step["status"] == "missing" and "never finished" in step["error"]["message"]
        assert not (second.folder.parent / "escape").exists()


def test_a_reply_whose_arrays_share_their_bytes_cannot_be_read(sandbox):
    """A forged reply (with the request's id) whose two array references point at the same bytes: a reply,
    but its values are a WireError (no two arrays of a frame alias each other)."""
    reply = sandbox.run(request("forge_overlap"), 5.0)
    first, second = reply["returns"]
    wire.decode(first)
    with pytest.raises(wire.WireError, match="overlap"):
        wire.decode(second)
    assert_works(sandbox)


# -- one request in flight, written while the reply is awaited -------------------------------------------


def test_send_then_receive_and_only_one_request_in_flight(sandbox):
    x = np.arange(3.0)
    sandbox.send(request("double", ["x"], {"x": x}), SECONDS)
    with pytest.raises(RuntimeError, match="in flight"):
        sandbox.send(request("double", ["x"], {"x": x}), SECONDS)
    reply = sandbox.receive()
    np.testing.assert_array_equal(wire.decode(reply["returns"][0]), 2 * x)
    with pytest.raises(RuntimeError, match="no request in flight"):
        sandbox.receive()


def test_a_request_larger_than_the_pipe_is_written_while_the_reply_is_awaited(sandbox):
    """16 MB of inputs: the pipe takes 64 KiB at once, the rest goes out from ``receive``'s wait."""
    x = np.random.default_rng(0).normal(size=2_000_000)
    sandbox.send(request("double", ["x"], {"x": x}), SECONDS)
    assert sandbox._pending  # not all written yet: send never blocks
    reply = sandbox.receive()
    np.testing.assert_array_equal(wire.decode(reply["returns"][0]), 2 * x)


def test_a_reply_that_came_while_the_grader_was_busy_is_read_not_timed_out(sandbox):
    """The caller judged something else for longer than the request's time: the reply is there, and read."""
    seconds = 0.2
    sandbox.send(request("double", ["x"], {"x": np.ones(2)}), seconds)
    time.sleep(seconds + 2.5)
    reply = sandbox.receive()
    assert reply["steps"][0]["status"] == "ok", reply


def test_one_message_is_framed_again_for_each_request_with_its_own_id(sandbox):
    """A request encoded once (as grading keeps it for a class) is sent twice; each frame has its id."""
    message = wire.message(request("double", ["x"], {"x": np.arange(4.0)}))
    first, second = sandbox.run(message, SECONDS), sandbox.run(message, SECONDS)
    for reply in (first, second):
        np.testing.assert_array_equal(wire.decode(reply["returns"][0]), 2 * np.arange(4.0))


def test_the_child_says_its_own_cpu_time_for_benchmarks(sandbox):
    """``child_cpu`` (benchmarks only): the child's own getrusage, growing with the work it does."""
    assert_works(sandbox)
    before = sandbox.child_cpu()
    assert isinstance(before, float) and before > 0
    x = np.ones(2_000_000)
    for _ in range(5):
        assert run(sandbox, request("double", ["x"], {"x": x}))["steps"][0]["status"] == "ok"
    after = sandbox.child_cpu()
    assert after > before
    assert_works(sandbox)  # the protocol goes on as before


# -- batches: one request, one reply per case ---------------------------------------------------------------


def _batch(*requests: dict) -> list[wire.Message]:
    return [wire.message(r) for r in requests]


def _doubles(*sizes: int) -> list[tuple[np.ndarray, dict]]:
    return [(x, request("double", ["x"], {"x": x})) for x in (np.arange(n, dtype=float) - 1.5 for n in sizes)]


def test_a_batch_gets_one_reply_per_case_in_order(sandbox):
    cases = _doubles(1, 4, 3, 0)
    sandbox.send_cases(_batch(*[r for _, r in cases]), SECONDS)
    got = []
    while sandbox.awaiting:
        reply = sandbox.receive()
        assert reply["steps"][0]["status"] == "ok", reply
        got.append(wire.decode(reply["returns"][0]))
    assert len(got) == len(cases)
    for value, (x, _) in zip(got, cases, strict=True):
        np.testing.assert_array_equal(value, 2 * x)
    assert_works(sandbox)


def test_a_timeout_ends_its_batch_and_the_same_child_serves_the_next_request(sandbox):
    (x, first), (_, last) = _doubles(2, 3)
    before = sandbox.restarts
    sandbox.send_cases(_batch(first, request("plain_loop"), last), 0.5)
    np.testing.assert_array_equal(wire.decode(sandbox.receive()["returns"][0]), 2 * x)
    assert sandbox.awaiting == 2
    assert sandbox.receive() == {"timeout": 0.5}
    assert sandbox.awaiting == 0  # the child ran no further case: the grader decides what runs next
    assert_works(sandbox)
    assert sandbox.restarts == before


def test_a_death_in_a_batch_ends_it_and_the_next_request_gets_a_fresh_child(sandbox):
    ((_, after),) = _doubles(2)
    before = sandbox.restarts
    sandbox.send_cases(_batch(request("hard_exit"), after), SECONDS)
    assert "exit status 3" in sandbox.receive()["died"]
    assert sandbox.awaiting == 0
    assert_works(sandbox)
    assert sandbox.restarts == before + 1


def test_a_reply_forged_for_a_later_case_of_the_batch_is_refused(sandbox):
    ((_, after),) = _doubles(2)
    sandbox.send_cases(_batch(request("forge_next_case"), after), SECONDS)
    reply = sandbox.receive()
    assert "did not ask for" in reply["died"] and sandbox.refused
    assert sandbox.awaiting == 0 and sandbox.proc is None  # killed: nothing more is read from it
    assert_works(sandbox)


def test_abandoning_a_batch_kills_the_child_computing_it(sandbox):
    (x, first), (_, second) = _doubles(2, 3)
    sandbox.send_cases(_batch(first, second, request("plain_loop")), SECONDS)
    np.testing.assert_array_equal(wire.decode(sandbox.receive()["returns"][0]), 2 * x)
    sandbox.abandon()
    assert sandbox.awaiting == 0 and sandbox.proc is None
    assert_works(sandbox)  # the next request is not answered with the abandoned batch's replies
