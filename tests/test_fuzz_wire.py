"""Fuzzing the parent's reply validator (autograder/sandbox/wire.py) with structure-aware inputs.

tests/test_wire.py covers the round trips, the known rejections and byte-level mutations of a few valid
frames. Here Hypothesis builds hostile replies from their grammar instead: array references with any dtype
text, shape (huge, negative, zero-size, nested, wrong types), offset (misaligned, negative, past the binary
section, not an int), references that share bytes, pickled bodies; tagged wire values nested and mixed at
random; frames whose length prefix lies; JSON nesting bombs. The property everywhere: the validator returns a
value of an allowed type (exact types, allowed dtypes, bounded size, what the header claimed) or raises
``WireError`` (``EOFError`` for a stream that ends early) — no other exception, no hang, no large
allocation.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import signal
import struct
import tracemalloc
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from autograder.sandbox import wire

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
TAGS = ("$srepr", "$error", "$symbol", "assumptions", "$symbols", "$callable", "$ref")  # stay dicts
ALLOWED_DESCRS = sorted(wire.ALLOWED_DTYPES)
OTHER_DESCRS = ["|O", "<U3", "|S2", ">f8", ">i4", "|V8", "<M8[s]", "<m8[D]", "(2,)<f8", "(100000,100000)<f8", "<f16"]


# -- what an accepted value may be -----------------------------------------------------------------------


def check_array(a) -> None:
    assert type(a) is np.ndarray
    assert a.dtype.str in wire.ALLOWED_DTYPES
    assert a.size <= wire.MAX_ARRAY_ELEMENTS and math.prod(a.shape) == a.size
    assert a.ndim <= 32 and a.flags.c_contiguous  # a view of the frame's bytes, in C order


def check_decoded(value, depth: int = 0) -> None:
    """An allowed result of ``wire.decode``: plain JSON scalars, arrays, containers of allowed values, or
    a tagged non-data dict (``$srepr``, ``$error``, ...) left for the judges."""
    assert depth <= 70
    if value is None or type(value) in (bool, int, float, str):
        return
    if type(value) is np.ndarray:
        check_array(value)
        return
    if type(value) in (list, tuple):
        for v in value:
            check_decoded(v, depth + 1)
        return
    assert type(value) is dict, type(value)
    if value and set(value) <= set(TAGS):
        return  # passed through as sent: the judges validate these
    assert all(type(k) is str for k in value)
    for v in value.values():
        check_decoded(v, depth + 1)


@contextmanager
def bounded(seconds: float = 10.0, megabytes: float = 64.0):
    """Fail if the body runs longer than ``seconds`` or allocates more than ``megabytes`` at its peak."""

    def timeout(signum, frame):
        raise AssertionError(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    tracemalloc.start()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert peak <= megabytes * 2**20, f"allocated {peak / 2**20:.0f} MiB"


def ref_result(spec, binary: bytes):
    """``{"$nd": spec}`` read from a frame with ``binary`` as its binary section and decoded: the array, or
    None for a WireError; any other exception propagates."""
    body = frame_body(json.dumps({"$nd": spec}).encode(), binary)
    with bounded():
        try:
            got = wire.decode(wire.parse_frame(body))
        except wire.WireError:
            return None
    check_array(got)
    return got


def frame_body(text: bytes, binary: bytes = b"", json_length: int | None = None) -> bytearray:
    """A frame's body: the JSON's length (or ``json_length``, which may lie), the JSON padded to the aligned
    binary section, the binary section."""
    text += b" " * (-(8 + len(text)) % wire.ALIGN) if binary else b""
    return bytearray(struct.pack(">Q", len(text) if json_length is None else json_length) + text + binary)


# -- array references from their grammar -----------------------------------------------------------------

HUGE = st.sampled_from([2**31, 2**32, 2**62, 2**63 - 1, 2**63, 2**64, 2**70, 10**30])
DIMS = st.one_of(st.integers(0, 6), st.integers(-3, -1), HUGE, st.just(wire.MAX_ARRAY_ELEMENTS + 1))
OFFSETS = st.one_of(
    st.sampled_from([0, 64, 128, 256]),
    st.integers(-200, 4200),
    HUGE,
    st.sampled_from([True, 0.0, "0", None, [0], -64]),
)


def sometimes(draw, one_in: int = 5) -> bool:
    return draw(st.integers(0, one_in - 1)) == 0


@st.composite
def references(draw):
    """(spec, binary section): a reference from the grammar, each part valid most of the time and broken
    some of the time (dtype, shape, offset, section length), so that both acceptance and every refusal are
    reached."""
    descr = draw(st.sampled_from(ALLOWED_DESCRS))
    if sometimes(draw, 4):
        descr = draw(
            st.one_of(
                st.sampled_from(OTHER_DESCRS),
                st.text(st.characters(max_codepoint=126), max_size=6),
                st.integers(),
                st.none(),
                st.just(["<f8"]),
            )
        )
    shape = draw(st.lists(st.integers(0, 5), max_size=4))
    if sometimes(draw, 3):
        shape = draw(
            st.one_of(
                st.lists(DIMS, min_size=1, max_size=4),
                st.lists(st.integers(0, 2), min_size=30, max_size=40),
                st.sampled_from([[True], [1.0], [[2]], 2, "2", None, {"0": 2}]),
            )
        )
    offset = draw(st.sampled_from([0, 64])) if not sometimes(draw, 3) else draw(OFFSETS)
    spec = [descr, shape, offset]
    if sometimes(draw, 10):
        spec = draw(st.sampled_from([spec[:2], [*spec, 0], {"descr": descr}, descr]))
    # the data: as many bytes as the reference claims when that is small, give or take one; else a few
    try:
        itemsize = np.dtype(descr).itemsize if isinstance(descr, str) else None
    except (TypeError, ValueError):
        itemsize = None
    size = math.prod(shape) if isinstance(shape, list) and all(type(d) is int for d in shape) else None
    start = offset if type(offset) is int and 0 <= offset <= 4096 else 0
    if itemsize is not None and size is not None and 0 <= size * itemsize <= 4096:
        data = bytes(start) + np.random.default_rng(draw(st.integers(0, 2**32 - 1))).bytes(size * itemsize)
        if sometimes(draw, 8):
            data = draw(st.sampled_from([data[:-1], data + b"\0"]))
    else:
        data = draw(st.binary(max_size=64))
    return spec, data


def _zero_size_with_a_huge_dimension(shape) -> bool:
    return all(type(d) is int and d >= 0 for d in shape) and 0 in shape and max(shape) > wire.MAX_ARRAY_ELEMENTS


@FUZZ
@given(references())
def test_array_references_from_the_grammar_are_read_or_refused(case):
    spec, binary = case
    got = ref_result(spec, binary)
    event("accepted" if got is not None else "refused")
    if got is not None:  # accepted: then it is exactly what the reference said, and its bytes are in the section
        descr, shape, offset = spec
        assert got.shape == tuple(shape) and got.dtype == np.dtype(descr)
        assert offset % wire.ALIGN == 0 and offset + got.nbytes <= len(binary)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.just(0), HUGE), min_size=2, max_size=4).filter(_zero_size_with_a_huge_dimension))
@example([2**63, 0])
def test_zero_size_shape_with_a_huge_dimension_is_a_wire_error(dims):
    assert ref_result(["<f8", list(dims), 0], b"") is None


@FUZZ
@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=8,
    ),
    st.sampled_from(["|O", "<f8", "<i8", "|u1"]),
    st.integers(0, 4),
)
def test_pickled_bodies_are_never_unpickled(obj, descr, protocol):
    """A reference (claiming object dtype, or a number dtype) to a pickle's bytes: refused, never loaded."""
    body = pickle.dumps(obj, protocol=protocol)
    itemsize = np.dtype(descr).itemsize
    got = ref_result([descr, [len(body) // itemsize], 0], body)
    if got is not None:  # only as raw numbers, never as the objects
        assert descr != "|O" and got.nbytes <= len(body)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from([0, 64, 128, 192]), st.integers(0, 40)), min_size=2, max_size=6))
