"""The sandbox wire format: round trips, and rejection of every malformed or hostile payload with WireError."""

from __future__ import annotations

import io
import json
import math
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.sandbox import wire

# -- helpers ---------------------------------------------------------------------------------------------


def body_of(text: str | bytes, binary: bytes = b"") -> bytearray:
    """A frame's body as the wire lays it out: the JSON's length, the JSON (padded so the binary section
    starts 64-aligned when there is one), the binary section."""
    text = text.encode() if isinstance(text, str) else text
    if binary:
        text += b" " * (-(8 + len(text)) % wire.ALIGN)
    return bytearray(struct.pack(">Q", len(text)) + text + binary)


def decode_ref(spec, binary: bytes = b"", body=None):
    """``{"$nd": spec}`` read from a frame whose binary section is ``binary``, then decoded."""
    return wire.decode(wire.parse_frame(body_of(json.dumps({"$nd": spec}), binary)))


def roundtrip(value):
    """encode -> a frame's bytes -> parse -> decode, as the value really travels."""
    return wire.decode(wire.parse_frame(bytearray(wire.frame_bytes(wire.encode(value))[8:])))


def assert_same_array(got, want):
    want = np.asarray(want)
    assert type(got) is np.ndarray
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


# -- round trips -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a",
    [
        np.linspace(-1.5, 2.5, 12).reshape(3, 4),
        np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
        np.array([-(2**62), 0, 2**62], dtype=np.int64),
        np.arange(-5, 5, dtype=np.int32),
        np.array([[-128, 127]], dtype=np.int8),
        np.array([0, 255], dtype=np.uint8),
        np.array([True, False, True]),
        np.array([1 + 2j, -3.5j], dtype=np.complex128),
        np.array([np.nan, np.inf, -np.inf, -0.0]),
        np.zeros((0,)),
        np.zeros((3, 0, 2), dtype=np.float32),
    ],
    ids=["f64", "f32", "i64", "i32", "i8", "u8", "bool", "c128", "nonfinite", "empty", "empty3d"],
)
def test_array_round_trip(a):
    assert_same_array(roundtrip(a), a)


def test_fortran_order_array_round_trip_keeps_values_and_shape():
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    assert a.flags.f_contiguous and not a.flags.c_contiguous
    got = roundtrip(a)
    assert_same_array(got, a)
    assert got[0, 1] == 1.0 and got[1, 0] == 4.0


def test_noncontiguous_view_round_trip():
    a = np.arange(20.0).reshape(4, 5)[::2, 1::2]
    assert_same_array(roundtrip(a), a)


@pytest.mark.parametrize(
    "value",
    [np.array(2.5), np.float64(2.5), np.int32(-3), np.bool_(True)],
    ids=["0d-array", "float64", "int32", "bool_"],
)
def test_zero_d_and_numpy_scalar_round_trip_keeps_shape(value):
    got = roundtrip(value)
    assert got.shape == ()
    assert got.dtype == np.asarray(value).dtype
    assert got.item() == np.asarray(value).item()


def test_plain_values_round_trip():
    for v in (None, True, False, 0, -17, 2**70, 1.25, "text ✓", ""):
        got = roundtrip(v)
        assert got == v and type(got) is type(v)


def test_containers_round_trip_with_their_types():
    value = {
        "t": (1, 2.5, "x"),
        "l": [np.arange(3), [True, None]],
        "d": {"inner": (np.float32([1.5]),), "empty": {}},
        "e": (),
    }
    got = roundtrip(value)
    assert set(got) == {"t", "l", "d", "e"}
    assert got["t"] == (1, 2.5, "x") and type(got["t"]) is tuple
    assert type(got["l"]) is list and got["l"][1] == [True, None]
    assert_same_array(got["l"][0], np.arange(3))
    assert type(got["d"]["inner"]) is tuple
    assert_same_array(got["d"]["inner"][0], np.float32([1.5]))
    assert got["d"]["empty"] == {} and got["e"] == ()


def test_dict_keys_become_strings():
    assert roundtrip({1: "a", (2, 3): "b"}) == {"1": "a", "(2, 3)": "b"}


def test_encode_refuses_objects_it_cannot_send():
    with pytest.raises(TypeError):
        wire.encode(object())
    with pytest.raises(TypeError):
        wire.encode({1, 2})


