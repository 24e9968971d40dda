"""Regenerate the model reference data of testdata/model/ from the GGUF.

    python3 tools/reference/make_refs.py logits [GGUF [SPM [OUTDIR]]]
        ref_ids.i32 and ref_logits.f32: BOS + the SentencePiece ids of the
        fixed two-line text below, and the float64 forward pass of the
        *dequantized* GGUF weights (gguf_read.forward), stored as float32.
        The same steps as the kit's train.py check_export(), without its
        comparison against the PyTorch model.
    python3 tools/reference/make_refs.py vectors [SPM [OUTDIR]]
        vectors/NAME.ids.i32: SentencePiece ids (no BOS) of the corpus files
        listed in testdata/model/vectors/README.md (enwik4 from
        $LMZ_CORPUS_EXTRA when set, else skipped).

Defaults: GGUF models/lmz-base.gguf, SPM testdata/model/lmz-base.spm.model,
OUTDIR testdata/model (paths relative to the repository root). Needs numpy
and sentencepiece (Debian 12: apt-get install python3-numpy
python3-sentencepiece). Compare with `git diff --stat testdata/model`.
"""
import os, sys
import numpy as np
import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gguf_read  # noqa: E402

TEXT = "The quick brown fox jumps over the lazy dog.\nIt was the best of times, it was the worst of times; 1984.\n"
VECTORS = [("canterbury/alice29.txt", "alice29.txt"), ("canterbury/fields.c", "fields.c"),
           ("calgary/paper1", "paper1"), ("calgary/progc", "progc"), ("enwik/enwik4", "enwik4"),
           ("canterbury/xargs.1", "xargs.1")]


def logits(gguf, tok, out):
    sp = spm.SentencePieceProcessor(model_file=tok)
    meta, t = gguf_read.read(gguf)
    ids = [1] + sp.encode(TEXT)
    ref = gguf_read.forward(meta, t, ids)
    np.asarray(ids, dtype="<i4").tofile(os.path.join(out, "ref_ids.i32"))
    ref.astype("<f4").tofile(os.path.join(out, "ref_logits.f32"))
    print(f"{len(ids)} ids, logits {ref.shape} -> {out}")


def vectors(tok, out):
    sp = spm.SentencePieceProcessor(model_file=tok)
    extra = os.environ.get("LMZ_CORPUS_EXTRA", "")
    os.makedirs(os.path.join(out, "vectors"), exist_ok=True)
    for path, name in VECTORS:
        base = extra if path.startswith("enwik/") else os.path.join(ROOT, "testdata", "corpus")
        src = os.path.join(base, path)
        if not base or not os.path.isfile(src):
            print(f"{name}: {src} not found, skipped")
            continue
        text = open(src, "rb").read().decode("utf-8", errors="replace")
        ids = sp.encode(text)
        np.asarray(ids, dtype="<i4").tofile(os.path.join(out, "vectors", name + ".ids.i32"))
        print(f"{name}: {len(ids)} ids")


if __name__ == "__main__":
    a = sys.argv[1:]
    if not a or a[0] not in ("logits", "vectors"):
        sys.exit(__doc__)
    if a[0] == "logits":
        g = a[1] if len(a) > 1 else os.path.join(ROOT, "models", "lmz-base.gguf")
        s = a[2] if len(a) > 2 else os.path.join(ROOT, "testdata", "model", "lmz-base.spm.model")
        o = a[3] if len(a) > 3 else os.path.join(ROOT, "testdata", "model")
        logits(g, s, o)
    else:
        s = a[1] if len(a) > 1 else os.path.join(ROOT, "testdata", "model", "lmz-base.spm.model")
        o = a[2] if len(a) > 2 else os.path.join(ROOT, "testdata", "model")
        vectors(s, o)