def test_references_that_share_bytes_are_refused_and_the_others_read(refs):
    """Several references into one section: each decodes unless its bytes overlap one decoded before it."""
    text = json.dumps([{"$nd": ["|u1", [n], off]} for off, n in refs]).encode()
    values = wire.parse_frame(frame_body(text, bytes(256)))
    taken: list[tuple[int, int]] = []
    for (off, n), value in zip(refs, values, strict=True):
        overlaps = n and any(off < e and s < off + n for s, e in taken)
        if overlaps:
            with pytest.raises(wire.WireError, match="overlap"):
                wire.decode(value)
        else:
            assert wire.decode(value).shape == (n,)
            taken.append((off, off + n))


# -- wire values -----------------------------------------------------------------------------------------

SECTION = b"".join(
    np.asarray(a).tobytes().ljust(64, b"\0") for a in (np.arange(6.0), np.array(3, dtype=np.int16), np.array([True]))
)
SMALL_ARRAYS = [["<f8", [2, 3], 0], ["<i2", [], 64], ["<f8", [0, 4], 128], ["|b1", [1], 128]]
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**40), 10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)


def wire_values():
    """Arbitrary JSON, with the wire's tags mixed in at random, valid and not."""

    def extend(inner):
        tag = st.sampled_from(["$nd", "$tuple", "$list", "$dict", *TAGS, "$pickle", "__class__", "$npy"])
        return st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=4), inner, max_size=3),
            st.builds(lambda t, v: {t: v}, tag, inner),
            st.builds(lambda v: {"$tuple": v}, st.lists(inner, max_size=4)),
            st.builds(lambda v: {"$list": v}, st.lists(inner, max_size=4)),
            st.builds(lambda v: {"$dict": v}, st.dictionaries(st.text(max_size=4), inner, max_size=3)),
            st.builds(lambda t, u, v: {t: v, u: v}, tag, tag, inner),
        )

    spec = st.sampled_from(SMALL_ARRAYS) | st.text(max_size=12) | st.lists(JSON_SCALARS, max_size=4)
    leaves = JSON_SCALARS | st.builds(lambda t: {"$nd": t}, spec)
    return st.recursive(leaves, extend, max_leaves=25)


