"""lmz — text compression with a language model, for Python.

A thin layer over liblmz (include/lmz.h) through ctypes: no compiler is
needed at import time, any CPython 3 on the machine can use it, and the GIL
is released during every call into the library, so several threads can
compress at once (sharing one loaded model).

Shaped like the standard library's ``lzma`` module::

    import lmz
    blob = lmz.compress(data)                 # bytes -> one or more .lmz frames
    assert lmz.decompress(blob) == data
    with lmz.open("notes.txt.lmz", "rt") as f:     # text or binary file objects
        f.seek(100_000); print(f.readline())       # seek() decodes only the chunks it needs
    for fr in lmz.frames("big.lmz"): print(fr.offset, fr.size, fr.content_size)

Models: ``model=None`` is the default model embedded in the library; a path
names another GGUF file. Each model is loaded once per process and kept
(``load_model``): every call and thread shares it. Dictionaries (``dict=``,
made by ``lmz --train`` or ``train_dict``) are loaded once per model and file
content, too. Output is identical to the ``lmz`` command line's for the same
bytes and settings, whatever the thread count.

Errors from the library raise ``LMZError`` with its message; wrong argument
types raise ``TypeError``/``ValueError`` as usual.
"""

import ctypes
import hashlib
import io
import os
import threading

from . import _lib

__all__ = [
    "LMZError", "Model", "Dictionary", "FrameInfo", "ChunkInfo",
    "compress", "decompress", "decompress_range", "frames", "train_dict", "load_model",
    "LMZCompressor", "LMZDecompressor", "LMZFile", "open",
    "LEVEL_MIN", "LEVEL_MAX", "LEVEL_DEFAULT", "__version__",
]

__version__ = _lib.version_string().decode()
LEVEL_MIN, LEVEL_DEFAULT, LEVEL_MAX = 1, 6, 9

_MSG_CAP = 512


class LMZError(Exception):
    """An error reported by liblmz: ``code`` is its lmz_error_code number
    (one of the ERROR_* constants of this module), ``reason`` the enum's
    name without its prefix ("corrupt", "model_mismatch", ...)."""

    def __init__(self, message, code=0):
        super().__init__(message)
        self.code = code
        self.reason = _lib.ERROR_CODES[code] if 0 <= code < len(_lib.ERROR_CODES) else "unknown"


# ERROR_CORRUPT, ERROR_MODEL_MISMATCH, ...: the values of LMZError.code
for _i, _n in enumerate(_lib.ERROR_CODES):
    globals()["ERROR_" + _n.upper()] = _i
    __all__.append("ERROR_" + _n.upper())
del _i, _n


def _raise(r, detail=None, context=None):
    """Raises LMZError for the library's return value r (an error code)."""
    code = _lib.get_error_code(r)
    text = detail or _lib.error_name(r).decode()
    raise LMZError(context + ": " + text if context else text, code)


def _check(r, detail=None, context=None):
    if _lib.is_error(r):
        _raise(r, detail() if callable(detail) else detail, context)
    return r


# ----------------------------------------------------------------- models


class Model:
    """A loaded model (lmz_model). Get one with ``load_model()``; it stays
    loaded for the life of the process and may be used by any number of
    threads at once."""

    def __init__(self, handle, path):
        self._h = handle
        self.path = path  # None: the default model embedded in the library
        self.name = _lib.model_name(handle).decode(errors="replace")
        digest = (ctypes.c_uint8 * 32)()
        _lib.model_sha256(handle, digest)
        self.sha256 = bytes(digest).hex()
        self.vocab_size = _lib.model_vocab_size(handle)
        self.context = _lib.model_context(handle)

    def __repr__(self):
        return "<lmz.Model %s %s>" % (self.name, self.sha256[:16])


_models = {}
_models_lock = threading.Lock()


