"""Tests for unsup.stream against docs/FORMAT.md.

The hand-built streams below are assembled with struct.pack straight from the
spec's tables, independently of the writer; they pin the reader and the writer
to the spec.
"""

import io
import json
import os
import struct
import sys

import numpy as np
import pytest

import unsup
from unsup import StreamError


# ----------------------------------------------------------------------------
# Hand-built frames, from the spec's tables only.


def pad(b):
    """Zero-pad bytes to a multiple of 64."""
    return b + b"\0" * (-len(b) % 64)


def frame_header(kind, body_len, specific=b"", version=1, magic=b"UNSP"):
    # magic, kind, version, reserved u16, body length u64, then 48 bytes
    head = magic + struct.pack("<BBHQ", kind, version, 0, body_len)
    assert len(specific) <= 48
    return head + specific + b"\0" * (48 - len(specific))


def h_frame(meta=b"{}", etype=1, layout=0, fields=0, k=0, dims=(0, 0, 0, 0),
            m=None, body_len=None):
    m = len(meta) if m is None else m
    body = pad(meta)
    body_len = len(body) if body_len is None else body_len
    specific = struct.pack("<BBHII", etype, layout, fields, k, m)
    specific += struct.pack("<I", 0) + struct.pack("<4I", *dims)
    specific += b"\0" * 16
    return frame_header(0x48, body_len, specific) + body


def b_frame(n, columns, body_len=None):
    body = b"".join(pad(c) for c in columns)
    body_len = len(body) if body_len is None else body_len
    return frame_header(0x42, body_len, struct.pack("<I", n)) + body


def frame_offsets(data):
    """Walk the frames of a stream: [(offset, kind, body_len, header)]."""
    out = []
    pos = 0
    while pos < len(data):
        head = data[pos:pos + 64]
        assert head[:4] == b"UNSP"
        body_len = struct.unpack_from("<Q", head, 8)[0]
        out.append((pos, chr(head[4]), body_len, head))
        pos += 64 + body_len
    assert pos == len(data)
    return out


META = {"dataset": "hand", "classes": ["a", "b"]}
META_JSON = b'{"dataset":"hand","classes":["a","b"]}'

# A small CHW u8 stream with every optional field: n = 3, C = 1, H = 2, W = 3,
# K = 2, as one H frame and one B frame.
HAND_X = np.arange(18, dtype=np.uint8).reshape(3, 1, 2, 3) * 7
HAND_ID = np.array([10, 11, 2 ** 40], dtype=np.int64)
HAND_LABEL = np.array([0, 1, -1], dtype=np.int32)
HAND_VIEW = np.array([0, 1, 0], dtype=np.int32)
HAND_SPLIT = np.array([0, 1, 2], dtype=np.uint8)
HAND_CLUSTER = np.array([-1, 5, 7], dtype=np.int32)
HAND_PROBS = np.array([[0.25, 0.75], [1.0, 0.0], [0.5, 0.5]], dtype=np.float32)


def hand_stream():
    h = h_frame(META_JSON, etype=1, layout=2, fields=1 | 2 | 4 | 8, k=2,
                dims=(1, 2, 3, 0))
    cols = [
        struct.pack("<3q", 10, 11, 2 ** 40),
        struct.pack("<3i", 0, 1, -1),
        struct.pack("<3i", 0, 1, 0),
        struct.pack("<3B", 0, 1, 2),
        struct.pack("<3i", -1, 5, 7),
        struct.pack("<6f", 0.25, 0.75, 1.0, 0.0, 0.5, 0.5),
        bytes(range(0, 18 * 7, 7)),
    ]
    return h + b_frame(3, cols)


def test_hand_built_stream_reads_to_known_values():
    s = unsup.read(io.BytesIO(hand_stream()))
    assert set(s) == {"x", "id", "label", "view", "split", "cluster", "probs",
                      "meta"}
    assert s["meta"] == META
    for name, want in [("x", HAND_X), ("id", HAND_ID), ("label", HAND_LABEL),
                       ("view", HAND_VIEW), ("split", HAND_SPLIT),
                       ("cluster", HAND_CLUSTER), ("probs", HAND_PROBS)]:
        assert s[name].dtype == want.dtype, name
        assert s[name].shape == want.shape, name
        np.testing.assert_array_equal(s[name], want, err_msg=name)