def test_tagged_non_data_values_stay_dicts():
    for v in (
        {"$srepr": "Symbol('x')"},
        {"$error": "boom"},
        {"$symbol": "x", "assumptions": {"real": True}},
        {"$callable": "relu_grad"},
        {"$ref": ["x", 0]},
    ):
        assert wire.decode(v) == v


def test_frame_round_trip_through_a_stream():
    stream = io.BytesIO()
    msg = {"a": [1, 2.5, None], "b": wire.encode(np.arange(4))}
    wire.write_frame(stream, msg)
    wire.write_frame(stream, {"second": True})
    stream.seek(0)
    (length,) = struct.unpack(">Q", stream.getvalue()[:8])
    (text,) = struct.unpack(">Q", stream.getvalue()[8:16])
    assert (8 + text) % wire.ALIGN == 0 and length == 8 + text + 4 * 8  # the binary section: 4 int64s
    got = wire.read_frame(stream)
    assert got["a"] == [1, 2.5, None]
    assert_same_array(wire.decode(got["b"]), np.arange(4))
    assert wire.read_frame(stream) == {"second": True}
    with pytest.raises(EOFError):
        wire.read_frame(stream)


def test_arrays_are_views_of_the_frames_buffer_aligned_and_writable_where_it_is():
    value = (np.arange(3.0), np.ones((2, 2), dtype=np.int32), np.zeros(5, dtype=np.complex64))
    body = bytearray(wire.frame_bytes(wire.encode(value))[8:])
    arrays = wire.decode(wire.parse_frame(body))
    for got, want in zip(arrays, value, strict=True):
        assert_same_array(got, want)
        assert np.shares_memory(got, np.frombuffer(body, np.uint8))  # no copy
        assert got.flags.writeable and got.flags.aligned and got.flags.c_contiguous
    arrays[0][0] = 7.0  # its own bytes: no other array changes
    assert arrays[1][0, 0] == 1
    frozen = wire.decode(wire.parse_frame(bytes(body)))
    assert not frozen[0].flags.writeable  # from immutable bytes: read-only views


def test_every_array_starts_at_an_aligned_offset():
    value = [np.arange(3, dtype=np.int8), np.arange(5.0), np.zeros((0, 2)), np.bool_(True), np.arange(7.0)]
    body = bytearray(wire.frame_bytes(wire.encode(value))[8:])
    refs = wire.parse_frame(body)["$list"]
    assert all(isinstance(r, wire.ArrayRef) and r.spec[2] % wire.ALIGN == 0 for r in refs)
    for got, want in zip(wire.decode({"$list": refs}), value, strict=True):
        assert_same_array(got, want)


def test_a_message_is_framed_again_with_fields_and_its_body_is_not_encoded_again():
    message = wire.message({"module": "m", "inputs": {"x": wire.encode(np.arange(6.0))}, "reply_bytes": 99, "id": 0})
    assert message.reply_bytes == 99
    one, two = message.frame(id=1, seconds=5.0), message.frame(id=2, seconds=0.5, reply_bytes=7)
    assert one[-1] is two[-1] is message.binary  # the same binary section, as it was encoded
    for parts, want in ((one, {"id": 1, "seconds": 5.0, "reply_bytes": 99}), (two, {"id": 2, "reply_bytes": 7})):
        frame = b"".join(parts)
        assert struct.unpack(">Q", frame[:8])[0] == len(frame) - 8
        got = wire.parse_frame(bytearray(frame[8:]))
        assert {k: got[k] for k in want} == want and got["module"] == "m"
        assert_same_array(wire.decode(got["inputs"]["x"]), np.arange(6.0))
    assert b"".join(wire.message({}).frame(id=3))[16:] == b'{"id":3}'


def test_truncated_frame_body_is_eof():
    with pytest.raises(EOFError):
        wire.read_frame(io.BytesIO(struct.pack(">Q", 100) + b'{"a":'))


# -- array references refused --------------------------------------------------------------------------


def test_rejects_an_object_array():
    with pytest.raises(wire.WireError, match="dtype object"):
        decode_ref(["|O", [2], 0], bytes(64))


