"""The sandbox wire format: round trips, and rejection of every malformed or hostile payload with WireError."""

from __future__ import annotations

import base64
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


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def npy_bytes(a: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=allow_pickle)
    return buf.getvalue()


def header(shape, descr: str = "<f8", fortran: bool = False, version=(1, 0)) -> bytes:
    """A valid .npy magic + header (no data) claiming ``shape`` and ``descr``."""
    buf = io.BytesIO()
    d = {"descr": descr, "fortran_order": fortran, "shape": shape}
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buf, d)
    else:
        np.lib.format.write_array_header_2_0(buf, d)
    return buf.getvalue()


def roundtrip(value):
    """encode -> JSON text -> decode, as the value really travels."""
    return wire.decode(json.loads(json.dumps(wire.encode(value))))


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


def test_fortran_order_npy_payload_is_read_in_fortran_order():
    raw = header((2, 3), fortran=True) + np.arange(6.0).tobytes()
    got = wire.npy_to_array(b64(raw))
    assert_same_array(got, np.arange(6.0).reshape(2, 3, order="F"))


def test_version_2_header_is_accepted():
    raw = header((2,), descr="<i4", version=(2, 0)) + np.array([7, -7], dtype="<i4").tobytes()
    assert_same_array(wire.npy_to_array(b64(raw)), np.array([7, -7], dtype=np.int32))


def test_noncontiguous_view_round_trip():
    a = np.arange(20.0).reshape(4, 5)[::2, 1::2]
    assert_same_array(roundtrip(a), a)


def test_zero_d_npy_payload_decodes_to_zero_d():
    got = wire.npy_to_array(b64(npy_bytes(np.array(2.5))))
    assert got.shape == () and got.dtype == np.float64 and float(got) == 2.5


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
    assert length == len(json.dumps(msg, separators=(",", ":")).encode())
    assert wire.read_frame(stream) == msg
    assert wire.read_frame(stream) == {"second": True}
    with pytest.raises(EOFError):
        wire.read_frame(stream)


def test_truncated_frame_body_is_eof():
    with pytest.raises(EOFError):
        wire.read_frame(io.BytesIO(struct.pack(">Q", 100) + b'{"a":'))


# -- npy_to_array rejections -----------------------------------------------------------------------------


def test_rejects_pickled_object_array():
    raw = npy_bytes(np.array([1, "a", None, {"k": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError, match="dtype object"):
        wire.npy_to_array(b64(raw))


def test_huge_shape_is_rejected_without_allocating(monkeypatch):
    def no_alloc(*a, **k):  # the size check must come before any data is touched
        raise AssertionError("tried to read data of a huge array")

    monkeypatch.setattr(np, "frombuffer", no_alloc)
    with pytest.raises(wire.WireError, match="larger than the grader accepts"):
        wire.npy_to_array(b64(header((10**9, 10**9))))
    with pytest.raises(wire.WireError, match="larger"):
        wire.npy_to_array(b64(header((wire.MAX_ARRAY_ELEMENTS + 1,), descr="|b1")))


def test_size_limit_is_inclusive():
    n = wire.MAX_ARRAY_ELEMENTS
    raw = header((n,), descr="|u1") + b"\0" * n
    assert wire.npy_to_array(b64(raw)).size == n


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    "shape",
    [(2**32, 2**32), (2**62, 4), (2**31, 2**31, 4), (2**64,), (2**63 + 1, 2)],
    ids=["wraps-to-0-2d", "wraps-to-0", "wraps-to-0-3d", "over-uint64", "over-int64"],
)
def test_shape_whose_size_overflows_int64_is_a_wire_error(shape):
    with pytest.raises(wire.WireError):
        wire.npy_to_array(b64(header(shape)))


def test_bool_dimension_is_a_wire_error():
    with pytest.raises(wire.WireError):
        wire.npy_to_array(b64(header((True,)) + np.zeros(1).tobytes()))


def test_negative_dimension_is_rejected():
    with pytest.raises(wire.WireError, match="bad .npy shape"):
        wire.npy_to_array(b64(header((-1,))))


@pytest.mark.parametrize("cut", [1, 8, 15])
def test_truncated_data_is_rejected(cut):
    raw = npy_bytes(np.arange(2.0))
    with pytest.raises(wire.WireError, match="bytes of data"):
        wire.npy_to_array(b64(raw[:-cut]))


def test_extra_trailing_data_is_rejected():
    with pytest.raises(wire.WireError, match="bytes of data"):
        wire.npy_to_array(b64(npy_bytes(np.arange(2.0)) + b"\0" * 8))


@pytest.mark.parametrize("cut", [0, 3, 6, 9, 20, 60])
def test_truncated_header_is_rejected(cut):
    raw = npy_bytes(np.arange(2.0))
    with pytest.raises(wire.WireError):
        wire.npy_to_array(b64(raw[:cut]))


def test_wrong_magic_is_rejected():
    raw = npy_bytes(np.arange(2.0))
    with pytest.raises(wire.WireError, match="header"):
        wire.npy_to_array(b64(b"\x93NUMPX" + raw[6:]))
    with pytest.raises(wire.WireError, match="header"):
        wire.npy_to_array(b64(b"PK\x03\x04" + raw[4:]))  # e.g. an .npz


def test_unsupported_version_is_rejected():
    raw = bytearray(npy_bytes(np.arange(2.0)))
    raw[6] = 3  # version 3.0: utf-8 header, not accepted
    with pytest.raises(wire.WireError):
        wire.npy_to_array(b64(bytes(raw)))


@pytest.mark.parametrize("text", ["not base64!!", "QUJD$", "é", "QUJDRA=", " "], ids=repr)
def test_non_base64_text_is_rejected(text):
    with pytest.raises(wire.WireError):
        wire.npy_to_array(text)


@pytest.mark.parametrize("payload", [None, 3, 1.5, b"\x93NUMPY", ["QUJD"], {"$npy": "QUJD"}], ids=repr)
def test_non_str_payload_is_rejected(payload):
    with pytest.raises(wire.WireError, match="not text"):
        wire.npy_to_array(payload)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.float16])
