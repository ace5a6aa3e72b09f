"""The wire format between the grader and its sandboxed child: framed JSON, arrays as dtype + shape + raw bytes.

This module is copied into the child's private runtime, so it imports nothing but the standard library
and NumPy. Nothing is ever pickled: arrays travel as their raw C-order bytes beside the JSON, everything else
as JSON, and SymPy answers as ``srepr`` text that the parent parses with an allow-list.

Frame (either direction)::

    8 bytes    big-endian length L of the body (a reader refuses an L over its cap without reading on)
    body, L bytes:
      8 bytes  big-endian length J of the JSON text
      J bytes  UTF-8 JSON, padded with spaces so that the binary section starts at a multiple of ALIGN (64)
      L-8-J    the binary section: each array's C-order bytes, at an offset that is a multiple of ALIGN

An array in the JSON is ``{"$nd": [dtype, [d0, d1, ...], offset]}``: ``dtype`` one of :data:`ALLOWED_DTYPES`
(NumPy's type string, e.g. ``"<f8"``), the shape (at most 32 dimensions, each an int >= 0, at most
:data:`MAX_ARRAY_ELEMENTS` elements), and where its ``prod(shape) * itemsize`` bytes start in the binary
section. A reference that breaks any of this (another dtype, a bad shape, an offset that is not an aligned
int, bytes past the section's end, bytes another array of the frame already took) is a :class:`WireError` when
it is decoded, never another exception; no array is built before its reference has passed every check.

Decoding copies nothing: an array is ``np.frombuffer`` on the frame's own buffer. Both readers (the parent's
:class:`~autograder.sandbox.runner.Sandbox` and the child's :func:`read_frame`) read a frame into a
``bytearray``, so the arrays are writable views of it, no two overlapping (the overlap check above); the
buffer lives as long as one of its arrays does. A frame parsed from immutable ``bytes`` gives read-only arrays.

A reply is bounded before it is parsed: the parent allows each request a byte cap (:func:`reply_cap`: 4 MiB
plus 4 times the size the expected values take on the wire, sent to the child as ``reply_bytes``; the child
keeps its honest replies under it) and refuses a longer frame from its length prefix alone, without reading
its body. A frame's JSON values are counted before JSON parses them (at most :data:`MAX_REPLY_NODES`, a cheap
count of the separators of the JSON part) and nested at most :data:`MAX_JSON_DEPTH` deep.

Values (both directions), as :func:`encode` gives them and :func:`decode` takes them back:
    JSON null/bool/int/float/str      as themselves
    {"$nd": [dtype, shape, offset]}   a NumPy array (:class:`Array` before it is framed, :class:`ArrayRef` read)
    {"$list": [...]} / {"$tuple": [...]} / {"$dict": {str: value}}
    {"$srepr": text}                  a SymPy expression (child to parent only)
    {"$error": message}               a value the child could not produce in the asked form
    {"$symbol": name, "assumptions": {...}}, {"$callable": name}   (parent to child only)

A request that is the same for many submissions is encoded once (:func:`message`, a :class:`Message`) and
framed again for each with only its per-request fields added (:meth:`Message.frame`), its body not re-encoded.
Several such messages go in one frame as a batch (:func:`batch`): ``{"cases": [...], "bases": [...], ...}``,
each case's arrays in its own part of the binary section, from its base on (:func:`cases_of`).
"""

from __future__ import annotations

import bisect
import json
import math
import re
import struct
import threading
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
MAX_DIMS = 32
ALIGN = 64  # the binary section and every array in it start at a multiple of this many bytes
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
_DTYPES = {s: np.dtype(s) for s in ALLOWED_DTYPES}

# Bound when this module is imported, before any student code runs in the child: a submission that replaces
# json.dumps, json.loads or struct.pack at import time changes its own modules, not the replies.
_Encoder, _loads = json.JSONEncoder, json.loads
_pack_length, _unpack_length = struct.Struct(">Q").pack, struct.Struct(">Q").unpack
_frombuffer, _ndarray = np.frombuffer, np.ndarray


class WireError(ValueError):
    """A frame or value that does not follow the wire format."""


