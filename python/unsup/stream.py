"""Reader and writer for the unsup tensor stream, version 1.

The format is specified in ``docs/FORMAT.md``: a stream is a sequence of frames,
each a 64-byte header followed by a body whose length is a multiple of 64. An
``H`` frame carries the schema and JSON metadata, a ``B`` frame a batch of records
stored column by column, every column padded to a multiple of 64 bytes.
"""

import io
import json
import math
import operator
import os
import stat
import struct
import sys
from collections.abc import Mapping

import numpy as np

__all__ = ["StreamError", "read", "write", "iter_batches"]

MAGIC = b"UNSP"
VERSION = 1
FRAME_HEADER = 64
ALIGN = 64
KIND_H = 0x48
KIND_B = 0x42

# Limits from the spec.
MAX_META = 1 << 20
MAX_DIM = 1 << 24
MAX_RECORD = 256 << 20
MAX_K = 1 << 20
MAX_BATCH_BODY = 1 << 30
MAX_N = (1 << 32) - 1

ELEMENT_TYPES = {1: np.dtype("u1"), 2: np.dtype("<f2"), 3: np.dtype("<f4")}
ELEMENT_NAMES = {1: "u8", 2: "f16", 3: "f32"}
LAYOUT_NONE, LAYOUT_D, LAYOUT_CHW = 0, 1, 2
LAYOUT_NAMES = {LAYOUT_NONE: "none", LAYOUT_D: "D", LAYOUT_CHW: "CHW"}
FIELD_VIEW, FIELD_SPLIT, FIELD_CLUSTER, FIELD_PROBS = 1, 2, 4, 8
FIELD_NAMES = ((FIELD_VIEW, "view"), (FIELD_SPLIT, "split"),
               (FIELD_CLUSTER, "cluster"), (FIELD_PROBS, "probs"))

# Frame header: magic, kind, version, reserved, body length.
_FRAME = struct.Struct("<4sBBHQ")
# H fields at offset 16: element type, layout, fields, K, M, reserved, dims[4].
_HFIELDS = struct.Struct("<BBHIII4I")
# B fields at offset 16: n.
_BFIELDS = struct.Struct("<I")

_CHUNK = 1 << 24


class StreamError(ValueError):
    """A malformed or unsupported unsup stream.

    ``offset`` is the byte offset, from the start of the stream, of the frame at
    fault; the message names it too.
    """

    def __init__(self, message, offset):
        super().__init__(f"{message} (frame at byte offset {offset})")
        self.offset = offset


