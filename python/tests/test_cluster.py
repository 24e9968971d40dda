"""Tests of lmz.cluster (python/lmz/cluster.py): parts coded on Dask workers.

Every output is compared byte for byte with the concatenation of `lmz -c`
run on each part, and decoded with `lmz -d`. Three kinds of cluster: a
LocalCluster of two worker processes (the Python API and the command line),
an in-process one (to stand for workers that cannot read the input's path),
and a real dask-scheduler with two dask-worker processes, which the tests
kill in the middle of a job. All use the tiny model (conftest.py), so the
whole file takes well under a minute on two cores.
"""

import contextlib
import functools
import json
import logging
import os
import signal
import subprocess
import sys
import time

import pytest

distributed = pytest.importorskip("distributed", reason="needs dask.distributed (Debian: python3-distributed, "
                                                         "with /usr/bin/python3)")

import lmz  # noqa: E402
import lmz.cluster as cluster  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
# dask-scheduler and dask-worker of the interpreter running the tests (Debian: /usr/bin)
DASK_BIN = os.path.dirname(sys.executable)
# distributed 2022.12 on Python 3.11: tornado's event loop API it still uses
pytestmark = pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning")
# subprocesses (the command line, dask-worker) import lmz from this tree
WORKER_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(
    [os.path.join(REPO, "python")] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))


def corpus(sub, name):
    with open(os.path.join(REPO, "testdata", "corpus", sub, name), "rb") as f:
        return f.read()


ALICE = corpus("canterbury", "alice29.txt")[:100000]  # 7 parts of 16 KiB (the last 1696 bytes)


@functools.lru_cache(maxsize=None)
def lmz_parts(lmz_cli, model, data, part_size, level=None):
    """What lmz.cluster must write: `lmz -c` on each part alone, concatenated."""
    args = [lmz_cli, "-c", "--model", model] + (["-%d" % level] if level else [])
    return b"".join(subprocess.run(args, input=data[i:i + part_size], check=True, capture_output=True).stdout
                    for i in range(0, max(len(data), 1), part_size))


def lmz_decode(lmz_cli, model, path):
    return subprocess.run([lmz_cli, "-dc", "--model", model, str(path)], check=True, capture_output=True).stdout


def leftovers(directory):
    """Hidden files: lmz.cluster's temporaries are named .OUT.XXXXXXXX."""
    return [n for n in os.listdir(directory) if n.startswith(".")]


def run_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "lmz.cluster"] + [str(a) for a in args], env=WORKER_ENV,
                          capture_output=True, text=True, **kw)


# ------------------------------------------------------------ local cluster


@pytest.fixture(scope="module")
def client():
    with cluster.local_client(workers=2) as c:
        yield c


def test_local_compress_is_lmz_per_part(client, tiny_model, lmz_cli, tmp_path):
    src, out, back = tmp_path / "alice", tmp_path / "alice.lmz", tmp_path / "alice.out"
    src.write_bytes(ALICE)
    r = cluster.compress_file(src, out, client, part_size=16384, model=tiny_model)
    blob = out.read_bytes()
    assert (r.parts, r.in_size, r.out_size) == (7, len(ALICE), len(blob))
    assert blob == lmz_parts(lmz_cli, tiny_model, ALICE, 16384)
    assert lmz_decode(lmz_cli, tiny_model, out) == ALICE
    # decoding: the 7 frames grouped into parts of at least 40 KB decoded: 3 + 3 + 1
    r = cluster.decompress_file(out, back, client, part_size=40000, model=tiny_model)
    assert back.read_bytes() == ALICE and r.parts == 3
    assert os.stat(back).st_mode == os.stat(out).st_mode == os.stat(src).st_mode
    assert leftovers(tmp_path) == []


def test_local_decompress_of_lmz_output(client, tiny_model, lmz_cli, tmp_path):
    # a file lmz wrote itself: 4 KiB chunks (the smallest), 16 chunks a frame -> 3 frames
    src, back = tmp_path / "alice.lmz", tmp_path / "alice"
    data = corpus("canterbury", "alice29.txt")
    src.write_bytes(subprocess.run([lmz_cli, "-c", "--chunk-size=4K", "--model", tiny_model], input=data,
                                   check=True, capture_output=True).stdout)
    assert len(lmz.frames(str(src))) == 3
    r = cluster.decompress_file(src, back, client, part_size=1, model=tiny_model)  # a frame per part
    assert back.read_bytes() == data and r.parts == 3