def test_huge_shape_is_rejected_without_allocating(monkeypatch):
    def no_alloc(*a, **k):  # the size check must come before any data is touched
        raise AssertionError("tried to read data of a huge array")

    monkeypatch.setattr(wire, "_frombuffer", no_alloc)
    monkeypatch.setattr(np, "zeros", no_alloc)
    with pytest.raises(wire.WireError, match="larger than the grader accepts"):
        decode_ref(["<f8", [10**9, 10**9], 0], bytes(64))
    with pytest.raises(wire.WireError, match="larger"):
        decode_ref(["|b1", [wire.MAX_ARRAY_ELEMENTS + 1], 0], bytes(64))


def test_size_limit_is_inclusive():
    n = wire.MAX_ARRAY_ELEMENTS
    assert decode_ref(["|u1", [n], 0], b"\0" * n).size == n


@pytest.mark.parametrize(
    "shape",
    [
        [2**32, 2**32],
        [2**62, 4],
        [2**31, 2**31, 4],
        [2**64],
        [2**63 + 1, 2],
        [0, 2**63],
        [0, wire.MAX_ARRAY_ELEMENTS + 1],
    ],
    ids=[
        "wraps-to-0-2d",
        "wraps-to-0",
        "wraps-to-0-3d",
        "over-uint64",
        "over-int64",
        "zero-size-huge",
        "zero-size-over",
    ],
)
def test_shape_whose_size_overflows_or_numpy_cannot_hold_is_a_wire_error(shape):
    with pytest.raises(wire.WireError):
        decode_ref(["<f8", shape, 0], bytes(64))


@pytest.mark.parametrize("shape", [[True], [-1], [1.0], [[2]], "2", 2, None, {"0": 1}, [1] * 33], ids=repr)
def test_a_shape_that_is_not_a_list_of_ints_ge_0_of_at_most_32_dims_is_refused(shape):
    with pytest.raises(wire.WireError, match="bad array shape"):
        decode_ref(["<f8", shape, 0], bytes(64))


def test_thirty_two_dims_are_accepted():
    assert decode_ref(["<f8", [1] * 32, 0], bytes(8)).shape == (1,) * 32


@pytest.mark.parametrize(("offset", "size"), [(0, 15), (64, 64 + 8), (128, 64)], ids=["short", "cut", "past"])
def test_data_past_the_binary_section_is_refused(offset, size):
    with pytest.raises(wire.WireError, match="bytes of data at offset"):
        decode_ref(["<f8", [2], offset], bytes(size))


@pytest.mark.parametrize("offset", [8, 1, -64, True, 0.0, "0", None, [0]], ids=repr)
def test_an_offset_that_is_not_an_aligned_int_ge_0_is_refused(offset):
    with pytest.raises(wire.WireError, match="bad array offset"):
        decode_ref(["<f8", [1], offset], bytes(256))


@pytest.mark.parametrize("spec", ["<f8", ["<f8", [2]], ["<f8", [2], 0, 0], {"dtype": "<f8"}, None, 3], ids=repr)
def test_a_reference_that_is_not_three_items_is_refused(spec):
    with pytest.raises(wire.WireError, match="bad array reference"):
        decode_ref(spec, bytes(64))


@pytest.mark.parametrize(("second", "overlaps"), [(0, True), (64, False)], ids=["same-bytes", "next-bytes"])
def test_two_references_to_the_same_bytes_are_refused(second, overlaps):
    text = json.dumps([{"$nd": ["<f8", [8], 0]}, {"$nd": ["<f8", [2], second]}])
    refs = wire.parse_frame(body_of(text, bytes(128)))
    if overlaps:
        with pytest.raises(wire.WireError, match="overlap"):
            [wire.decode(r) for r in refs]
    else:
        assert [wire.decode(r).size for r in refs] == [8, 2]


def test_decoding_one_reference_twice_gives_the_same_array():
    ref = wire.parse_frame(body_of(json.dumps({"$nd": ["<f8", [2], 0]}), bytes(16)))
    assert wire.decode(ref) is wire.decode(ref)


def test_zero_size_arrays_take_no_bytes():
    got = decode_ref(["<f4", [3, 0], 64], bytes(64))
    assert got.shape == (3, 0) and got.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.float16])
def test_complex_and_half_are_allowed(dtype):
    a = np.array([1.5, -2.0], dtype=dtype) * (1 + 1j if np.dtype(dtype).kind == "c" else 1)
    assert_same_array(roundtrip(a), a)