@pytest.mark.parametrize("etype,fmt,dtype", [(1, "B", np.uint8),
                                             (2, "e", np.float16),
                                             (3, "f", np.float32)])
def test_hand_built_vector_layout_each_type(etype, fmt, dtype):
    values = [1, 2, 3, 4, 250, 6, 7, 8, 9, 10]  # n = 2, D = 5
    h = h_frame(b'{"range":[0,255]}', etype=etype, layout=1, dims=(5, 0, 0, 0))
    b = b_frame(2, [struct.pack("<2q", 7, 9), struct.pack("<2i", 3, -1),
                    struct.pack("<10" + fmt, *values)])
    s = unsup.read(io.BytesIO(h + b))
    assert s["x"].dtype == dtype and s["x"].shape == (2, 5)
    np.testing.assert_array_equal(s["x"], np.array(values, dtype).reshape(2, 5))
    np.testing.assert_array_equal(s["id"], [7, 9])
    np.testing.assert_array_equal(s["label"], [3, -1])
    assert s["meta"] == {"range": [0, 255]}
    assert set(s) == {"x", "id", "label", "meta"}


def test_hand_built_layout_none():
    # layout none with the cluster bit: columns id, label, cluster
    h = h_frame(b"{}", etype=1, layout=0, fields=4)
    b = b_frame(2, [struct.pack("<2q", 1, 2), struct.pack("<2i", 4, 5),
                    struct.pack("<2i", 8, 9)])
    s = unsup.read(io.BytesIO(h + b))
    assert "x" not in s
    np.testing.assert_array_equal(s["cluster"], [8, 9])
    assert s["cluster"].dtype == np.int32


def test_writer_bytes_match_hand_built(tmp_path):
    path = tmp_path / "hand.us"
    unsup.write(path, HAND_X, label=HAND_LABEL, id=HAND_ID, meta=META,
                view=HAND_VIEW, split=HAND_SPLIT, cluster=HAND_CLUSTER,
                probs=HAND_PROBS)
    assert path.read_bytes() == hand_stream()
    buf = io.BytesIO()
    unsup.write(buf, HAND_X, label=HAND_LABEL, id=HAND_ID, meta=META,
                view=HAND_VIEW, split=HAND_SPLIT, cluster=HAND_CLUSTER,
                probs=HAND_PROBS)
    assert buf.getvalue() == hand_stream()


def test_writer_bytes_match_hand_built_defaults_and_batches():
    # layout D f32, n = 3, batch = 2, default id and label, meta None -> {}
    x = np.array([[1.5], [2.5], [-3.0]], dtype=np.float32)
    want = (h_frame(b"{}", etype=3, layout=1, dims=(1, 0, 0, 0))
            + b_frame(2, [struct.pack("<2q", 0, 1), struct.pack("<2i", -1, -1),
                          struct.pack("<2f", 1.5, 2.5)])
            + b_frame(1, [struct.pack("<q", 2), struct.pack("<i", -1),
                          struct.pack("<f", -3.0)]))
    buf = io.BytesIO()
    unsup.write(buf, x, batch=2)
    assert buf.getvalue() == want


def test_writer_layout_none_puts_u8_element_type():
    buf = io.BytesIO()
    unsup.write(buf, None, label=[3, 4])
    want = (h_frame(b"{}", etype=1, layout=0)
            + b_frame(2, [struct.pack("<2q", 0, 1), struct.pack("<2i", 3, 4)]))
    assert buf.getvalue() == want


# ----------------------------------------------------------------------------
# Round trips


def roundtrip(**kw):
    buf = io.BytesIO()
    unsup.write(buf, **kw)
    return unsup.read(io.BytesIO(buf.getvalue())), buf.getvalue()


@pytest.mark.parametrize("dtype", [np.uint8, np.float16, np.float32])
@pytest.mark.parametrize("shape,stored", [((5, 3, 4, 6), (5, 3, 4, 6)),
                                          ((5, 4, 6), (5, 1, 4, 6)),
                                          ((5, 7), (5, 7))])
