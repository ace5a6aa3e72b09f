"""The wire format between the grader and its sandboxed child: framed JSON with arrays as ``.npy`` bytes.

This module is copied into the child's private runtime, so it imports nothing but the standard library
and NumPy. Nothing is ever pickled: arrays travel as ``.npy`` (``allow_pickle=False``), everything else as
JSON, and SymPy answers as ``srepr`` text that the parent parses with an allow-list.

Frame: an 8-byte big-endian length, then that many bytes of UTF-8 JSON.

A reply is bounded before it is parsed: the parent allows each request a byte cap (:func:`reply_cap`: 4 MiB
plus 4 times the size the expected values take on the wire, sent to the child as ``reply_bytes``; the child
keeps its honest replies under it) and refuses a longer frame from its length prefix alone, without reading
its body. A frame's values are counted before JSON parses it (at most :data:`MAX_REPLY_NODES`, a cheap count
of the separators) and nested at most :data:`MAX_JSON_DEPTH` deep.

Encoded values (both directions):
    JSON null/bool/int/float/str      as themselves
    {"$npy": base64}                  a NumPy array
    {"$list": [...]} / {"$tuple": [...]} / {"$dict": {str: value}}
    {"$srepr": text}                  a SymPy expression (child to parent only)
    {"$error": message}               a value the child could not produce in the asked form
    {"$symbol": name, "assumptions": {...}}, {"$callable": name}   (parent to child only)
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import struct
from typing import Any, BinaryIO

import numpy as np

MAX_FRAME_BYTES = 256 * 1024 * 1024  # any frame, either direction (requests carry a class's inputs)
REPLY_BASE_BYTES = 4 * 1024 * 1024  # a reply's allowance beyond its values: step reports, error texts
REPLY_PAYLOAD_FACTOR = 4  # float64 where float32 is expected, complex where real: still readable
DEFAULT_REPLY_BYTES = 32 * 1024 * 1024  # a request that names no cap of its own
READY_BYTES = 64 * 1024  # the child's first frame
MAX_REPLY_NODES = 100_000  # JSON values in one frame; the child's replies hold a few hundred
MAX_JSON_DEPTH = 200  # containers inside containers; the child's replies nest about ten deep
MAX_ARRAY_ELEMENTS = 20_000_000
ALLOWED_DTYPES = frozenset(
    np.dtype(t).str
    for t in (
        "<f2",
        "<f4",
        "<f8",
        "<i1",
        "<i2",
        "<i4",
        "<i8",
        "<u1",
        "<u2",
        "<u4",
        "<u8",
        "|b1",
        "|i1",
        "|u1",
        "<c8",
        "<c16",
    )
)


# Bound when this module is imported, before any student code runs in the child: a submission that replaces
# json.dumps, json.loads or struct.pack at import time changes its own modules, not the replies.
_dumps, _loads = json.dumps, json.loads
_pack_length, _unpack_length = struct.Struct(">Q").pack, struct.Struct(">Q").unpack


class WireError(ValueError):
    """A frame or value that does not follow the wire format."""


class FrameTooLarge(WireError):
    """A frame whose length prefix is over the reader's cap (its body is never read)."""


def reply_cap(payload_bytes: int) -> int:
    """The most bytes the parent reads of a reply whose expected values take ``payload_bytes`` on the wire."""
    return min(MAX_FRAME_BYTES, REPLY_BASE_BYTES + REPLY_PAYLOAD_FACTOR * max(0, int(payload_bytes)))


def payload_bytes(value: Any) -> int:
    """About how many bytes ``value`` (decoded: arrays, SymPy answers as ``{"$srepr": ...}``, containers,
    plain data) takes on the wire: base64 ``.npy`` for arrays, the text for strings, a little per item."""
    if isinstance(value, (np.ndarray, np.generic)):
        return (value.nbytes + 160) * 4 // 3 + 32
    if isinstance(value, str):
        return len(value) + 8
    if isinstance(value, dict):
        return sum(payload_bytes(k) + payload_bytes(v) for k, v in value.items()) + 16
    if isinstance(value, (list, tuple)):
        return sum(payload_bytes(v) for v in value) + 16
    return 32


def frame_bytes(message: Any) -> bytes:
    """One whole frame: the length prefix and the JSON body."""
    data = _dumps(message, allow_nan=True, separators=(",", ":")).encode("utf-8")
    return _pack_length(len(data)) + data


def write_frame(stream: BinaryIO, message: Any) -> None:
    stream.write(frame_bytes(message))
    stream.flush()


def count_values(data: bytes | bytearray) -> int:
    """An upper bound on the JSON values (and keys) in ``data``, without parsing it: every value but the
    first follows a ``[``, ``,`` or ``:``, every key a ``{`` or ``,`` (the same bytes inside strings only
    make the bound looser)."""
    return 1 + sum(data.count(c) for c in (b",", b":", b"[", b"{"))


