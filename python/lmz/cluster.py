"""lmz.cluster — compress and decompress large files on a Dask cluster.

lmz codes a few KB/s per core, so a big file is best cut into parts that
many cores, on one machine or many, code at once. This module does that
with Dask's distributed scheduler and writes ordinary .lmz files::

    python3 -m lmz.cluster compress   [OPTIONS] IN [OUT]       # IN -> OUT (default IN.lmz)
    python3 -m lmz.cluster compress   [OPTIONS] IN... DIR      # each IN -> DIR/IN.lmz
    python3 -m lmz.cluster decompress [OPTIONS] IN.lmz [OUT]   # and back

(``python3 -m lmz.cluster --help`` lists the options; doc/cluster.md says
how to run it on several hosts or under Slurm.)

What it writes. An input is cut into parts of ``part_size`` bytes, each part
is compressed with ``lmz.compress`` on some worker, and the results are
written in part order. A .lmz file is a sequence of frames and each part's
result is one or more whole frames, so the output is byte for byte the
concatenation of ``lmz -c`` run on each part alone (same level, model and
dictionary), and ``lmz -d`` or any lmz reader decodes it. Decompression
reads the frame list (``lmz.frames``, headers only), groups consecutive
frames into parts of about ``part_size`` *decoded* bytes (decoding time and
the memory of a result both follow the decoded size; a frame is never
split, and ``lmz`` writes a frame per 16 chunks, about 1 MiB), decodes the
parts on the workers and writes them in order.

Output safety. An output is written to a temporary file in its destination
directory and takes its final name only after every part came back, in
order, with the size it must have (a compressed part's frames must hold
exactly the part's bytes, a decoded part the sizes its frames record), and
the input is unchanged (size and modification time). An existing output is
never replaced without ``overwrite`` (``-f``). On any failure, interruption
(Ctrl-C; SIGTERM too on the command line) or a lost cluster the temporary
is removed and nothing appears under the final name. When a worker dies, Dask runs its tasks again
on the others (and computes again the results it held); a task whose
workers died three times (``distributed.scheduler.allowed-failures``), or a
cluster left without any worker for ``no_workers_timeout`` seconds, ends the
job with an error.

Moving the data. By default a task carries only the input's path, the
part's offset and size and a BLAKE2b digest of its bytes: the worker reads
the part itself, which keeps the bytes off the scheduler when the path is
visible on the workers (one machine, or a shared filesystem). A worker that
cannot read those exact bytes (another filesystem, another file under that
name) returns nothing, and from then on the client sends the bytes of that
part and of every later one inside the tasks; ``ship=True`` (``--ship``)
sends them from the start. Bytes sent inside a task (rather than with
``Client.scatter``) stay recomputable after a worker dies; the window below
bounds what the scheduler holds.

Memory. The client submits parts in output order and keeps at most
``max(8, 4 x worker threads)`` of them in flight (all files' parts in one
queue, so workers stay busy across file boundaries); it waits for the
oldest, writes it and submits the next. Finished results wait on the
workers until their turn, so the client holds one part at a time and the
workers at most the window's worth.

Models. Tasks carry the model's path, never its bytes: each worker process
loads a model once (lmz's per-process cache) and shares it between its
threads. The path must name the same file on every worker; the client loads
the model too, to learn its SHA-256, and checks that every compressed frame
names it.

Test hook (tests only): the environment variable LMZ_CLUSTER_TASK_DELAY,
in seconds, read by the workers, delays every task, so that a test can kill
a worker in the middle of a job.
"""

import argparse
import collections
import contextlib
import hashlib
import logging
import os
import re
import signal
import sys
import tempfile
import time
import uuid
import warnings

import distributed

import lmz

__all__ = ["ClusterError", "Result", "compress_file", "decompress_file", "compress_files", "decompress_files",
           "local_client", "parse_size", "DEFAULT_PART_SIZE", "DEFAULT_NO_WORKERS_TIMEOUT", "main"]

# 1 MiB: 16 chunks at the default level, a few minutes of one core's work
# with the default model; small enough to spread a few MiB over many cores.
DEFAULT_PART_SIZE = 1 << 20
# How long a job waits while the cluster has no worker at all (they died,
# or a batch system has not started them yet) before giving up.
DEFAULT_NO_WORKERS_TIMEOUT = 120.0

_POLL_S = 1.0


class ClusterError(Exception):
    """A file could not be (de)compressed; its output was not written."""


Result = collections.namedtuple("Result", "src dst in_size out_size parts")
Result.__doc__ = "One finished file: sizes in bytes, number of parts."