def test_local_empty_input(client, tiny_model, lmz_cli, tmp_path):
    src, out, back = tmp_path / "empty", tmp_path / "empty.lmz", tmp_path / "empty.out"
    src.write_bytes(b"")
    cluster.compress_file(src, out, client, model=tiny_model)
    assert out.read_bytes() == lmz_parts(lmz_cli, tiny_model, b"", 1)
    cluster.decompress_file(out, back, client, model=tiny_model)
    assert back.read_bytes() == b""


def test_local_dictionary(client, tiny_model, lmz_cli, tmp_path):
    # -D: the workers load the dictionary from its path, like the model
    samples = [str(tmp_path / n) for n in ("paper4", "paper5")]
    for n in ("paper4", "paper5"):
        (tmp_path / n).write_bytes(corpus("calgary", n))
    dic, src, out, back = tmp_path / "d.lmzd", tmp_path / "progc", tmp_path / "progc.lmz", tmp_path / "progc.out"
    subprocess.run([lmz_cli, "--model", tiny_model, "-q", "--train", *samples, "-o", str(dic)], check=True)
    data = corpus("calgary", "progc")
    src.write_bytes(data)
    cluster.compress_file(src, out, client, part_size=16384, model=tiny_model, dict=dic)
    expected = b"".join(subprocess.run([lmz_cli, "-c", "--model", tiny_model, "-D", str(dic)], input=data[i:i + 16384],
                                       check=True, capture_output=True).stdout for i in range(0, len(data), 16384))
    assert out.read_bytes() == expected
    cluster.decompress_file(out, back, client, model=tiny_model, dict=dic)
    assert back.read_bytes() == data


def test_overwrite_needs_force(client, tiny_model, tmp_path, capsys):
    src, out = tmp_path / "paper4", tmp_path / "paper4.lmz"
    src.write_bytes(corpus("calgary", "paper4"))
    out.write_bytes(b"keep me")
    with pytest.raises(cluster.ClusterError, match="already exists; use -f"):
        cluster.compress_file(src, out, client, model=tiny_model)
    assert out.read_bytes() == b"keep me"
    assert cluster.main(["compress", "--model", tiny_model, str(src), "-o", str(out)]) == 1  # before any cluster
    assert "already exists; use -f to overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    cluster.compress_file(src, out, client, model=tiny_model, overwrite=True)
    assert lmz.decompress(out.read_bytes(), model=tiny_model) == src.read_bytes()
    assert leftovers(tmp_path) == []


def test_missing_input_and_bad_usage(tiny_model, tmp_path, capsys):
    # main() in this process: checked before any cluster starts
    def cli(*args):
        try:
            rc = cluster.main([str(a) for a in args])
        except SystemExit as e:  # argparse's usage errors
            rc = e.code
        return rc, capsys.readouterr().err

    rc, err = cli("compress", tmp_path / "nothing", "--output-dir", tmp_path)
    assert rc == 1 and "nothing: No such file or directory" in err
    rc, err = cli("decompress", "--model", tiny_model, tmp_path / "nothing.lmz")
    assert rc == 1 and "No such file or directory" in err
    rc, err = cli("compress", "--model", tmp_path / "no.gguf", tmp_path / "nothing")
    assert rc == 1 and "no.gguf" in err
    (tmp_path / "a").write_bytes(b"a")
    rc, err = cli("decompress", tmp_path / "a")
    assert rc == 1 and "unknown suffix" in err
    rc, err = cli("decompress", "--model", tiny_model, tmp_path / "a", "-o", tmp_path / "b")
    assert rc == 1 and "not a valid .lmz file" in err
    rc, err = cli("compress", tmp_path / "a", tmp_path / "a", "-o", tmp_path / "b")
    assert rc == 2 and "-o takes a single input" in err
    rc, err = cli("compress", "--part-size", "1X", tmp_path / "a")
    assert rc == 2 and "invalid size" in err
    rc, err = cli("compress", tmp_path / "a", tmp_path / "a", tmp_path / "c")  # IN... DIR, c no directory
    assert rc == 2 and "must be a directory" in err
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_parse_size():
    assert [cluster.parse_size(s) for s in ("4096", "64K", "64k", "1M", "1MiB", "2KB", "1G")] == \
        [4096, 65536, 65536, 1 << 20, 1 << 20, 2048, 1 << 30]
    for bad in ("0", "-1", "1.5M", "M", "1T"):
        with pytest.raises(ValueError):
            cluster.parse_size(bad)


