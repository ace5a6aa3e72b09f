"""Finite-difference probes as specifications (issue #14, item 1b): the child expands θ ± h·v itself, with the
same function the grader uses, so the points are the parent's bit for bit; a gradient check's request is
θ once plus a few numbers per probe, so its size does not grow with the number of probes; the directions are
drawn from the case's own (secret) stream; the mutation detector still sees a forward that writes its input."""

from __future__ import annotations

import dataclasses
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest

from autograder.grading import PreparedCase, case_request
from autograder.judges import GradCheck
from autograder.sandbox import probes, wire
from autograder.sandbox.executor import run_steps
from autograder.sandbox.runner import Sandbox

CONV = GradCheck("conv2d_forward", "conv2d_backward", ("x", "w", "b"), ("x", "w", "b"), ("stride", "pad"))
MLP = GradCheck("forward", "backward", ("params", "x"), ("params",), dout="dyhat")

# a "student" whose forward returns every entry of its inputs as they arrived (so the reply shows the points
# the child evaluated at), and whose backward returns zeros of the right shapes
ECHO = """
import numpy as np

def conv2d_forward(x, w, b, stride=1, pad=0):
    return np.concatenate([x.ravel(), w.ravel(), b.ravel()]), None

def conv2d_backward(dout, cache):
    return np.zeros(1), np.zeros(1), np.zeros(1)

def forward(params, x):
    return np.concatenate([params[k].ravel() for k in sorted(params)] + [x.ravel()]), None

def backward(dout, cache):
    return {}

def writes_its_input(x, w, b, stride=1, pad=0):
    x[...] = 0.0
    return x.sum(), None
"""


def conv_inputs(rng: np.random.Generator, n: int = 2, c: int = 3, s: int = 5, f: int = 4) -> dict:
    return {
        "x": rng.standard_normal((n, c, s, s)),
        "w": rng.standard_normal((f, c, 3, 3)),
        "b": rng.standard_normal(f),
        "stride": 1,
        "pad": 1,
        "dout": rng.standard_normal((n, f, s, s)),
    }


def mlp_inputs(rng: np.random.Generator) -> dict:
    params = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal(4), "W2": rng.standard_normal((4, 2))}
    return {"params": params, "x": rng.standard_normal((5, 3)), "dyhat": rng.standard_normal((5, 2))}


def request(judge: GradCheck, inputs: dict) -> PreparedCase:
    """A gradient check's case for the echo module (its values returned as arrays), with its request encoded as
    grading encodes it (:func:`autograder.grading.case_request`; ``.request``)."""
    steps, returns = judge.program(inputs)
    returns = [{"label": label, "ref": path, "schema": {"kind": "array"}} for label, path in returns]
    case = PreparedCase("probes", inputs, steps, returns, [])
    case_request(SimpleNamespace(module="echo"), case)
    return case


def returned(sandbox: Sandbox, case: PreparedCase) -> dict:
    """The echo module's returned values on ``case``, by label, after every step ran."""
    reply = sandbox.run(case.request, 10.0)
    assert [s["status"] for s in reply["steps"]] == ["ok"] * len(case.steps), reply
    return {r["label"]: wire.decode(v) for r, v in zip(case.returns, reply["returns"], strict=True)}


def request_bytes(case: PreparedCase) -> int:
    return sum(len(part) for part in case.request.frame())


def expected_points(judge: GradCheck, inputs: dict, k: int, sign: int) -> np.ndarray:
    """What the echo forward returns at probe ``k``'s point θ + sign·h·v, expanded here, in the parent."""
    spec = inputs[probes.SPEC]
    args = {a: probes.perturbed(inputs, a, spec, k, sign) for a in judge.wrt}
    if judge is MLP:
        params = args["params"]
        return np.concatenate([params[key].ravel() for key in sorted(params)] + [inputs["x"].ravel()])
    return np.concatenate([args["x"].ravel(), args["w"].ravel(), args["b"].ravel()])


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("echo")
    (folder / "echo.py").write_text(textwrap.dedent(ECHO))
    with Sandbox({"echo.py": folder / "echo.py"}) as sb:
        yield sb


@pytest.mark.parametrize("judge, make", [(CONV, conv_inputs), (MLP, mlp_inputs)], ids=["conv", "mlp"])
def test_the_childs_points_are_the_parents_bit_for_bit(sandbox, judge, make):
    rng = np.random.default_rng(7)
    inputs = judge.expand(make(rng), rng)
    got = returned(sandbox, request(judge, inputs))
    n = len(inputs[probes.SPEC]["probes"])
    assert n == judge.directions + judge.coords * 3  # three arrays each
    for k, tag in enumerate(f"{i:03d}" for i in range(n)):
        for sign, s in ((1, "+"), (-1, "-")):
            want = expected_points(judge, inputs, k, sign)
            assert got[f"out{s}{tag}"].tobytes() == want.tobytes(), (tag, s)
    if judge is MLP:
        theta = np.concatenate([inputs["params"][k].ravel() for k in sorted(inputs["params"])] + [inputs["x"].ravel()])
    else:
        theta = np.concatenate([inputs[a].ravel() for a in ("x", "w", "b")])
    assert got["out"].tobytes() == theta.tobytes()  # the call at θ gets θ itself
    assert 0 < np.abs(got["out+000"] - got["out"]).max() <= 1.1 * judge.h  # a point next to it