# --------------------------------------------------------------- worker side
# These functions run in the worker processes: they are module-level so that
# Dask pickles them by name (workers import lmz.cluster).


def _digest(data):
    return hashlib.blake2b(data, digest_size=16).digest()


def _read_at(path, offset, size):
    """Up to ``size`` bytes of ``path`` from ``offset`` (fewer at its end)."""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def _read_part(path, offset, size, digest):
    """The part's bytes read on this worker, or None when this worker cannot
    see the bytes the client saw (the path is missing here, on another
    filesystem, or names a different file)."""
    try:
        data = _read_at(path, offset, size)
    except OSError:
        return None
    if len(data) != size or _digest(data) != digest:
        return None
    return data


def _part_task(op, where, data, level, model, dictionary, threads):
    """Compresses (op "c") or decompresses (op "d") one part: ``data``, or
    when it is None the bytes ``where`` = (path, offset, size, digest) names.
    Returns the result, or None when the bytes are not readable here."""
    delay = os.environ.get("LMZ_CLUSTER_TASK_DELAY")  # test hook (module docstring)
    if delay:
        time.sleep(float(delay))
    if data is None:
        data = _read_part(*where)
        if data is None:
            return None
    if op == "c":
        return lmz.compress(data, level=level, threads=threads, model=model, dict=dictionary)
    return lmz.decompress(data, threads=threads, model=model, dict=dictionary)


# --------------------------------------------------------------- client side


class _Part:
    __slots__ = ("job", "index", "offset", "size", "expect")

    def __init__(self, job, index, offset, size, expect):
        self.job, self.index = job, index
        self.offset, self.size = offset, size  # bytes of the input file
        self.expect = expect                   # decompression: decoded bytes it must give


class _Job:
    """One input file and its output under construction."""

    def __init__(self, src, dst, op, part_size):
        self.src, self.dst, self.op = src, dst, op
        self.stat = os.stat(src)
        self.parts = self._plan(part_size)
        self.tmp = None      # temporary output path while it exists
        self.out = None      # its file object
        self.out_size = 0

    def _plan(self, part_size):
        size = self.stat.st_size
        if self.op == "c":
            # an empty input is one empty part: lmz -c writes a frame for it too
            return [_Part(self, i, off, min(part_size, size - off), None)
                    for i, off in enumerate(range(0, max(size, 1), part_size))]
        try:
            frames = lmz.frames(self.src)
        except lmz.LMZError as e:
            raise ClusterError("%s: not a valid .lmz file: %s" % (self.src, e)) from None
        if not frames:
            raise ClusterError("%s: unexpected end of file (empty input)" % self.src)
        parts, first, decoded = [], 0, 0  # the group of frames[first:i + 1] decodes to `decoded` bytes
        for i, f in enumerate(frames):
            decoded += f.content_size
            if decoded >= part_size or i == len(frames) - 1:
                start, end = frames[first].offset, f.offset + f.size
                parts.append(_Part(self, len(parts), start, end - start, decoded))
                first, decoded = i + 1, 0
        return parts

    def label(self, part):
        return "%s: part %d/%d (bytes %d..%d)" % (self.src, part.index + 1, len(self.parts), part.offset,
                                                   part.offset + part.size)

    def read(self, part):
        data = _read_at(self.src, part.offset, part.size)
        if len(data) != part.size:
            raise ClusterError("%s: changed while being read (shorter than %d bytes)" % (self.src,
                                                                                         part.offset + part.size))
        return data

    def write(self, data):
        if self.out is None:
            d, base = os.path.split(os.path.abspath(self.dst))
            fd, self.tmp = tempfile.mkstemp(prefix="." + base + ".", dir=d)
            self.out = os.fdopen(fd, "wb")
        self.out.write(data)
        self.out_size += len(data)

    def publish(self, overwrite):
        """Metadata, fsync, close, then the final name (lmz's own order)."""
        st = os.stat(self.src)
        if (st.st_size, st.st_mtime_ns) != (self.stat.st_size, self.stat.st_mtime_ns):
            raise ClusterError("%s: changed while being read; no output written" % self.src)
        fd = self.out.fileno()
        self.out.flush()
        with contextlib.suppress(OSError):  # like gzip: the source's owner when allowed
            os.fchown(fd, st.st_uid, st.st_gid)
        os.fchmod(fd, st.st_mode & 0o777)
        os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.fsync(fd)
        self.out.close()
        self.out = None
        if not overwrite:
            # link() fails if the name appeared since the start, where a
            # rename would silently replace it; without hard links, rename.
            try:
                os.link(self.tmp, self.dst)
            except FileExistsError:
                raise ClusterError("%s: already exists; use -f to overwrite" % self.dst) from None
            except OSError:
                os.replace(self.tmp, self.dst)
            else:
                os.unlink(self.tmp)
        else:
            os.replace(self.tmp, self.dst)
        self.tmp = None

    def discard(self):
        """Removes the temporary output, if any (the job did not finish)."""
        if self.out is not None:
            self.out.close()
            self.out = None
        if self.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp)
            self.tmp = None