def load_model(model=None):
    """The Model for ``model``: None (the default model), a path to a GGUF
    file, or a Model (returned as it is). Loaded once per process."""
    if isinstance(model, Model):
        return model
    key = None if model is None else os.path.realpath(os.fspath(model))
    with _models_lock:
        m = _models.get(key)
        if m is not None:
            return m
        err = ctypes.c_size_t(0)
        if key is None:
            h = _lib.model_load_default(ctypes.byref(err))
            msg = None
        else:
            buf = ctypes.create_string_buffer(_MSG_CAP)
            h = _lib.model_load_file(os.fsencode(key), ctypes.byref(err), buf, _MSG_CAP)
            msg = buf.value.decode(errors="replace")
        if not h:
            _raise(err.value, msg, "model %s" % (key or "(default)"))
        m = _models[key] = Model(h, key)
        return m


# ----------------------------------------------------------------- dictionaries


class Dictionary:
    """A loaded dictionary (lmz_dict) for one model. Get one with
    ``Dictionary(data_or_path, model=None)``; loading the same content for the
    same model again returns the same object (its prefix cache is computed
    once per process)."""

    _cache = {}    # (model, SHA-256 of the file) -> Dictionary
    _by_path = {}  # (model, path, size, mtime) -> Dictionary
    _lock = threading.Lock()

    def __new__(cls, source, model=None):
        if isinstance(source, Dictionary):
            return source
        m = load_model(model)
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        else:
            # a file already loaded, unchanged since: not read and hashed again
            path = os.path.realpath(os.fspath(source))
            st = os.stat(path)
            pkey = (m.sha256, path, st.st_size, st.st_mtime_ns)
            with cls._lock:
                d = cls._by_path.get(pkey)
            if d is not None:
                return d
            with io.open(path, "rb") as f:
                data = f.read()
            d = cls(data, m)
            with cls._lock:
                cls._by_path[pkey] = d
            return d
        key = (m.sha256, hashlib.sha256(data).hexdigest())
        with cls._lock:
            d = cls._cache.get(key)
            if d is not None:
                return d
            err = ctypes.c_size_t(0)
            msg = ctypes.create_string_buffer(_MSG_CAP)
            h = _lib.dict_load(m._h, data, len(data), ctypes.byref(err), msg, _MSG_CAP)
            if not h:
                _raise(err.value, msg.value.decode(errors="replace"), "dictionary")
            d = object.__new__(cls)
            d._h, d.model = h, m
            d.name = _lib.dict_name(h).decode(errors="replace")
            digest = (ctypes.c_uint8 * 32)()
            _lib.dict_sha256(h, digest)
            d.sha256 = bytes(digest).hex()
            cls._cache[key] = d
            return d

    def __repr__(self):
        return "<lmz.Dictionary %s %s>" % (self.name, self.sha256[:16])


def _dict_for(source, m):
    if source is None:
        return None
    d = Dictionary(source, m)
    if d.model is not m:
        raise ValueError("lmz: the dictionary was loaded for model %s, not %s" % (d.model.name, m.name))
    return d


def train_dict(samples, max_size=112640, name="dict", model=None, threads=0):
    """A dictionary (bytes, the `lmz --train` file format) learned from an
    iterable of samples (bytes), for ``model``."""
    m = load_model(model)
    parts = [bytes(s) for s in samples]
    sizes = (ctypes.c_size_t * max(1, len(parts)))(*[len(p) for p in parts])
    joined = b"".join(parts)
    p = _lib.TrainParams(max_size, name.encode(), threads, None, None)
    out = ctypes.create_string_buffer(max_size)
    msg = ctypes.create_string_buffer(_MSG_CAP)
    r = _lib.train_dict(m._h, out, max_size, joined, sizes, len(parts), ctypes.byref(p), msg, _MSG_CAP)
    _check(r, lambda: msg.value.decode(errors="replace"), "train_dict")
    return out.raw[:r]


# ----------------------------------------------------------------- parameters


def _params(level=None, threads=0, dictionary=None, compact=None, memory_limit=0):
    p = _lib.Params()
    _lib.params_default(ctypes.byref(p))
    if level is not None:
        if not isinstance(level, int) or not LEVEL_MIN <= level <= LEVEL_MAX:
            raise ValueError("lmz: level must be an integer from %d to %d" % (LEVEL_MIN, LEVEL_MAX))
        p.level = level
    if not isinstance(threads, int) or threads < 0:
        raise ValueError("lmz: threads must be an integer >= 0 (0: one per CPU)")
    p.threads = threads
    if compact is not None:
        p.compact = 1 if compact else 0
    if memory_limit:
        p.memory_limit = memory_limit
    if dictionary is not None:
        p.dict = dictionary._h
    return p