def test_roundtrip_dtype_and_layout(dtype, shape, stored):
    rng = np.random.default_rng(0)
    x = (rng.random(shape) * 200).astype(dtype)
    label = np.arange(5, dtype=np.int32) % 3
    s, _ = roundtrip(x=x, label=label, meta={"k": [1, 2]})
    assert s["x"].dtype == dtype and s["x"].shape == stored
    np.testing.assert_array_equal(s["x"], x.reshape(stored))
    np.testing.assert_array_equal(s["label"], label)
    np.testing.assert_array_equal(s["id"], np.arange(5))
    assert s["id"].dtype == np.int64 and s["label"].dtype == np.int32
    assert s["meta"] == {"k": [1, 2]}


def test_roundtrip_layout_none():
    s, _ = roundtrip(x=None, id=[5, 9, 2 ** 62])
    assert "x" not in s
    np.testing.assert_array_equal(s["id"], [5, 9, 2 ** 62])
    np.testing.assert_array_equal(s["label"], [-1, -1, -1])


@pytest.mark.parametrize("fields", [["view"], ["split"], ["cluster"], ["probs"],
                                    ["view", "cluster"], ["split", "probs"],
                                    ["view", "split", "cluster", "probs"]])
@pytest.mark.parametrize("with_x", [True, False])
def test_roundtrip_optional_fields(fields, with_x):
    n = 11
    rng = np.random.default_rng(1)
    values = {
        "view": rng.integers(0, 4, n).astype(np.int32),
        "split": rng.integers(0, 3, n).astype(np.uint8),
        "cluster": rng.integers(-1, 50, n).astype(np.int32),
        "probs": rng.random((n, 5)).astype(np.float32),
    }
    kw = {f: values[f] for f in fields}
    x = rng.integers(0, 256, (n, 2, 3, 3), dtype=np.uint8) if with_x else None
    s, _ = roundtrip(x=x, label=np.zeros(n, np.int64), batch=4, **kw)
    for f in ["view", "split", "cluster", "probs"]:
        if f in fields:
            assert s[f].dtype == values[f].dtype
            np.testing.assert_array_equal(s[f], values[f])
        else:
            assert f not in s
    assert ("x" in s) == with_x


