/*
 * programs/lmz.c — the `lmz` command-line tool: options and main().
 *
 * Conventions follow zstd(1):
 *
 *     lmz FILE...          FILE -> FILE.lmz, source kept (--rm removes it)
 *     lmz -d FILE.lmz...   FILE.lmz -> FILE
 *     lmz -c / -o FILE     to stdout / to FILE
 *     lmz                  stdin -> stdout ("-" too)
 *
 * Short options combine (-dcf, -T2, -vv); long options take "=VALUE" or the
 * next argument; "--" ends options. Exit status: 0 success, 1 if any file
 * failed, 2 usage error. Messages go to stderr as "lmz: FILE: reason".
 *
 * The options become an fio_prefs (fileio.h), passed to fileio.c with the
 * model (model.h), which main() owns; listing (-l) is in list.c, messages
 * in messages.c (cli.h shows how the pieces call each other). Only the
 * public API (lmz.h) is used.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "list.h"
#include "messages.h"
#include "model.h"
#include "dict.h"

#define EXIT_USAGE 2
#define MAX_THREADS 4096

/* Everything the command line says: what fileio.c needs, the model, the
 * verbosity (for messages.c). */
typedef struct {
    fio_prefs fio;
    cli_model model; /* its path: --model, else $LMZ_MODEL, else NULL (embedded) */
    cli_dict dict;   /* -D FILE, $LMZ_DICT_PATH */
    int verbosity;   /* V_* */
    int train;       /* --train */
    uint64_t maxdict; /* --maxdict=SIZE (0: the default) */
} cli_opts;

/* ------------------------------------------------------------------------ */
/* Usage errors                                                             */
/* ------------------------------------------------------------------------ */