def _as_bytes(data):
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError("lmz: a bytes-like object is required, not %r" % type(data).__name__)


# ----------------------------------------------------------------- one-shot


def compress(data, level=None, threads=0, model=None, dict=None, *, compact=None):
    """Compresses ``data`` (bytes-like) into .lmz frames: the bytes ``lmz -c``
    writes for the same input and settings. ``level`` 1..9 (None: 6),
    ``threads`` 0 = one per CPU (never changes the output), ``model`` None or
    a GGUF path, ``dict`` a Dictionary, its bytes or its path, ``compact``
    False for the full frame header of lmz <= 0.3.0."""
    data = _as_bytes(data)
    m = load_model(model)
    d = _dict_for(dict, m)
    p = _params(level, threads, d, compact)
    cap = _lib.compress_bound(len(data))
    out = ctypes.create_string_buffer(cap)
    r = _lib.compress(m._h, out, cap, data, len(data), ctypes.byref(p))
    _check(r, context="compress")
    return out.raw[:r]


def decompress(data, threads=0, model=None, dict=None, *, memory_limit=0):
    """The original bytes of the .lmz frames in ``data`` (one or several,
    concatenated). Raises LMZError on damaged, truncated or foreign input and
    when the frames need another model or a dictionary not given."""
    data = _as_bytes(data)
    if not data:
        raise LMZError("decompress: empty input (no lmz frame)", _lib.ERROR_SRC_SIZE)
    d = LMZDecompressor(threads=threads, model=model, dict=dict, memory_limit=memory_limit)
    out = d.decompress(data)
    if not d.eof:
        raise LMZError("decompress: input truncated (a frame is incomplete)", _lib.ERROR_SRC_SIZE)
    return out


def decompress_range(data, start, end, threads=0, model=None, dict=None):
    """The bytes [start, end) of the content of the frames in ``data``,
    decoding only the chunks that hold them (``lmz -d --range``)."""
    data = _as_bytes(data)
    m = load_model(model)
    p = _params(threads=threads, dictionary=_dict_for(dict, m))
    return _range(m, p, data, start, end)


def _range(m, p, data, start, end):
    if start < 0 or end < start:
        raise ValueError("lmz: need 0 <= start <= end")
    n = end - start
    out = ctypes.create_string_buffer(max(1, n))
    msg = ctypes.create_string_buffer(_MSG_CAP)
    r = _lib.decompress_range(m._h, out, n, data, len(data), start, end, ctypes.byref(p), msg, _MSG_CAP)
    _check(r, lambda: msg.value.decode(errors="replace"), "decompress")
    return out.raw[:r]


# ----------------------------------------------------------------- streaming


_OUT_STEP = 1 << 18


class LMZCompressor:
    """Incremental compression, like lzma.LZMACompressor: ``compress(data)``
    returns whatever output is ready (often b"" until a frame's worth of
    input arrived), ``flush()`` the rest. The concatenated output equals
    ``compress(all data)``."""

    def __init__(self, level=None, threads=0, model=None, dict=None, *, compact=None):
        self._m = load_model(model)
        self._d = _dict_for(dict, self._m)  # kept alive as long as the stream
        p = _params(level, threads, self._d, compact)
        self._h = _lib.cstream_create(self._m._h, ctypes.byref(p))
        if not self._h:
            raise LMZError("compress: cannot create a stream (out of memory or bad parameters)")
        self._lock = threading.Lock()
        self._done = False

    def _run(self, data, op):
        inb = _lib.InBuffer(ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p), len(data), 0)
        pieces = []
        buf = ctypes.create_string_buffer(_OUT_STEP)
        while True:
            outb = _lib.OutBuffer(ctypes.cast(buf, ctypes.c_void_p), _OUT_STEP, 0)
            r = _lib.compress_stream(self._h, ctypes.byref(outb), ctypes.byref(inb), op)
            _check(r, lambda: _lib.cstream_message(self._h).decode(errors="replace"), "compress")
            pieces.append(buf.raw[:outb.pos])
            if op == _lib.E_END:
                if r == 0:
                    break
            elif inb.pos == inb.size and outb.pos < outb.size:
                break
        return b"".join(pieces)

    def compress(self, data):
        data = _as_bytes(data)
        with self._lock:
            if self._done:
                raise ValueError("lmz: compressor already flushed")
            return self._run(data, _lib.E_CONTINUE)

    def flush(self):
        with self._lock:
            if self._done:
                raise ValueError("lmz: compressor already flushed")
            self._done = True
            return self._run(b"", _lib.E_END)

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h:
            _lib.cstream_free(h)