def test_complex_and_half_are_allowed(dtype):
    a = np.array([1.5, -2.0], dtype=dtype) * (1 + 1j if np.dtype(dtype).kind == "c" else 1)
    assert_same_array(wire.npy_to_array(b64(npy_bytes(a))), a)


@pytest.mark.parametrize(
    "a",
    [
        np.array(["ab", "c"]),
        np.array([b"ab"]),
        np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]),
        np.zeros(2, dtype="datetime64[s]"),
        np.zeros(2, dtype=">f8"),
        np.zeros(2, dtype="V8"),
    ],
    ids=["unicode", "bytes", "structured", "datetime", "big-endian", "void"],
)
def test_non_number_dtypes_are_rejected(a):
    with pytest.raises(wire.WireError, match="dtype"):
        wire.npy_to_array(b64(npy_bytes(a)))


def test_header_claiming_object_dtype_without_pickle_flag_is_rejected():
    with pytest.raises(wire.WireError, match="dtype"):
        wire.npy_to_array(b64(header((2,), descr="|O") + b"\0" * 16))


def test_decode_routes_npy_errors_as_wire_errors():
    with pytest.raises(wire.WireError):
        wire.decode({"$list": [1, {"$npy": "####"}]})


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
    data = struct.pack(">Q", 5) + b'"abc"'
    assert wire.read_frame(io.BytesIO(data)) == "abc"


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b'{"a": "\xc3"}', b"{", b"", b"nul", b'{"a":1}x', b"[" * 100_000],
    ids=["bad-utf8", "cut-utf8", "open-brace", "empty", "bare-word", "trailing", "deep"],
)
def test_parse_frame_rejects_invalid_utf8_and_json(body):
    with pytest.raises(wire.WireError, match="malformed"):
        wire.parse_frame(body)
    with pytest.raises(wire.WireError, match="malformed"):
        wire.read_frame(io.BytesIO(struct.pack(">Q", len(body)) + body))


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
        value = wire.parse_frame(text.encode())
    except wire.WireError:
        return
    with pytest.raises(wire.WireError):
        wire.decode(value)


# -- property tests --------------------------------------------------------------------------------------


def check_npy_result(text: str) -> None:
    try:
        got = wire.npy_to_array(text)
    except wire.WireError:
        return
    assert type(got) is np.ndarray
    assert got.dtype.str in wire.ALLOWED_DTYPES
    assert got.size <= wire.MAX_ARRAY_ELEMENTS
    assert math.prod(got.shape) == got.size


VALID = [
    npy_bytes(np.arange(6.0).reshape(2, 3)),
    npy_bytes(np.array([True, False])),
    npy_bytes(np.array(3, dtype=np.int16)),
    npy_bytes(np.asfortranarray(np.arange(6, dtype=np.float32).reshape(3, 2))),
    header((2,), descr="<c16", version=(2, 0)) + np.array([1j, 2]).tobytes(),
]

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_wire_error(raw):
    check_npy_result(b64(raw))
    check_npy_result(b64(b"\x93NUMPY\x01\x00" + raw))


@SETTINGS
@given(st.text(max_size=60))
def test_random_text_never_raises_anything_but_wire_error(text):
    check_npy_result(text)


