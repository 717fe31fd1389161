"""Two `multitag compare` processes started at once on one OUT: one runs, the other gets one line,
and the results file is exactly one run's."""
import os
import subprocess
import sys

from multitag.experiments.results import ResultsStore
from support.cli_output import the_one_error

CONLL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "conll2003")


def test_two_concurrent_compares_on_one_out(tmp_path):
    from multitag.data import load_dataset
    from multitag.data.writers import write_conll

    ds = load_dataset(CONLL)
    data = tmp_path / "data"
    write_conll(ds.train[:400], data / "train.txt")
    write_conll(ds.dev[:100], data / "dev.txt")
    out = tmp_path / "out"
    args = [sys.executable, "-m", "multitag", "compare", "--data", str(data), "--backends", "crf", "--strategies",
            "random,mnlp", "--train-limit", "400", "--initial-size", "2%", "--schedule", "2%x10", "--param",
            "features=paper", "--eval", "dev", "--out", str(out), "--no-progress"]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [p.communicate(timeout=600) + (p.returncode,) for p in procs]
    codes = sorted(rc for _, _, rc in results)
    assert codes == [0, 2], results
    refused = next(err for _, err, rc in results if rc == 2)
    assert "is in use by process" in the_one_error(refused)
    recs = ResultsStore(str(out / "results.jsonl")).load()
    assert len(recs) == len({r.key() for r in recs}) == 2 * 11