class LMZDecompressor:
    """Incremental decompression, like lzma.LZMADecompressor. A .lmz stream
    is a sequence of frames: ``eof`` is True when the input so far ends on a
    frame boundary (everything given has been decoded and returned); more
    frames may still follow. ``max_length`` bounds the output of one call
    (-1: no bound); input not yet used is kept for the next call."""

    def __init__(self, threads=0, model=None, dict=None, *, memory_limit=0):
        self._m = load_model(model)
        self._d = _dict_for(dict, self._m)
        p = _params(threads=threads, dictionary=self._d, memory_limit=memory_limit)
        self._h = _lib.dstream_create(self._m._h, ctypes.byref(p))
        if not self._h:
            raise LMZError("decompress: cannot create a stream (out of memory or bad parameters)")
        self._lock = threading.Lock()
        self._pending = b""
        self._more = False  # the last call stopped at max_length with output possibly left
        self.eof = False
        self.needs_input = True
        self.unused_data = b""  # always empty: bytes after the frames must be frames

    def decompress(self, data=b"", max_length=-1):
        data = _as_bytes(data)
        with self._lock:
            if self._pending:
                data = self._pending + data
            inb = _lib.InBuffer(ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p), len(data), 0)
            pieces, total, r = [], 0, 1
            buf = ctypes.create_string_buffer(_OUT_STEP)
            while max_length < 0 or total < max_length:
                cap = _OUT_STEP if max_length < 0 else min(_OUT_STEP, max_length - total)
                outb = _lib.OutBuffer(ctypes.cast(buf, ctypes.c_void_p), cap, 0)
                r = _lib.decompress_stream(self._h, ctypes.byref(outb), ctypes.byref(inb))
                _check(r, lambda: _lib.dstream_message(self._h).decode(errors="replace"), "decompress")
                pieces.append(buf.raw[:outb.pos])
                total += outb.pos
                if inb.pos == inb.size and outb.pos < outb.size:
                    break  # everything given is decoded and flushed
            self._pending = data[inb.pos:]
            self._more = max_length >= 0 and total >= max_length
            self.needs_input = not self._pending and not self._more
            self.eof = r == 0 and not self._pending and not self._more
            return b"".join(pieces)

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h:
            _lib.dstream_free(h)


# ----------------------------------------------------------------- frames


class ChunkInfo:
    """One chunk of a frame: ``content_offset``/``raw_size`` in the decoded
    stream, ``offset``/``coded_size`` of its payload in the .lmz file,
    ``method`` (0 stored, 1 lm, 2 zstd, 3 xz, 4 lm+mix, 5 seg, 6 utf16)."""
    __slots__ = ("content_offset", "raw_size", "offset", "coded_size", "method")

    def __init__(self, content_offset, raw_size, offset, coded_size, method):
        self.content_offset, self.raw_size = content_offset, raw_size
        self.offset, self.coded_size, self.method = offset, coded_size, method

    def __repr__(self):
        return "ChunkInfo(content_offset=%d, raw_size=%d, offset=%d, coded_size=%d, method=%d)" % (
            self.content_offset, self.raw_size, self.offset, self.coded_size, self.method)