def test_cli_local_cluster_several_files(tiny_model, lmz_cli, tmp_path):
    names = [("calgary", "paper1"), ("calgary", "progc"), ("canterbury", "grammar.lsp")]
    outdir = tmp_path / "out"
    outdir.mkdir()
    for sub, name in names:
        (tmp_path / name).write_bytes(corpus(sub, name))
    # `compress IN... DIR`: the last name is the output directory
    r = run_cli("compress", "--workers", "2", "--model", tiny_model, "-3", "--part-size", "16K",
                *[tmp_path / n for _, n in names], outdir, timeout=120)
    assert r.returncode == 0, r.stderr
    for sub, name in names:
        data = corpus(sub, name)
        blob = (outdir / (name + ".lmz")).read_bytes()
        assert blob == lmz_parts(lmz_cli, tiny_model, data, 16384, level=3)
        assert lmz_decode(lmz_cli, tiny_model, outdir / (name + ".lmz")) == data
    assert leftovers(outdir) == []


# ------------------------------------------------------------ workers that cannot read the input


def test_parts_shipped_when_not_readable(tiny_model, lmz_cli, tmp_path, monkeypatch):
    # An in-process cluster runs the tasks in this process, where the patch
    # makes every worker-side read fail: each part must then be sent.
    src, out = tmp_path / "paper2", tmp_path / "paper2.lmz"
    data = corpus("calgary", "paper2")
    src.write_bytes(data)
    expected = lmz_parts(lmz_cli, tiny_model, data, 32768)
    reads = []
    real_read = cluster._read_part

    def unreadable(*where):
        reads.append(where)
        return None

    monkeypatch.setattr(cluster, "_read_part", unreadable)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as lc, distributed.Client(lc) as c:
        cluster.compress_file(src, out, c, part_size=32768, model=tiny_model)
        assert out.read_bytes() == expected and reads
        monkeypatch.setattr(cluster, "_read_part", real_read)
        cluster.compress_file(src, out, c, part_size=32768, model=tiny_model, overwrite=True, ship=True)
        assert out.read_bytes() == expected
    # what a worker checks before using its own read
    where = (str(src), 100, 50, cluster._digest(data[100:150]))
    assert cluster._read_part(*where) == data[100:150]
    assert cluster._read_part(str(src), 101, 50, where[3]) is None
    assert cluster._read_part(str(tmp_path / "gone"), 100, 50, where[3]) is None


# ------------------------------------------------------------ a real scheduler and dask-worker processes


