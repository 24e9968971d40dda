"""Fixtures shared by the Python tests (run with Debian's /usr/bin/python3 -m pytest python/tests).

The package under test is python/lmz over the freshly built build/liblmz.so
(LMZ_BUILD_DIR names another build folder; LMZ_LIBRARY, LMZ_CLI and
LMZ_MKMODEL name the library, the lmz program and the model generator, as
tests/cmake/python.cmake sets them). Tests use a tiny random-weight
model written by the project's own generator (build/tests/mkmodel): the
default model would make them slow; one test uses the default model on a
small input."""

import os
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
BUILD = os.path.abspath(os.environ.get("LMZ_BUILD_DIR", os.path.join(REPO, "build")))

os.environ.setdefault("LMZ_LIBRARY", os.path.join(BUILD, "liblmz.so"))
sys.path.insert(0, os.path.join(REPO, "python"))


@pytest.fixture(scope="session")
def build_dir():
    return BUILD


@pytest.fixture(scope="session")
def lmz_cli():
    return os.environ.get("LMZ_CLI", os.path.join(BUILD, "lmz"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny llama GGUF (2 layers, random weights, seed 1)."""
    path = str(tmp_path_factory.mktemp("model") / "tiny.gguf")
    mkmodel = os.environ.get("LMZ_MKMODEL", os.path.join(BUILD, "tests", "mkmodel"))
    subprocess.run([mkmodel, path, "1"], check=True)
    return path


@pytest.fixture(scope="session")
def text_1mb():
    """1 MB of text: the Calgary book1 + book2 (testdata/corpus), cut at 1,000,000 bytes."""
    parts = []
    for name in ("book1", "book2"):
        with open(os.path.join(REPO, "testdata", "corpus", "calgary", name), "rb") as f:
            parts.append(f.read())
    return b"".join(parts)[:1000000]
