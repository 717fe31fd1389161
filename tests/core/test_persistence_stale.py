"""Scratch folders of killed saves (``.M.saving-*``, ``.M.old-*``) are removed by the next save or
load of M, but only when their writer is gone; and the manifest's params are read back typed."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from multitag import persistence
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _scratch(parent, base: str, kind: str, tag: str, rnd: str = "0123456789ab") -> str:
    full = os.path.join(str(parent), f".{base}.{kind}-{tag}-{rnd}")
    os.makedirs(os.path.join(full, "sub"))
    with open(os.path.join(full, "sub", "model.bin"), "wb") as fh:
        fh.write(b"half written")
    return full


@pytest.fixture
def model(mf_tagger, tmp_path):
    t = mf_tagger(labels=SYNTHETIC_LABELS).fit(synthetic_corpus(20, seed=0))
    target = str(tmp_path / "M")
    t.save(target)
    return t, target


def _killed_and_live(tmp_path, dead: int):
    killed = [_scratch(tmp_path, "M", "saving", persistence._writer_tag(dead).rsplit("_", 1)[0] + "_0", "aaaaaaaaaaaa"),
              _scratch(tmp_path, "M", "old", persistence._writer_tag(dead).rsplit("_", 1)[0] + "_12345", "bbbbbbbbbbbb")]
    live = [_scratch(tmp_path, "M", "saving", persistence._writer_tag(), "cccccccccccc"),
            _scratch(tmp_path, "M", "old", persistence._writer_tag(), "dddddddddddd")]
    # a folder whose pid is alive but was started later than the recorded writer: pid reuse
    reused = _scratch(tmp_path, "M", "saving", persistence._writer_tag().rsplit("_", 1)[0] + "_1", "eeeeeeeeeeee")
    other_host = _scratch(tmp_path, "M", "saving", f"someotherhost_{persistence._boot_id()}_{dead}_0", "ffffffffffff")
    other_model = _scratch(tmp_path, "N", "saving", persistence._writer_tag(dead), "999999999999")
    return killed + ([reused] if persistence._start_time(os.getpid()) else []), live + [other_host, other_model]


@pytest.mark.parametrize("action", ["save", "load"])
def test_scratch_folders_of_a_killed_writer_go_on_the_next_save_or_load(model, tmp_path, action):
    t, target = model
    gone, kept = _killed_and_live(tmp_path, _dead_pid())
    if action == "save":
        t.save(target)
    else:
        type(t).load(target)
    for path in gone:
        assert not os.path.exists(path), path
    for path in kept:
        assert os.path.isdir(path), path
    assert os.path.isfile(os.path.join(target, "multitag.json"))


def test_a_save_names_its_scratch_folder_after_its_writer(model, tmp_path, monkeypatch):
    t, target = model
    seen = []
    real = type(t)._save_state

    def spy(self, folder):
        seen.append(os.path.basename(folder))
        return real(self, folder)

    monkeypatch.setattr(type(t), "_save_state", spy)
    t.save(target)
    assert seen and seen[0].startswith(".M.saving-" + persistence._writer_tag() + "-")
    # and the writer of that name is alive, so a concurrent cleanup would keep it
    assert persistence.remove_stale(target) == []


def test_the_manifest_reader_is_not_named_like_the_cli_coercion():
    from multitag import params

    assert hasattr(persistence, "params_from_manifest") and not hasattr(persistence, "coerce_params")
    assert params.coerce_params is not persistence.params_from_manifest


def test_params_from_manifest_checks_each_value_against_its_type(mf_tagger):
    class Typed(mf_tagger):
        def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5, sizes: tuple[int, ...] = (1, 2)):
            super().__init__(labels=labels, seed=seed, alpha=alpha)
            self.sizes = sizes

    out = persistence.params_from_manifest(Typed, {"alpha": 1, "sizes": [3, 4], "seed": 2})
    assert out == {"alpha": 1, "sizes": (3, 4), "seed": 2} and isinstance(out["sizes"], tuple)
    for key, bad in [("alpha", "high"), ("sizes", ["a"]), ("seed", 1.5)]:
        with pytest.raises(MultitagError, match=f"parameter '{key}' of Typed expects"):
            persistence.params_from_manifest(Typed, {key: bad}, where="m: ")
