"""The wire format between the grader and its sandboxed child: framed JSON with arrays as ``.npy`` bytes.

This module is copied into the child's private runtime, so it imports nothing but the standard library
and NumPy. Nothing is ever pickled: arrays travel as ``.npy`` (``allow_pickle=False``), everything else as
JSON, and SymPy answers as ``srepr`` text that the parent parses with an allow-list.

Frame: an 8-byte big-endian length, then that many bytes of UTF-8 JSON.

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

MAX_FRAME_BYTES = 256 * 1024 * 1024
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


def write_frame(stream: BinaryIO, message: Any) -> None:
    data = _dumps(message, allow_nan=True, separators=(",", ":")).encode("utf-8")
    stream.write(_pack_length(len(data)) + data)
    stream.flush()


def parse_frame(data: bytes) -> Any:
    """JSON of one frame's body; raises WireError on anything malformed."""
    try:
        return _scrub(_loads(data.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"malformed reply: {type(exc).__name__}") from None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    """Lone surrogates (valid JSON escapes, but no text that can be printed or saved) become U+FFFD."""
    if type(value) is str:
        return value if value.isascii() else _LONE_SURROGATE.sub("\ufffd", value)
    if type(value) is list:
        return [_scrub(v) for v in value]
    if type(value) is dict:
        return {_scrub(k): _scrub(v) for k, v in value.items()}
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


def read_frame(stream: BinaryIO) -> Any:
    (length,) = _unpack_length(_read_exact(stream, 8))
    if length > MAX_FRAME_BYTES:
        raise WireError(f"frame of {length} bytes is over the limit")
    return parse_frame(_read_exact(stream, length))


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