class _Watch:
    """Waits for results while watching the cluster: counts its worker
    threads (which sizes the window of parts in flight) and gives up when it
    has had no worker for ``timeout`` seconds."""

    def __init__(self, client, timeout):
        self.client, self.timeout = client, timeout
        self.threads = sum(client.nthreads().values())
        self.idle_since = None if self.threads else time.monotonic()

    def window(self):
        return max(8, 4 * self.threads)

    def result(self, fut):
        while True:
            try:
                return fut.result(timeout=_POLL_S)
            except distributed.TimeoutError:
                if fut.status == "error":  # the task itself raised a TimeoutError
                    raise
            self.threads = sum(self.client.nthreads().values())
            if self.threads:
                self.idle_since = None
            elif self.idle_since is None:
                self.idle_since = time.monotonic()
            elif time.monotonic() - self.idle_since > self.timeout:
                raise ClusterError("the cluster has had no worker for %g s (all died, or none started); giving up"
                                   % self.timeout)


def _check_result(part, data, model_sha256):
    """Raises ClusterError unless a part's result has the size it must have."""
    job = part.job
    if job.op == "d":
        if len(data) != part.expect:
            raise ClusterError("%s: decoded to %d bytes, its frames say %d" % (job.label(part), len(data),
                                                                                part.expect))
        return
    try:
        frames = lmz.frames(data)
    except lmz.LMZError as e:
        raise ClusterError("%s: the worker returned damaged frames: %s" % (job.label(part), e)) from None
    got = sum(f.content_size for f in frames)
    if got != part.size:
        raise ClusterError("%s: compressed frames hold %d bytes, not %d" % (job.label(part), got, part.size))
    for f in frames:
        if f.model_id and not model_sha256.startswith(f.model_id):
            raise ClusterError("%s: a worker coded it with another model (%s %s); does the model path name the "
                               "same file on every worker?" % (job.label(part), f.model_name, f.model_id))


def _run(client, jobs, level, model, model_sha256, dictionary, part_threads, ship, no_workers_timeout, overwrite,
         log):
    """Codes every part of every job, writing each output in order; publishes
    each output when its last part is written. On any error, cancels what is
    in flight and removes the temporaries of the unfinished outputs."""
    run = uuid.uuid4().hex[:12]
    seq = iter(range(1 << 62))
    watch = _Watch(client, no_workers_timeout)
    queue = collections.deque(p for job in jobs for p in job.parts)  # output order, all files together
    pending = collections.deque()  # (future, part), oldest first

    def submit(part, shipped):
        op = part.job.op
        key = "lmz-%s-%s-%d" % ({"c": "compress", "d": "decompress"}[op], run, next(seq))
        data = part.job.read(part)
        if not shipped:
            return client.submit(_part_task, op, (part.job.src, part.offset, part.size, _digest(data)), None,
                                 level, model, dictionary, part_threads, key=key)
        with warnings.catch_warnings():
            # Dask warns about a task that carries over 1 MB; deliberate here
            # (see "Moving the data" above).
            warnings.filterwarnings("ignore", message="Large object of size", category=UserWarning)
            return client.submit(_part_task, op, None, data, level, model, dictionary, part_threads, key=key)

    results = []
    started = time.monotonic()
    try:
        while queue or pending:
            while queue and len(pending) < watch.window():
                part = queue.popleft()
                pending.append((submit(part, ship), part))
            fut, part = pending[0]
            try:
                data = watch.result(fut)
            except ClusterError:
                raise
            except distributed.CancelledError:
                raise ClusterError("%s: cancelled by Dask (the connection to the scheduler was lost?)"
                                   % part.job.label(part)) from None
            except Exception as e:  # the task's own error, or Dask's (KilledWorker)
                raise ClusterError("%s: %s: %s" % (part.job.label(part), type(e).__name__, e)) from None
            if data is None:
                # A worker cannot read the input: send the bytes of this part
                # and of every later one (resubmitting all pending parts at
                # once keeps the workers busy).
                log("%s: not readable on a worker; sending the parts' bytes" % part.job.src)
                ship = True
                pending = collections.deque((submit(p, True), p) for _, p in pending)
                continue
            _check_result(part, data, model_sha256)
            pending.popleft()
            fut.release()
            job = part.job
            job.write(data)
            if part.index == len(job.parts) - 1:
                job.publish(overwrite)
                results.append(Result(job.src, job.dst, job.stat.st_size, job.out_size, len(job.parts)))
                log("%s: %d -> %d bytes, %d part%s, %.1f s" % (job.src, job.stat.st_size, job.out_size,
                                                              len(job.parts), "" if len(job.parts) == 1 else "s",
                                                              time.monotonic() - started))
    finally:
        for job in jobs:
            job.discard()
        if pending:
            with contextlib.suppress(Exception):  # the scheduler may be gone: never hide the first error
                client.cancel([f for f, _ in pending])
    return results