def _pad(nbytes):
    return -(-nbytes // ALIGN) * ALIGN


class _Schema:
    """The part of an H frame that must not change in a concatenated stream."""

    __slots__ = ("etype", "layout", "fields", "k", "dims", "columns")

    def __init__(self, etype, layout, fields, k, dims):
        self.etype = etype
        self.layout = layout
        self.fields = fields
        self.k = k
        self.dims = tuple(dims)
        cols = [("id", np.dtype("<i8"), ()), ("label", np.dtype("<i4"), ())]
        if fields & FIELD_VIEW:
            cols.append(("view", np.dtype("<i4"), ()))
        if fields & FIELD_SPLIT:
            cols.append(("split", np.dtype("u1"), ()))
        if fields & FIELD_CLUSTER:
            cols.append(("cluster", np.dtype("<i4"), ()))
        if fields & FIELD_PROBS:
            cols.append(("probs", np.dtype("<f4"), (k,)))
        if layout != LAYOUT_NONE:
            cols.append(("x", ELEMENT_TYPES[etype], self.dims))
        # (name, dtype, per-record shape, per-record element count)
        self.columns = tuple((name, dt, shape, math.prod(shape))
                             for name, dt, shape in cols)

    def key(self):
        # The element type is meaningful only when there is a payload.
        etype = self.etype if self.layout != LAYOUT_NONE else None
        return (etype, self.layout, self.dims, self.fields, self.k)

    def __eq__(self, other):
        return isinstance(other, _Schema) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def body_size(self, n):
        return sum(_pad(n * count * dt.itemsize) for _, dt, _, count in self.columns)

    def record_size(self):
        return sum(count * dt.itemsize for _, dt, _, count in self.columns)

    def diff(self, other):
        """Describe how ``other`` differs from this schema."""
        parts = []
        if self.layout != other.layout:
            parts.append(f"layout {LAYOUT_NAMES[self.layout]} -> "
                         f"{LAYOUT_NAMES[other.layout]}")
        elif self.layout != LAYOUT_NONE and self.etype != other.etype:
            parts.append(f"element type {ELEMENT_NAMES[self.etype]} -> "
                         f"{ELEMENT_NAMES[other.etype]}")
        if self.dims != other.dims:
            parts.append(f"dims {list(self.dims)} -> {list(other.dims)}")
        if self.fields != other.fields:
            parts.append(f"fields [{_field_list(self.fields)}] -> "
                         f"[{_field_list(other.fields)}]")
        if self.k != other.k:
            parts.append(f"probability length K {self.k} -> {other.k}")
        return "; ".join(parts)


def _field_list(fields):
    return ", ".join(name for bit, name in FIELD_NAMES if fields & bit)


# ----------------------------------------------------------------------------
# Reading


class _MemSource:
    """Frames from a buffer already in memory; returns zero-copy slices."""

    def __init__(self, buf):
        mv = memoryview(buf)
        if mv.ndim != 1 or mv.format != "B":
            mv = mv.cast("B")
        self._mv = mv
        self._pos = 0

    def read(self, n):
        end = min(self._pos + n, len(self._mv))
        out = self._mv[self._pos:end]
        self._pos = end
        return out


class _FileSource:
    """Frames read one at a time from a binary file object."""

    def __init__(self, f):
        self._f = f

    def read(self, n):
        return _read_up_to(self._f, n)


def _readinto(f, view):
    readinto = getattr(f, "readinto", None)
    if readinto is not None:
        k = readinto(view)
    else:
        chunk = f.read(len(view))
        if isinstance(chunk, str):
            raise TypeError("need a binary file object, got a text one")
        k = len(chunk) if chunk else 0
        view[:k] = chunk if k else b""
    if k is None:
        raise BlockingIOError("non-blocking input is not supported")
    return k


def _readinto_at(f, buf, start):
    """Read into ``buf[start:]``; return the count read (0 at end of input)."""
    view = memoryview(buf)[start:]
    try:
        return _readinto(f, view)
    finally:
        view.release()


def _read_up_to(f, n):
    """Read up to ``n`` bytes (fewer only at end of input) into a bytearray.

    Memory grows with the bytes actually received, so a size claimed by a
    truncated input is never allocated in full.
    """
    buf = bytearray(min(n, _CHUNK))
    got = 0
    while got < n:
        if got == len(buf):
            buf += bytes(min(n - got, len(buf)))
        k = _readinto_at(f, buf, got)
        if not k:
            break
        got += k
    del buf[got:]
    return buf


def _size_hint(f):
    try:
        st = os.fstat(f.fileno())
        pos = f.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 0
    if stat.S_ISREG(st.st_mode) and st.st_size > pos:
        return st.st_size - pos
    return 0


def _read_all(f):
    """Read a binary file object to its end into one bytearray."""
    buf = bytearray(_size_hint(f))
    got = 0
    while True:
        if got == len(buf):
            # Full (or no size hint): probe before growing, so that a buffer
            # sized exactly by the hint is not doubled just to see the end.
            extra = _read_up_to(f, 1 << 16)
            if not extra:
                break
            buf += extra
            got += len(extra)
            buf += bytes(max(len(buf), 1 << 16))  # grow geometrically
            continue
        k = _readinto_at(f, buf, got)
        if not k:
            break
        got += k
    del buf[got:]
    return buf


def _check_binary(f):
    if isinstance(f, io.TextIOBase):
        raise TypeError("need a binary file object (e.g. open(path, 'rb') or "
                        "sys.stdin.buffer), got a text one")


def _is_path(obj):
    if isinstance(obj, (bytes, bytearray, memoryview)):
        raise TypeError("pass a path or a binary file object; wrap stream bytes "
                        "in io.BytesIO")
    return isinstance(obj, (str, os.PathLike))


def _load(file_or_path):
    """The whole input as one writable buffer."""
    if _is_path(file_or_path):
        if isinstance(file_or_path, str) and file_or_path == "-":
            return _read_all(sys.stdin.buffer)
        path = os.fspath(file_or_path)
        if stat.S_ISREG(os.stat(path).st_mode):
            return np.fromfile(path, dtype=np.uint8)
        with open(path, "rb") as f:
            return _read_all(f)
    _check_binary(file_or_path)
    return _read_all(file_or_path)


def _parse_h(head, body_len, offset):
    etype, layout, fields, k, m, _reserved, *dims = _HFIELDS.unpack_from(head, 16)
    if etype not in ELEMENT_TYPES:
        raise StreamError(f"unknown element type {etype} in H frame "
                          f"(expected 1 = u8, 2 = f16, 3 = f32)", offset)
    if layout not in LAYOUT_NAMES:
        raise StreamError(f"unknown layout {layout} in H frame "
                          f"(expected 0 = none, 1 = D, 2 = CHW)", offset)
    if fields & ~0xF:
        raise StreamError(f"unknown optional field bits 0x{fields & ~0xF:x} in "
                          f"H frame (mask 0x{fields:x})", offset)
    if fields & FIELD_PROBS:
        if k < 1:
            raise StreamError("probs field present but K = 0", offset)
        if k > MAX_K:
            raise StreamError(f"K = {k} is above the limit 2^20", offset)
    elif k != 0:
        raise StreamError(f"K = {k} but the probs field is absent "
                          f"(K must be 0)", offset)
    used = {LAYOUT_NONE: 0, LAYOUT_D: 1, LAYOUT_CHW: 3}[layout]
    for i, d in enumerate(dims):
        if i < used:
            if d == 0 or d > MAX_DIM:
                raise StreamError(f"dims[{i}] = {d} is out of range (must be "
                                  f"1 to 2^24 for layout "
                                  f"{LAYOUT_NAMES[layout]})", offset)
        elif d != 0:
            raise StreamError(f"dims[{i}] = {d} but is unused by layout "
                              f"{LAYOUT_NAMES[layout]} (must be 0)", offset)
    dims = tuple(dims[:used])
    if layout != LAYOUT_NONE:
        record = math.prod(dims) * ELEMENT_TYPES[etype].itemsize
        if record > MAX_RECORD:
            raise StreamError(f"record payload of {record} bytes is above the "
                              f"limit of 256 MiB", offset)
    if m > MAX_META:
        raise StreamError(f"metadata length {m} is above the limit of 1 MiB",
                          offset)
    if body_len != _pad(m):
        raise StreamError(f"H frame body length {body_len} does not match "
                          f"metadata length {m} (expected {_pad(m)})", offset)
    return _Schema(etype, layout, fields, k, dims), m


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} does not fit a double")
    return value