def test_unicode_metadata_roundtrip():
    meta = {"dataset": "données", "classes": ["猫", "犬"], "history": ["a b"],
            "nested": {"normalize": {"mean": [0.5], "std": [0.25]}}}
    s, data = roundtrip(x=None, label=[0], meta=meta)
    assert s["meta"] == meta
    m = struct.unpack_from("<I", data, 24)[0]
    assert data[64:64 + m] == json.dumps(
        meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_dtype_conversions():
    s, _ = roundtrip(x=np.array([[0.5, 1.0]], dtype=np.float64))
    assert s["x"].dtype == np.float32
    s, _ = roundtrip(x=np.array([[0, 255]], dtype=np.int64))
    assert s["x"].dtype == np.uint8
    np.testing.assert_array_equal(s["x"], [[0, 255]])
    s, _ = roundtrip(x=np.array([[True, False]]))
    assert s["x"].dtype == np.uint8
    np.testing.assert_array_equal(s["x"], [[1, 0]])
    s, _ = roundtrip(x=np.zeros((2, 3), dtype=">f4") + 1.25)
    assert s["x"].dtype == np.float32 and (s["x"] == 1.25).all()
    s, _ = roundtrip(x=np.ones((2, 3), np.float32), probs=np.ones((2, 2)))
    assert s["probs"].dtype == np.float32


@pytest.mark.parametrize("kw,match", [
    (dict(x=np.array([[256]])), "outside 0..255"),
    (dict(x=np.array([[-1]], np.int8)), "outside 0..255"),
    (dict(x=np.array([[1j]])), "unsupported dtype"),
    (dict(x=np.zeros(4)), "shape"),
    (dict(x=np.zeros((2, 0))), "dimension"),
    (dict(x=None), "label or id"),
    (dict(x=np.zeros((2, 3)), label=[1, 2, 3]), "label must have shape"),
    (dict(x=np.zeros((2, 3)), label=[0.5, 1.0]), "integers"),
    (dict(x=np.zeros((2, 3)), label=[2 ** 31, 0]), "outside the range"),
    (dict(x=np.zeros((2, 3)), id=np.array([2 ** 64 - 1, 0], np.uint64)),
     "outside the range"),
    (dict(x=np.zeros((2, 3)), split=[0, 256]), "outside the range"),
    (dict(x=np.zeros((2, 3)), probs=np.zeros(2)), "probs must have shape"),
    (dict(x=np.zeros((2, 3)), probs=np.zeros((2, 0))), "K = 0"),
    (dict(x=np.zeros((2, 3)), batch=0), "batch"),
    (dict(x=None, label=[1], id=[1, 2]), "id must have shape"),
    (dict(x=np.zeros((2, 3)), meta={"a": float("nan")}), "JSON"),
    (dict(x=np.zeros((1, 1)), meta={"a": "x" * (1 << 20)}), "1 MiB"),
])
def test_writer_refuses(kw, match):
    with pytest.raises(ValueError, match=match):
        unsup.write(io.BytesIO(), **kw)


def test_writer_refuses_non_dict_meta():
    with pytest.raises(TypeError):
        unsup.write(io.BytesIO(), np.zeros((1, 1)), meta=[1])


# ----------------------------------------------------------------------------
# Batches, concatenation, zero records


def test_multi_batch_frames_and_values():
    n = 1000
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (n, 1, 5, 5), dtype=np.uint8)
    label = rng.integers(0, 10, n)
    s, data = roundtrip(x=x, label=label, cluster=label, batch=256)
    frames = frame_offsets(data)
    assert [k for _, k, _, _ in frames] == ["H", "B", "B", "B", "B"]
    ns = [struct.unpack_from("<I", head, 16)[0] for _, k, _, head in frames
          if k == "B"]
    assert ns == [256, 256, 256, 232]
    np.testing.assert_array_equal(s["x"], x)
    np.testing.assert_array_equal(s["label"], label)
    np.testing.assert_array_equal(s["id"], np.arange(n))
    assert s["x"].flags.owndata  # several batches: concatenated


def test_one_batch_returns_views(tmp_path):
    path = tmp_path / "one.us"
    unsup.write(path, np.ones((3, 4), np.float32), label=[1, 2, 3])
    s = unsup.read(path)
    assert not s["x"].flags.owndata and not s["label"].flags.owndata
    assert s["x"].flags.writeable


def test_iter_batches(tmp_path):
    x = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    path = tmp_path / "b.us"
    unsup.write(path, x, label=np.arange(10), split=np.ones(10, np.uint8),
                meta={"m": 1}, batch=4)
    for src in [path, str(path)]:
        batches = list(unsup.iter_batches(src))
        assert [len(b["id"]) for b in batches] == [4, 4, 2]
        assert all(b["meta"] == {"m": 1} for b in batches)
        np.testing.assert_array_equal(np.concatenate([b["x"] for b in batches]),
                                      x)
        assert set(batches[0]) == {"x", "id", "label", "split", "meta"}
    with open(path, "rb") as f:
        assert sum(len(b["id"]) for b in unsup.iter_batches(f)) == 10


def test_concatenated_streams_read_as_one():
    a = io.BytesIO()
    unsup.write(a, np.zeros((3, 2, 2), np.uint8), label=[0, 1, 2],
                meta={"dataset": "first"}, batch=2)
    b = io.BytesIO()
    unsup.write(b, np.ones((2, 2, 2), np.uint8), label=[7, 8], id=[100, 101],
                meta={"dataset": "second"})
    data = a.getvalue() + b.getvalue()
    s = unsup.read(io.BytesIO(data))
    assert s["x"].shape == (5, 1, 2, 2)
    np.testing.assert_array_equal(s["label"], [0, 1, 2, 7, 8])
    np.testing.assert_array_equal(s["id"], [0, 1, 2, 100, 101])
    np.testing.assert_array_equal(s["x"][:, 0, 0, 0], [0, 0, 0, 1, 1])
    assert s["meta"] == {"dataset": "first"}
    assert [len(b["id"]) for b in unsup.iter_batches(io.BytesIO(data))] == [2, 1, 2]
    # a second stream with zero records is fine too
    z = io.BytesIO()
    unsup.write(z, np.zeros((0, 2, 2), np.uint8), meta={"other": True})
    s = unsup.read(io.BytesIO(a.getvalue() + z.getvalue()))
    assert len(s["id"]) == 3 and s["meta"] == {"dataset": "first"}