def _prepare(pairs, op, part_size, overwrite):
    """The jobs, after checking every input and output before any work."""
    if not isinstance(part_size, int) or part_size < 1:
        raise ValueError("part_size must be a positive integer")
    jobs, seen = [], set()
    for src, dst in pairs:
        src, dst = os.fspath(src), os.fspath(dst)
        if not os.path.isfile(src):
            raise ClusterError("%s: %s" % (src, "not a regular file" if os.path.exists(src)
                                           else "No such file or directory"))
        real = os.path.realpath(dst)
        if real in seen:
            raise ClusterError("%s: two inputs would be written to this output" % dst)
        seen.add(real)
        if os.path.lexists(dst):
            if os.path.exists(dst) and os.path.samefile(src, dst):
                raise ClusterError("%s: input and output are the same file" % src)
            if not overwrite:
                raise ClusterError("%s: already exists; use -f to overwrite" % dst)
        if not os.path.isdir(os.path.dirname(os.path.abspath(dst))):
            raise ClusterError("%s: its directory does not exist" % dst)
        jobs.append(_Job(os.path.abspath(src), dst, op, part_size))
    return jobs


@contextlib.contextmanager
def local_client(workers=None, threads_per_worker=1, quiet=True):
    """A Client of a new LocalCluster of worker processes on this machine
    (``workers`` None: one per usable CPU / threads_per_worker), closed on
    exit."""
    if workers is None:
        workers = max(1, len(os.sched_getaffinity(0)) // threads_per_worker)
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True,
                                  dashboard_address=":0",  # any free port: never clashes with another cluster
                                  silence_logs=logging.CRITICAL if quiet else logging.WARNING) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def _files(pairs, op, connect, part_size, level, model, dictionary, overwrite, part_threads, ship,
           no_workers_timeout, log):
    """Checks everything that can be checked here, then connects (connect()
    returns a context manager giving a Client) and runs the jobs."""
    model = os.path.abspath(os.fspath(model)) if model is not None else None
    dictionary = os.path.abspath(os.fspath(dictionary)) if dictionary is not None else None
    model_sha256 = lmz.load_model(model).sha256  # a wrong model path fails here, before any cluster starts
    jobs = _prepare(pairs, op, part_size, overwrite)
    if not jobs:
        return []
    with connect() as client:
        return _run(client, jobs, level, model, model_sha256, dictionary, part_threads, ship, no_workers_timeout,
                    overwrite, log)


def _connect(client):
    return (lambda: contextlib.nullcontext(client)) if client is not None else local_client


def compress_files(pairs, client=None, part_size=DEFAULT_PART_SIZE, level=None, model=None, overwrite=False, *,
                   dict=None, part_threads=1, ship=False, no_workers_timeout=DEFAULT_NO_WORKERS_TIMEOUT,
                   log=lambda msg: None):
    """Compresses each (src, dst) pair of paths; all parts of all files share
    one queue. ``client`` a distributed.Client (None: a LocalCluster for this
    call), ``model``/``dict`` paths visible on every worker (None: the default
    model, no dictionary), ``part_threads`` lmz threads per part, ``ship``
    always send the parts' bytes. Returns a Result per file; raises
    ClusterError (no output for the file that failed nor any after it)."""
    return _files(pairs, "c", _connect(client), part_size, level, model, dict, overwrite, part_threads, ship,
                  no_workers_timeout, log)