class FrameInfo:
    """One frame of a .lmz file, read from its header alone: ``offset`` and
    ``size`` in the file, ``content_offset`` and ``content_size`` in the
    decoded stream, the model and dictionary it names and its ``chunks``."""

    def __init__(self, offset, fi, chunks, content_offset):
        self.offset = offset
        self.size = fi.frame_size
        self.header_size = fi.header_size
        self.content_offset = content_offset
        self.content_size = fi.original_size
        self.version = fi.version
        self.flags = fi.flags
        self.lossy = bool(fi.flags & 1)
        self.window = fi.window
        self.chunk_size = fi.chunk_size
        self.model_name = fi.model_name.decode(errors="replace")
        self.model_id = bytes(fi.model_sha256)[:fi.id_len].hex()  # 32 bytes, or 4 in a compact frame
        self.dict_name = fi.dict_name.decode(errors="replace")
        self.dict_id = bytes(fi.dict_sha256)[:fi.id_len].hex() if fi.flags & 4 else ""
        self.chunks = chunks

    @property
    def n_chunks(self):
        return len(self.chunks)

    def __repr__(self):
        return "FrameInfo(offset=%d, size=%d, content_offset=%d, content_size=%d, chunks=%d)" % (
            self.offset, self.size, self.content_offset, self.content_size, len(self.chunks))


def _walk(read_at, total):
    """Frames of a .lmz stream of ``total`` bytes, read through
    read_at(pos, n) -> bytes. Only headers are read."""
    out, pos, content = [], 0, 0
    while pos < total:
        want = min(4096, total - pos)
        while True:
            head = read_at(pos, want)
            fi = _lib.FrameInfo()
            r = _lib.frame_info(head, len(head), ctypes.byref(fi))
            if _lib.is_error(r) and _lib.get_error_code(r) == _lib.ERROR_SRC_SIZE \
                    and want < fi.header_size <= total - pos:
                want = fi.header_size
                continue
            break
        _check(r, context="frame at offset %d" % pos)
        if fi.frame_size > total - pos:
            raise LMZError("frame at offset %d: truncated (%d bytes of its %d)" % (pos, total - pos, fi.frame_size),
                           _lib.ERROR_SRC_SIZE)
        raw = (_lib.ChunkInfo * max(1, fi.n_chunks))()
        _check(_lib.frame_chunks(head, len(head), raw, fi.n_chunks), context="frame at offset %d" % pos)
        chunks, c = [], content
        for ch in raw[:fi.n_chunks]:
            chunks.append(ChunkInfo(c, ch.raw_size, pos + ch.offset, ch.coded_size, ch.method))
            c += ch.raw_size
        out.append(FrameInfo(pos, fi, chunks, content))
        content += fi.original_size
        pos += fi.frame_size
    return out