static void usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);
static void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs(CLI_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry '" CLI_NAME " --help' for more information.\n", stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------------ */
/* Help and version                                                         */
/* ------------------------------------------------------------------------ */

static void print_help(void) {
    printf("Usage: " CLI_NAME " [OPTIONS] [FILE...]\n"
           "Compress or decompress FILEs losslessly with a language model (.lmz format).\n"
           "With no FILE, or when FILE is -, read standard input and write standard output.\n"
           "\n"
           "Operation:\n"
           "  -z, --compress        compress (default): FILE -> FILE" LMZ_SUFFIX "\n"
           "  -d, --decompress      decompress: FILE" LMZ_SUFFIX " -> FILE (also --uncompress)\n"
           "  -t, --test            decompress and verify checksums, write nothing\n"
           "  -l, --list            list frames: sizes, ratio, model, chunks (-v: every chunk)\n"
           "\n"
           "Output:\n"
           "  -c, --stdout          write to standard output, keep the sources\n"
           "  -o FILE               write to FILE (a single input only)\n"
           "  -f, --force           overwrite existing outputs; read from or write\n"
           "                        compressed data to a terminal; accept non-regular inputs\n"
           "  -k, --keep            keep the source files (default)\n"
           "      --rm              remove each source after its output is complete\n"
           "\n"
           "Compression and resources:\n"
           "  -1 .. -9              level: -1 fastest (short attention window and chunks),\n"
           "                        -9 smallest; default -6 (also --level=#)\n"
           "  -T#, --threads=#      worker threads (0 = all cores); never changes the output\n"
           "      --model=PATH      use this GGUF model instead of the embedded default\n"
           "      --chunk-size=SIZE bytes per independent chunk (K, M suffixes)\n"
           "      --window=N        compressor: attention window in tokens (default: the level's; at\n"
           "                        most the model's context; more costs time and memory)\n"
           "      --memory=SIZE     decoder: refuse frames needing more memory (K, M, G)\n"
           "      --no-mix          compressor: no adaptive mixing (plain model)\n"
           "      --no-fallback     compressor: no classical per-chunk fallback\n"
           "      --fast            compressor: no model, zstd per chunk (MB/s instead of KB/s)\n"
           "      --range=START:END decompress only those bytes of the original (K, M suffixes;\n"
           "                        START: or :END), decoding only the chunks that hold them\n"
           "      --no-compact      compressor: full frame headers even for one-chunk frames\n"
           "                        (the compact one is 16-20 bytes, but lmz 0.3.0 and older read\n"
           "                        only full headers)\n"
           "  -D DICT               use dictionary DICT (compress: code with it; decompress:\n"
           "                        the one the frame names; see also LMZ_DICT_PATH)\n"
           "      --train FILE...   train a dictionary from sample files (-o DICT, default\n"
           "                        'dictionary'); --maxdict=SIZE bounds it (default 110K)\n"
           "\n"
           "Lossy mode (text only; the output decodes with the normal decoder; doc/lossy.md):\n"
           "      --lossy=N         N = 1 canonical whitespace and typography, 2-3 also safe\n"
           "                        word substitutions, 4-5 also drop the least informative\n"
           "                        sentences (about 8x and 16x); numbers, names, negations,\n"
           "                        quotations, URLs and code are never changed\n"
           "      --min-fidelity=X  undo the edits of paragraphs whose chrF or semantic\n"
           "                        similarity falls below X (0..1)\n"
           "      --rewriter=CMD    shorten paragraphs with CMD (paragraph on stdin, rewrite\n"
           "                        on stdout); a rewrite is kept only if it passes the checks\n"
           "      --lossy-verify=auto|yes|no  decode the output to verify it (auto: when\n"
           "                        it decodes to at most 256 KiB)\n"
           "      --lossy-always    levels 1-3: keep the lossy output even when the lossless\n"
           "                        one is no larger (by default the smaller one is written)\n"
           "\n"
           "Messages:\n"
           "  -v, --verbose         more messages (a summary line per file)\n"
           "  -q, --quiet           fewer messages (-qq: none at all)\n"
           "      --no-progress     never show the progress meter\n"
           "  -h, --help            show this help and exit\n"
           "  -V, --version         show the version and exit\n"
           "\n"
           "Environment: LMZ_MODEL=PATH (as --model), LMZ_SIMD=scalar|avx2|avx512,\n"
           "LMZ_DICT_PATH=DIR[:DIR...] (directories searched for the dictionary a frame needs),\n"
           "LMZ_MODEL_PATH=DIR[:DIR...] (the same for the model, *.gguf, when decoding files).\n"
           "Exit status: 0 success, 1 if any file failed, 2 usage error.\n");
}

/* LMZ_MODEL stands for --model when that is not given. */
static void model_path_from_env(cli_opts *o) {
    const char *env = getenv("LMZ_MODEL");
    if (!o->model.path && env && *env) o->model.path = env;
}

static void print_version(cli_opts *o) {
    printf(CLI_NAME " %s (library %s)\n", LMZ_VERSION_STRING, lmz_version_string());
    if (o->verbosity > V_NORMAL) printf("kernels: %s\n", lmz_simd_path());
    model_path_from_env(o); /* -V exits while the options are read, before main's lookup */
    msg_set_verbosity(o->verbosity);
    const lmz_model *m = o->verbosity >= V_VERBOSE ? cli_model_get(&o->model) : NULL;
    if (m) {
        uint8_t sha[32];
        lmz_model_sha256(m, sha);
        printf("model: %s, sha256 ", lmz_model_name(m));
        for (int i = 0; i < 32; i++) printf("%02x", sha[i]);
        printf(", vocabulary %u, context %u\n", lmz_model_vocab_size(m), lmz_model_context(m));
    }
}

/* ------------------------------------------------------------------------ */
/* Numbers                                                                  */
/* ------------------------------------------------------------------------ */

/* Decimal integer with an optional binary multiplier: K/KB/KiB, M/MB/MiB,
 * G/GB/GiB (all powers of 1024, as in zstd). Returns 0 if valid and <= max. */
static int parse_size(const char *s, uint64_t max, uint64_t *out) {
    uint64_t v = 0;
    if (*s < '0' || *s > '9') return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    unsigned shift = 0;
    switch (*s) {
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    case '\0': break;
    default: return -1;
    }
    if (shift) {
        s++;
        if (*s == 'i') s++;
        if (*s == 'B') s++;
        if (*s) return -1;
        if (v > (UINT64_MAX >> shift)) return -1;
        v <<= shift;
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

static int parse_threads(const char *s) {
    uint64_t v;
    if (parse_size(s, MAX_THREADS, &v) != 0 || strpbrk(s, "KkMmGg")) usage_error("invalid thread count '%s'", s);
    return (int)v;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

enum {
    OPT_COMPRESS = 256, OPT_DECOMPRESS, OPT_TEST, OPT_LIST, OPT_STDOUT, OPT_OUTPUT, OPT_FORCE, OPT_KEEP, OPT_RM,
    OPT_THREADS, OPT_MODEL, OPT_CHUNK_SIZE, OPT_WINDOW, OPT_MEMORY, OPT_NO_MIX, OPT_NO_FALLBACK, OPT_FAST, OPT_VERBOSE, OPT_QUIET,
    OPT_NO_PROGRESS, OPT_HELP, OPT_VERSION, OPT_LOSSY, OPT_MIN_FIDELITY, OPT_REWRITER, OPT_LOSSY_VERIFY,
    OPT_LOSSY_ALWAYS, OPT_LEVEL, OPT_TRAIN, OPT_MAXDICT, OPT_DICT, OPT_NO_COMPACT, OPT_RANGE
};

typedef struct {
    const char *name;
    int has_arg;
    int id;
} long_opt;

static const long_opt k_long_opts[] = {
    {"compress", 0, OPT_COMPRESS},     {"decompress", 0, OPT_DECOMPRESS}, {"uncompress", 0, OPT_DECOMPRESS},
    {"test", 0, OPT_TEST},             {"list", 0, OPT_LIST},             {"stdout", 0, OPT_STDOUT},
    {"output", 1, OPT_OUTPUT},         {"force", 0, OPT_FORCE},           {"keep", 0, OPT_KEEP},
    {"rm", 0, OPT_RM},                 {"threads", 1, OPT_THREADS},       {"model", 1, OPT_MODEL},
    {"chunk-size", 1, OPT_CHUNK_SIZE}, {"window", 1, OPT_WINDOW}, {"memory", 1, OPT_MEMORY},         {"no-mix", 0, OPT_NO_MIX},
    {"no-fallback", 0, OPT_NO_FALLBACK}, {"fast", 0, OPT_FAST}, {"verbose", 0, OPT_VERBOSE},     {"quiet", 0, OPT_QUIET},
    {"no-progress", 0, OPT_NO_PROGRESS}, {"help", 0, OPT_HELP},           {"version", 0, OPT_VERSION},
    {"lossy", 1, OPT_LOSSY},           {"min-fidelity", 1, OPT_MIN_FIDELITY}, {"rewriter", 1, OPT_REWRITER},
    {"lossy-verify", 1, OPT_LOSSY_VERIFY}, {"lossy-always", 0, OPT_LOSSY_ALWAYS}, {"level", 1, OPT_LEVEL},
    {"train", 0, OPT_TRAIN},           {"maxdict", 1, OPT_MAXDICT},       {"dict", 1, OPT_DICT},
    {"no-compact", 0, OPT_NO_COMPACT}, {"range", 1, OPT_RANGE},
};

/* Applies one option; arg is its value (NULL for flags). */
static void apply_option(cli_opts *o, int id, const char *arg) {
    fio_prefs *f = &o->fio;
    uint64_t v;
    switch (id) {
    case OPT_COMPRESS: f->mode = MODE_COMPRESS; break;
    case OPT_DECOMPRESS: f->mode = MODE_DECOMPRESS; break;
    case OPT_TEST: f->mode = MODE_TEST; break;
    case OPT_LIST: f->mode = MODE_LIST; break;
    case OPT_STDOUT: f->to_stdout = 1; break;
    case OPT_OUTPUT: f->out_path = arg; break;
    case OPT_FORCE: f->force = 1; break;
    case OPT_KEEP: f->rm_source = 0; break;
    case OPT_RM: f->rm_source = 1; break;
    case OPT_THREADS: f->params.threads = parse_threads(arg); break;
    case OPT_LEVEL: {
        char *end;
        long l = strtol(arg, &end, 10);
        if (!*arg || *end || l < LMZ_LEVEL_MIN || l > LMZ_LEVEL_MAX)
            usage_error("invalid level '%s' (levels are %d to %d)", arg, LMZ_LEVEL_MIN, LMZ_LEVEL_MAX);
        f->params.level = (int)l;
        break;
    }
    case OPT_MODEL: o->model.path = arg; break;
    case OPT_TRAIN: o->train = 1; break;
    case OPT_MAXDICT:
        if (parse_size(arg, 64u << 20, &v) != 0) usage_error("invalid dictionary size '%s' (at most 64M)", arg);
        o->maxdict = v;
        break;
    case OPT_DICT:
        if (!*arg) usage_error("-D needs a dictionary file");
        o->dict.path = arg;
        break;
    case OPT_CHUNK_SIZE:
        if (parse_size(arg, UINT32_MAX, &v) != 0) usage_error("invalid chunk size '%s'", arg);
        f->params.chunk_size = (uint32_t)v;
        break;
    case OPT_WINDOW:
        if (parse_size(arg, 65535, &v) != 0 || v < 2) usage_error("invalid window '%s' (2 to 65535 tokens)", arg);
        f->params.window = (uint32_t)v;
        break;
    case OPT_MEMORY:
        if (parse_size(arg, UINT64_MAX, &v) != 0) usage_error("invalid memory size '%s'", arg);
        f->params.memory_limit = v;
        break;
    case OPT_NO_MIX: f->params.mix = 0; break;
    case OPT_NO_COMPACT: f->params.compact = 0; break;
    case OPT_RANGE: { /* START:END, START:, :END (sizes with K/M/G) */
        const char *colon = strchr(arg, ':');
        char a[64];
        if (!colon || (size_t)(colon - arg) >= sizeof a) usage_error("invalid range '%s' (START:END)", arg);
        memcpy(a, arg, (size_t)(colon - arg));
        a[colon - arg] = 0;
        f->range_start = 0;
        f->range_end = UINT64_MAX;
        if ((a[0] && parse_size(a, UINT64_MAX, &f->range_start) != 0) ||
            (colon[1] && parse_size(colon + 1, UINT64_MAX, &f->range_end) != 0) || f->range_start > f->range_end)
            usage_error("invalid range '%s' (START:END, START <= END)", arg);
        f->range = 1;
        break;
    }
    case OPT_NO_FALLBACK: f->params.fallback = 0; break;
    case OPT_FAST: f->params.fast = 1; break;
    case OPT_VERBOSE: o->verbosity++; break;
    case OPT_QUIET: if (o->verbosity > V_SILENT) o->verbosity--; break;
    case OPT_NO_PROGRESS: f->progress = 0; break;
    case OPT_LOSSY:
        if (!(arg[0] >= '0' && arg[0] <= '5') || arg[1]) usage_error("invalid lossy level '%s' (0 to 5)", arg);
        f->lossy_level = arg[0] - '0';
        break;
    case OPT_MIN_FIDELITY: {
        char *end = NULL;
        errno = 0;
        double x = strtod(arg, &end);
        if (errno || end == arg || *end || !(x >= 0 && x <= 1)) usage_error("invalid fidelity '%s' (0 to 1)", arg);
        f->min_fidelity = x;
        break;
    }
    case OPT_REWRITER:
        if (!*arg) usage_error("--rewriter needs a command");
        f->rewriter = arg;
        break;
    case OPT_LOSSY_VERIFY:
        if (strcmp(arg, "auto") == 0) f->lossy_verify = -1;
        else if (strcmp(arg, "yes") == 0) f->lossy_verify = 1;
        else if (strcmp(arg, "no") == 0) f->lossy_verify = 0;
        else usage_error("invalid --lossy-verify '%s' (auto, yes or no)", arg);
        break;
    case OPT_LOSSY_ALWAYS: f->lossy_always = 1; break;
    case OPT_HELP: print_help(); exit(0);
    case OPT_VERSION: print_version(o); exit(0);
    }
}

/* "--name", "--name=value" or "--name value". Returns the next argv index. */
static int parse_long(cli_opts *opts, int argc, char **argv, int i) {
    const char *a = argv[i] + 2;
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    for (size_t k = 0; k < sizeof k_long_opts / sizeof k_long_opts[0]; k++) {
        const long_opt *o = &k_long_opts[k];
        if (strlen(o->name) != len || strncmp(o->name, a, len) != 0) continue;
        const char *val = NULL;
        if (o->has_arg) {
            if (eq) val = eq + 1;
            else if (i + 1 < argc) val = argv[++i];
            else usage_error("option '--%s' requires an argument", o->name);
        } else if (eq) {
            usage_error("option '--%s' takes no argument", o->name);
        }
        apply_option(opts, o->id, val);
        return i + 1;
    }
    usage_error("unrecognized option '%s'", argv[i]);
    return argc; /* not reached */
}

/* Copies the digits at p (at most 15) into num; returns what follows them
 * (more digits there: the number was too long). */
static const char *take_digits(const char *p, char num[16]) {
    size_t n = 0;
    while (*p >= '0' && *p <= '9' && n < 15) num[n++] = *p++;
    num[n] = '\0';
    return p;
}

/* A cluster of short options: "-dcf", "-T2", "-6", "-oFILE", "-o FILE". */
static int parse_short(cli_opts *o, int argc, char **argv, int i) {
    const char *p = argv[i] + 1;
    while (*p) {
        char c = *p++;
        switch (c) {
        case 'z': apply_option(o, OPT_COMPRESS, NULL); break;
        case 'd': apply_option(o, OPT_DECOMPRESS, NULL); break;
        case 't': apply_option(o, OPT_TEST, NULL); break;
        case 'l': apply_option(o, OPT_LIST, NULL); break;
        case 'c': apply_option(o, OPT_STDOUT, NULL); break;
        case 'f': apply_option(o, OPT_FORCE, NULL); break;
        case 'k': apply_option(o, OPT_KEEP, NULL); break;
        case 'v': apply_option(o, OPT_VERBOSE, NULL); break;
        case 'q': apply_option(o, OPT_QUIET, NULL); break;
        case 'h': apply_option(o, OPT_HELP, NULL); break;
        case 'H': apply_option(o, OPT_HELP, NULL); break;
        case 'V': apply_option(o, OPT_VERSION, NULL); break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': {
            /* -# : the level, digits together (-9, -6v; -10 is refused) */
            char num[16];
            p = take_digits(p - 1, num);
            if (*p >= '0' && *p <= '9') usage_error("invalid level in '%s'", argv[i]);
            apply_option(o, OPT_LEVEL, num);
            break;
        }
        case 'T': {
            /* -T# : digits attached; may be followed by more options (-T2v).
             * -T # : the number as the next argument. */
            if (*p >= '0' && *p <= '9') {
                char num[16];
                p = take_digits(p, num);
                if (*p >= '0' && *p <= '9') usage_error("invalid thread count in '%s'", argv[i]);
                apply_option(o, OPT_THREADS, num);
            } else if (*p) {
                usage_error("invalid thread count '%s'", p);
            } else if (i + 1 < argc) {
                apply_option(o, OPT_THREADS, argv[++i]);
            } else {
                usage_error("option -T requires a number");
            }
            break;
        }
        case 'D': /* the rest of the cluster, or the next argument */
        case 'o':
            if (!*p && i + 1 >= argc)
                usage_error("option -%c requires a %s", c, c == 'D' ? "dictionary file" : "file name");
            apply_option(o, c == 'D' ? OPT_DICT : OPT_OUTPUT, *p ? p : argv[++i]);
            return i + 1;
        default: usage_error("unknown option -- '%c'", c);
        }
    }
    return i + 1;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    cli_opts o;
    memset(&o, 0, sizeof o);
    fio_prefs_default(&o.fio);
    o.verbosity = V_NORMAL;
    mode_t um = umask(0);
    umask(um);
    o.fio.umask_bits = (unsigned)um;
    const fio_prefs *f = &o.fio;

    /* Parse everything first: a usage error must stop before any work. */
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) {
        fputs(CLI_NAME ": out of memory\n", stderr);
        return 1;
    }
    int n_files = 0, end_of_options = 0;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (!end_of_options && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                end_of_options = 1;
                i++;
            } else if (a[1] == '-') {
                i = parse_long(&o, argc, argv, i);
            } else {
                i = parse_short(&o, argc, argv, i);
            }
        } else {
            files[n_files++] = a;
            i++;
        }
    }
    if (n_files == 0) files[n_files++] = "-";

    model_path_from_env(&o);
    msg_set_verbosity(o.verbosity);
    if (f->to_stdout && f->out_path) usage_error("-c and -o cannot be used together");
    if (f->out_path && n_files > 1 && !o.train && (f->mode == MODE_COMPRESS || f->mode == MODE_DECOMPRESS))
        usage_error("-o needs a single input file (use -c to concatenate several)");
    if ((f->min_fidelity > 0 || f->rewriter || f->lossy_always) && f->lossy_level == 0)
        usage_error("--min-fidelity, --rewriter and --lossy-always need --lossy=N (N >= 1)");
    if (f->lossy_level > 0 && f->mode != MODE_COMPRESS)
        usage_error("--lossy applies to compression only (decoding a lossy file needs no option)");
    if (f->lossy_level > 0 && f->params.fast) usage_error("--lossy and --fast cannot be used together");
    if (o.dict.path && f->params.fast) usage_error("-D and --fast cannot be used together (--fast uses no model)");
    if (o.dict.path && f->lossy_level > 0) usage_error("-D and --lossy cannot be used together yet");
    if (o.train && (o.dict.path || f->mode != MODE_COMPRESS || f->to_stdout || f->lossy_level > 0))
        usage_error("--train takes sample files and -o DICT only");
    if (o.maxdict && !o.train) usage_error("--maxdict applies to --train");
    if (f->range && f->mode != MODE_DECOMPRESS) usage_error("--range applies to decompression (-d)");
    {
        const char *dp = getenv("LMZ_DICT_PATH"), *mp = getenv("LMZ_MODEL_PATH");
        o.dict.search = dp && *dp ? dp : NULL;
        o.model.search = mp && *mp ? mp : NULL;
    }

    int failed = 0;
    if (o.train) {
        if (n_files == 1 && !strcmp(files[0], "-")) usage_error("--train needs sample files");
        failed = cli_train(files, n_files, f->out_path ? f->out_path : "dictionary", f->force, o.maxdict,
                           f->params.threads, &o.model);
    } else if (f->mode == MODE_LIST) {
        list_totals tot;
        memset(&tot, 0, sizeof tot);
        int n_listed = 0;
        for (int k = 0; k < n_files; k++) { /* frames are found by seeking */
            if (strcmp(files[k], "-") == 0) {
                msg_error(STDIN_NAME, "--list needs files, not standard input");
                failed = 1;
            } else {
                files[n_listed++] = files[k];
            }
        }
        if (n_listed) list_begin();
        for (int k = 0; k < n_listed; k++) failed |= list_file(files[k], o.verbosity >= V_VERBOSE, &tot);
        list_end(&tot, n_listed);
    } else {
        fio_install_signals();
        for (int k = 0; k < n_files; k++) failed |= fio_process(f, &o.model, &o.dict, files[k]);
    }

    cli_dict_free(&o.dict);
    cli_model_free(&o.model);
    free(files);
    if (fflush(stdout) != 0) {
        msg_error(STDOUT_NAME, "write error: %s", strerror(errno));
        failed = 1;
    }
    return failed ? 1 : 0;
}