def decompress_files(pairs, client=None, part_size=DEFAULT_PART_SIZE, model=None, overwrite=False, *,
                     dict=None, part_threads=1, ship=False, no_workers_timeout=DEFAULT_NO_WORKERS_TIMEOUT,
                     log=lambda msg: None):
    """Decompresses each (src, dst) pair: frames grouped into parts of about
    ``part_size`` decoded bytes. Otherwise as compress_files."""
    return _files(pairs, "d", _connect(client), part_size, None, model, dict, overwrite, part_threads, ship,
                  no_workers_timeout, log)


def compress_file(src, dst, client=None, part_size=DEFAULT_PART_SIZE, level=None, model=None, overwrite=False,
                  **kw):
    """compress_files for one file; returns its Result."""
    return compress_files([(src, dst)], client, part_size, level, model, overwrite, **kw)[0]


def decompress_file(src, dst, client=None, part_size=DEFAULT_PART_SIZE, model=None, overwrite=False, **kw):
    """decompress_files for one file; returns its Result."""
    return decompress_files([(src, dst)], client, part_size, model, overwrite, **kw)[0]


# --------------------------------------------------------------- command line

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text):
    """Bytes from "4096", "64K", "1M", "1MiB", "2G" (powers of 1024)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(?:(?<=[KMG])i?B?)?\s*", text, re.IGNORECASE)
    if not m or int(m.group(1)) == 0:
        raise ValueError("invalid size %r (a positive number of bytes, with K, M or G, KiB, MiB, GiB)" % text)
    return int(m.group(1)) * _UNITS[m.group(2).upper()]


def _size_arg(text):
    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


_USAGE = """\
python3 -m lmz.cluster compress   [OPTIONS] IN [OUT]        (IN -> OUT, default IN.lmz)
       python3 -m lmz.cluster compress   [OPTIONS] IN... DIR       (each IN -> DIR/IN.lmz)
       python3 -m lmz.cluster decompress [OPTIONS] IN.lmz [OUT]    (IN.lmz -> OUT, default IN)
       python3 -m lmz.cluster decompress [OPTIONS] IN.lmz... DIR"""

_EPILOG = """\
Outputs: as for cp, the last name is the output (a file for one input, a
directory for several); one name alone: beside it (IN.lmz, or IN without
.lmz). -o OUT and --output-dir DIR say it explicitly. Every input and output
is checked before any work starts; an output appears only when complete and
verified. Without --scheduler/--scheduler-file, a local cluster of
--workers worker processes is started. Exit status: 0 success, 1 error, 2
usage error. See doc/cluster.md."""


def _parser():
    p = argparse.ArgumentParser(prog="python3 -m lmz.cluster", usage=_USAGE, epilog=_EPILOG,
                                description="Compress or decompress files with lmz on a Dask cluster: inputs "
                                            "are cut into parts that the workers code in parallel; each output "
                                            "is an ordinary .lmz file (or the original bytes).",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["compress", "decompress"])
    p.add_argument("files", nargs="+", metavar="FILE", help="inputs, then (with two or more names) the output "
                                                            "file or directory")
    g = p.add_argument_group("output")
    g.add_argument("-o", dest="output", metavar="OUT", help="write to OUT (a single input only)")
    g.add_argument("--output-dir", metavar="DIR", help="write each output into DIR (input's base name)")
    g.add_argument("-f", "--force", action="store_true", help="overwrite existing outputs")
    g = p.add_argument_group("lmz")
    for i in range(lmz.LEVEL_MIN, lmz.LEVEL_MAX + 1):
        g.add_argument("-%d" % i, dest="level", action="store_const", const=i, help=argparse.SUPPRESS)
    g.add_argument("--level", type=int, choices=range(lmz.LEVEL_MIN, lmz.LEVEL_MAX + 1), metavar="N",
                   help="compression level 1..9 (also -1 .. -9; default 6)")
    g.add_argument("--model", metavar="PATH", help="GGUF model (default: the embedded one); the same file at "
                                                   "this path on every worker")
    g.add_argument("-D", dest="dict", metavar="DICT", help="dictionary file (lmz -D), at this path on every worker")
    g.add_argument("--part-size", type=_size_arg, default=DEFAULT_PART_SIZE, metavar="SIZE",
                   help="bytes per part (K, M, G suffixes; default 1M); decompress: decoded bytes per part, "
                        "whole frames")
    g.add_argument("--part-threads", type=int, default=1, metavar="N",
                   help="lmz threads per part (default 1; 0 = all cores of the worker's machine)")
    g = p.add_argument_group("cluster")
    g.add_argument("--scheduler", metavar="ADDR", help="use the Dask scheduler at ADDR (tcp://HOST:8786)")
    g.add_argument("--scheduler-file", metavar="FILE", help="use the scheduler that wrote FILE (dask-scheduler "
                                                           "--scheduler-file)")
    g.add_argument("--workers", type=int, metavar="N", help="local cluster: worker processes (default: one per "
                                                            "CPU / threads per worker)")
    g.add_argument("--threads-per-worker", type=int, default=1, metavar="T",
                   help="local cluster: threads per worker process, each coding one part (default 1)")
    g.add_argument("--ship", action="store_true", help="send the parts' bytes to the workers (default: workers "
                                                       "read them from the input path when they see the same "
                                                       "bytes there, else they are sent)")
    g.add_argument("--no-workers-timeout", type=float, default=DEFAULT_NO_WORKERS_TIMEOUT, metavar="S",
                   help="give up after S seconds without any worker (default %g)" % DEFAULT_NO_WORKERS_TIMEOUT)
    p.add_argument("-v", "--verbose", action="store_true", help="a line per file; Dask's warnings")
    return p


def _outputs(args, parser):
    if args.output is not None and args.output_dir is not None:
        parser.error("-o and --output-dir cannot be used together")
    if args.output is None and args.output_dir is None and len(args.files) >= 2:
        # `compress IN OUT`, `compress IN... DIR`: the last name is where the
        # output goes, as for cp and mv (one input: a file unless it is an
        # existing directory; several: a directory).
        *args.files, last = args.files
        if os.path.isdir(last):
            args.output_dir = last
        elif len(args.files) == 1:
            args.output = last
        else:
            parser.error("with several inputs the last name must be a directory: %s is not one" % last)
    if args.output is not None and len(args.files) != 1:
        parser.error("-o takes a single input; use --output-dir DIR for several")
    pairs = []
    for src in args.files:
        if args.output is not None:
            pairs.append((src, args.output))
            continue
        if args.command == "compress":
            name = src + ".lmz"
        elif src.endswith(".lmz") and len(os.path.basename(src)) > 4:
            name = src[:-4]
        else:
            raise ClusterError("%s: unknown suffix (not .lmz); use -o OUT" % src)
        if args.output_dir is not None:
            name = os.path.join(args.output_dir, os.path.basename(name))
        pairs.append((src, name))
    return pairs


def _client(args):
    """A connected Client for the options, as a context manager."""
    if args.scheduler and args.scheduler_file:
        raise ClusterError("--scheduler and --scheduler-file cannot be used together")
    if args.scheduler or args.scheduler_file:
        try:
            return distributed.Client(args.scheduler, scheduler_file=args.scheduler_file)
        except (OSError, ValueError, distributed.TimeoutError) as e:
            raise ClusterError("cannot connect to the scheduler %s: %s" % (args.scheduler or args.scheduler_file,
                                                                           e)) from None
    return local_client(args.workers, args.threads_per_worker, quiet=not args.verbose)


def _terminate(signum, frame):
    # SIGTERM (kill, a batch system's time limit) unwinds like Ctrl-C, so the
    # temporaries are removed.
    raise SystemExit(128 + signum)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    for name in ("workers", "threads_per_worker"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error("--%s must be at least 1" % name.replace("_", "-"))
    if args.part_threads < 0:
        parser.error("--part-threads must be at least 0")
    if args.command == "decompress" and args.level is not None:
        parser.error("a level applies to compression only")
    if not args.verbose:
        # Dask logs its own view of failures (tracebacks of lost connections
        # and the like); the message below says what happened to the files.
        # Its configuration gives some loggers levels of their own: all of them.
        for name in list(logging.root.manager.loggerDict):
            if name == "distributed" or name.startswith("distributed."):
                logging.getLogger(name).setLevel(logging.CRITICAL)
    log = (lambda msg: print("lmz.cluster: " + msg, file=sys.stderr)) if args.verbose else (lambda msg: None)
    try:
        _files(_outputs(args, parser), args.command[0], lambda: _client(args), args.part_size, args.level,
               args.model, args.dict, args.force, args.part_threads, args.ship, args.no_workers_timeout, log)
    except (ClusterError, lmz.LMZError, OSError) as e:
        print("lmz.cluster: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lmz.cluster: interrupted; no partial output left", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    # Run through the imported module, not this __main__ copy, so that Dask
    # pickles the worker functions by the name lmz.cluster._part_task.
    from lmz.cluster import main as _main
    sys.exit(_main())
