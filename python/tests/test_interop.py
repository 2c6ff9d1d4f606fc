"""Streams piped both ways between the built Swift tools and this package.

The tools are found in $UNSUP_BIN (pipelines/test.sh sets it to `swift build
--show-bin-path`), else in ../.build/debug; without them these tests are skipped.
Known answers come from numpy reading the source files itself.
"""

import gzip
import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

import unsup

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("UNSUP_BIN", REPO / ".build" / "debug"))
FMNIST = Path(os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist"))

if not (BIN / "decode").exists():
    if "UNSUP_BIN" in os.environ:
        raise RuntimeError(f"UNSUP_BIN={BIN} holds no decode binary")
    pytest.skip("the Swift tools are not built (swift build)", allow_module_level=True)


def tool(name, *args, input=None, check=True):
    """Runs a built tool; returns (stdout bytes, stderr text, status)."""
    done = subprocess.run([str(BIN / name), *map(str, args)], input=input,
                          capture_output=True, timeout=120)
    if check and done.returncode != 0:
        raise AssertionError(f"{name} {args} failed ({done.returncode}): {done.stderr.decode()}")
    return done.stdout, done.stderr.decode(), done.returncode


def stream_bytes(**arrays):
    """What unsup.write makes of these arrays, as bytes."""
    import io
    buffer = io.BytesIO()
    unsup.write(buffer, **arrays)
    return buffer.getvalue()


def idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, h, w = struct.unpack(">III", data[4:16])
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, 1, h, w)


def idx_labels(path):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=8)


def test_decode_fashion_mnist_matches_numpy():
    out, _, _ = tool("decode", "fashion-mnist", "--split", "all", "--shard", "0/1000", "-q")
    s = unsup.read(__import__("io").BytesIO(out))
    train = idx_images(FMNIST / "train-images-idx3-ubyte.gz")
    test = idx_images(FMNIST / "t10k-images-idx3-ubyte.gz")
    labels = np.concatenate([idx_labels(FMNIST / "train-labels-idx1-ubyte.gz"),
                             idx_labels(FMNIST / "t10k-labels-idx1-ubyte.gz")])
    everything = np.concatenate([train, test])
    ids = np.arange(0, 70000, 1000)
    assert s["x"].shape == (70, 1, 28, 28) and s["x"].dtype == np.uint8
    np.testing.assert_array_equal(s["id"], ids)
    np.testing.assert_array_equal(s["x"], everything[ids])
    np.testing.assert_array_equal(s["label"], labels[ids])
    np.testing.assert_array_equal(s["split"], (ids >= 60000).astype(np.uint8))
    assert s["meta"]["dataset"] == "fashion-mnist"
    assert s["meta"]["classes"][9] == "Ankle boot"
    assert s["meta"]["history"] == ["decode fashion-mnist --split all --shard 0/1000 -q"]


def test_python_stream_through_view():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    label = np.repeat(np.arange(3), 100).astype(np.int32)
    data = stream_bytes(x=x, label=label, split=np.ones(300, np.uint8),
                        cluster=np.arange(300) % 4, probs=np.full((300, 2), 0.5, np.float32),
                        meta={"dataset": "vectors"})
    out, _, _ = tool("view", "--json", input=data)
    report = json.loads(out)
    assert report["records"] == 300 and report["dtype"] == "f32" and report["layout"] == "D"
    assert report["shape"] == [5] and report["labels"] == {"0": 100, "1": 100, "2": 100}
    assert report["splits"] == {"test": 300} and report["probs"] == 2
    assert report["clusters"] == {"0": 75, "1": 75, "2": 75, "3": 75}
    assert abs(report["mean"] - float(x.astype(np.float64).mean())) < 1e-5
    assert abs(report["min"] - float(x.min())) < 1e-6
    head, _, _ = tool("view", "--head", "2", input=data)
    first = head.decode().splitlines()[1].split("\t")
    assert first[:5] == ["0", "0", "test", "0", "0.5,0.5"]
    values = [float(v) for v in first[5].lstrip(": ").split()]
    np.testing.assert_allclose(values, x[0], rtol=1e-3)


def test_python_f16_images_draw_a_sheet(tmp_path):
    x = np.linspace(0, 1, 6 * 3 * 8 * 8, dtype=np.float16).reshape(6, 3, 8, 8)
    sheet = tmp_path / "sheet.png"
    tool("view", "-o", sheet, "--columns", "3", input=stream_bytes(x=x))
    png = sheet.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (3 * 9 - 1, 2 * 9 - 1)