@FUZZ
@given(wire_values())
def test_decode_of_any_json_value_is_allowed_or_a_wire_error(value):
    text = json.dumps(value)  # what a forged reply can hold: only JSON
    with bounded():
        try:
            got = wire.decode(wire.parse_frame(frame_body(text.encode("utf-8"), SECTION)))
        except wire.WireError:
            return
    check_decoded(got)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.sampled_from(["[", '{"a":', '{"$list":[', '{"$tuple":[', '{"$dict":{"k":', '{"$srepr":[', "[{}, "]),
    st.sampled_from([10, 63, 64, 65, 66, 500, 5000, 100_000, 1_000_000]),
    st.booleans(),
)
def test_nesting_bombs_are_refused_without_recursing_out(opener, depth, closed):
    closer = {"[": "]", "{": "}"}
    tail = "".join(closer[c] for c in reversed(opener) if c in closer)
    text = opener * depth + "1" + (tail * depth if closed else "")
    with bounded(megabytes=512):
        try:
            got = wire.decode(wire.parse_frame(frame_body(text.encode())))
        except wire.WireError:
            return
    check_decoded(got)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(0, 2**64 - 1), st.binary(max_size=64), st.sampled_from(["exact", "short", "long", "valid"]))
@example(2**64 - 1, b"", "exact")
@example(wire.MAX_FRAME_BYTES + 1, b"", "exact")
@example(0, b"", "exact")
def test_a_frame_whose_length_lies_is_refused_without_reading_past_it(length, body, mode):
    if mode == "valid":
        body = bytes(frame_body(json.dumps({"steps": [], "returns": [{"$nd": SMALL_ARRAYS[0]}]}).encode(), SECTION))
    if mode != "exact":
        length = len(body) + {"short": -1, "long": 7, "valid": 0}[mode]
        length = max(0, length)
    data = struct.pack(">Q", length) + body + b"EXTRA"

    class Guarded(io.BytesIO):
        def read(self, n=-1):
            assert n is not None and 0 <= n <= wire.MAX_FRAME_BYTES, f"asked to read {n} bytes"
            return super().read(n)

    stream = Guarded(data)
    with bounded():
        try:
            got = wire.read_frame(stream)
        except wire.WireError:
            return
        except EOFError:
            assert length > len(body) + len(b"EXTRA")  # only when the stream really ended early
            return
    assert length <= len(body) + 5 and stream.tell() == 8 + length
    if isinstance(got, dict) and isinstance(got.get("returns"), list):
        with bounded():
            try:
                decoded = [wire.decode(r) for r in got["returns"]]
            except wire.WireError:
                return
        check_decoded(decoded)


LONE_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    st.lists(st.text(max_size=3) | LONE_SURROGATES, min_size=1, max_size=4)
    .map("".join)
    .filter(lambda s: any(0xD800 <= ord(c) <= 0xDFFF for c in s))
)
def test_reply_strings_can_always_be_written_as_utf8(text):
    reply = {"crash": {"type": "ValueError", "message": text}}
    got = wire.parse_frame(frame_body(json.dumps(reply).encode("ascii")))  # the child's json escapes it: valid JSON
    got["crash"]["message"].encode("utf-8")


# -- reply bounds ----------------------------------------------------------------------------------------


def _values(value) -> int:
    """How many JSON values (object keys included) ``value`` holds."""
    if isinstance(value, list):
        return 1 + sum(_values(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(1 + _values(v) for v in value.values())
    return 1


@FUZZ
@given(
    st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=40,
    )
)
def test_the_count_before_parsing_is_never_below_the_values_json_holds(value):
    for text in (json.dumps(value), json.dumps(value, separators=(",", ":")), json.dumps(value, indent=1)):
        assert wire.count_values(text.encode()) >= _values(value)


@FUZZ
@given(
    st.sampled_from(["<f8", "<f4", "<i8", "|b1", "<c16", "<u2"]),
    st.lists(st.integers(0, 7), max_size=4),
    st.integers(0, 3),
)
def test_an_honest_reply_of_the_expected_form_is_always_under_its_cap(descr, shape, wrap):
    """The child's reply to a request whose expected value is ``a``: even as float64 or complex128 where ``a``
    is float32, it fits the cap derived from ``a`` (only the shape of a wrong answer can make it too big)."""
    a = np.zeros(shape, dtype=descr)
    expected = [a, (a, a), {"W": a}, [a, True]][wrap]
    for returned in (a, np.zeros(shape), np.zeros(shape, dtype=np.complex128)):
        value = [returned, (returned, returned), {"W": returned}, [returned, True]][wrap]
        reply = {"steps": [{"name": "r", "fn": "f", "status": "ok", "mutated": [], "warnings": []}] * 20, "id": 1}
        reply["returns"] = [wire.encode(value)]
        frame = wire.frame_bytes(reply)
        assert len(frame) - 8 <= wire.reply_cap(wire.payload_bytes([expected]))
        assert wire.count_values(frame[8:]) <= wire.MAX_REPLY_NODES