def parse_frame(data: bytes | bytearray, max_nodes: int | None = MAX_REPLY_NODES) -> Any:
    """JSON of one frame's body; raises WireError on anything malformed, on more than ``max_nodes`` values
    (counted before parsing) and on containers nested more than :data:`MAX_JSON_DEPTH` deep."""
    if max_nodes is not None and count_values(data) > max_nodes:
        raise WireError(f"malformed reply: more than {max_nodes} values")
    try:
        return _scrub(_loads(data.decode("utf-8")), 0)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        if isinstance(exc, WireError):
            raise
        raise WireError(f"malformed reply: {type(exc).__name__}") from None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any, depth: int) -> Any:
    """Lone surrogates (valid JSON escapes, but no text that can be printed or saved) become U+FFFD; nesting
    deeper than :data:`MAX_JSON_DEPTH` is refused."""
    if type(value) is str:
        return value if value.isascii() else _LONE_SURROGATE.sub("\ufffd", value)
    if depth >= MAX_JSON_DEPTH and type(value) in (list, dict):
        raise WireError(f"malformed reply: nested more than {MAX_JSON_DEPTH} deep")
    if type(value) is list:
        return [_scrub(v, depth + 1) for v in value]
    if type(value) is dict:
        return {_scrub(k, depth + 1): _scrub(v, depth + 1) for k, v in value.items()}
    return value


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO, max_bytes: int = MAX_FRAME_BYTES, max_nodes: int | None = MAX_REPLY_NODES) -> Any:
    """Read one frame; one longer than ``max_bytes`` is refused from its length prefix, its body left unread."""
    (length,) = _unpack_length(_read_exact(stream, 8))
    if length > max_bytes:
        raise FrameTooLarge(f"frame of {length} bytes is over the limit of {max_bytes}")
    return parse_frame(_read_exact(stream, length), max_nodes)


def array_to_npy(a: np.ndarray) -> dict:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a, order="C"), allow_pickle=False)
    return {"$npy": base64.b64encode(buf.getvalue()).decode("ascii")}


def npy_to_array(text: Any) -> np.ndarray:
    """Decode and validate one ``.npy`` payload: header, dtype allow-list, size, length; never pickle."""
    if not isinstance(text, str):
        raise WireError("array payload is not text")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise WireError("array payload is not base64") from None
    buf = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(buf)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(buf)
        else:
            raise WireError(f"unsupported .npy version {version}")
    except WireError:
        raise
    except Exception as exc:  # numpy raises ValueError, SyntaxError, ... on bad headers
        raise WireError(f"bad .npy header ({type(exc).__name__})") from None
    if dtype.str not in ALLOWED_DTYPES:
        raise WireError(f"values of dtype {dtype} are not numbers the grader accepts")
    if len(shape) > 32 or not all(type(d) is int and d >= 0 for d in shape):
        raise WireError(f"bad .npy shape {shape!r}")
    size = math.prod(shape)  # Python ints: no overflow
    if size > MAX_ARRAY_ELEMENTS:
        raise WireError(f"array of shape {str(shape)[:80]} is larger than the grader accepts")
    if max(shape, default=0) > MAX_ARRAY_ELEMENTS:  # zero-size, but with a dimension numpy cannot hold
        raise WireError(f"bad .npy shape {str(shape)[:80]}")
    body = raw[buf.tell() :]
    if len(body) != size * dtype.itemsize:
        raise WireError(f"array of shape {shape} has {len(body)} bytes of data, expected {size * dtype.itemsize}")
    flat = np.frombuffer(body, dtype=dtype, count=size)
    return flat.reshape(shape, order="F" if fortran else "C").copy()


def encode(value: Any) -> Any:
    """Encode plain data (arrays, numbers, strings, containers) for the wire."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, np.ndarray):
        return array_to_npy(value)
    if isinstance(value, np.generic):
        return array_to_npy(np.asarray(value))
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"$list": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"$dict": {str(k): encode(v) for k, v in value.items()}}
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(value: Any, depth: int = 0) -> Any:
    """Decode plain data; tagged objects that are not plain data (``$srepr``, ``$error``, ...) stay dicts."""
    if depth > 64:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict) and len(value) >= 1:
        if "$npy" in value:
            return npy_to_array(value["$npy"])
        if "$tuple" in value and isinstance(value["$tuple"], list):
            return tuple(decode(v, depth + 1) for v in value["$tuple"])
        if "$list" in value and isinstance(value["$list"], list):
            return [decode(v, depth + 1) for v in value["$list"]]
        if "$dict" in value and isinstance(value["$dict"], dict):
            return {str(k): decode(v, depth + 1) for k, v in value["$dict"].items()}
        if set(value) <= {"$srepr", "$error", "$symbol", "assumptions", "$symbols", "$callable", "$ref"}:
            return value
    raise WireError(f"unknown value on the wire: {str(value)[:80]}")
