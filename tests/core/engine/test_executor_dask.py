"""The grid on a loopback Dask cluster of 2 worker processes: the same records as the sequential run,
a worker killed mid-run, a driver killed and restarted, a failing run among finishing ones, GPU
resources and devices. The backends are real plugins (entry points in a site folder on the
workers' path: dask_site.py), since a backend registered in the test process alone is unknown to
the workers."""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time

import distributed  # the test extra installs it (multitag[test] includes multitag[dask])
import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.experiments.cluster import Execution, start_local_cluster
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore, iteration_records
from multitag.experiments.runner import run_experiment

_spec = importlib.util.spec_from_file_location("dask_site", os.path.join(os.path.dirname(__file__), "dask_site.py"))
_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_site)

TIMINGS = {"train_seconds", "eval_seconds", "predict_seconds", "select_seconds", "group_size"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The test plugins on this process's path and on every child's (PYTHONPATH)."""
    folder = _site.make_site(str(tmp_path_factory.mktemp("site")))
    sys.path.insert(0, folder)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = folder + ((os.pathsep + old) if old else "")
    yield folder
    sys.path.remove(folder)
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


@pytest.fixture(scope="module")
def cluster(site):
    """A LocalCluster of 2 processes x 1 thread on 127.0.0.1 (started by multitag's own helper)."""
    c = start_local_cluster(2, 1, dashboard_address="127.0.0.1:0")
    client = distributed.Client(c)
    client.wait_for_workers(2, timeout=120)
    yield c, client
    client.close()
    c.close()


def _config(data_dir, backend, **kw):
    d = {"data": data_dir, "backends": [backend], "strategies": ["random", "mnlp", "bt"], "seeds": 2,
         "schedule": "5%x3", "initial_size": "10%", "valid": "none"}
    d.update(kw)
    return ExperimentConfig.from_dict(d)


def _comparable(out):
    """Every record without its timings, keyed by what identifies it; and the file order per run."""
    recs = iteration_records(ResultsStore(os.path.join(out, "results.jsonl")).load())
    by_key = {}
    order = {}
    for r in recs:
        assert r.key() not in by_key
        by_key[r.key()] = {k: v for k, v in r.to_json().items() if k not in TIMINGS}
        order.setdefault(r.run_key(), []).append(r.iteration)
    for its in order.values():
        assert its == sorted(its)
    return by_key


@pytest.fixture(scope="module")
def sequential_reference(site, tmp_path_factory):
    """The sequential run of the grids used below (the reference), per (backend, level)."""
    from multitag.data.writers import write_conll
    from multitag.testing import synthetic_corpus

    root = tmp_path_factory.mktemp("ref")
    data = root / "data"
    write_conll(synthetic_corpus(120, seed=10, prefix="train"), data / "train.txt")
    write_conll(synthetic_corpus(40, seed=12, prefix="test"), data / "test.txt")
    cache = {}

    def get(backend, level="sentence", **kw):
        key = json.dumps([backend, level, kw], sort_keys=True)
        if key not in cache:
            out = str(root / f"seq-{len(cache)}")
            run_experiment(_config(str(data), backend, levels=[level], **kw), out, progress=False)
            cache[key] = _comparable(out)
        return cache[key]

    get.data = str(data)
    return get


@pytest.mark.parametrize("level", ["sentence", "entity"])
def test_records_on_two_workers_equal_the_sequential_run(cluster, sequential_reference, tmp_path, level):
    _, client = cluster
    strategies = ["random", "mnlp", "bt"] if level == "sentence" else ["random", "bt", "entropy"]
    ref = sequential_reference("dcount", level, strategies=strategies)
    out = str(tmp_path / "dask")
    result = run_experiment(_config(sequential_reference.data, "dcount", levels=[level], strategies=strategies), out,
                            progress=False,
                            execution=Execution(scheduler=client.scheduler.address))
    assert result["failed"] == 0 and result["runs"] == 6
    got = _comparable(out)
    assert got == ref
    assert len(got) == 6 * 4
    assert any(r.get("selected") for r in got.values())
    # both workers ran runs (the grid really was spread), and each run ran on a worker, not here
    where = {o.where for o in result["outcomes"].values()}
    assert None not in where and len(where) == 2


def test_expected_cost_counts_iterations_left_and_what_the_strategy_predicts():
    from multitag.experiments.executor import RunTask
    from multitag.experiments.executor_dask import expected_cost
    from multitag.experiments.records import RunSpec

    def cost(strategy, done=0):
        return expected_cost(RunTask(0, RunSpec("crf", strategy, 0), [_FakeRecord(i) for i in range(done)]), 10)

    assert cost("random") == 10            # fits only
    assert cost("mnlp") == 20              # fits + marginals over the pool
    assert cost("bald") == 40              # fits + MC samples
    assert cost("mnlp", done=4) == 12      # a resumed run: what is left
    assert cost("no-such-strategy") == 10  # unknown here: a hint, never an error


class _FakeRecord:
    def __init__(self, iteration):
        self.iteration = iteration


def test_local_workers_do_not_get_dasks_malloc_trim_threshold(cluster):
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 turns off glibc's dynamic mmap threshold, which
    # made the torch taggers' inference ~1.7x slower in a worker than in the driver
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ
    c, client = cluster
    assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}
    assert set(client.run(lambda: os.environ.get("OMP_NUM_THREADS")).values()) == {"1"}   # the rest is Dask's


def test_a_one_worker_cluster_starts_the_costlier_runs_first(site, sequential_reference, tmp_path):
    c = start_local_cluster(1, 1, dashboard_address="127.0.0.1:0")
    try:
        with distributed.Client(c) as client:
            client.wait_for_workers(1, timeout=120)
            result = run_experiment(_config(sequential_reference.data, "dcount", strategies=["random", "mnlp"]),
                                    str(tmp_path / "out"), progress=False,
                                    execution=Execution(scheduler=client.scheduler.address))
    finally:
        c.close()
    grid = dict(enumerate((s, k) for s in ("random", "mnlp") for k in (0, 1)))   # the grid's order: random first
    started = [grid[i] for i, _ in sorted(result["outcomes"].items(), key=lambda kv: kv[1].timings["task_start"])]
    assert [s for s, _ in started] == ["mnlp", "mnlp", "random", "random"], started


def _references(out):
    from multitag.experiments.results import reference_records

    return {r.model: {k: v for k, v in r.to_json().items() if k != "train_seconds"}
            for r in reference_records(ResultsStore(os.path.join(out, "results.jsonl")).load())}


def test_the_full_data_reference_is_a_task_beside_the_runs(cluster, sequential_reference, tmp_path, capsys):
    _, client = cluster
    kw = dict(strategies=["random", "mnlp"], seeds=1, full_reference=True)
    seq, dask = str(tmp_path / "seq"), str(tmp_path / "dask")
    run_experiment(_config(sequential_reference.data, "dcount", **kw), seq, progress=False)
    capsys.readouterr()
    result = run_experiment(_config(sequential_reference.data, "dcount", **kw), dask, progress=False,
                            execution=Execution(scheduler=client.scheduler.address))
    assert "full-data reference: training dcount on the whole pool (a task of its own" in capsys.readouterr().err
    assert result["failed"] == 0 and result["runs"] == 3          # two runs and the reference
    assert _references(dask) == _references(seq) and set(_references(seq)) == {"dcount"}
    assert _comparable(dask) == _comparable(seq)
    # resumed with everything on disk: nothing is trained again
    again = run_experiment(_config(sequential_reference.data, "dcount", **kw), dask, progress=False,
                           execution=Execution(scheduler=client.scheduler.address))
    assert again["runs"] == 2 and len(ResultsStore(os.path.join(dask, "results.jsonl")).load()) == 1 + 2 * 4


def test_a_failing_reference_on_a_worker_is_reported_and_the_runs_finish(cluster, sequential_reference, tmp_path):
    _, client = cluster
    out = tmp_path / "out"
    args = ["compare", "--data", sequential_reference.data, "--backends", "dcount-failing", "--strategies", "random",
            "--seeds", "2", "--param", "fail_seed=0", "--schedule", "5%x2",
            "--initial-size", "10%", "--valid", "none", "--full-reference", "--out", str(out), "--no-progress",
            "--scheduler", client.scheduler.address]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, r.output
    # the reference and the seed-0 run fail (the reference is trained with seed 0); the seed-1 run finishes
    assert r.output.strip().splitlines()[-1].startswith("error: 2 of 3 runs failed") and "Traceback" not in r.output
    text = (out / "failed" / "reference-dcount-failing.txt").read_text()
    assert "full-data reference: dcount-failing" in text and "worker: tcp://127.0.0.1:" in text
    assert "RuntimeError: injected failure for seed 0" in text
    assert sorted(os.listdir(out / "failed")) == ["dcount-failing_random_seed0_sentence_auto_init-random.txt",
                                                  "reference-dcount-failing.txt"]
    recs = ResultsStore(str(out / "results.jsonl")).load()
    assert len(recs) == 3 and {(x.seed, x.iteration) for x in iteration_records(recs)} == {(1, 0), (1, 1), (1, 2)}


def _lines(path):
    try:
        with open(path) as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except FileNotFoundError:
        return []


def test_a_worker_killed_mid_run_is_retried_elsewhere_and_resumes(cluster, sequential_reference, tmp_path):
    c, client = cluster
    kw = {"params": {"dcount-slow": {"delay": 0.4}}, "schedule": "5%x8", "strategies": ["random", "mnlp"],
          "seeds": [0]}
    ref = sequential_reference("dcount-slow", **{k: v for k, v in kw.items() if k != "params"},
                               params={"dcount-slow": {"delay": 0.0}})
    out = str(tmp_path / "dask")
    results = os.path.join(out, "results.jsonl")
    box = {}

    def drive():
        try:
            box["result"] = run_experiment(_config(sequential_reference.data, "dcount-slow", **kw), out, progress=False,
                                           execution=Execution(scheduler=client.scheduler.address))
        except BaseException as e:  # pragma: no cover - shown by the assertion below
            box["error"] = e

    t = threading.Thread(target=drive)
    t.start()
    killed = None
    deadline = time.time() + 120
    while killed is None and time.time() < deadline and t.is_alive():
        per_run = {}
        for r in _lines(results):
            per_run[r["strategy"]] = per_run.get(r["strategy"], 0) + 1
        for worker, keys in client.processing().items():
            if not keys:
                continue
            index = int(str(keys[0]).rsplit("run", 1)[1])
            strategy = ["random", "mnlp"][index]
            if 1 <= per_run.get(strategy, 0) <= 5:   # under way: some iterations recorded, more to come
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed = {"worker": worker, "index": index, "written": per_run[strategy]}
                break
        time.sleep(0.02)
    t.join(timeout=180)
    assert "error" not in box, box.get("error")
    assert killed is not None, "no run was under way to kill"
    result = box["result"]
    assert result["failed"] == 0
    outcome = result["outcomes"][killed["index"]]
    assert outcome.where != killed["worker"]              # retried on another worker process
    assert outcome.resumed_from >= killed["written"]       # from the dead attempt's last finished iteration
    assert outcome.iterations_done == 9
    got = _comparable(out)                     # no duplicates (ResultsStore refuses them), in order
    assert got == ref                          # nothing lost, nothing changed
    client.wait_for_workers(2, timeout=60)     # the nanny restarted the killed worker


def test_a_failing_run_is_reported_and_the_others_finish(cluster, sequential_reference, tmp_path):
    _, client = cluster
    out = tmp_path / "out"
    args = ["compare", "--data", sequential_reference.data, "--backends", "dcount-failing", "--strategies", "random,mnlp",
            "--seeds", "3", "--schedule", "5%x2", "--initial-size", "10%", "--valid", "none", "--out", str(out),
            "--no-progress", "--scheduler", client.scheduler.address]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("error: 2 of 6 runs failed") and str(out / "failed") in last and "Traceback" not in r.output
    failed = sorted(os.listdir(out / "failed"))
    assert failed == ["dcount-failing_mnlp_seed1_sentence_auto_init-random.txt",
                      "dcount-failing_random_seed1_sentence_auto_init-random.txt"]
    text = (out / "failed" / failed[0]).read_text()
    assert "run: dcount-failing / mnlp / seed 1" in text and "'seed': 1" in text
    assert "Traceback" in text and "RuntimeError: injected failure for seed 1" in text and "multitag_dasktest.py" in text
    recs = iteration_records(ResultsStore(str(out / "results.jsonl")).load())
    assert {(x.strategy, x.seed) for x in recs} == {(s, k) for s in ("random", "mnlp") for k in (0, 2)}
    assert len(recs) == 4 * 3
    assert (out / "summary.md").exists()       # the finished runs are reported


def _cli(site, args, **kw):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.Popen([sys.executable, "-m", "multitag.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as fh:
                    if f"PPid:\t{pid}\n" in fh.read():
                        out.append(int(entry))
            except OSError:
                pass
    return out


def test_a_killed_driver_resumes_the_grid_when_run_again(site, sequential_reference, tmp_path):
    ref = sequential_reference("dcount-slow", schedule="5%x5", strategies=["random", "mnlp"], seeds=1,
                               params={"dcount-slow": {"delay": 0.0}})
    out = tmp_path / "out"
    args = ["compare", "--data", sequential_reference.data, "--backends", "dcount-slow", "--strategies", "random,mnlp",
            "--seeds", "1", "--schedule", "5%x5", "--initial-size", "10%", "--valid", "none", "--out", str(out),
            "--no-progress", "--workers", "2", "--param", "delay=0.3"]
    p = _cli(site, args)
    results = out / "results.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and len(_lines(results)) < 2 and p.poll() is None:
        time.sleep(0.05)
    assert p.poll() is None, p.communicate()
    before = len(_lines(results))
    children = _children(p.pid)
    assert len(children) >= 2                 # the local cluster's worker processes
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert 2 <= before < 2 * 6
    deadline = time.time() + 60               # the workers do not outlive their driver
    while time.time() < deadline and any(os.path.exists(f"/proc/{c}") for c in children):
        time.sleep(0.2)
    assert not [c for c in children if os.path.exists(f"/proc/{c}")]
    p = _cli(site, args)
    stdout, stderr = p.communicate(timeout=240)
    assert p.returncode == 0, stderr
    assert "local Dask cluster: 2 worker processes" in stderr and "dashboard: http://127.0.0.1:" in stderr
    assert _comparable(str(out)) == ref


def test_gpu_workers_get_their_own_gpu_and_runs_the_gpu_resource(site, sequential_reference, tmp_path, monkeypatch):
    """No GPU is needed: what is checked is what each worker is given (CUDA_VISIBLE_DEVICES, the GPU
    resource), the resource each task holds and the device each backend is built with."""
    log = tmp_path / "fits.jsonl"
    monkeypatch.setenv("MULTITAG_DASKTEST_LOG", str(log))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")      # the machine's GPUs, as a scheduler would set them
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["compare", "--data", sequential_reference.data, "--backends", "dcount-gpu",
                                  "--strategies", "random,mnlp", "--seeds", "2", "--schedule", "5%x1", "--initial-size",
                                  "10%", "--valid", "none", "--out", str(out), "--no-progress", "--workers", "2",
                                  "--gpus-per-run", "1"])
    assert r.exit_code == 0, r.output
    fits = _lines(log)
    assert len(fits) == 4 * 2
    assert {f["device"] for f in fits} == {"cuda:0"}         # the worker's one visible GPU
    assert {f["resources"]["GPU"] for f in fits} == {1}
    by_pid = {}
    for f in fits:
        by_pid.setdefault(f["pid"], set()).add(f["cuda_visible_devices"])
    assert all(len(v) == 1 for v in by_pid.values())
    assert set().union(*by_pid.values()) <= {"3", "5"}
    r = CliRunner().invoke(main, ["compare", "--data", sequential_reference.data, "--backends", "dcount-gpu",
                                  "--out", str(tmp_path / "o2"), "--no-progress", "--workers", "3", "--gpus-per-run", "1"])
    assert r.exit_code == 2 and "needs 3 GPUs, and this machine has 2 GPUs" in r.output
    assert not (tmp_path / "o2").exists()                  # refused before anything was written


def test_a_mismatch_grid_with_a_successor_schedule_and_pseudo_labels_on_two_workers_equals_sequential(
        cluster, sequential_reference, tmp_path):
    _, client = cluster
    kw = dict(successors=["dcount-slow", "dcount-failing"], successor_every=2, successor_pseudo_labels="20%",
              params={"dcount-slow": {"delay": 0.0}, "dcount-failing": {"fail_seed": 99}}, strategies=["mnlp", "random"],
              schedule="5%x3")
    ref = sequential_reference("dcount", **kw)
    out = str(tmp_path / "dask")
    result = run_experiment(_config(sequential_reference.data, "dcount", **kw), out, progress=False,
                            execution=Execution(scheduler=client.scheduler.address))
    assert result["failed"] == 0
    got = _comparable(out)
    assert got == ref
    succ_iterations = sorted({(k[-2], k[-1]) for k in got if k[-3] == "successor"})
    assert succ_iterations == [(m, i) for m in ("dcount-failing", "dcount-slow") for i in (0, 2, 3)]


# ---------------------------------------------------------------------------- sharded pool passes
def _shard_rounds(backend_cls, strategy, level, shard_size, shards=None, rounds=2, **params):
    from multitag.annotation.budget import parse_initial_size
    from multitag.annotation.oracle import SimulationOracle
    from multitag.annotation.pool import Pool
    from multitag.loop import ActiveLearner
    from multitag.strategies import get_strategy
    from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus

    gold = list(synthetic_corpus(80, seed=21, prefix="train"))
    pool = Pool(gold)
    oracle = SimulationOracle(gold)
    learner = ActiveLearner(pool, backend_cls(labels=SYNTHETIC_LABELS, seed=1, **params), get_strategy(strategy),
                            level=level, seed=4, shard_size=shard_size, mc_samples=3, shards=shards)
    learner.teach([oracle.answer(q) for q in learner.initial_queries(parse_initial_size("10%"))], 0)
    out = []
    for it in range(1, rounds + 1):
        learner.fit()
        batch = learner.query(40, iteration=it, annotate=oracle.answer)
        out.append([(q.sentence, q.tokens, q.score) for q in batch])
        learner.teach(batch.answers, it)
    return out


@pytest.mark.parametrize("strategy,level", [("mnlp", "sentence"), ("bt", "entity"), ("bald", "token")])
def test_shards_scored_on_two_workers_select_what_one_pass_selects(cluster, strategy, level):
    from multitag.baseline import CountTagger
    from multitag.experiments.executor_dask import DaskShards

    _, client = cluster
    one = _shard_rounds(CountTagger, strategy, level, 10_000)
    runner = DaskShards(client)
    on_cluster = _shard_rounds(CountTagger, strategy, level, 6, shards=runner)
    assert on_cluster == one and sum(map(len, one)) > 0


def test_a_worker_killed_while_scoring_a_shard_leaves_the_round_selection_unchanged(cluster, site, tmp_path):
    from multitag_dasktest import SlowPredictCount

    from multitag.experiments.executor_dask import DaskShards

    _, client = cluster
    client.wait_for_workers(2, timeout=60)
    pids = tmp_path / "pids"
    pids.mkdir()
    params = {"predict_delay": 0.0}
    reference = _shard_rounds(SlowPredictCount, "mnlp", "sentence", 10_000, rounds=1, **params)
    box = {}

    def drive():
        try:
            box["got"] = _shard_rounds(SlowPredictCount, "mnlp", "sentence", 8, shards=DaskShards(client), rounds=1,
                                       predict_delay=0.6, pid_folder=str(pids))
        except BaseException as e:  # pragma: no cover - shown by the assertion below
            box["error"] = e

    t = threading.Thread(target=drive)
    t.start()
    killed = None
    deadline = time.time() + 60
    while killed is None and time.time() < deadline and t.is_alive():
        seen = sorted(os.listdir(pids))
        worker_pids = set(client.run(os.getpid).values())
        for name in seen:
            pid = int(name.split("-")[0])
            if pid in worker_pids:       # a shard is being scored on this worker right now
                os.kill(pid, signal.SIGKILL)
                killed = pid
                break
        time.sleep(0.02)
    t.join(timeout=120)
    assert "error" not in box, box.get("error")
    assert killed is not None, "no shard was under way to kill"
    assert box["got"] == reference
    finished_on = {int(n.split("-")[0]) for n in os.listdir(pids)}
    assert finished_on - {killed}, "the killed worker's shards ran again on another worker"
    client.wait_for_workers(2, timeout=60)


def test_a_grid_with_small_shards_on_two_workers_equals_the_sequential_run(cluster, sequential_reference, tmp_path):
    _, client = cluster
    strategies = ["mnlp", "bt"]
    ref = sequential_reference("dcount", "entity", strategies=strategies)
    out = str(tmp_path / "dask-shards")
    result = run_experiment(_config(sequential_reference.data, "dcount", levels=["entity"], strategies=strategies,
                                    shard_size=9), out, progress=False,
                            execution=Execution(scheduler=client.scheduler.address))
    assert result["failed"] == 0
    assert _comparable(out) == ref

