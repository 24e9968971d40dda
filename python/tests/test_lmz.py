"""Tests of the lmz Python package (python/lmz) over liblmz.so."""

import io
import os
import random
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import lmz

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))


def corpus(name, n=None):
    sub = "canterbury" if name in ("alice29.txt", "asyoulik.txt", "plrabn12.txt", "lcet10.txt") else "calgary"
    with open(os.path.join(REPO, "testdata", "corpus", sub, name), "rb") as f:
        data = f.read()
    return data if n is None else data[:n]


# ------------------------------------------------------------ one-shot


def test_version_and_library():
    assert lmz.__version__.count(".") == 2
    assert os.path.basename(lmz._lib.path).startswith("liblmz.so")
    assert lmz._lib.version_number() == int(lmz.__version__.split(".")[0]) * 10000 + \
        int(lmz.__version__.split(".")[1]) * 100 + int(lmz.__version__.split(".")[2].split("-")[0])


def test_roundtrip_equals_cli(tiny_model, lmz_cli, tmp_path):
    data = corpus("paper1")
    blob = lmz.compress(data, model=tiny_model, threads=2)
    src = tmp_path / "paper1"
    src.write_bytes(data)
    cli = subprocess.run([lmz_cli, "-c", "--model", tiny_model, str(src)], check=True, capture_output=True).stdout
    assert blob == cli  # the same bytes as the command line
    assert lmz.decompress(blob, model=tiny_model) == data
    # and the command line decodes what Python wrote
    out = subprocess.run([lmz_cli, "-dc", "--model", tiny_model], input=blob, check=True, capture_output=True).stdout
    assert out == data


def test_thread_count_and_level(tiny_model):
    data = corpus("paper2")
    one = lmz.compress(data, model=tiny_model, threads=1)
    assert lmz.compress(data, model=tiny_model, threads=3) == one
    fast = lmz.compress(data, model=tiny_model, level=1)
    assert fast != one and lmz.decompress(fast, model=tiny_model) == data
    with pytest.raises(ValueError):
        lmz.compress(data, model=tiny_model, level=10)
    with pytest.raises(ValueError):
        lmz.compress(data, threads=-1)
    with pytest.raises(TypeError):
        lmz.compress("text, not bytes")


def test_default_model(lmz_cli):
    data = corpus("alice29.txt", 2000)
    blob = lmz.compress(data)
    assert len(blob) < len(data) // 2
    cli = subprocess.run([lmz_cli, "-c"], input=data, check=True, capture_output=True).stdout
    assert blob == cli
    assert lmz.decompress(blob) == data
    assert lmz.load_model() is lmz.load_model(None)  # loaded once


def test_empty_and_binary(tiny_model):
    for data in (b"", b"\x00", bytes(range(256)) * 40, os.urandom(5000)):
        blob = lmz.compress(data, model=tiny_model)
        assert len(blob) <= len(data) + 64
        assert lmz.decompress(blob, model=tiny_model) == data


def test_concatenated_frames(tiny_model):
    a, b = corpus("paper1", 5000), corpus("paper2", 7000)
    blob = lmz.compress(a, model=tiny_model) + lmz.compress(b, model=tiny_model)
    assert lmz.decompress(blob, model=tiny_model) == a + b
    fr = lmz.frames(blob)
    assert [f.content_offset for f in fr] == [0, len(a)]
    assert fr[1].offset == fr[0].size and fr[0].size + fr[1].size == len(blob)


# ------------------------------------------------------------ errors


def test_truncated_frames_raise(tiny_model):
    data = corpus("paper1", 20000)
    blob = lmz.compress(data, model=tiny_model, compact=False)
    for cut in list(range(0, 200)) + list(range(200, len(blob), 97)) + [len(blob) - 1]:
        with pytest.raises(lmz.LMZError):
            lmz.decompress(blob[:cut], model=tiny_model)
    with pytest.raises(lmz.LMZError):
        lmz.frames(blob[:len(blob) - 1])
    with pytest.raises(lmz.LMZError):
        lmz.decompress(blob + blob[:50], model=tiny_model)  # a second frame cut short


@pytest.mark.parametrize("compact", [True, False])
def test_damaged_frames_raise_or_decode_exactly(tiny_model, compact):
    data = corpus("progc", 6000)
    blob = lmz.compress(data, model=tiny_model, compact=compact)
    rnd = random.Random(7)
    raised = 0
    positions = list(range(min(len(blob), 160))) + [rnd.randrange(len(blob)) for _ in range(150)]
    for pos in positions:
        bad = bytearray(blob)
        bad[pos] ^= 1 << rnd.randrange(8)
        try:
            out = lmz.decompress(bytes(bad), model=tiny_model)
        except lmz.LMZError as e:
            raised += 1
            assert str(e)
            continue
        assert out == data  # never wrong output (a flip in an unchecked spare bit may decode)
    assert raised >= len(positions) * 9 // 10