def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        duplicate = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"duplicate key {duplicate!r}")
    return dict(pairs)


def _parse_meta(body, m, offset):
    raw = bytes(body[:m])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise StreamError(f"metadata is not valid UTF-8: {e}", offset) from None
    try:
        # Refused as the Swift reader refuses them: NaN/Infinity and numbers beyond a double.
        meta = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float,
                          object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as e:
        raise StreamError(f"metadata is not valid JSON: {e}", offset) from None
    if not isinstance(meta, dict):
        raise StreamError(f"metadata is not a JSON object (got "
                          f"{type(meta).__name__})", offset)
    return meta


def _take(src, nbytes, offset, what):
    body = src.read(nbytes)
    if len(body) < nbytes:
        raise StreamError(f"truncated {what} frame: body of {nbytes} bytes but "
                          f"the input ends after {len(body)}", offset)
    return body


def _columns(body, schema, n):
    out = {}
    pos = 0
    for name, dt, shape, count in schema.columns:
        total = n * count
        out[name] = np.frombuffer(body, dt, total, pos).reshape((n,) + shape)
        pos += _pad(total * dt.itemsize)
    return out


def _frames(src):
    """Yield ``(offset, schema, meta, columns)`` for every frame of a stream.

    ``columns`` is None for H frames; ``meta`` is always the first metadata.
    """
    schema = meta = None
    offset = 0
    while True:
        head = src.read(FRAME_HEADER)
        if len(head) == 0:
            if offset == 0:
                raise StreamError("empty input: no bytes at all is not a stream",
                                  0)
            return
        if len(head) < FRAME_HEADER:
            raise StreamError(f"truncated frame header: the input ends after "
                              f"{len(head)} of 64 bytes", offset)
        magic, kind, version, _reserved, body_len = _FRAME.unpack_from(head, 0)
        if magic != MAGIC:
            raise StreamError(f"bad magic {bytes(magic)!r}, expected b'UNSP'",
                              offset)
        if kind not in (KIND_H, KIND_B):
            raise StreamError(f"unknown frame kind 0x{kind:02x} (expected H or "
                              f"B)", offset)
        if version != VERSION:
            raise StreamError(f"unknown format version {version} (expected 1)",
                              offset)
        if body_len % ALIGN:
            raise StreamError(f"body length {body_len} is not a multiple of 64",
                              offset)
        if kind == KIND_H:
            new_schema, m = _parse_h(head, body_len, offset)
            body = _take(src, body_len, offset, "H")
            new_meta = _parse_meta(body, m, offset)
            if schema is None:
                schema, meta = new_schema, new_meta
            elif new_schema != schema:
                raise StreamError(f"schema changed: {schema.diff(new_schema)}",
                                  offset)
            yield offset, schema, meta, None
        else:
            if schema is None:
                raise StreamError("B frame before any H frame", offset)
            (n,) = _BFIELDS.unpack_from(head, 16)
            if n == 0:
                raise StreamError("B frame with n = 0 records", offset)
            if body_len > MAX_BATCH_BODY:
                raise StreamError(f"batch body of {body_len} bytes is above the "
                                  f"limit of 1 GiB", offset)
            expected = schema.body_size(n)
            if body_len != expected:
                raise StreamError(f"B frame body length {body_len} does not "
                                  f"match n = {n} and the schema (expected "
                                  f"{expected})", offset)
            body = _take(src, body_len, offset, "B")
            yield offset, schema, meta, _columns(body, schema, n)
        offset += FRAME_HEADER + body_len