@pytest.mark.parametrize("second,what", [
    (dict(x=np.zeros((1, 1, 2, 2), np.float32)), "element type u8 -> f32"),
    (dict(x=np.zeros((1, 1, 2, 3), np.uint8)), "dims [1, 2, 2] -> [1, 2, 3]"),
    (dict(x=np.zeros((1, 4), np.uint8)), "layout CHW -> D"),
    (dict(x=None, label=[1]), "layout CHW -> none"),
    (dict(x=np.zeros((1, 1, 2, 2), np.uint8), split=[1]), "fields [] -> [split]"),
])
def test_schema_change_refused(second, what):
    a = io.BytesIO()
    unsup.write(a, np.zeros((2, 1, 2, 2), np.uint8))
    b = io.BytesIO()
    unsup.write(b, **second)
    data = a.getvalue() + b.getvalue()
    off = len(a.getvalue())
    for reader in (unsup.read, lambda f: list(unsup.iter_batches(f))):
        with pytest.raises(StreamError) as e:
            reader(io.BytesIO(data))
        assert e.value.offset == off
        assert f"offset {off}" in str(e.value)
        assert "schema changed" in str(e.value) and what in str(e.value)


def test_schema_change_in_k_refused():
    a, b = io.BytesIO(), io.BytesIO()
    unsup.write(a, None, label=[0], probs=np.zeros((1, 3)))
    unsup.write(b, None, label=[0], probs=np.zeros((1, 4)))
    off = len(a.getvalue())
    assert off == 128 + 64 + 3 * 64  # H, then B with id, label, probs
    with pytest.raises(StreamError, match=rf"K 3 -> 4.*offset {off}\)"):
        unsup.read(io.BytesIO(a.getvalue() + b.getvalue()))


def test_layout_none_ignores_element_type_in_schema_comparison():
    a = h_frame(b"{}", etype=1, layout=0) + b_frame(
        1, [struct.pack("<q", 1), struct.pack("<i", 2)])
    b = h_frame(b"{}", etype=3, layout=0)
    s = unsup.read(io.BytesIO(a + b))
    np.testing.assert_array_equal(s["id"], [1])


@pytest.mark.parametrize("kw,shapes", [
    (dict(x=np.zeros((0, 3, 4, 5), np.float16)),
     {"x": ((0, 3, 4, 5), np.float16)}),
    (dict(x=np.zeros((0, 4, 5), np.uint8)), {"x": ((0, 1, 4, 5), np.uint8)}),
    (dict(x=np.zeros((0, 9), np.float32), probs=np.zeros((0, 4)),
          split=np.zeros(0, np.uint8), view=[], cluster=[]),
     {"x": ((0, 9), np.float32), "probs": ((0, 4), np.float32),
      "split": ((0,), np.uint8), "view": ((0,), np.int32),
      "cluster": ((0,), np.int32)}),
    (dict(x=None, label=[]), {}),
])
def test_zero_records(kw, shapes):
    s, data = roundtrip(meta={"z": 0}, **kw)
    assert [k for _, k, _, _ in frame_offsets(data)] == ["H"]
    shapes = dict(shapes, id=((0,), np.int64), label=((0,), np.int32))
    assert set(s) == set(shapes) | {"meta"}
    for name, (shape, dtype) in shapes.items():
        assert s[name].shape == shape and s[name].dtype == dtype, name
    assert s["meta"] == {"z": 0}
    assert list(unsup.iter_batches(io.BytesIO(data))) == []


# ----------------------------------------------------------------------------
# Alignment