def test_swift_concatenation_reads_in_python():
    a, _, _ = tool("decode", "fashion-mnist", "--split", "test", "--limit", "600", "-q")
    b, _, _ = tool("decode", "fashion-mnist", "--split", "train", "--limit", "3", "-q")
    s = unsup.read(__import__("io").BytesIO(a + b))
    assert len(s["id"]) == 603
    np.testing.assert_array_equal(s["id"][-4:], [60599, 0, 1, 2])


def test_malformed_python_bytes_are_refused():
    data = stream_bytes(x=np.zeros((3, 4), np.float32))
    _, err, status = tool("view", "--info", input=data[:-10], check=False)
    assert status == 65 and "truncated frame" in err and err.count("\n") == 1
    broken = bytearray(data)
    broken[64:80] = b"not json at all!"
    _, err, status = tool("view", "--info", input=bytes(broken), check=False)
    assert status == 65 and "metadata is not valid JSON" in err


def test_decode_csv_and_gzip(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(7, 16), dtype=np.uint8)
    labels = np.arange(7) % 3
    lines = ["label," + ",".join(f"p{i}" for i in range(16))]
    lines += [f"{l}," + ",".join(map(str, row)) for l, row in zip(labels, pixels)]
    path = tmp_path / "digits.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("\n".join(lines) + "\n")
    out, _, _ = tool("decode", "csv", path, "-q")
    s = unsup.read(__import__("io").BytesIO(out))
    np.testing.assert_array_equal(s["x"], pixels.reshape(7, 1, 4, 4))
    np.testing.assert_array_equal(s["label"], labels)
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3,4,5\n2,3,4,300,5\n")
    _, err, status = tool("decode", "csv", bad, "-q", check=False)
    assert status == 65 and "bad.csv:2" in err and "300" in err


def test_decode_idx_f32_and_u8(tmp_path):
    vectors = (np.arange(12, dtype=np.float32).reshape(4, 3) / 7).astype(">f4")
    path = tmp_path / "vectors.idx"
    path.write_bytes(b"\0\0\x0d\x02" + struct.pack(">II", 4, 3) + vectors.tobytes())
    labels = tmp_path / "labels.idx.gz"
    with gzip.open(labels, "wb") as f:
        f.write(b"\0\0\x08\x01" + struct.pack(">I", 4) + bytes([3, 1, 4, 1]))
    out, _, _ = tool("decode", "idx", path, labels, "--split", "train", "-q")
    s = unsup.read(__import__("io").BytesIO(out))
    np.testing.assert_array_equal(s["x"], vectors.astype(np.float32))
    np.testing.assert_array_equal(s["label"], [3, 1, 4, 1])
    np.testing.assert_array_equal(s["split"], [0, 0, 0, 0])


def png_bytes(width, height, color_type, bit_depth, rows, palette=None, trns=None, interlace=0):
    """A PNG written by hand (filter 0 on every row), for an independent decoder check."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace))
    if palette is not None:
        body += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).ravel()))
    if trns is not None:
        body += chunk(b"tRNS", trns)
    raw = b"".join(b"\0" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_decode_images_known_pixels(tmp_path):
    classes = tmp_path / "classes"
    (classes / "b_second").mkdir(parents=True)
    (classes / "a_first").mkdir()
    grey16 = np.array([[0, 65535, 32768], [257, 1000, 40000]], ">u2")
    (classes / "a_first" / "g16.png").write_bytes(
        png_bytes(3, 2, 0, 16, [r.tobytes() for r in grey16]))
    # 2-bit palette image with a transparent entry: alpha is dropped, colours kept.
    palette = [[10, 20, 30], [40, 50, 60], [70, 80, 90], [200, 210, 220]]
    packed = [bytes([0b00011011]), bytes([0b11100100])]  # indices 0,1,2,3 / 3,2,1,0
    (classes / "b_second" / "p2.png").write_bytes(
        png_bytes(4, 2, 3, 2, packed, palette=palette, trns=b"\x00"))
    out, _, _ = tool("decode", "images", classes, "--channels", "3", "--size", "2x3", "--fit", "stretch", "-q")
    s = unsup.read(__import__("io").BytesIO(out))
    assert s["meta"]["classes"] == ["a_first", "b_second"]
    np.testing.assert_array_equal(s["label"], [0, 1])
    expected_grey = np.round(grey16.astype(np.float64) * 255 / 65535).astype(np.uint8)
    for c in range(3):
        np.testing.assert_array_equal(s["x"][0, c], expected_grey)
    # Without resizing, the palette image keeps its exact colours.
    out, _, _ = tool("decode", "images", classes / "b_second" / "p2.png", "-q")
    p = unsup.read(__import__("io").BytesIO(out))["x"][0]
    indices = np.array([[0, 1, 2, 3], [3, 2, 1, 0]])
    np.testing.assert_array_equal(p, np.asarray(palette, np.uint8)[indices].transpose(2, 0, 1))