class FrameTooLarge(WireError):
    """A frame whose length prefix is over the reader's cap (its body is never read)."""


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def reply_cap(payload_bytes: int) -> int:
    """The most bytes the parent reads of a reply whose expected values take ``payload_bytes`` on the wire."""
    return min(MAX_FRAME_BYTES, REPLY_BASE_BYTES + REPLY_PAYLOAD_FACTOR * max(0, int(payload_bytes)))


#: What a frame takes beyond its values: the two lengths and the JSON's padding to the binary section.
FRAME_OVERHEAD = 16 + ALIGN


def payload_bytes(value: Any) -> int:
    """About how many bytes ``value`` (decoded: arrays, SymPy answers as ``{"$srepr": ...}``, containers,
    plain data) takes in a frame (:data:`FRAME_OVERHEAD` aside): an array its bytes (aligned) and its
    reference's JSON, a string its text, a little per item."""
    if isinstance(value, (np.ndarray, np.generic)):
        return _aligned(value.nbytes) + 64 + 24 * np.ndim(value)
    if isinstance(value, str):
        return len(value) + 8
    if isinstance(value, dict):
        return sum(payload_bytes(k) + payload_bytes(v) for k, v in value.items()) + 16
    if isinstance(value, (list, tuple)):
        return sum(payload_bytes(v) for v in value) + 16
    return 32


# -- arrays ------------------------------------------------------------------------------------------------


class Array:
    """An array to send (what :func:`encode` makes of an ``ndarray``): framing writes its bytes to the binary
    section and ``{"$nd": [dtype, shape, offset]}`` to the JSON; decoded without a frame it is the array."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = np.asarray(array, order="C")  # C-order bytes (a copy only of a non-contiguous array)

    def __repr__(self) -> str:
        return f"Array({self.array.dtype.str}, {self.array.shape})"


class ArrayRef:
    """An array as a frame read it: the reference from its JSON (not yet checked) and the frame's binary
    section; :func:`decode` checks it and gives a view of the section's bytes (once: decoding it again gives
    the same array)."""

    __slots__ = ("spec", "section", "array")

    def __init__(self, spec: Any, section: _Section | None):
        self.spec, self.section, self.array = spec, section, None

    def __repr__(self) -> str:
        return f"ArrayRef({str(self.spec)[:60]})"


class _Section:
    """A frame's binary section and the byte ranges its decoded arrays took (sorted, never overlapping)."""

    __slots__ = ("data", "starts", "ends")

    def __init__(self, data: memoryview):
        self.data, self.starts, self.ends = data, [], []

    def claim(self, start: int, size: int) -> None:
        if size == 0:
            return
        i = bisect.bisect_right(self.starts, start)
        if (i > 0 and self.ends[i - 1] > start) or (i < len(self.starts) and self.starts[i] < start + size):
            raise WireError("array references overlap in the frame's binary section")
        self.starts.insert(i, start)
        self.ends.insert(i, start + size)


def encode_array(a: Any) -> Array:
    """An array (or NumPy scalar, as a 0-d array) ready to send."""
    return Array(a)


_DESCR = re.compile(r"[<>|=]?[A-Za-z]\d{0,2}")


def _dtype_name(descr: str) -> str:
    """How a refused dtype reads in a message (NumPy's name where the text is a short, plain type string)."""
    if _DESCR.fullmatch(descr):
        try:
            return str(np.dtype(descr))
        except (TypeError, ValueError):
            pass
    return repr(descr[:20])


def _dtype(descr: Any) -> np.dtype:
    if type(descr) is not str:
        raise WireError("array dtype is not text")
    if descr not in _DTYPES:
        raise WireError(f"values of dtype {_dtype_name(descr)} are not numbers the grader accepts")
    return _DTYPES[descr]


def _size(shape: tuple) -> int:
    """The element count of a shape already known to be ints >= 0; refuses what the grader never holds."""
    size = math.prod(shape)  # Python ints: no overflow
    if size > MAX_ARRAY_ELEMENTS:
        raise WireError(f"array of shape {str(shape)[:80]} is larger than the grader accepts")
    if max(shape, default=0) > MAX_ARRAY_ELEMENTS:  # zero-size, but with a dimension numpy cannot hold
        raise WireError(f"bad array shape {str(shape)[:80]}")
    return size