def test_each_probe_is_a_unit_direction_or_one_coordinate():
    rng = np.random.default_rng(3)
    inputs = MLP.expand(mlp_inputs(rng), rng)
    spec = inputs[probes.SPEC]
    assert spec["h"] == MLP.h and spec["paths"] == [["params", "W1"], ["params", "b1"], ["params", "W2"]]
    for k, probe in enumerate(spec["probes"]):
        d = probes.direction(spec, k, inputs)
        if "seed" in probe:
            assert set(d) == {tuple(p) for p in spec["paths"]}
            assert np.isclose(sum(float(np.sum(v * v)) for v in d.values()), 1.0)
            again = probes._unit.__wrapped__(probe["seed"], tuple(v.shape for v in d.values()))
            assert all(np.array_equal(a, b) for a, b in zip(d.values(), again, strict=True))
        else:
            ((path, e),) = d.items()
            assert list(path) == probe["path"] and np.count_nonzero(e) == 1 and e.flat[probe["index"]] == 1.0
            assert e.shape == probes.direction(spec, k, inputs)[path].shape


def test_a_dict_input_is_copied_and_only_its_probed_entries_move():
    rng = np.random.default_rng(4)
    inputs = MLP.expand(mlp_inputs(rng), rng)
    spec = inputs[probes.SPEC]
    coordinate = next(k for k, p in enumerate(spec["probes"]) if p.get("path") == ["params", "b1"])
    moved = probes.perturbed(inputs, "params", spec, coordinate, -1)
    assert moved is not inputs["params"] and all(moved[k] is not inputs["params"][k] for k in moved)
    assert np.array_equal(moved["W1"], inputs["params"]["W1"]) and np.array_equal(moved["W2"], inputs["params"]["W2"])
    diff = moved["b1"] - inputs["params"]["b1"]
    assert np.count_nonzero(diff) == 1 and np.isclose(diff.flat[spec["probes"][coordinate]["index"]], -MLP.h)
    # an input no probe moves is a copy all the same (the forward may write to it)
    assert probes.perturbed(inputs, "x", spec, 0, 1) is not inputs["x"]


def test_the_probes_come_from_the_cases_stream():
    make = conv_inputs
    a = CONV.expand(make(np.random.default_rng(1)), np.random.default_rng(10))[probes.SPEC]
    b = CONV.expand(make(np.random.default_rng(1)), np.random.default_rng(10))[probes.SPEC]
    c = CONV.expand(make(np.random.default_rng(1)), np.random.default_rng(11))[probes.SPEC]
    assert a == b  # the same seed, the same probes
    assert a != c  # another seed: other directions and coordinates
    assert {p["seed"] for p in a["probes"] if "seed" in p}.isdisjoint(p["seed"] for p in c["probes"] if "seed" in p)


def test_request_bytes_do_not_grow_with_the_number_of_probes():
    inputs = conv_inputs(np.random.default_rng(5), n=2, c=8, s=16, f=8)
    theta = len(wire.frame_bytes({k: wire.encode(v) for k, v in inputs.items()}))
    sizes = {}
    for directions, coords in ((3, 2), (30, 20)):
        judge = dataclasses.replace(CONV, directions=directions, coords=coords)  # the same check, more probes
        expanded = judge.expand(inputs, np.random.default_rng(6))
        sizes[directions + 3 * coords] = request_bytes(request(judge, expanded))
    (few, small), (many, large) = sorted(sizes.items())
    per_probe = (large - small) / (many - few)
    print(f"θ {theta} bytes; {few} probes: {small} bytes, {many} probes: {large} bytes; {per_probe:.0f} per probe")
    # a seed or an index, and two forward calls' descriptions: never a copy of θ (which takes ~50 KiB here)
    assert per_probe < min(1000, theta / 50)
    assert small < 1.1 * theta and large < 2 * theta


def test_a_forward_that_writes_its_perturbed_input_is_seen():
    rng = np.random.default_rng(8)
    inputs = CONV.expand(conv_inputs(rng), rng)
    judge = GradCheck("writes_its_input", "conv2d_backward", CONV.forward_args, CONV.wrt, CONV.forward_kwargs)
    steps, _ = judge.program(inputs)
    module = {}
    exec(textwrap.dedent(ECHO), module)
    env, reports = run_steps({"inputs": inputs, "steps": steps}, module.__getitem__)
    probed = [r for r in reports if r["name"].startswith("f+")]
    assert probed and all(r["mutated"] == ["x"] for r in probed)
    assert np.count_nonzero(inputs["x"])  # the case's own θ is untouched


def test_a_submission_that_replaces_numpys_generator_does_not_move_the_points(tmp_path):
    """The child draws the directions with the generator bound before any student code ran."""
    patched = "import numpy as np\nnp.random.default_rng = lambda seed=None: np.random.Generator(np.random.PCG64(0))\n"
    (tmp_path / "echo.py").write_text(patched + textwrap.dedent(ECHO))
    rng = np.random.default_rng(9)
    inputs = CONV.expand(conv_inputs(rng), rng)
    with Sandbox({"echo.py": tmp_path / "echo.py"}) as sb:
        got = returned(sb, request(CONV, inputs))
    assert got["out+000"].tobytes() == expected_points(CONV, inputs, 0, 1).tobytes()