@SETTINGS
@given(st.sampled_from(VALID), st.data())
def test_truncated_valid_payload_never_raises_anything_but_wire_error(raw, data):
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(wire.WireError):
        wire.npy_to_array(b64(raw[:cut]))


@SETTINGS
@given(st.sampled_from(VALID), st.data())
def test_mutated_valid_payload_never_raises_anything_but_wire_error(raw, data):
    buf = bytearray(raw)
    header_len = min(len(raw), 128)  # magic, version, header length and header text
    flips = data.draw(st.lists(st.tuples(st.integers(0, header_len - 1), st.integers(0, 255)), min_size=1, max_size=6))
    for pos, byte in flips:
        buf[pos] = byte
    check_npy_result(b64(bytes(buf)))


@SETTINGS
@given(st.sampled_from(VALID), st.data())
def test_header_text_edits_never_raise_anything_but_wire_error(raw, data):
    """Replace one printable header character by another (digits, quotes, brackets: plausible headers)."""
    buf = bytearray(raw)
    text_start = 10 if raw[6] == 1 else 12
    end = raw.index(b"\n", text_start)
    pos = data.draw(st.integers(text_start, end - 1))
    buf[pos] = ord(data.draw(st.sampled_from("0123456789,()'<>|fiucbOUV-. TrueFalse")))
    check_npy_result(b64(bytes(buf)))


# -- reply bounds ----------------------------------------------------------------------------------------


def test_read_frame_refuses_a_frame_over_the_readers_cap_without_reading_it():
    body = json.dumps({"steps": [], "returns": []}).encode()
    stream = GuardedStream(struct.pack(">Q", len(body)) + body, allowed=8)
    with pytest.raises(wire.FrameTooLarge, match=f"frame of {len(body)} bytes is over the limit of {len(body) - 1}"):
        wire.read_frame(stream, max_bytes=len(body) - 1)
    assert stream.consumed == 8
    assert wire.read_frame(io.BytesIO(struct.pack(">Q", len(body)) + body), max_bytes=len(body)) == json.loads(body)


def test_reply_cap_is_a_base_plus_a_multiple_of_the_payload_and_never_over_the_frame_limit():
    assert wire.reply_cap(0) == wire.REPLY_BASE_BYTES
    assert wire.reply_cap(1000) == wire.REPLY_BASE_BYTES + wire.REPLY_PAYLOAD_FACTOR * 1000
    assert wire.reply_cap(-5) == wire.REPLY_BASE_BYTES
    assert wire.reply_cap(10**12) == wire.MAX_FRAME_BYTES


def test_too_many_values_are_refused_before_json_parses_them(monkeypatch):
    def no_parse(text):
        raise AssertionError("parsed")

    body = b"[" + b"0," * 200 + b"0]"
    monkeypatch.setattr(wire, "_loads", no_parse)
    with pytest.raises(wire.WireError, match="malformed reply: more than 100 values"):
        wire.parse_frame(body, max_nodes=100)
    monkeypatch.undo()
    assert len(wire.parse_frame(body, max_nodes=202)) == 201  # 201 numbers and their list
    assert len(wire.parse_frame(b"[" + b"0," * 200_000 + b"0]", max_nodes=None)) == 200_001  # the child's requests
    with pytest.raises(wire.WireError, match="more than"):
        wire.parse_frame(b"[" + b"0," * wire.MAX_REPLY_NODES + b"0]")


@pytest.mark.parametrize("depth", [wire.MAX_JSON_DEPTH - 1, wire.MAX_JSON_DEPTH])
def test_nesting_up_to_the_bound_is_read(depth):
    value = wire.parse_frame(("[" * depth + "]" * depth).encode())
    for _ in range(depth - 1):
        (value,) = value
    assert value == []


@pytest.mark.parametrize(
    "body", ["[" * 201 + "]" * 201, '{"a":' * 201 + "1" + "}" * 201, '[{"k":' * 150 + "1" + "}]" * 150]
)
def test_nesting_over_the_bound_is_refused(body):
    with pytest.raises(wire.WireError, match=f"nested more than {wire.MAX_JSON_DEPTH} deep"):
        wire.parse_frame(body.encode())


def test_payload_bytes_of_a_reference_reply_covers_its_encoding():
    value = ({"W1": np.zeros((3, 4)), "b1": np.zeros(3)}, np.float64(2.0), True, {"$srepr": "Symbol('x')"})
    encoded = wire.frame_bytes([wire.encode(v) if not isinstance(v, dict) or "$srepr" not in v else v for v in value])
    assert len(encoded) <= wire.payload_bytes(list(value)) < 3 * len(encoded)