def _ordered(schema, meta, cols):
    out = {}
    for name in ("x", "id", "label", "view", "split", "cluster", "probs"):
        if name in cols:
            out[name] = cols[name]
    out["meta"] = meta
    return out


def read(file_or_path):
    """Read a whole unsup stream into numpy arrays.

    ``file_or_path`` is a path (``str`` or ``os.PathLike``; ``"-"`` means
    standard input) or a binary file object, read to its end.

    Returns a dict with ``x`` (shape ``(n, D)`` or ``(n, C, H, W)``, dtype
    uint8, float16 or float32; absent when the layout is none), ``id`` (int64),
    ``label`` (int32), those of ``view`` (int32), ``split`` (uint8), ``cluster``
    (int32) and ``probs`` (float32, shape ``(n, K)``) that the stream carries, and
    ``meta``, the metadata dict of the first H frame.

    Concatenated streams (repeated H frames with the same schema) read as one.
    With a single batch frame the arrays are views into the buffer the input was
    read into; with several they are concatenated.

    Raises :class:`StreamError` for malformed input, naming the byte offset.
    """
    src = _MemSource(_load(file_or_path))
    schema = meta = None
    batches = []
    for _offset, schema, meta, cols in _frames(src):
        if cols is not None:
            batches.append(cols)
    if not batches:
        cols = {name: np.empty((0,) + shape, dt)
                for name, dt, shape, _count in schema.columns}
    elif len(batches) == 1:
        cols = batches[0]
    else:
        cols = {name: np.concatenate([b[name] for b in batches])
                for name, _dt, _shape, _count in schema.columns}
    return _ordered(schema, meta, cols)


def iter_batches(file_or_path):
    """Yield the batches of an unsup stream one at a time.

    Reads frame by frame, so memory stays bounded by the largest batch. Each
    item is a dict with the same keys as :func:`read` returns (``x``, ``id``,
    ``label``, optional fields, ``meta``), holding that batch's records; ``meta``
    is the first H frame's metadata (the same dict object every time). A stream
    with zero records yields nothing, but is still validated.

    ``file_or_path`` is a path (``"-"`` for standard input) or a binary file
    object. Raises :class:`StreamError` for malformed input.
    """
    if _is_path(file_or_path):
        if isinstance(file_or_path, str) and file_or_path == "-":
            yield from _iter_file(sys.stdin.buffer)
            return
        with open(file_or_path, "rb") as f:
            yield from _iter_file(f)
    else:
        _check_binary(file_or_path)
        yield from _iter_file(file_or_path)


def _iter_file(f):
    for _offset, schema, meta, cols in _frames(_FileSource(f)):
        if cols is not None:
            yield _ordered(schema, meta, cols)


# ----------------------------------------------------------------------------
# Writing