def test_errors_carry_the_library_message(tiny_model):
    blob = lmz.compress(corpus("paper1"), model=tiny_model)
    assert lmz.frames(blob)[0].chunks[0].method in (1, 4)  # model-coded (not a classical fallback)
    with pytest.raises(lmz.LMZError) as e:
        lmz.decompress(blob)  # made with the tiny model, decoded with the default one
    assert "model" in str(e.value) and e.value.code == lmz.ERROR_MODEL_MISMATCH and e.value.reason == "model_mismatch"
    with pytest.raises(lmz.LMZError) as e:
        lmz.decompress(b"PK\x03\x04 not an lmz file at all")
    assert e.value.code == lmz.ERROR_BAD_MAGIC
    with pytest.raises(lmz.LMZError):
        lmz.decompress(b"")
    with pytest.raises(lmz.LMZError) as e:
        lmz.load_model(os.path.join(REPO, "README.md"))
    assert "README.md" in str(e.value)


# ------------------------------------------------------------ streaming


def test_streaming_objects(tiny_model):
    data = corpus("book2", 100000)
    c = lmz.LMZCompressor(model=tiny_model, threads=2)
    pieces = []
    pos, rnd = 0, random.Random(3)
    while pos < len(data):
        n = rnd.choice((1, 100, 4096, 70000))
        pieces.append(c.compress(data[pos:pos + n]))
        pos += n
    pieces.append(c.flush())
    blob = b"".join(pieces)
    assert blob == lmz.compress(data, model=tiny_model)
    with pytest.raises(ValueError):
        c.compress(b"more")

    d = lmz.LMZDecompressor(model=tiny_model)
    out = []
    for i in range(0, len(blob), 777):
        out.append(d.decompress(blob[i:i + 777]))
        assert not d.eof or i + 777 >= len(blob)
    assert d.eof and b"".join(out) == data

    # max_length: bounded output per call, the rest on later calls
    d = lmz.LMZDecompressor(model=tiny_model)
    got = d.decompress(blob, max_length=1000)
    assert len(got) == 1000 and not d.eof and not d.needs_input
    while not d.eof:
        got += d.decompress(b"", max_length=30000)
    assert got == data


# ------------------------------------------------------------ files


@pytest.fixture(scope="module")
def big_lmz(tiny_model, text_1mb, tmp_path_factory):
    """text_1mb written through a file object (level 1: 8 KiB chunks, 16 to
    a frame, so the file has several frames)."""
    path = tmp_path_factory.mktemp("big") / "big.lmz"
    with lmz.open(path, "wb", model=tiny_model, threads=2, level=1) as f:
        for i in range(0, len(text_1mb), 65000):
            f.write(text_1mb[i:i + 65000])
    return path


def test_file_object_roundtrip_1mb(tiny_model, text_1mb, big_lmz):
    fr = lmz.frames(str(big_lmz))
    assert len(fr) >= 2 and sum(f.content_size for f in fr) == len(text_1mb)
    assert fr[-1].offset + fr[-1].size == big_lmz.stat().st_size
    with lmz.open(big_lmz, "rb", model=tiny_model, threads=2) as f:
        assert f.read() == text_1mb  # the full decode
        assert f.read() == b""
        assert f.seekable() and f.tell() == len(text_1mb)


def test_seek_reads_against_full_decode(tiny_model, text_1mb, big_lmz):
    full = text_1mb  # what the full decode gives (test_file_object_roundtrip_1mb)
    path = big_lmz
    blob = path.read_bytes()
    fr = lmz.frames(blob)
    edges = [c.content_offset for f in fr for c in f.chunks]
    rnd = random.Random(11)
    spots = [(0, 10), (len(full) - 5, 100), (fr[1].content_offset - 3, 6), (edges[5] - 1, 2)]
    spots += [(rnd.randrange(len(full)), rnd.choice((1, 80, 5000))) for _ in range(12)]
    with lmz.open(path, model=tiny_model) as f:
        for pos, n in spots:
            assert f.seek(pos) == pos
            assert f.read(n) == full[pos:pos + n]
            assert f.tell() == min(len(full), pos + n)
        f.seek(-20, io.SEEK_END)
        assert f.read() == full[-20:]
        f.seek(123456)
        assert f.readline() == full[123456:full.index(b"\n", 123456) + 1]
    # text mode, line by line
    with lmz.open(path, "rt", model=tiny_model, encoding="latin-1") as f:
        f.seek(0)
        assert f.read(100) == full[:100].decode("latin-1")
    # range helper
    assert lmz.decompress_range(blob, 500000, 501000, model=tiny_model) == full[500000:501000]
    assert lmz.decompress_range(blob, len(full) - 10, len(full) + 99, model=tiny_model) == full[-10:]


def test_seek_decodes_only_the_chunks_it_needs(tiny_model, text_1mb, big_lmz, monkeypatch):
    path = big_lmz
    blob = path.read_bytes()
    asked = []
    real = lmz._range

    def spy(m, p, data, start, end):
        asked.append(end - start)
        return real(m, p, data, start, end)

    monkeypatch.setattr(lmz, "_range", spy)
    with lmz.open(path, model=tiny_model) as f:
        f.seek(700000)
        assert f.read(1000) == text_1mb[700000:701000]
    chunk = lmz.frames(blob)[0].chunk_size
    assert len(asked) == 1 and asked[0] <= 2 * chunk  # one or two chunks, not everything before