@pytest.mark.parametrize(
    "descr",
    ["<U2", "|S2", "|V8", "<M8[s]", ">f8", ">i4", "<f16", "(2,)<f8", "f8", "float64", "", "|O"],
    ids=repr,
)
def test_non_number_dtypes_are_rejected(descr):
    with pytest.raises(wire.WireError, match="dtype"):
        decode_ref([descr, [2], 0], bytes(64))


@pytest.mark.parametrize("descr", [None, 8, ["<f8"], {"descr": "<f8"}], ids=repr)
def test_a_dtype_that_is_not_text_is_rejected(descr):
    with pytest.raises(wire.WireError, match="not text"):
        decode_ref([descr, [2], 0], bytes(64))


def test_big_endian_arrays_are_refused_as_they_were():
    with pytest.raises(wire.WireError, match="values of dtype >f8 are not numbers"):
        roundtrip(np.zeros(2, dtype=">f8"))


def test_decode_routes_reference_errors_as_wire_errors():
    with pytest.raises(wire.WireError):
        wire.decode(wire.parse_frame(body_of('{"$list":[1,{"$nd":"####"}]}')))
    with pytest.raises(wire.WireError, match="unknown value"):
        wire.decode(wire.parse_frame(body_of('{"$nd":["<f8",[1],0],"x":1}', bytes(8))))  # not a reference
    with pytest.raises(wire.WireError, match="unknown value"):
        wire.decode({"$nd": ["<f8", [1], 0]})  # a reference outside any frame


# -- frames ----------------------------------------------------------------------------------------------


class GuardedStream(io.BytesIO):
    """Records how many bytes were read; fails if more than ``allowed`` are asked for."""

    def __init__(self, data: bytes, allowed: int):
        super().__init__(data)
        self.allowed = allowed
        self.consumed = 0

    def read(self, n=-1):
        if n is None or n < 0 or self.consumed + n > self.allowed:
            raise AssertionError(f"read({n}) after {self.consumed} bytes: the body was read")
        self.consumed += n
        return super().read(n)


def test_read_frame_rejects_oversized_frame_without_reading_it():
    data = struct.pack(">Q", wire.MAX_FRAME_BYTES + 1) + b"x" * 64
    stream = GuardedStream(data, allowed=8)
    with pytest.raises(wire.WireError, match="over the limit"):
        wire.read_frame(stream)
    assert stream.consumed == 8
    with pytest.raises(wire.WireError):
        wire.read_frame(GuardedStream(struct.pack(">Q", 2**64 - 1), allowed=8))


def test_read_frame_reads_a_small_frame():
    data = struct.pack(">Q", 13) + struct.pack(">Q", 5) + b'"abc"'
    assert wire.read_frame(io.BytesIO(data)) == "abc"


@pytest.mark.parametrize(
    "text",
    [b"\xff\xfe{}", b'{"a": "\xc3"}', b"{", b"", b"nul", b'{"a":1}x', b"[" * 100_000],
    ids=["bad-utf8", "cut-utf8", "open-brace", "empty", "bare-word", "trailing", "deep"],
)
def test_parse_frame_rejects_invalid_utf8_and_json(text):
    body = body_of(text)
    with pytest.raises(wire.WireError, match="malformed"):
        wire.parse_frame(body)
    with pytest.raises(wire.WireError, match="malformed"):
        wire.read_frame(io.BytesIO(struct.pack(">Q", len(body)) + body))


@pytest.mark.parametrize(
    "body",
    [b"", b"\0" * 7, struct.pack(">Q", 3) + b"{}", struct.pack(">Q", 2**64 - 1) + b"{}", b'{"steps":[],"returns":[]}'],
    ids=["empty", "short", "json-length-past-the-end", "json-length-huge", "the-old-format"],
)
def test_a_body_whose_json_length_is_missing_or_lies_is_refused(body):
    with pytest.raises(wire.WireError, match="malformed"):
        wire.parse_frame(body)


# -- decode ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {"$pickle": "gASV"},
        {"$npy_": "x"},
        {"__class__": "os.system"},
        {},
        [1, 2],
        {"$tuple": "not a list"},
        {"$list": {"a": 1}},
        {"$dict": [1]},
        {"$error": "x", "extra": 1},
        {"$list": [{"$unknown": 1}]},
    ],
    ids=repr,
)
def test_decode_rejects_unknown_values(value):
    with pytest.raises(wire.WireError, match="unknown value"):
        wire.decode(value)