def _prepare_x(x):
    """Return (array, layout, element type, dims) for the payload."""
    if x is None:
        return None, LAYOUT_NONE, 1, ()
    x = np.asarray(x)
    if x.ndim == 4:
        layout, dims = LAYOUT_CHW, x.shape[1:]
    elif x.ndim == 3:
        layout, dims = LAYOUT_CHW, (1,) + x.shape[1:]
        x = x.reshape((x.shape[0],) + dims)
    elif x.ndim == 2:
        layout, dims = LAYOUT_D, x.shape[1:]
    else:
        raise ValueError(f"x must have shape (n, C, H, W), (n, H, W) or (n, D), "
                         f"got {x.shape}")
    dt = x.dtype
    if dt == np.uint8:
        etype = 1
    elif dt.kind == "f" and dt.itemsize == 2:
        etype = 2
    elif dt.kind == "f":
        etype = 3  # float32 kept, float64 and others become float32
    elif dt.kind in "biu":
        if x.size and (int(x.min()) < 0 or int(x.max()) > 255):
            raise ValueError(f"x has dtype {dt} with values outside 0..255; "
                             f"convert it to uint8, float16 or float32 first")
        etype = 1
    else:
        raise ValueError(f"x has unsupported dtype {dt}; use uint8, float16 or "
                         f"float32")
    for i, d in enumerate(dims):
        if d < 1 or d > MAX_DIM:
            raise ValueError(f"x dimension {i + 1} is {d}; each must be 1 to "
                             f"2^24 (x shape {x.shape})")
    record = math.prod(dims) * ELEMENT_TYPES[etype].itemsize
    if record > MAX_RECORD:
        raise ValueError(f"a record of x is {record} bytes, above the format's "
                         f"limit of 256 MiB")
    return x, layout, etype, tuple(int(d) for d in dims)


def _int_column(name, a, n, dtype):
    a = np.asarray(a)
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        want = "(n,)" if n is None else f"({n},)"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    if a.size == 0:
        return a.astype(dtype)  # e.g. [] is float64 to numpy
    if a.dtype.kind not in "biu":
        raise ValueError(f"{name} must hold integers, got dtype {a.dtype}")
    info = np.iinfo(dtype)
    if (int(a.min()) < info.min or int(a.max()) > info.max):
        raise ValueError(f"{name} has values outside the range of "
                         f"{np.dtype(dtype).name} ({info.min}..{info.max})")
    return a


def _meta_bytes(meta):
    if meta is None:
        meta = {}
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
    raw = json.dumps(dict(meta), ensure_ascii=False, separators=(",", ":"),
                     allow_nan=False).encode("utf-8")
    if len(raw) > MAX_META:
        raise ValueError(f"metadata is {len(raw)} bytes as JSON, above the "
                         f"format's limit of 1 MiB")
    return raw


def _write_all(f, data):
    mv = memoryview(data)
    while len(mv):
        k = f.write(mv)
        if k is None:  # non-blocking raw stream that would block
            raise BlockingIOError("non-blocking output is not supported")
        mv = mv[k:]


def _h_frame(schema, meta_raw):
    m = len(meta_raw)
    frame = bytearray(FRAME_HEADER + _pad(m))
    _FRAME.pack_into(frame, 0, MAGIC, KIND_H, VERSION, 0, _pad(m))
    dims = tuple(schema.dims) + (0,) * (4 - len(schema.dims))
    _HFIELDS.pack_into(frame, 16, schema.etype, schema.layout, schema.fields,
                       schema.k, m, 0, *dims)
    frame[FRAME_HEADER:FRAME_HEADER + m] = meta_raw
    return frame


def _b_frame(schema, data, start, stop):
    n = stop - start
    body = schema.body_size(n)
    frame = bytearray(FRAME_HEADER + body)
    _FRAME.pack_into(frame, 0, MAGIC, KIND_B, VERSION, 0, body)
    _BFIELDS.pack_into(frame, 16, n)
    pos = FRAME_HEADER
    for name, dt, shape, count in schema.columns:
        total = n * count
        dst = np.frombuffer(frame, dt, total, pos).reshape((n,) + shape)
        dst[...] = data[name][start:stop]  # casts and byte-swaps as needed
        pos += _pad(total * dt.itemsize)
    return frame