def test_text_mode_and_modes(tiny_model, tmp_path):
    text = corpus("paper1", 20000).decode("latin-1")
    path = tmp_path / "p.txt.lmz"
    with lmz.open(path, "wt", model=tiny_model, encoding="utf-8") as f:
        f.write(text)
    with lmz.open(path, "rt", model=tiny_model, encoding="utf-8") as f:
        assert f.read() == text
    with lmz.open(path, "at", model=tiny_model, encoding="utf-8") as f:  # a new frame appended
        f.write("tail\n")
    with lmz.open(path, "rt", model=tiny_model, encoding="utf-8") as f:
        assert f.read() == text + "tail\n"
    with pytest.raises(FileExistsError):
        lmz.open(path, "xb", model=tiny_model)
    with pytest.raises(ValueError):
        lmz.open(path, "rbt")
    f = lmz.open(path, "rb", model=tiny_model)
    f.close()
    f.close()
    with pytest.raises(ValueError):
        f.read()
    with lmz.open(path, "rb", model=tiny_model) as f:
        with pytest.raises(io.UnsupportedOperation):
            f.write(b"x")


def test_reading_from_a_pipe(tiny_model, lmz_cli, tmp_path):
    data = corpus("paper2")
    src = tmp_path / "paper2"
    src.write_bytes(data)
    p = subprocess.Popen([lmz_cli, "-c", "--model", tiny_model, str(src)], stdout=subprocess.PIPE)
    with lmz.open(p.stdout, model=tiny_model) as f:
        assert not f.seekable()
        assert f.read(10) == data[:10]
        assert f.seek(5000) == 5000
        assert f.read() == data[5000:]
        with pytest.raises(io.UnsupportedOperation):
            f.seek(0)
    assert p.wait() == 0


def test_damaged_file_object_raises(tiny_model, tmp_path):
    data = corpus("paper1")
    blob = bytearray(lmz.compress(data, model=tiny_model))
    path = tmp_path / "bad.lmz"
    path.write_bytes(bytes(blob[:-10]))
    with pytest.raises(lmz.LMZError):
        lmz.open(path, model=tiny_model).read()
    blob[len(blob) // 2] ^= 0x40  # payload damage: found when that chunk is decoded
    path.write_bytes(bytes(blob))
    with pytest.raises(lmz.LMZError):
        with lmz.open(path, model=tiny_model) as f:
            f.read()


# ------------------------------------------------------------ threads


def test_threads_share_one_model(tiny_model):
    inputs = [corpus(n, 30000) for n in ("paper1", "paper2", "progc", "book1", "book2", "news")]
    serial = [lmz.compress(x, model=tiny_model, threads=1) for x in inputs]
    with ThreadPoolExecutor(max_workers=6) as ex:
        parallel = list(ex.map(lambda x: lmz.compress(x, model=tiny_model, threads=1), inputs))
        decoded = list(ex.map(lambda b: lmz.decompress(b, model=tiny_model, threads=1), parallel))
    assert parallel == serial and decoded == inputs
    assert len({id(lmz.load_model(tiny_model)) for _ in range(3)}) == 1


def test_the_gil_is_released(tiny_model):
    """While one thread is inside a long library call, another Python thread
    keeps running (it could not if the call held the GIL)."""
    data = corpus("book1", 200000)
    started, done = threading.Event(), threading.Event()

    def work():
        started.set()
        lmz.compress(data, model=tiny_model, threads=1)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    spins = 0
    while not done.is_set():
        spins += 1
    t.join()
    assert spins > 100000


# ------------------------------------------------------------ dictionaries


def test_dictionary(tiny_model, tmp_path):
    samples = [corpus("paper%d" % i, 4000) for i in range(1, 7)]
    raw = lmz.train_dict(samples[:5], max_size=20000, name="papers", model=tiny_model)
    d = lmz.Dictionary(raw, model=tiny_model)
    assert d.name == "papers" and lmz.Dictionary(raw, model=tiny_model) is d
    path = tmp_path / "papers.lmzd"
    path.write_bytes(raw)
    assert lmz.Dictionary(path, model=tiny_model) is d and lmz.Dictionary(str(path), model=tiny_model) is d
    blob = lmz.compress(samples[5], model=tiny_model, dict=d)
    assert lmz.decompress(blob, model=tiny_model, dict=raw) == samples[5]
    with pytest.raises(lmz.LMZError) as e:
        lmz.decompress(blob, model=tiny_model)
    assert e.value.code == lmz.ERROR_DICT_MISMATCH
    with pytest.raises(lmz.LMZError):
        lmz.Dictionary(raw[:-1], model=tiny_model)
    with pytest.raises(lmz.LMZError):
        lmz.train_dict([], model=tiny_model)