def frames(src):
    """The frames of a .lmz file: ``src`` is bytes, a path, or a binary file
    object opened for reading (read from its current position, which is
    offset 0 of the result, and left where it was). Reads headers only."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        return _walk(lambda pos, n: data[pos:pos + n], len(data))
    if isinstance(src, (str, os.PathLike)):
        with io.open(os.fspath(src), "rb") as f:
            return frames(f)
    start = src.tell()
    total = src.seek(0, io.SEEK_END) - start

    def read_at(pos, n):
        src.seek(start + pos)
        return src.read(n)

    try:
        return _walk(read_at, total)
    finally:
        src.seek(start)


# ----------------------------------------------------------------- files


class _RangeReader(io.RawIOBase):
    """The decoded content of a seekable .lmz file, read at any position by
    decoding only the chunks that hold it (lmz_decompress_range on that
    frame's bytes). The last decoded span is kept: reads inside it are
    free; a read that continues where the span ended decodes the rest of
    that frame at once (its chunks in parallel), a read after a seek only
    the chunks it touches."""

    def __init__(self, fp, m, p):
        self._fp, self._m, self._p = fp, m, p
        self._frames = frames(fp)
        self._base = fp.tell()
        self._size = sum(f.content_size for f in self._frames)
        self._pos = 0
        self._span = (0, b"")  # (content offset, bytes)

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError("invalid whence (%r)" % whence)
        if pos < 0:
            raise ValueError("negative seek position %d" % pos)
        self._pos = pos
        return pos

    def _decode(self, pos, end):
        """Decodes whole chunks covering [pos, end), frame by frame."""
        s0, span = self._span
        sequential = s0 + len(span) == pos and span
        pieces, first = [], None
        for f in self._frames:
            f_end = f.content_offset + f.content_size
            if f_end <= pos or f.content_offset >= end or not f.content_size:
                continue
            lo = max(pos, f.content_offset) - f.content_offset
            hi = (f.content_size if sequential else min(end, f_end) - f.content_offset)
            # widen to the chunks' edges, so that the whole decoded chunks are kept
            c_lo = max(c.content_offset for c in f.chunks if c.content_offset - f.content_offset <= lo)
            c_hi = min((c.content_offset + c.raw_size for c in f.chunks
                        if c.content_offset + c.raw_size - f.content_offset >= hi), default=f_end)
            self._fp.seek(self._base + f.offset)
            blob = self._fp.read(f.size)
            pieces.append(_range(self._m, self._p, blob, c_lo - f.content_offset, c_hi - f.content_offset))
            if first is None:
                first = c_lo
        self._span = (first if first is not None else pos, b"".join(pieces))

    def readinto(self, b):
        n = len(b)
        if n == 0 or self._pos >= self._size:
            return 0
        end = min(self._size, self._pos + n)
        s0, span = self._span
        if not (s0 <= self._pos and self._pos < s0 + len(span)):
            self._decode(self._pos, end)
            s0, span = self._span
        k = min(end, s0 + len(span)) - self._pos
        b[:k] = span[self._pos - s0:self._pos - s0 + k]
        self._pos += k
        return k

    def readall(self):
        if self._pos >= self._size:
            return b""
        self._span = (0, b"")
        self._decode(self._pos, self._size)
        s0, span = self._span
        data = span[self._pos - s0:]
        self._pos = self._size
        return data


class _StreamReader(io.RawIOBase):
    """The decoded content of a non-seekable .lmz stream (a pipe): decoded
    in order; seeking forward reads and discards, backward is impossible."""

    def __init__(self, fp, kw):
        self._fp = fp
        self._dec = LMZDecompressor(**kw)
        self._pos = 0
        self._buf = b""
        self._eof = False

    def readable(self):
        return True

    def tell(self):
        return self._pos

    def readinto(self, b):
        while not self._buf and not self._eof:
            data = self._fp.read(1 << 16)
            if not data:
                if not self._dec.eof:
                    raise LMZError("decompress: input truncated (a frame is incomplete)", _lib.ERROR_SRC_SIZE)
                self._eof = True
                break
            self._buf = self._dec.decompress(data)
        k = min(len(b), len(self._buf))
        b[:k] = self._buf[:k]
        self._buf = self._buf[k:]
        self._pos += k
        return k


_MODES = {"r": "rb", "rb": "rb", "w": "wb", "wb": "wb", "x": "xb", "xb": "xb", "a": "ab", "ab": "ab"}


class LMZFile(io.BufferedIOBase):
    """A binary file object over a .lmz file, like lzma.LZMAFile.

    ``filename`` is a path or a file object (binary). Modes "r"/"rb" read,
    "w"/"wb" write (truncating), "x"/"xb" create, "a"/"ab" append new frames
    (a .lmz file is a sequence of frames). In read mode over a seekable file,
    ``seek()`` is cheap and a read decodes only the chunks that hold the bytes
    asked for; over a pipe, reading is sequential. Keyword arguments are
    those of compress()/decompress()."""

    def __init__(self, filename, mode="rb", *, level=None, threads=0, model=None, dict=None,
                 compact=None, memory_limit=0):
        if mode not in _MODES:
            raise ValueError("lmz: invalid mode %r" % (mode,))
        mode = _MODES[mode]
        self._mode = mode
        self._closefp = False
        if isinstance(filename, (str, bytes, os.PathLike)):
            self._fp = io.open(filename, mode)
            self._closefp = True
        elif hasattr(filename, "read" if mode == "rb" else "write"):
            self._fp = filename
        else:
            raise TypeError("lmz: filename must be a path or a file object")
        self.name = getattr(self._fp, "name", None)
        try:
            if mode == "rb":
                if getattr(self._fp, "seekable", lambda: False)():
                    m = load_model(model)
                    p = _params(threads=threads, dictionary=_dict_for(dict, m), memory_limit=memory_limit)
                    raw = _RangeReader(self._fp, m, p)
                else:  # (`dict` is the argument here, not the built-in)
                    raw = _StreamReader(self._fp, {"threads": threads, "model": model, "dict": dict,
                                                   "memory_limit": memory_limit})
                # a small buffer: after a seek, a short read decodes one or two chunks
                self._reader = io.BufferedReader(raw, buffer_size=io.DEFAULT_BUFFER_SIZE)
            else:
                self._comp = LMZCompressor(level, threads, model, dict, compact=compact)
                self._pos = 0
        except BaseException:
            if self._closefp:
                self._fp.close()
            raise

    # -- state
    @property
    def closed(self):
        return self._fp is None

    def close(self):
        if self._fp is None:
            return
        try:
            if self._mode == "rb":
                self._reader.close()
            else:
                self._fp.write(self._comp.flush())
        finally:
            try:
                if self._closefp:
                    self._fp.close()
            finally:
                self._fp = None

    def _check_open(self):
        if self._fp is None:
            raise ValueError("I/O operation on closed file")

    def fileno(self):
        self._check_open()
        return self._fp.fileno()

    def readable(self):
        self._check_open()
        return self._mode == "rb"

    def writable(self):
        self._check_open()
        return self._mode != "rb"

    def seekable(self):
        self._check_open()
        return self._mode == "rb" and self._reader.seekable()

    # -- reading
    def _check_read(self):
        self._check_open()
        if self._mode != "rb":
            raise io.UnsupportedOperation("file not open for reading")

    def read(self, size=-1):
        self._check_read()
        return self._reader.read(size)

    def read1(self, size=-1):
        self._check_read()
        return self._reader.read1(size)

    def readinto(self, b):
        self._check_read()
        return self._reader.readinto(b)

    def peek(self, size=0):
        self._check_read()
        return self._reader.peek(size)

    def readline(self, size=-1):
        self._check_read()
        return self._reader.readline(size)

    def seek(self, offset, whence=io.SEEK_SET):
        self._check_read()
        if not self._reader.seekable():
            # a pipe: forward only, by reading
            cur = self._reader.tell()
            target = {io.SEEK_SET: offset, io.SEEK_CUR: cur + offset}.get(whence)
            if target is None or target < cur:
                raise io.UnsupportedOperation("lmz: this stream can only seek forward")
            while cur < target and self._reader.read(min(1 << 16, target - cur)):
                cur = self._reader.tell()
            return cur
        return self._reader.seek(offset, whence)

    def tell(self):
        self._check_open()
        return self._reader.tell() if self._mode == "rb" else self._pos

    # -- writing
    def write(self, data):
        self._check_open()
        if self._mode == "rb":
            raise io.UnsupportedOperation("file not open for writing")
        if isinstance(data, memoryview):
            data = data.tobytes()
        out = self._comp.compress(data)
        self._fp.write(out)
        self._pos += len(data)
        return len(data)


def open(filename, mode="rb", *, level=None, threads=0, model=None, dict=None, compact=None,
         memory_limit=0, encoding=None, errors=None, newline=None):
    """A file object over a .lmz file: binary (LMZFile) for "rb"/"wb"/"xb"/"ab"
    (or without "b"), text (io.TextIOWrapper over it) for "rt"/"wt"/"xt"/"at"."""
    if "t" in mode:
        if "b" in mode:
            raise ValueError("lmz: invalid mode %r" % (mode,))
        f = LMZFile(filename, mode.replace("t", ""), level=level, threads=threads, model=model, dict=dict,
                    compact=compact, memory_limit=memory_limit)
        return io.TextIOWrapper(f, encoding, errors, newline)
    if encoding is not None or errors is not None or newline is not None:
        raise ValueError("lmz: encoding, errors and newline are for text modes")
    return LMZFile(filename, mode, level=level, threads=threads, model=model, dict=dict, compact=compact,
                   memory_limit=memory_limit)
