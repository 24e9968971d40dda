"""ctypes declarations of liblmz's public C API (include/lmz.h, include/lmz_frame_info.h).

Nothing here is compiled: the shared library is loaded at import time and
every function used by the package is declared with its exact C signature.
ctypes releases the GIL for the duration of every foreign call (CDLL, not
PyDLL), so long compressions run in parallel with other Python threads.

Where the library comes from, first match wins:
  1. $LMZ_LIBRARY (a path to liblmz.so*);
  2. the source tree: python/../build/liblmz.so (the package used in place,
     PYTHONPATH=python after `make`);
  3. the path `make install` recorded in lmz/_install.py (installed package);
  4. the dynamic loader's own search (ldconfig cache, LD_LIBRARY_PATH): liblmz.so.0.3.
"""

import ctypes
import os

# The library's SONAME (liblmz.so.MAJOR; before 1.0 the minor number is the
# ABI number): this package is written against that ABI.
SONAME = "liblmz.so.0.3"

_here = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    env = os.environ.get("LMZ_LIBRARY")
    if env:
        yield env
        return
    yield os.path.join(_here, os.pardir, os.pardir, "build", "liblmz.so")
    try:
        from . import _install  # written by make install
        yield _install.LIBRARY
    except ImportError:
        pass
    yield SONAME


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("lmz: cannot load the shared library; tried: " + "; ".join(tried) +
                      ". Build it with `make`, install it with `make install`, or set LMZ_LIBRARY.")


lib, path = _load()

c_size = ctypes.c_size_t
c_u8p = ctypes.POINTER(ctypes.c_uint8)

# ---------------------------------------------------------------- structures


class Params(ctypes.Structure):
    """lmz_params (lmz.h). Always filled by lmz_params_default() first."""
    _fields_ = [
        ("threads", ctypes.c_int),
        ("level", ctypes.c_int),
        ("chunk_size", ctypes.c_uint32),
        ("window", ctypes.c_uint32),
        ("memory_limit", ctypes.c_uint64),
        ("mix", ctypes.c_int),
        ("fallback", ctypes.c_int),
        ("fast", ctypes.c_int),
        ("compact", ctypes.c_int),
        ("dict", ctypes.c_void_p),
        ("dict_find", ctypes.c_void_p),
        ("dict_find_opaque", ctypes.c_void_p),
        ("progress", ctypes.c_void_p),
        ("progress_opaque", ctypes.c_void_p),
    ]


class InBuffer(ctypes.Structure):
    _fields_ = [("src", ctypes.c_void_p), ("size", c_size), ("pos", c_size)]


class OutBuffer(ctypes.Structure):
    _fields_ = [("dst", ctypes.c_void_p), ("size", c_size), ("pos", c_size)]


class FrameInfo(ctypes.Structure):
    """lmz_frame_info_t (lmz_frame_info.h)."""
    _fields_ = [
        ("version", ctypes.c_uint),
        ("flags", ctypes.c_uint),
        ("model_name", ctypes.c_char * 256),
        ("model_sha256", ctypes.c_uint8 * 32),
        ("window", ctypes.c_uint32),
        ("sink_tokens", ctypes.c_uint32),
        ("chunk_size", ctypes.c_uint32),
        ("original_size", ctypes.c_uint64),
        ("content_checksum", ctypes.c_uint64),
        ("n_chunks", ctypes.c_uint32),
        ("header_size", ctypes.c_uint64),
        ("payload_size", ctypes.c_uint64),
        ("frame_size", ctypes.c_uint64),
        ("report_offset", ctypes.c_uint64),
        ("report_size", ctypes.c_uint64),
        ("report_format", ctypes.c_uint),
        ("dict_sha256", ctypes.c_uint8 * 32),
        ("dict_name", ctypes.c_char * 256),
        ("id_len", ctypes.c_uint),
    ]


class ChunkInfo(ctypes.Structure):
    """lmz_chunk_info_t (lmz_frame_info.h)."""
    _fields_ = [
        ("raw_size", ctypes.c_uint32),
        ("coded_size", ctypes.c_uint32),
        ("method", ctypes.c_uint),
        ("checksum", ctypes.c_uint32),
        ("offset", ctypes.c_uint64),
    ]