def _shape(shape: Any) -> tuple:
    if type(shape) is not list or len(shape) > MAX_DIMS or not all(type(d) is int and d >= 0 for d in shape):
        raise WireError(f"bad array shape {str(shape)[:80]}")
    return tuple(shape)


def decode_array(node: Array | ArrayRef) -> np.ndarray:
    """The array a node stands for, checked: dtype allow-list, shape, size, and (read from a frame) where its
    bytes lie; raises WireError on anything else."""
    if type(node) is Array:
        a = node.array
        if type(a) is not _ndarray:
            raise WireError("not an array")
        _dtype(a.dtype.str)
        if a.ndim > MAX_DIMS:
            raise WireError(f"bad array shape {str(a.shape)[:80]}")
        _size(a.shape)
        return a
    if type(node) is not ArrayRef:
        raise WireError(f"unknown value on the wire: {str(node)[:80]}")
    if node.array is not None:
        return node.array
    spec = node.spec
    if type(spec) is not list or len(spec) != 3:
        raise WireError(f"bad array reference {str(spec)[:80]}")
    dtype = _dtype(spec[0])
    shape = _shape(spec[1])
    size = _size(shape)
    offset = spec[2]
    if type(offset) is not int or offset < 0 or offset % ALIGN:
        raise WireError(f"bad array offset {str(offset)[:40]}")
    nbytes = size * dtype.itemsize
    section = node.section
    if offset + nbytes > len(section.data):
        raise WireError(
            f"array of shape {shape} needs {nbytes} bytes of data at offset {offset}; "
            f"the frame's binary section has {len(section.data)}"
        )
    section.claim(offset, nbytes)
    if size:
        node.array = _frombuffer(section.data, dtype, count=size, offset=offset).reshape(shape)
    else:
        node.array = np.zeros(shape, dtype)
    return node.array


# -- frames ------------------------------------------------------------------------------------------------


class Message:
    """A message encoded once: its JSON text (arrays as references) and its binary section. ``reply_bytes``:
    the request's own reply cap, where it names one (read by the sender, which may override it per frame)."""

    __slots__ = ("json", "binary", "reply_bytes")

    def __init__(self, json_text: bytes, binary: bytes, reply_bytes: Any = None):
        self.json, self.binary, self.reply_bytes = json_text, binary, reply_bytes

    def frame(self, **fields: Any) -> list[bytes]:
        """The whole frame, as buffers to write one after the other; ``fields`` (plain JSON values) are added
        to the message's object (replacing its own of the same name) without encoding the rest again."""
        text = self.json
        if fields:
            if not text.startswith(b"{"):
                raise TypeError("only an object takes fields")
            extra = _Encoder(allow_nan=True, separators=(",", ":")).encode(fields).encode("utf-8")
            text = text[:-1] + (b"," if len(text) > 2 else b"") + extra[1:]  # later keys win in JSON
        pad = b" " * (_aligned(8 + len(text)) - 8 - len(text)) if self.binary else b""
        head = _pack_length(8 + len(text) + len(pad) + len(self.binary)) + _pack_length(len(text) + len(pad))
        return [head, text, pad, self.binary] if self.binary else [head + text]


def batch(messages: list[Message], **fields: Any) -> list[bytes]:
    """One frame of several messages (a check's cases, each encoded once for a class), as buffers to write one
    after the other: ``{"cases": [m0, m1, ...], "bases": [b0, b1, ...], **fields}``, where message ``i``'s
    binary section starts at ``bi`` (a multiple of :data:`ALIGN`) of the frame's; its own references are
    relative to that (:func:`cases_of` reads them so). Nothing of the messages is encoded again."""
    texts, binaries, bases, size = [], [], [], 0
    for m in messages:
        texts.append(m.json)
        bases.append(size)
        if m.binary:
            binaries += [m.binary, bytes(_aligned(len(m.binary)) - len(m.binary))]
            size += _aligned(len(m.binary))
    extra = _Encoder(allow_nan=True, separators=(",", ":")).encode({"bases": bases, **fields}).encode("utf-8")
    text = b'{"cases":[' + b",".join(texts) + b"]," + extra[1:]
    pad = b" " * (_aligned(8 + len(text)) - 8 - len(text)) if size else b""
    head = _pack_length(8 + len(text) + len(pad) + size) + _pack_length(len(text) + len(pad))
    return [head, text, pad, *binaries] if size else [head + text]