def test_decode_rejects_too_deep_nesting():
    value = 1
    for _ in range(200):
        value = {"$list": [value]}
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.decode(value)
    value = 1
    for _ in range(60):
        value = {"$tuple": [value]}
    got = wire.decode(value)  # moderate depth is fine
    for _ in range(60):
        assert type(got) is tuple
        got = got[0]
    assert got == 1


def test_decode_of_very_deep_json_never_recurses_out():
    text = '{"$list":[' * 5000 + "1" + "]}" * 5000
    try:
        value = wire.parse_frame(body_of(text))
    except wire.WireError:
        return
    with pytest.raises(wire.WireError):
        wire.decode(value)


# -- property tests --------------------------------------------------------------------------------------


def check_frame_result(body) -> None:
    """Parse and decode a body: only WireError, or allowed values (arrays of allowed dtypes and bounded size)."""
    try:
        got = wire.decode(wire.parse_frame(body))
    except wire.WireError:
        return
    for a in got if isinstance(got, (list, tuple)) else [got]:
        if isinstance(a, np.ndarray):
            assert type(a) is np.ndarray
            assert a.dtype.str in wire.ALLOWED_DTYPES
            assert a.size <= wire.MAX_ARRAY_ELEMENTS
            assert math.prod(a.shape) == a.size


VALID = [
    bytes(wire.frame_bytes(wire.encode(v))[8:])
    for v in (
        [np.arange(6.0).reshape(2, 3), np.array([True, False])],
        (np.array(3, dtype=np.int16), np.zeros((0, 4))),
        [np.asfortranarray(np.arange(6, dtype=np.float32).reshape(3, 2)), np.array([1j, 2])],
    )
]

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_wire_error(raw):
    check_frame_result(bytearray(raw))
    check_frame_result(body_of(b'[{"$nd":["<f8",[4],0]}]', raw))


@SETTINGS
@given(st.text(max_size=60))
def test_random_text_never_raises_anything_but_wire_error(text):
    check_frame_result(body_of(text))


@SETTINGS
@given(st.sampled_from(VALID), st.data())
def test_truncated_valid_frame_never_raises_anything_but_wire_error(raw, data):
    cut = data.draw(st.integers(0, len(raw) - 1))
    check_frame_result(bytearray(raw[:cut]))


@SETTINGS
@given(st.sampled_from(VALID), st.data())
def test_mutated_valid_frame_never_raises_anything_but_wire_error(raw, data):
    buf = bytearray(raw)
    (text,) = struct.unpack(">Q", raw[:8])
    flips = data.draw(st.lists(st.tuples(st.integers(0, 8 + text - 1), st.integers(0, 255)), min_size=1, max_size=6))
    for pos, byte in flips:  # the JSON length and text: the references, their dtypes, shapes and offsets
        buf[pos] = byte
    check_frame_result(buf)


@SETTINGS
@given(st.sampled_from(VALID), st.data())
def test_reference_text_edits_never_raise_anything_but_wire_error(raw, data):
    """Replace one character of the JSON by another (digits, quotes, brackets: plausible references)."""
    buf = bytearray(raw)
    (text,) = struct.unpack(">Q", raw[:8])
    pos = data.draw(st.integers(8, 8 + text - 1))
    buf[pos] = ord(data.draw(st.sampled_from('0123456789,[]"<>|fiucbOUV-. $nd')))
    check_frame_result(buf)


# -- reply bounds ----------------------------------------------------------------------------------------


def test_read_frame_refuses_a_frame_over_the_readers_cap_without_reading_it():
    text = json.dumps({"steps": [], "returns": []})
    body = body_of(text)
    stream = GuardedStream(struct.pack(">Q", len(body)) + body, allowed=8)
    with pytest.raises(wire.FrameTooLarge, match=f"frame of {len(body)} bytes is over the limit of {len(body) - 1}"):
        wire.read_frame(stream, max_bytes=len(body) - 1)
    assert stream.consumed == 8
    assert wire.read_frame(io.BytesIO(struct.pack(">Q", len(body)) + body), max_bytes=len(body)) == json.loads(text)


def test_reply_cap_is_a_base_plus_a_multiple_of_the_payload_and_never_over_the_frame_limit():
    assert wire.reply_cap(0) == wire.REPLY_BASE_BYTES
    assert wire.reply_cap(1000) == wire.REPLY_BASE_BYTES + wire.REPLY_PAYLOAD_FACTOR * 1000
    assert wire.reply_cap(-5) == wire.REPLY_BASE_BYTES
    assert wire.reply_cap(10**12) == wire.MAX_FRAME_BYTES