class TrainParams(ctypes.Structure):
    """lmz_train_params (lmz.h)."""
    _fields_ = [
        ("max_size", c_size),
        ("name", ctypes.c_char_p),
        ("threads", ctypes.c_int),
        ("progress", ctypes.c_void_p),
        ("progress_opaque", ctypes.c_void_p),
    ]


# ---------------------------------------------------------------- functions


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


vp = ctypes.c_void_p
cp = ctypes.c_char_p
szp = ctypes.POINTER(c_size)

version_number = _fn("lmz_version_number", ctypes.c_uint)
version_string = _fn("lmz_version_string", cp)
simd_path = _fn("lmz_simd_path", cp)
is_error = _fn("lmz_is_error", ctypes.c_uint, c_size)
error_name = _fn("lmz_error_name", cp, c_size)
get_error_code = _fn("lmz_get_error_code", ctypes.c_int, c_size)

model_load_default = _fn("lmz_model_load_default", vp, szp)
model_load_file = _fn("lmz_model_load_file", vp, cp, szp, ctypes.c_char_p, c_size)
model_free = _fn("lmz_model_free", None, vp)
model_name = _fn("lmz_model_name", cp, vp)
model_sha256 = _fn("lmz_model_sha256", None, vp, c_u8p)
model_vocab_size = _fn("lmz_model_vocab_size", ctypes.c_uint32, vp)
model_context = _fn("lmz_model_context", ctypes.c_uint32, vp)

params_default = _fn("lmz_params_default", None, ctypes.POINTER(Params))

dict_load = _fn("lmz_dict_load", vp, vp, ctypes.c_char_p, c_size, szp, ctypes.c_char_p, c_size)
dict_free = _fn("lmz_dict_free", None, vp)
dict_name = _fn("lmz_dict_name", cp, vp)
dict_sha256 = _fn("lmz_dict_sha256", None, vp, c_u8p)
train_dict = _fn("lmz_train_dict", c_size, vp, vp, c_size, ctypes.c_char_p, szp, ctypes.c_uint,
                 ctypes.POINTER(TrainParams), ctypes.c_char_p, c_size)

compress_bound = _fn("lmz_compress_bound", c_size, c_size)
compress = _fn("lmz_compress", c_size, vp, vp, c_size, ctypes.c_char_p, c_size, ctypes.POINTER(Params))
decompress_range = _fn("lmz_decompress_range", c_size, vp, vp, c_size, ctypes.c_char_p, c_size,
                       ctypes.c_uint64, ctypes.c_uint64, ctypes.POINTER(Params), ctypes.c_char_p, c_size)

cstream_create = _fn("lmz_cstream_create", vp, vp, ctypes.POINTER(Params))
cstream_free = _fn("lmz_cstream_free", None, vp)
compress_stream = _fn("lmz_compress_stream", c_size, vp, ctypes.POINTER(OutBuffer), ctypes.POINTER(InBuffer),
                      ctypes.c_int)
cstream_message = _fn("lmz_cstream_message", cp, vp)
dstream_create = _fn("lmz_dstream_create", vp, vp, ctypes.POINTER(Params))
dstream_free = _fn("lmz_dstream_free", None, vp)
decompress_stream = _fn("lmz_decompress_stream", c_size, vp, ctypes.POINTER(OutBuffer), ctypes.POINTER(InBuffer))
dstream_message = _fn("lmz_dstream_message", cp, vp)

frame_info = _fn("lmz_frame_info", c_size, ctypes.c_char_p, c_size, ctypes.POINTER(FrameInfo))
frame_chunks = _fn("lmz_frame_chunks", c_size, ctypes.c_char_p, c_size, ctypes.POINTER(ChunkInfo), c_size)

E_END = 1       # LMZ_e_end
E_CONTINUE = 0  # LMZ_e_continue

# lmz_error_code, in the enum's order (lmz.h)
ERROR_CODES = ("none", "generic", "memory", "memory_limit", "io", "parameter", "dst_too_small", "src_size",
               "bad_magic", "version", "header_checksum", "corrupt", "chunk_checksum", "content_checksum",
               "model_mismatch", "model_invalid", "unsupported", "dict_invalid", "dict_mismatch")
ERROR_SRC_SIZE = ERROR_CODES.index("src_size")
