"""The CLI basics: --help imports no backend library; bad input gives one line "error: ..." and
exit status 2; train / evaluate / backends work end to end with a dummy backend."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import pytest
from click.testing import CliRunner

from multitag import registry
from multitag.cli import main

HEAVY = ("torch", "pycrfsuite", "sklearn_crfsuite", "sklearn", "transformers", "flair", "gensim", "seqeval")

HELP_SCRIPT = f"""
import sys
from multitag.cli import main
from multitag import registry
for args in (["--help"], ["train", "--help"], ["evaluate", "--help"], ["backends", "--help"]):
    try:
        main(args, prog_name="multitag")
    except SystemExit as e:
        assert e.code == 0, (args, e.code)
names = registry.available()
print("AVAILABLE", names)
print("HEAVY", sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r}))
"""


def _env():
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("PYTHONSTARTUP", None)
    return env


def test_help_imports_no_backend_library():
    r = subprocess.run([sys.executable, "-c", HELP_SCRIPT], capture_output=True, text=True, timeout=120, env=_env())
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for command in ("backends", "train", "evaluate"):
        assert command in out
    assert "--backend" in out and "--data" in out and "--model" in out
    # listing installed backends (the CRF one included) imports none of them either
    assert "'crf'" in out.split("AVAILABLE", 1)[1].splitlines()[0]
    heavy = out.split("HEAVY", 1)[1].strip()
    assert heavy == "[]", f"--help / registry.available() imported: {heavy}"


BAD_CASES = {
    "columns": ("train.txt", "EU B-ORG\nrejects O\n\nGerman JJ B-MISC\n", 4),
    "invalid_tag": ("train.txt", "a O\nb B_LOC\n", 2),
    "bytes": ("train.txt", b"a O\nb O\n\xff O\n", 3),
    "json": ("train.jsonl", '{"tokens": ["a"], "tags": ["O"]}\n{"tokens": [\n', 2),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_train_on_bad_data_prints_one_error_line(write, case):
    name, content, line = BAD_CASES[case]
    path = write(name, content)
    strict = ["--encoding", "utf-8"] if case == "bytes" else []   # by default such bytes are read as cp1252 / Latin-1
    result = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", path, *strict])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and f"{path}:{line}" in lines[0]
    assert "Traceback" not in result.output


def test_train_on_bad_folder_names_the_split_file(write, tmp_path):
    write("train.seq.in", "a b\nc d\n")
    tgt = write("train.seq.out", "O O\nO\n")
    result = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and f"{tgt}:2" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_bad_data_in_a_real_process(write):
    """The installed entry point behaves the same in a real process: one line on stderr, status 2."""
    path = write("train.txt", "a O\nb O\n\xff O\n".encode("latin-1"))
    script = "import sys; from multitag.cli import main; sys.exit(main(prog_name='multitag'))"
    r = subprocess.run([sys.executable, "-c", script, "train", "--backend", "crf", "--data", path, "--encoding", "utf-8"],
                       capture_output=True, text=True, timeout=120, env=_env())
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and f"{path}:3" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_backend_lists_installed(write):
    path = write("train.txt", "a O\nb B-PER\n")
    result = CliRunner().invoke(main, ["train", "--backend", "no-such-backend", "--data", path])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown backend 'no-such-backend'; installed:")
    assert "crf" in result.stderr and len(result.stderr.splitlines()) == 1


def test_missing_data_path(tmp_path):
    missing = str(tmp_path / "absent")
    result = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", missing])
    assert result.exit_code == 2 and f"error: {missing}: no such file or folder" in result.stderr


def test_bad_param_syntax(write):
    path = write("train.txt", "a O\n")
    result = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", path, "--param", "c1"])
    assert result.exit_code == 2 and "--param expects KEY=VALUE" in result.stderr


# ---------------------------------------------------------------------- end to end with a dummy

TRAIN = "John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\nvisited O\nRome B-LOC\n\nJohn B-PER\nmet O\nMary B-PER\n"
DEV = "Mary B-PER\nlives O\nin O\nRome B-LOC\n"
TEST = "John B-PER\nvisited O\nParis B-LOC\n\nMary B-PER\nmet O\nNokia B-ORG\n"   # ORG only in test


@pytest.fixture
def dummy_backend(mf_tagger, monkeypatch):
    """The dummy registered as ``mt-cli-dummy`` (``evaluate`` finds it by that name through the
    registry), in an importable module; the installed entry points are hidden so that ``backends``
    imports no real backend."""
    module = types.ModuleType("mt_cli_dummy_module")
    cls = type("CliDummy", (mf_tagger,), {"__module__": module.__name__})
    module.CliDummy = cls
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(registry, "_entry_points", lambda: {})
    with registry.registered("mt-cli-dummy", cls):
        yield cls


def test_train_then_evaluate(write, tmp_path, dummy_backend):
    write("data/train.txt", TRAIN)
    write("data/dev.txt", DEV)
    write("data/test.txt", TEST)
    data = str(tmp_path / "data")
    model = str(tmp_path / "model")
    runner = CliRunner()
    result = runner.invoke(main, ["train", "--backend", "mt-cli-dummy", "--data", data, "--out", model,
                                  "--param", "alpha=0.25", "--seed", "3"])
    assert result.exit_code == 0, result.output
    # test: John/PER Paris/LOC Mary/PER right, Nokia/ORG (unseen word) predicted O -> P = 1, R = 3/4
    assert "test: P=1.0000 R=0.7500 F1=0.8571" in result.stdout
    assert "dev: P=1.0000 R=1.0000 F1=1.0000" in result.stdout
    assert not os.path.exists(os.path.join(model, "multitag-train.json"))
    with open(os.path.join(model, "multitag.json")) as fh:
        meta = json.load(fh)
    assert meta["format"] == "multitag-model" and meta["backend"] == "mt-cli-dummy" and meta["class"] == "CliDummy"
    # typed values, not their str()
    assert meta["params"] == {"seed": 3, "alpha": 0.25}
    assert isinstance(meta["training"]["train_seconds"], float)
    assert meta["training"]["test"]["per_type"]["ORG"]["recall"] == 0.0
    assert meta["training"]["dev"]["f1"] == 1.0
    loaded = dummy_backend.load(model)
    assert loaded.alpha == 0.25 and "B-ORG" in loaded.labels   # label set includes the test-only tag

    result = runner.invoke(main, ["evaluate", "--model", model, "--data", data])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("P=1.0000 R=0.7500 F1=0.8571 (4 spans)")
    assert "ORG" in result.stdout and "PER" in result.stdout
    result = runner.invoke(main, ["evaluate", "--model", model, "--data", data, "--split", "dev"])
    assert result.stdout.startswith("P=1.0000 R=1.0000 F1=1.0000 (2 spans)")


def test_evaluate_rejects_a_folder_that_is_not_a_model(tmp_path):
    result = CliRunner().invoke(main, ["evaluate", "--model", str(tmp_path), "--data", str(tmp_path)])
    assert result.exit_code == 2 and "written by an older multitag or not a model; retrain" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_backends_lists_capabilities(dummy_backend):
    result = CliRunner().invoke(main, ["backends", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows == [{"name": "mt-cli-dummy", "class": "CliDummy", "mc_modes": [], "partial_training": False,
                     "hidden": False, "warm_start": False, "rejections": False, "defaults": {}, "description": ""}]
    table = CliRunner().invoke(main, ["backends"]).stdout
    assert "mt-cli-dummy" in table and "CliDummy" in table
    assert table.splitlines()[0].split()[-1] == "rejections" and table.splitlines()[1].split()[-1] == "ignored"


def test_backends_name_lists_every_parameter_with_default_and_meaning():
    from multitag import registry
    from multitag.baseline import CountTagger

    with registry.registered("count", CountTagger):
        r = CliRunner().invoke(main, ["backends", "count", "--json"])
        assert r.exit_code == 0, r.output
        info = json.loads(r.stdout)
        params = {p["name"]: p for p in info["parameters"]}
        assert set(params) == {"seed", "alpha"} and params["alpha"]["default"] == 0.5
        assert params["alpha"]["expects"] == "a number" and "smoothing" in params["alpha"]["meaning"].lower()
        text = CliRunner().invoke(main, ["backends", "count"]).stdout
        assert "alpha" in text and "default 0.5" in text