def test_too_many_values_are_refused_before_json_parses_them(monkeypatch):
    def no_parse(text):
        raise AssertionError("parsed")

    body = body_of(b"[" + b"0," * 200 + b"0]", binary=b",:[{" * 1000)  # the count is of the JSON part only
    monkeypatch.setattr(wire, "_loads", no_parse)
    with pytest.raises(wire.WireError, match="malformed reply: more than 100 values"):
        wire.parse_frame(body, max_nodes=100)
    monkeypatch.undo()
    assert len(wire.parse_frame(body, max_nodes=202)) == 201  # 201 numbers and their list
    many = body_of(b"[" + b"0," * 200_000 + b"0]")
    assert len(wire.parse_frame(many, max_nodes=None)) == 200_001  # the child's requests
    with pytest.raises(wire.WireError, match="more than"):
        wire.parse_frame(body_of(b"[" + b"0," * wire.MAX_REPLY_NODES + b"0]"))


@pytest.mark.parametrize("depth", [wire.MAX_JSON_DEPTH - 1, wire.MAX_JSON_DEPTH])
def test_nesting_up_to_the_bound_is_read(depth):
    value = wire.parse_frame(body_of("[" * depth + "]" * depth))
    for _ in range(depth - 1):
        (value,) = value
    assert value == []


@pytest.mark.parametrize(
    "body", ["[" * 201 + "]" * 201, '{"a":' * 201 + "1" + "}" * 201, '[{"k":' * 150 + "1" + "}]" * 150]
)
def test_nesting_over_the_bound_is_refused(body):
    with pytest.raises(wire.WireError, match=f"nested more than {wire.MAX_JSON_DEPTH} deep"):
        wire.parse_frame(body_of(body))


def test_payload_bytes_of_a_reference_reply_covers_its_encoding():
    value = ({"W1": np.zeros((3, 4)), "b1": np.zeros(3)}, np.float64(2.0), True, {"$srepr": "Symbol('x')"})
    encoded = wire.frame_bytes([wire.encode(v) if not isinstance(v, dict) or "$srepr" not in v else v for v in value])
    assert len(encoded) - 8 <= wire.payload_bytes(list(value)) + wire.FRAME_OVERHEAD < 3 * len(encoded)


def test_a_batch_frame_gives_each_case_its_own_arrays():
    """Messages encoded once each (their offsets from 0) framed together: each case reads its own bytes."""
    cases = [
        {"x": wire.encode(np.arange(5.0)), "k": 3},
        {"note": "no arrays"},
        {"x": wire.encode(np.eye(3, dtype=np.float32)), "y": wire.encode(np.array([True, False]))},
    ]
    frame = bytearray(b"".join(wire.batch([wire.message(c) for c in cases], id=7, seconds=1.5))[8:])
    request = wire.parse_frame(frame, max_nodes=None, trusted=True)
    assert request["id"] == 7 and request["seconds"] == 1.5
    got = wire.cases_of(request)
    np.testing.assert_array_equal(wire.decode(got[0]["x"]), np.arange(5.0))
    assert got[0]["k"] == 3 and got[1] == {"note": "no arrays"}
    np.testing.assert_array_equal(wire.decode(got[2]["x"]), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(wire.decode(got[2]["y"]), [True, False])
    assert all(b % wire.ALIGN == 0 for b in request["bases"])


def test_a_case_of_a_batch_cannot_read_another_cases_bytes():
    """A reference past its own case's part of the binary section is refused, not read from the next case."""
    first, second = wire.message({"x": wire.encode(np.arange(4.0))}), wire.message({"x": wire.encode(np.ones(2))})
    frame = bytearray(b"".join(wire.batch([first, second]))[8:])
    request = wire.parse_frame(frame, max_nodes=None, trusted=True)
    request["cases"][0]["x"].spec[1] = [12]  # 96 bytes: its own 32 and, beyond them, the next case's
    cases = wire.cases_of(request)
    with pytest.raises(wire.WireError, match="binary section has 64"):
        wire.decode(cases[0]["x"])
    np.testing.assert_array_equal(wire.decode(cases[1]["x"]), np.ones(2))