def _write_stream(f, schema, meta_raw, data, n, batch):
    _write_all(f, _h_frame(schema, meta_raw))
    # Keep every batch body within the format's limit of 1 GiB.
    fixed = ALIGN * len(schema.columns)
    per_frame = max(1, (MAX_BATCH_BODY - fixed) // max(1, schema.record_size()))
    per_frame = min(batch, per_frame, MAX_N)
    for start in range(0, n, per_frame):
        stop = min(n, start + per_frame)
        _write_all(f, _b_frame(schema, data, start, stop))


def _write_atomic(path, emit):
    path = os.fsdecode(os.fspath(path))
    directory, base = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for open()
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"could not create a temporary file next to {path}")
    try:
        with os.fdopen(fd, "wb") as f:
            emit(f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write(file_or_path, x, label=None, id=None, meta=None, view=None,
          split=None, cluster=None, probs=None, batch=256):
    """Write records as an unsup stream.

    ``file_or_path`` is a path (``str`` or ``os.PathLike``; written atomically
    through a temporary file in the same directory and ``os.replace``), ``"-"``
    for standard output, or a binary file object (written to, flushed, not
    closed).

    ``x`` is the payload: shape ``(n, C, H, W)`` (layout CHW), ``(n, H, W)``
    (CHW with C = 1), ``(n, D)`` (layout D), or None for records without payload
    (layout none; n then comes from ``label`` or ``id``). uint8, float16 and
    float32 are kept; other floats become float32; bool and integer arrays
    become uint8 if all their values lie in 0..255 and are refused otherwise.

    ``label`` (int32, default all -1), ``id`` (int64, default ``arange(n)``),
    and the optional fields ``view`` (int32), ``split`` (uint8), ``cluster``
    (int32) and ``probs`` (float32, shape ``(n, K)``) are written when given.
    Integer columns must hold integers that fit their type.

    ``meta`` is the metadata dict (``{}`` when None), stored as compact UTF-8
    JSON. ``batch`` is the number of records per batch frame (fewer in the last
    one, and fewer if a frame would exceed the format's 1 GiB limit).

    Raises ValueError (or TypeError) for arguments the format cannot hold.
    """
    batch = operator.index(batch)
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    xa, layout, etype, dims = _prepare_x(x)
    if xa is not None:
        n = xa.shape[0]
    elif label is None and id is None:
        raise ValueError("x is None: give label or id to set the number of "
                         "records")
    else:
        n = None  # taken from label, else from id

    data = {}
    if label is not None:
        data["label"] = _int_column("label", label, n, np.int32)
        n = data["label"].shape[0]
    if id is not None:
        data["id"] = _int_column("id", id, n, np.int64)
        n = data["id"].shape[0]
    else:
        data["id"] = np.arange(n, dtype=np.int64)
    if label is None:
        data["label"] = np.full(n, -1, dtype=np.int32)
    fields = 0
    k = 0
    if view is not None:
        fields |= FIELD_VIEW
        data["view"] = _int_column("view", view, n, np.int32)
    if split is not None:
        fields |= FIELD_SPLIT
        data["split"] = _int_column("split", split, n, np.uint8)
    if cluster is not None:
        fields |= FIELD_CLUSTER
        data["cluster"] = _int_column("cluster", cluster, n, np.int32)
    if probs is not None:
        p = np.asarray(probs)
        if p.ndim != 2 or p.shape[0] != n:
            raise ValueError(f"probs must have shape ({n}, K), got {p.shape}")
        if p.dtype.kind not in "fiu":
            raise ValueError(f"probs must hold numbers, got dtype {p.dtype}")
        k = p.shape[1]
        if k < 1 or k > MAX_K:
            raise ValueError(f"probs has K = {k}; it must be 1 to 2^20")
        fields |= FIELD_PROBS
        data["probs"] = p
    if xa is not None:
        data["x"] = xa

    schema = _Schema(etype, layout, fields, k, dims)
    meta_raw = _meta_bytes(meta)

    def emit(f):
        _write_stream(f, schema, meta_raw, data, n, batch)
        flush = getattr(f, "flush", None)
        if flush is not None:
            flush()

    if _is_path(file_or_path):
        if isinstance(file_or_path, str) and file_or_path == "-":
            emit(sys.stdout.buffer)
        else:
            _write_atomic(file_or_path, emit)
    else:
        _check_binary(file_or_path)
        emit(file_or_path)