def cases_of(request: dict) -> list[dict]:
    """The cases of a frame :func:`batch` made (the grader's own, parsed ``trusted``), each with its arrays read
    from its own part of the binary section (from its base to the next one's)."""
    cases, bases = request["cases"], request["bases"]
    if type(cases) is not list or type(bases) is not list or len(bases) != len(cases):
        raise WireError("malformed batch: cases and bases differ")
    refs: list[list[ArrayRef]] = [[] for _ in cases]
    for case, mine in zip(cases, refs, strict=True):
        _collect_refs(case, mine, 0)
    whole = next((mine[0].section.data for mine in refs if mine), memoryview(b""))  # the frame's whole section
    ends = [*bases[1:], len(whole)]
    for mine, start, end in zip(refs, bases, ends, strict=True):
        if type(start) is not int or type(end) is not int or not 0 <= start <= end <= len(whole) or start % ALIGN:
            raise WireError("malformed batch: a bad base")
        section = _Section(whole[start:end])
        for ref in mine:
            ref.section = section
    return cases


def _collect_refs(value: Any, out: list, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise WireError(f"malformed batch: nested more than {MAX_JSON_DEPTH} deep")
    if type(value) is ArrayRef:
        out.append(value)
    elif type(value) is list:
        for v in value:
            _collect_refs(v, out, depth + 1)
    elif type(value) is dict:
        for v in value.values():
            _collect_refs(v, out, depth + 1)


def message(value: Any) -> Message:
    """Encode an already encoded value (:func:`encode`'s output, or JSON with :class:`Array` nodes) once."""
    parts: list = []
    size = 0

    def reference(obj: Any) -> dict:
        nonlocal size
        if type(obj) is not Array:
            raise TypeError(f"cannot frame {type(obj).__name__}")
        a = obj.array
        offset = _aligned(size)
        if offset > size:
            parts.append(bytes(offset - size))
        parts.append(a.reshape(-1).view(np.uint8))
        size = offset + a.nbytes
        return {"$nd": [a.dtype.str, list(a.shape), offset]}

    text = _Encoder(allow_nan=True, separators=(",", ":"), default=reference).encode(value).encode("utf-8")
    reply_bytes = value.get("reply_bytes") if isinstance(value, dict) else None
    return Message(text, b"".join(parts), reply_bytes)


def frame_bytes(value: Any, **fields: Any) -> bytes:
    """One whole frame of ``value`` (encoded values: :class:`Array` nodes become references), as one buffer."""
    return b"".join(message(value).frame(**fields))


def write_frame(stream: BinaryIO, value: Any) -> None:
    stream.write(frame_bytes(value))
    stream.flush()


def count_values(data: bytes | bytearray) -> int:
    """An upper bound on the JSON values (and keys) in ``data``, without parsing it: every value but the
    first follows a ``[``, ``,`` or ``:``, every key a ``{`` or ``,`` (the same bytes inside strings only
    make the bound looser)."""
    return 1 + sum(data.count(c) for c in (b",", b":", b"[", b"{"))


def parse_frame(body: bytes | bytearray, max_nodes: int | None = MAX_REPLY_NODES, trusted: bool = False) -> Any:
    """One frame's body (its JSON and binary section) as values, arrays as :class:`ArrayRef` (checked when
    decoded); raises WireError on a body that is not a frame, on more than ``max_nodes`` JSON values (counted
    before parsing) and on containers nested more than :data:`MAX_JSON_DEPTH` deep.

    Lone surrogates and nesting are looked for in Python (:func:`_scrub`) only where the text may hold them:
    a ``\\uD800``-``\\uDFFF`` escape, more opening brackets than :data:`MAX_JSON_DEPTH`. ``trusted``: the
    grader's own frame (the child's requests), never walked."""
    if len(body) < 8:
        raise WireError("malformed reply: no JSON length")
    view = memoryview(body)
    (length,) = _unpack_length(view[:8])
    if length > len(body) - 8:
        raise WireError("malformed reply: a JSON length past the frame's end")
    text = bytes(view[8 : 8 + length])
    if max_nodes is not None and count_values(text) > max_nodes:
        raise WireError(f"malformed reply: more than {max_nodes} values")
    section = _Section(view[8 + length :])
    try:
        if trusted or (text.count(b"[") + text.count(b"{") <= MAX_JSON_DEPTH and not _SURROGATE_ESCAPE.search(text)):
            _parsing.refs = refs = []
            value = _decoder.decode(text.decode("utf-8"))
            for ref in refs:
                ref.section = section
            return value
        return _scrub(_loads(text.decode("utf-8")), 0, section)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        if isinstance(exc, WireError):
            raise
        raise WireError(f"malformed reply: {type(exc).__name__}") from None


_parsing = threading.local()  # the references the frame being parsed (in this thread) holds


def _reference(obj: dict) -> Any:
    """``{"$nd": spec}`` as JSON parses it: an :class:`ArrayRef` (its section set once the frame is parsed)."""
    if len(obj) == 1 and "$nd" in obj:
        ref = ArrayRef(obj["$nd"], None)
        _parsing.refs.append(ref)
        return ref
    return obj


_decoder = json.JSONDecoder(object_hook=_reference)  # made once: json.loads(..., object_hook=) makes one per call
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # the only way JSON text can hold a lone surrogate


def _scrub(value: Any, depth: int, section: _Section) -> Any:
    """Lone surrogates (valid JSON escapes, but no text that can be printed or saved) become U+FFFD; nesting
    deeper than :data:`MAX_JSON_DEPTH` is refused; ``{"$nd": ...}`` becomes an :class:`ArrayRef`."""
    if type(value) is str:
        return value if value.isascii() else _LONE_SURROGATE.sub("\ufffd", value)
    if depth >= MAX_JSON_DEPTH and type(value) in (list, dict):
        raise WireError(f"malformed reply: nested more than {MAX_JSON_DEPTH} deep")
    if type(value) is list:
        return [_scrub(v, depth + 1, section) for v in value]
    if type(value) is dict:
        if len(value) == 1 and "$nd" in value:
            return ArrayRef(_scrub(value["$nd"], depth + 1, section), section)
        return {_scrub(k, depth + 1, section): _scrub(v, depth + 1, section) for k, v in value.items()}
    return value


def read_exact(stream: BinaryIO, n: int) -> bytearray:
    """``n`` bytes of ``stream`` in a bytearray (read in chunks: a lying length allocates only what came)."""
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(min(n - got, 1 << 24))
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        got += len(chunk)
    return bytearray().join(chunks)


def read_frame(
    stream: BinaryIO, max_bytes: int = MAX_FRAME_BYTES, max_nodes: int | None = MAX_REPLY_NODES, trusted: bool = False
) -> Any:
    """Read one frame; one longer than ``max_bytes`` is refused from its length prefix, its body left unread."""
    (length,) = _unpack_length(bytes(read_exact(stream, 8)))
    if length > max_bytes:
        raise FrameTooLarge(f"frame of {length} bytes is over the limit of {max_bytes}")
    return parse_frame(read_exact(stream, length), max_nodes, trusted)


# -- values ------------------------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """Encode plain data (arrays, numbers, strings, containers) for the wire."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        return encode_array(value)
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
    if type(value) in (Array, ArrayRef):
        return decode_array(value)
    if isinstance(value, dict) and len(value) >= 1:
        if "$tuple" in value and isinstance(value["$tuple"], list):
            return tuple(decode(v, depth + 1) for v in value["$tuple"])
        if "$list" in value and isinstance(value["$list"], list):
            return [decode(v, depth + 1) for v in value["$list"]]
        if "$dict" in value and isinstance(value["$dict"], dict):
            return {str(k): decode(v, depth + 1) for k, v in value["$dict"].items()}
        if set(value) <= {"$srepr", "$error", "$symbol", "assumptions", "$symbols", "$callable", "$ref"}:
            return value
    raise WireError(f"unknown value on the wire: {str(value)[:80]}")