def test_every_column_offset_is_a_multiple_of_64(tmp_path):
    n = 37  # odd sizes everywhere
    x = np.ones((n, 3, 5, 7), np.float16)
    buf = io.BytesIO()
    unsup.write(buf, x, view=np.zeros(n, np.int32),
                split=np.zeros(n, np.uint8), cluster=np.zeros(n, np.int32),
                probs=np.zeros((n, 3)), meta={"a": "bcd"}, batch=5)
    data = buf.getvalue()
    sizes = [8, 4, 4, 1, 4, 4 * 3, 2 * 3 * 5 * 7]  # bytes per record per column
    frames = frame_offsets(data)
    assert len(frames) == 1 + 8
    for off, kind, body_len, head in frames:
        assert off % 64 == 0 and body_len % 64 == 0
        if kind == "B":
            m = struct.unpack_from("<I", head, 16)[0]
            col = off + 64
            for size in sizes:
                assert col % 64 == 0
                # padding bytes are zero
                end = col + m * size
                assert data[end:col + -(-m * size // 64) * 64].strip(b"\0") == b""
                col += -(-m * size // 64) * 64
            assert col == off + 64 + body_len
    # the arrays read from a file are views at 64-byte offsets into one buffer
    path = tmp_path / "a.us"
    unsup.write(path, x[:5], split=np.zeros(5, np.uint8), probs=np.zeros((5, 3)))
    s = unsup.read(path)
    root = s["x"]
    while True:
        up = (root.base if isinstance(root, np.ndarray)
              else root.obj if isinstance(root, memoryview) else None)
        if up is None:
            break
        root = up
    assert isinstance(root, np.ndarray) and root.nbytes == path.stat().st_size
    start = root.ctypes.data
    for name in ("x", "id", "label", "split", "probs"):
        assert (s[name].ctypes.data - start) % 64 == 0, name


# ----------------------------------------------------------------------------
# Malformed input


def good_stream():
    """H (offset 0, body 64) + B (offset 128, n = 2) + B (offset 448, n = 1)."""
    buf = io.BytesIO()
    unsup.write(buf, np.ones((3, 1, 2, 2), np.uint8), label=[1, 2, 3],
                probs=np.zeros((3, 2)), meta={"a": 1}, batch=2)
    data = buf.getvalue()
    assert [o for o, _, _, _ in frame_offsets(data)] == [0, 128, 448]
    return data


def patch(data, offset, fmt, *values):
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, *values)
    return bytes(b)


def with_h(**kw):
    """A hand-built H frame (CHW 1x2x2 u8 unless overridden) then a good B."""
    args = dict(meta=b"{}", etype=1, layout=2, dims=(1, 2, 2, 0))
    args.update(kw)
    return h_frame(**args) + b_frame(1, [b"\1" * 8, b"\0" * 4, b"\0" * 4])


GOOD = good_stream()

MALFORMED = [
    ("empty", b"", "empty input", 0),
    ("bad magic", b"UNSQ" + GOOD[4:], "bad magic", 0),
    ("bad magic second frame", patch(GOOD, 128, "<4s", b"XXXX"), "bad magic", 128),
    ("unknown kind", patch(GOOD, 4, "<B", ord("C")), "unknown frame kind", 0),
    ("unknown kind B", patch(GOOD, 448 + 4, "<B", 0), "unknown frame kind", 448),
    ("unknown version", patch(GOOD, 5, "<B", 2), "unknown format version", 0),
    ("unknown version B", patch(GOOD, 128 + 5, "<B", 0), "version", 128),
    ("body not multiple of 64", patch(GOOD, 8, "<Q", 65), "multiple of 64", 0),
    ("unknown element type", patch(GOOD, 16, "<B", 4), "unknown element type", 0),
    ("element type 0", patch(GOOD, 16, "<B", 0), "unknown element type", 0),
    ("unknown layout", patch(GOOD, 17, "<B", 3), "unknown layout", 0),
    ("unknown field bit", patch(GOOD, 18, "<H", 8 | 16), "unknown optional field", 0),
    ("K above limit", with_h(fields=8, k=(1 << 20) + 1), "K = 1048577", 0),
    ("K zero with probs", with_h(fields=8, k=0), "K = 0", 0),
    ("K without probs", with_h(fields=0, k=3), "K = 3", 0),
    ("dim zero", with_h(dims=(1, 0, 2, 0)), "dims[1] = 0", 0),
    ("dim too big", with_h(layout=1, dims=((1 << 24) + 1, 0, 0, 0)),
     "dims[0] = 16777217", 0),
    ("unused dim set", with_h(dims=(1, 2, 2, 5)), "dims[3] = 5", 0),
    ("unused dim for none", with_h(layout=0, dims=(1, 0, 0, 0)), "dims[0] = 1", 0),
    ("record too big", with_h(etype=3, dims=(1 << 5, 1 << 12, 1 << 12, 0)),
     "256 MiB", 0),
    ("metadata too long", with_h(m=(1 << 20) + 1, body_len=(1 << 20) + 64),
     "1 MiB", 0),
    ("H body mismatch", with_h(body_len=128), "does not match metadata length", 0),
    ("metadata not JSON", with_h(meta=b"{oops"), "not valid JSON", 0),
    ("metadata empty", with_h(meta=b""), "not valid JSON", 0),
    ("metadata NaN", with_h(meta=b'{"a":NaN}'), "not valid JSON", 0),
    ("metadata not UTF-8", with_h(meta=b'{"a":"\xff"}'), "UTF-8", 0),
    ("metadata not object", with_h(meta=b"[1,2]"), "not a JSON object", 0),
    ("metadata string", with_h(meta=b'"x"'), "not a JSON object", 0),
    ("metadata deep", with_h(meta=b"[" * 100000), "not valid JSON", 0),
    ("B before H", GOOD[128:], "B frame before any H frame", 0),
    ("n zero", patch(GOOD, 128 + 16, "<I", 0), "n = 0", 128),
    ("B body mismatch n", patch(GOOD, 128 + 16, "<I", 100), "does not match n = 100", 128),
    ("B body mismatch length", patch(GOOD, 448 + 8, "<Q", 64 * 6), "expected 256", 448),
    ("B body above 1 GiB", GOOD[:128] + frame_header(
        0x42, (1 << 30) + 64, struct.pack("<I", 1 << 26)), "1 GiB", 128),
    ("truncated header", GOOD + b"UNSP", "truncated frame header", len(GOOD)),
    ("truncated H header", GOOD[:10], "truncated frame header", 0),
    ("truncated H body", GOOD[:100], "truncated H frame", 0),
    ("truncated B body", GOOD[:-1], "truncated B frame", 448),
    ("B header only", GOOD[:192], "truncated B frame", 128),
    ("second H with bad meta", GOOD + GOOD[:64] + b"[]" + b"\0" * 62,
     "metadata", len(GOOD)),
]


@pytest.mark.parametrize("reader", ["read", "iter_batches"])
@pytest.mark.parametrize("name,data,match,offset", MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed(name, data, match, offset, reader):
    with pytest.raises(StreamError) as e:
        if reader == "read":
            unsup.read(io.BytesIO(data))
        else:
            list(unsup.iter_batches(io.BytesIO(data)))
    msg = str(e.value)
    assert match in msg
    assert e.value.offset == offset
    assert f"byte offset {offset}" in msg
    assert isinstance(e.value, ValueError)


def test_malformed_from_path(tmp_path):
    path = tmp_path / "bad.us"
    path.write_bytes(GOOD[:-1])
    with pytest.raises(StreamError, match="offset 448"):
        unsup.read(path)
    path.write_bytes(b"")
    with pytest.raises(StreamError, match="empty input"):
        unsup.read(str(path))


def test_every_prefix_is_complete_or_refused():
    data = GOOD
    boundaries = {o for o, _, _, _ in frame_offsets(data)} | {len(data)}
    for cut in range(0, len(data) + 1):
        src = io.BytesIO(data[:cut])
        if cut in boundaries and cut > 0:
            unsup.read(src)
        else:
            with pytest.raises(StreamError):
                unsup.read(src)


def test_reserved_bytes_and_padding_are_ignored():
    b = bytearray(GOOD)
    b[6:8] = b"\xff\xff"        # frame reserved u16
    b[28:32] = b"\xff" * 4      # H reserved u32
    b[48:64] = b"\xff" * 16     # H reserved tail
    b[128 + 20:128 + 64] = b"\xff" * 44  # B reserved
    s = unsup.read(io.BytesIO(bytes(b)))
    np.testing.assert_array_equal(s["label"], [1, 2, 3])


def test_huge_claimed_body_is_not_allocated():
    # A truncated B frame claiming 1 GiB - 64 bytes of body fails cleanly; the
    # file reader grows its buffer only with bytes actually read.
    # schema CHW 1x2x2 u8: per record 8 + 4 + 4 = 16 bytes; n = 2^26 - 8 gives a
    # body of exactly sum(pad(n * s)) <= 1 GiB.
    n = (1 << 26) - 8
    body = sum(-(-n * s // 64) * 64 for s in (8, 4, 4))
    assert body <= 1 << 30
    data = with_h()[:128] + frame_header(0x42, body, struct.pack("<I", n))
    with pytest.raises(StreamError, match="truncated B frame.*offset 128"):
        list(unsup.iter_batches(io.BytesIO(data)))


# ----------------------------------------------------------------------------
# Files, stdin/stdout, atomic writes


def test_paths_and_pathlike(tmp_path):
    path = tmp_path / "p.us"
    unsup.write(str(path), np.ones((2, 2), np.uint8))
    assert unsup.read(path)["x"].shape == (2, 2)
    assert unsup.read(str(path))["x"].shape == (2, 2)
    with open(path, "rb") as f:
        assert unsup.read(f)["x"].shape == (2, 2)
    assert os.listdir(tmp_path) == ["p.us"]


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "keep.us"
    unsup.write(path, np.ones((2, 2), np.uint8))
    before = path.read_bytes()

    from unsup import stream

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(stream, "_b_frame", boom)
    with pytest.raises(RuntimeError):
        unsup.write(path, np.zeros((5, 2), np.uint8))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.us"]


def test_written_file_mode_follows_umask(tmp_path):
    if os.name != "posix":
        pytest.skip("posix only")
    old = os.umask(0o022)
    try:
        path = tmp_path / "mode.us"
        unsup.write(path, np.ones((1, 1), np.uint8))
        assert path.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)


class _Std:
    def __init__(self, buffer):
        self.buffer = buffer


def test_dash_means_stdin_and_stdout(monkeypatch):
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", _Std(out))
    unsup.write("-", np.ones((2, 3), np.float32), label=[4, 5])
    assert out.getvalue()[:4] == b"UNSP"
    monkeypatch.setattr(sys, "stdin", _Std(io.BytesIO(out.getvalue())))
    s = unsup.read("-")
    np.testing.assert_array_equal(s["label"], [4, 5])
    monkeypatch.setattr(sys, "stdin", _Std(io.BytesIO(out.getvalue())))
    assert [len(b["id"]) for b in unsup.iter_batches("-")] == [2]


def test_refuses_text_files_and_bytes(tmp_path):
    with pytest.raises(TypeError):
        unsup.read(io.StringIO("UNSP"))
    with pytest.raises(TypeError):
        unsup.read(GOOD)
    with pytest.raises(TypeError):
        unsup.write(io.StringIO(), np.ones((1, 1), np.uint8))


class _Trickle(io.RawIOBase):
    """A raw reader returning at most 7 bytes per call, like a slow pipe."""

    def __init__(self, data):
        self._data = memoryview(data)

    def readable(self):
        return True

    def readinto(self, b):
        k = min(7, len(b), len(self._data))
        b[:k] = self._data[:k]
        self._data = self._data[k:]
        return k


def test_short_reads():
    s = unsup.read(_Trickle(GOOD))
    np.testing.assert_array_equal(s["label"], [1, 2, 3])
    assert sum(len(b["id"]) for b in unsup.iter_batches(_Trickle(GOOD))) == 3


def test_public_api():
    assert issubclass(unsup.StreamError, ValueError)
    for f in (unsup.read, unsup.write, unsup.iter_batches):
        assert f.__doc__