class RealCluster:
    """dask-scheduler and dask-worker processes, each in its own process
    group (a worker's nanny and its worker process die together)."""

    def __init__(self, tmp, n_workers, delay=None):
        self.tmp = tmp
        self.procs = []
        sched_file = tmp / "scheduler.json"
        self._start([os.path.join(DASK_BIN, "dask-scheduler"), "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(sched_file)],
                    "scheduler", dict(os.environ))
        # the workers start at once and wait for the scheduler file
        env = dict(WORKER_ENV, LMZ_CLUSTER_TASK_DELAY=str(delay)) if delay else WORKER_ENV
        for i in range(n_workers):
            self._start([os.path.join(DASK_BIN, "dask-worker"), "--scheduler-file", str(sched_file), "--nworkers",
                         "1", "--nthreads", "1", "--no-dashboard", "--local-directory", str(tmp / "w"),
                         "--name", "w%d" % i], "worker%d" % i, env)
        deadline = time.monotonic() + 60
        while not (sched_file.exists() and sched_file.stat().st_size):
            assert time.monotonic() < deadline, "dask-scheduler did not start: " + self.log("scheduler")
            time.sleep(0.1)
        self.address = json.loads(sched_file.read_text())["address"]
        self.client = distributed.Client(self.address, set_as_default=False)
        self.client.wait_for_workers(n_workers, timeout=60)
        # worker address -> process group of its dask-worker command
        self.group = {addr: os.getpgid(pid) for addr, pid in self.client.run(os.getpid).items()}

    def _start(self, argv, name, env):
        with open(self.tmp / (name + ".log"), "wb") as log:
            self.procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                               start_new_session=True))

    def log(self, name):
        return (self.tmp / (name + ".log")).read_text(errors="replace")[-2000:]

    def kill_busy_worker(self, cli, timeout=60):
        """SIGKILLs a worker (nanny included) once it runs one of our tasks;
        returns its address."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and cli.poll() is None:
            for addr, keys in self.client.processing().items():
                if any(str(k).startswith("lmz-compress") for k in keys):
                    os.killpg(self.group[addr], signal.SIGKILL)
                    return addr
            time.sleep(0.05)
        raise AssertionError("no task started")

    def close(self):
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        for p in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@pytest.fixture
def real_cluster(tmp_path):
    started = []

    def start(n_workers=2, delay=None):
        d = tmp_path / ("dask%d" % len(started))
        d.mkdir()
        started.append(RealCluster(d, n_workers, delay))
        return started[-1]

    yield start
    for c in started:
        c.close()


def test_real_scheduler(real_cluster, tiny_model, lmz_cli, tmp_path):
    rc = real_cluster()
    src, out, back = tmp_path / "alice", tmp_path / "alice.lmz", tmp_path / "alice.out"
    src.write_bytes(ALICE)
    r = run_cli("compress", "--scheduler", rc.address, "--model", tiny_model, "--part-size", "16K", src,
                timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == lmz_parts(lmz_cli, tiny_model, ALICE, 16384)
    assert lmz_decode(lmz_cli, tiny_model, out) == ALICE
    # `decompress IN OUT`
    r = run_cli("decompress", "--scheduler", rc.address, "--model", tiny_model, "--part-size", "50K", out, back,
                timeout=120)
    assert r.returncode == 0, r.stderr
    assert back.read_bytes() == ALICE
    assert leftovers(tmp_path) == []


def test_worker_killed_mid_job(real_cluster, tiny_model, lmz_cli, tmp_path):
    # Each task sleeps 0.5 s first, so the job (10 parts) is still running
    # when one worker and its nanny are killed: Dask runs its tasks again on
    # the other, and the output is complete and right.
    rc = real_cluster(delay=0.5)
    src, out = tmp_path / "alice", tmp_path / "alice.lmz"
    src.write_bytes(ALICE)
    cli = subprocess.Popen([sys.executable, "-m", "lmz.cluster", "compress", "--scheduler", rc.address, "--model",
                            tiny_model, "--part-size", "16K", str(src)], env=WORKER_ENV, stderr=subprocess.PIPE,
                           text=True)
    killed = rc.kill_busy_worker(cli)
    stderr = cli.communicate(timeout=120)[1]
    assert killed not in rc.client.nthreads()
    assert cli.returncode == 0, stderr
    assert out.read_bytes() == lmz_parts(lmz_cli, tiny_model, ALICE, 16384)
    assert leftovers(tmp_path) == []


def test_all_workers_killed(real_cluster, tiny_model, tmp_path):
    rc = real_cluster(delay=0.5)
    src, out = tmp_path / "alice", tmp_path / "alice.lmz"
    src.write_bytes(ALICE)
    cli = subprocess.Popen([sys.executable, "-m", "lmz.cluster", "compress", "--scheduler", rc.address, "--model",
                            tiny_model, "--part-size", "16K", "--no-workers-timeout", "2", str(src)], env=WORKER_ENV,
                           stderr=subprocess.PIPE, text=True)
    rc.kill_busy_worker(cli)
    for group in rc.group.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    stderr = cli.communicate(timeout=60)[1]
    assert cli.returncode == 1
    assert "no worker for 2 s" in stderr
    assert not out.exists() and leftovers(tmp_path) == []
