"""The model template (multitag.persistence): the manifest, typed parameters, loading only through
the registry with every file checked first, and atomic saves."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import numpy as np
import pytest
from click.testing import CliRunner

import multitag
from multitag import persistence, registry
from multitag.cli import main
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, check_saved_model, synthetic_corpus

TEST = synthetic_corpus(10, seed=1)


@pytest.fixture
def typed_cls(mf_tagger):
    """The dummy with parameters of several types (a tuple default, an annotated tuple, None)."""

    class TypedTagger(mf_tagger):
        def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5, sizes: tuple[int, ...] = (1, 2),
                     pair: tuple[int, int] | None = None, limit: int | None = None, name: str = "x",
                     words: list[str] | None = None):
            super().__init__(labels=labels, seed=seed, alpha=alpha)
            self.sizes = sizes
            self.pair = pair
            self.limit = limit
            self.name = name
            self.words = words

        def training_summary(self):
            return {"epochs_run": 1, "best_epoch": 1, "best_score": float("-inf")}

    return TypedTagger


@pytest.fixture
def registered(typed_cls):
    name = f"mt-persist-{uuid.uuid4().hex[:8]}"
    with registry.registered(name, typed_cls):
        yield name, typed_cls


def _fit(cls, n=40, **params):
    return cls(labels=SYNTHETIC_LABELS, **params).fit(synthetic_corpus(n, seed=0))


def _manifest(folder):
    with open(os.path.join(folder, "multitag.json"), encoding="utf-8") as fh:
        return json.load(fh)


def _write_manifest(folder, m):
    with open(os.path.join(folder, "multitag.json"), "w", encoding="utf-8") as fh:
        json.dump(m, fh)


def _same(a, b) -> bool:
    return all(p.tags == q.tags and np.array_equal(p.marginals, q.marginals) for p, q in zip(a, b))


def _leftovers(parent):
    return [n for n in os.listdir(parent) if ".saving-" in n or ".old-" in n]


# ---------------------------------------------------------------------- the manifest

def test_manifest_is_typed_and_lists_hashed_files(registered, tmp_path):
    name, cls = registered
    t = _fit(cls, alpha=0.25, sizes=(3, 4), pair=(5, 6), words=["a", "b"])
    target = str(tmp_path / "m")
    persistence.save_model(t, target, extra={"train_seconds": 1.5, "test": {"f1": 0.75}})
    m = check_saved_model(t, target)
    assert (m["format"], m["version"], m["backend"], m["class"]) == ("multitag-model", 1, name, "TypedTagger")
    assert m["params"] == {"seed": 0, "alpha": 0.25, "sizes": [3, 4], "pair": [5, 6], "limit": None, "name": "x",
                           "words": ["a", "b"]}
    assert m["labels"] == SYNTHETIC_LABELS
    assert set(m["files"]) == {"model.json"}
    data = open(os.path.join(target, "model.json"), "rb").read()
    import hashlib

    assert m["files"]["model.json"] == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    # the backend's summary (a non-finite score stored as null) plus the caller's record
    assert m["training"] == {"epochs_run": 1, "best_epoch": 1, "best_score": None, "train_seconds": 1.5,
                             "test": {"f1": 0.75}}
    assert m["multitag"] == multitag.__version__ and m["created"].endswith("+00:00")


def test_params_come_back_with_their_types(registered, tmp_path):
    name, cls = registered
    t = _fit(cls, alpha=0.25, sizes=(3, 4), pair=(5, 6), words=["a", "b"])
    t.save(str(tmp_path / "m"))
    for u in (multitag.load(str(tmp_path / "m")), cls.load(str(tmp_path / "m"))):
        assert type(u) is cls
        assert u.sizes == (3, 4) and isinstance(u.sizes, tuple)
        assert u.pair == (5, 6) and isinstance(u.pair, tuple)        # tuple by annotation (default None)
        assert u.words == ["a", "b"] and isinstance(u.words, list)   # lists stay lists
        assert u.limit is None and u.alpha == 0.25 and isinstance(u.alpha, float) and u.labels == SYNTHETIC_LABELS
        assert _same(u.predict(TEST), t.predict(TEST))


def test_unserialisable_parameter_is_refused_before_writing(registered, tmp_path):
    _, cls = registered
    for bad in (object(), np.int64(3), {1: "a"}):
        t = _fit(cls, name=bad)
        with pytest.raises(MultitagError, match="parameter 'name' is not JSON-serialisable"):
            t.save(str(tmp_path / "m"))
        assert not os.path.exists(tmp_path / "m") and not _leftovers(tmp_path)


def test_a_backend_may_not_override_save_or_load(mf_tagger):
    with pytest.raises(TypeError, match="_save_state"):
        type("Rogue", (mf_tagger,), {"save": lambda self, path: None})
    with pytest.raises(TypeError, match="_load_state"):
        type("Rogue", (mf_tagger,), {"load": classmethod(lambda cls, path: None)})


def test_importing_the_template_imports_no_torch():
    code = ("import sys, multitag, multitag.persistence; assert callable(multitag.load); "
            "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})


# ---------------------------------------------------------------------- what load refuses

def test_unregistered_class_loads_by_class_only(mf_tagger, tmp_path):
    t = _fit(mf_tagger)
    t.save(str(tmp_path / "m"))
    assert _manifest(str(tmp_path / "m"))["backend"] is None
    assert _same(mf_tagger.load(str(tmp_path / "m")).predict(TEST), t.predict(TEST))
    with pytest.raises(MultitagError, match="was not registered when it was saved"):
        multitag.load(str(tmp_path / "m"))


def test_load_with_another_class_is_refused(registered, mf_tagger, tmp_path):
    name, cls = registered
    _fit(cls).save(str(tmp_path / "m"))
    with pytest.raises(MultitagError, match=f"holds a '{name}' model, not a MostFrequentTagger"):
        mf_tagger.load(str(tmp_path / "m"))


def test_older_formats_and_other_versions_are_one_line_errors(registered, tmp_path):
    _, cls = registered
    target = str(tmp_path / "m")
    _fit(cls).save(target)
    good = _manifest(target)
    cases = [
        ({**good, "version": 2}, "written by a newer multitag"),
        ({**good, "version": 0}, "no longer read"),
        ({**good, "format": "something-else"}, "written by an older multitag or not a model; retrain"),
        ({"class": "multitag_transformers.tagger:TransformerTagger", "params": {}},   # the old transformer file
         "written by an older multitag or not a model; retrain"),
        ({**good, "files": {"../outside.json": {"size": 1, "sha256": "0" * 64}}}, "bad file name"),
        ({**good, "files": {"/etc/passwd": {"size": 1, "sha256": "0" * 64}}}, "bad file name"),
        ({**good, "labels": "O"}, "labels must be a list"),
    ]
    for manifest, message in cases:
        _write_manifest(target, manifest)
        with pytest.raises(MultitagError, match=message) as e:
            multitag.load(target)
        assert "\n" not in str(e.value)
    os.remove(os.path.join(target, "multitag.json"))
    with open(os.path.join(target, "multitag-train.json"), "w") as fh:   # the old CLI sidecar
        json.dump({"backend_class": "multitag.baseline:CountTagger"}, fh)
    with pytest.raises(MultitagError, match="no multitag.json: written by an older multitag or not a model; retrain"):
        multitag.load(target)
    with pytest.raises(MultitagError, match="no such model folder"):
        multitag.load(str(tmp_path / "absent"))


def test_unknown_backend_name_lists_the_installed_ones(registered, tmp_path):
    _, cls = registered
    target = str(tmp_path / "m")
    _fit(cls).save(target)
    _write_manifest(target, {**_manifest(target), "backend": "no-such-backend"})
    with pytest.raises(MultitagError, match="needs the backend 'no-such-backend'.*installed: .*crf"):
        multitag.load(target)


@pytest.fixture
def evil_module(tmp_path, monkeypatch):
    """An importable module that writes a marker file when imported; yields (name, marker, folder)."""
    name = f"mt_evil_{uuid.uuid4().hex[:8]}"
    marker = str(tmp_path / "IMPORTED")
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / f"{name}.py").write_text(
        f"open({marker!r}, 'w').write('pwned')\nclass Evil:\n    pass\n")
    monkeypatch.syspath_prepend(str(folder))
    yield name, marker, str(folder)
    sys.modules.pop(name, None)


def _crafted_folders(root, evil, good_manifest):
    """Model folders whose manifest (or old sidecar) names the module ``evil``."""
    out = {}
    for key, patch in {
        "backend-module-path": {"backend": f"{evil}:Evil"},
        "backend-module": {"backend": evil},
        "class-module-path": {"backend": None, "class": f"{evil}:Evil"},
        "other-package-class": {"backend": "subprocess:Popen", "class": "Popen"},
    }.items():
        folder = os.path.join(root, key)
        os.makedirs(folder)
        with open(os.path.join(folder, "model.json"), "w") as fh:
            fh.write("{}")
        _write_manifest(folder, {**good_manifest, **patch, "files": {}})
        out[key] = folder
    sidecar = os.path.join(root, "old-sidecar")
    os.makedirs(sidecar)
    with open(os.path.join(sidecar, "multitag-train.json"), "w") as fh:
        json.dump({"backend": "crf", "backend_class": f"{evil}:Evil"}, fh)
    out["old-sidecar"] = sidecar
    return out


def test_a_crafted_manifest_imports_nothing(registered, evil_module, tmp_path, rehash):
    name, cls = registered
    evil, marker, _ = evil_module
    _fit(cls).save(str(tmp_path / "good"))
    for key, folder in _crafted_folders(str(tmp_path / "crafted"), evil, _manifest(str(tmp_path / "good"))).items():
        if key != "old-sidecar":
            rehash(folder)
        with pytest.raises(MultitagError) as e:
            multitag.load(folder)
        assert "\n" not in str(e.value), key
        assert not os.path.exists(marker), f"{key}: loading imported the module named in the file"
        assert evil not in sys.modules


def test_evaluate_on_a_crafted_model_runs_no_code(registered, evil_module, tmp_path, write, rehash):
    """The attack of the issue, in a real process: ``multitag evaluate --model M`` where M names a
    module path; the module's directory is on the path, so an import would run it."""
    name, cls = registered
    evil, marker, evil_dir = evil_module
    _fit(cls).save(str(tmp_path / "good"))
    data = write("test.txt", "John B-PER\nvisited O\nParis B-LOC\n")
    folders = _crafted_folders(str(tmp_path / "crafted"), evil, _manifest(str(tmp_path / "good")))
    for key in ("backend-module-path", "class-module-path"):
        rehash(folders[key])
    env = {**os.environ, "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([evil_dir] + [p for p in sys.path if p])}
    script = "import sys; from multitag.cli import main; sys.exit(main(prog_name='multitag'))"
    for key in ("backend-module-path", "class-module-path", "old-sidecar"):
        r = subprocess.run([sys.executable, "-c", script, "evaluate", "--model", folders[key], "--data", data],
                           capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 2, (key, r.stderr)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
        assert not os.path.exists(marker), f"{key}: evaluate imported the module named in the model folder"


def test_files_are_checked_before_the_backend_opens_any(registered, tmp_path):
    name, cls = registered
    opened = []

    class Spy(cls):
        def _load_state(self, folder):
            opened.append(folder)
            super()._load_state(folder)

    with registry.registered(name + "-spy", Spy):
        target = str(tmp_path / "m")
        _fit(Spy).save(target)
        model = os.path.join(target, "model.json")
        original = open(model, "rb").read()

        def damage(how):
            for p in (model, os.path.join(target, "README")):
                if os.path.lexists(p):
                    os.remove(p)
            with open(model, "wb") as fh:
                fh.write(original)
            if how == "truncated":
                with open(model, "wb") as fh:
                    fh.write(original[: len(original) // 2])
            elif how == "tampered":   # same size, one byte changed
                with open(model, "wb") as fh:
                    fh.write(original[:10] + bytes([original[10] ^ 1]) + original[11:])
            elif how == "missing":
                os.remove(model)
            elif how == "unlisted":
                with open(os.path.join(target, "README"), "w") as fh:
                    fh.write("hello")
            elif how == "symlink":
                os.rename(model, os.path.join(target, "README"))
                os.symlink(os.path.join(target, "README"), model)

        for how, message in [("truncated", "truncated or was replaced"), ("tampered", "does not match its sha256"),
                             ("missing", "model.json is missing"), ("unlisted", "README is not listed in multitag.json"),
                             ("symlink", "not a regular file")]:
            damage(how)
            with pytest.raises(MultitagError, match=message) as e:
                multitag.load(target)
            assert "\n" not in str(e.value) and target in str(e.value)
        assert opened == [], "the backend opened files before they were checked"
        damage("none")
        assert _same(multitag.load(target).predict(TEST), _fit(Spy).predict(TEST)) and opened == [target]


def test_a_state_the_backend_cannot_parse_is_one_line(registered, tmp_path, rehash):
    _, cls = registered
    target = str(tmp_path / "m")
    _fit(cls).save(target)
    with open(os.path.join(target, "model.json"), "w") as fh:
        fh.write("{not json")
    rehash(target)
    with pytest.raises(MultitagError, match="cannot load the .* model state") as e:
        multitag.load(target)
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------------- atomic saves

def test_save_refuses_to_overwrite_what_is_not_a_model(registered, tmp_path):
    _, cls = registered
    t = _fit(cls)
    user = tmp_path / "mine"
    user.mkdir()
    (user / "thesis.tex").write_text("precious")
    with pytest.raises(MultitagError, match="non-empty folder that is not a multitag model"):
        t.save(str(user))
    assert (user / "thesis.tex").read_text() == "precious" and os.listdir(user) == ["thesis.tex"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(MultitagError, match="exists and is not a folder"):
        t.save(str(tmp_path / "file"))
    (tmp_path / "empty").mkdir()
    t.save(str(tmp_path / "empty"))
    assert persistence.is_model_folder(str(tmp_path / "empty"))
    assert not _leftovers(tmp_path)


def test_save_over_a_model_replaces_it_whole(registered, tmp_path):
    name, cls = registered
    target = str(tmp_path / "m")
    _fit(cls, n=10).save(target)
    new = _fit(cls, n=40, alpha=0.1)
    new.save(target)
    assert sorted(os.listdir(target)) == ["model.json", "multitag.json"] and not _leftovers(tmp_path)
    assert _same(multitag.load(target).predict(TEST), new.predict(TEST))


def _assert_old_model_intact(target, old_preds, parent):
    u = multitag.load(target)
    assert _same(u.predict(TEST), old_preds), "the previous model changed"
    assert not _leftovers(parent), f"temporary folders left behind: {_leftovers(parent)}"


def test_a_save_failing_at_each_write_leaves_the_previous_model(registered, tmp_path, disk_faults):
    name, cls = registered
    target = str(tmp_path / "m")
    old = _fit(cls, n=10)
    old.save(target)
    old_preds = old.predict(TEST)
    new = _fit(cls, n=40, alpha=0.1)
    assert not _same(new.predict(TEST), old_preds)
    k = 0
    while True:
        k += 1
        with disk_faults(k) as faults:
            try:
                new.save(target)
            except MultitagError as e:
                assert faults.fired and target in str(e) and "No space left" in str(e) and "\n" not in str(e)
            else:
                assert not faults.fired
        if not faults.fired:
            break
        _assert_old_model_intact(target, old_preds, str(tmp_path))
    assert k > 3, "the injection reached too few write events to mean anything"
    assert _same(multitag.load(target).predict(TEST), new.predict(TEST))


def test_a_full_disk_leaves_the_previous_model(registered, tmp_path, full_disk, disk_faults):
    """On a real full disk (a small tmpfs, where this process may mount one); otherwise the first
    write event that would not fit fails as a full disk would."""
    name, cls = registered
    disk = tmp_path / "disk"
    with full_disk(disk, "96k") as mounted:
        target = str(disk / "m")
        old = _fit(cls, n=10)
        old.save(target)
        old_preds = old.predict(TEST)
        # a model too big for the disk: a vocabulary of 6000 made-up words
        rng = np.random.default_rng(0)
        big = synthetic_corpus(40, seed=0)
        from multitag.data.sentence import Corpus, Sentence

        words = ["".join(rng.choice(list("abcdefghij"), 8)) for _ in range(6000)]
        big = Corpus(list(big) + [Sentence(words[i:i + 20], ["O"] * 20) for i in range(0, 6000, 20)])
        new = cls(labels=SYNTHETIC_LABELS).fit(big)
        if mounted:
            with pytest.raises(MultitagError, match="No space left on device") as e:
                new.save(target)
        else:
            with disk_faults(2), pytest.raises(MultitagError, match="No space left on device") as e:
                new.save(target)
        assert target in str(e.value) and "left unchanged" in str(e.value)
        _assert_old_model_intact(target, old_preds, str(disk))


def test_cli_train_over_a_model_on_a_full_disk(registered, tmp_path, write, disk_faults):
    name, cls = registered
    write("data/train.txt", "John B-PER\nlives O\nin O\nParis B-LOC\n\nMary B-PER\nvisited O\nRome B-LOC\n")
    write("data/test.txt", "John B-PER\nvisited O\nParis B-LOC\n")
    data, model = str(tmp_path / "data"), str(tmp_path / "model")
    runner = CliRunner()
    assert runner.invoke(main, ["train", "--backend", name, "--data", data, "--out", model]).exit_code == 0
    before = _manifest(model)
    with disk_faults(1):
        r = runner.invoke(main, ["train", "--backend", name, "--data", data, "--out", model, "--param", "alpha=0.1"])
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert r.exit_code == 2 and len(errors) == 1 and errors[0].startswith("error: cannot save the model to")
    assert r.stderr.splitlines()[-1] == errors[0] and "Traceback" not in r.output
    assert _manifest(model) == before
    r = runner.invoke(main, ["evaluate", "--model", model, "--data", data])
    assert r.exit_code == 0 and r.stdout.startswith("P=1.0000 R=1.0000")
