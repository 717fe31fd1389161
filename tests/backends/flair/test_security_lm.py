"""flair-lm:FWD,BWD never unpickles code: character LM files are read with a restricted unpickler,
and a legitimate LM gives exactly what flair's own (unsafe) loader gives."""
import os
import re
import subprocess
import sys

import pytest
import torch

from multitag.errors import MultitagError
from support.pickles import make_pickle

pytest.importorskip("flair")
from flair.data import Dictionary, Sentence  # noqa: E402
from flair.embeddings import FlairEmbeddings  # noqa: E402
from flair.models import LanguageModel  # noqa: E402

from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus  # noqa: E402
from multitag_flair.embeddings import StackOptions, build_stack  # noqa: E402
from multitag_flair.lm_file import load_lm  # noqa: E402
from multitag_flair.tagger import FlairBiLSTMCRFTagger  # noqa: E402

TEXT = ["John lives in New York .", "Acme Corp hired Mary ."]


def _tiny_lm(path, forward=True, seed=0):
    d = Dictionary(add_unk=True)
    for ch in sorted(set("".join(TEXT)) | {" ", "\n"}):
        d.add_item(ch)
    torch.manual_seed(seed)
    LanguageModel(d, is_forward_lm=forward, hidden_size=8, nlayers=1, embedding_size=4, dropout=0.1).save(path)
    return str(path)


def _embed(stack_or_emb):
    sents = [Sentence(t) for t in TEXT]
    stack_or_emb.embed(sents)
    return [torch.stack([tok.get_embedding() for tok in s]) for s in sents]


class _Payload:
    """Unpickling it runs code: it creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _lm_with_payload(path, marker):
    """A working LM file whose state also holds an object that runs code when unpickled."""
    _tiny_lm(path)
    state = torch.load(path, weights_only=False)
    state["note"] = _Payload(marker)
    torch.save(state, path, pickle_protocol=4)
    return str(path)


def test_a_legitimate_lm_gives_what_flairs_loader_gives(tmp_path):
    fwd, bwd = _tiny_lm(tmp_path / "f.pt"), _tiny_lm(tmp_path / "b.pt", forward=False, seed=1)
    torch.manual_seed(5)
    ours = build_stack([f"flair-lm:{fwd},{bwd}"], [], StackOptions())
    after_ours = torch.rand(3)
    torch.manual_seed(5)
    theirs = [FlairEmbeddings(p, name=f"flair-lm-{i}:{os.path.basename(p)}") for i, p in enumerate((fwd, bwd))]
    after_theirs = torch.rand(3)
    assert torch.equal(after_ours, after_theirs)  # the same random draws while building
    for i, emb in enumerate(theirs):
        mine = ours.embeddings[i]
        assert mine.name.endswith(emb.name) and mine.is_forward_lm == emb.is_forward_lm
        assert mine.lm.dictionary.__dict__ == emb.lm.dictionary.__dict__
        assert mine.lm.decoder is None and emb.lm.decoder is None
        for a, b in zip(_embed(mine), _embed(emb)):
            assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["best-lm.pt", "lm.bin"])
def test_a_crafted_pickle_is_refused_and_runs_nothing(tmp_path, name):
    path, marker = make_pickle(str(tmp_path), name)
    with pytest.raises(MultitagError) as e:
        build_stack([f"flair-lm:{path},{path}"], [], StackOptions())
    msg = str(e.value)
    assert "\n" not in msg and re.search(r"names the global (io|builtins)\.open", msg) and "converts once with" in msg
    assert not os.path.exists(marker)


def test_a_torch_saved_payload_is_refused_and_runs_nothing(tmp_path, evil_pickle):
    marker = str(tmp_path / "PWNED")
    path = tmp_path / "best-lm.pt"
    path.write_bytes(evil_pickle(marker, torch_format=True))
    with pytest.raises(MultitagError) as e:
        load_lm(str(path))
    assert "\n" not in str(e.value) and not os.path.exists(marker)


def test_a_working_lm_with_a_hidden_payload_is_refused_by_the_tagger(tmp_path):
    probe = str(tmp_path / "PROBE")
    LanguageModel.load_language_model(_lm_with_payload(tmp_path / "probe.pt", probe))
    assert os.path.exists(probe), "flair's own loader runs the payload: the test file is live"
    marker = str(tmp_path / "PWNED")
    path = _lm_with_payload(tmp_path / "best-lm.pt", marker)
    tagger = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, embeddings=[f"flair-lm:{path},{path}"],
                                  hidden_size=8, batch_size=8, max_epochs=1)
    with pytest.raises(MultitagError) as e:
        tagger.fit(synthetic_corpus(5))
    msg = str(e.value)
    assert "\n" not in msg and re.search(r"names the global (io|builtins)\.open", msg) and not os.path.exists(marker)


def test_the_conversion_command_in_the_message_makes_a_file_that_loads(tmp_path):
    path = str(tmp_path / "best-lm.pt")
    _tiny_lm(path)
    state = torch.load(path, weights_only=False)
    state["extra"] = torch.nn.Linear(1, 1)  # harmless, but not plain data
    torch.save(state, path, pickle_protocol=4)
    with pytest.raises(MultitagError) as e:
        load_lm(path)
    command = re.search(r'python -c "(.*)"$', str(e.value)).group(1)
    subprocess.run([sys.executable, "-c", command], check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    converted = str(tmp_path / "best-lm-plain.pt")
    a, b = load_lm(converted), LanguageModel.load_language_model(path, has_decoder=False)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_a_torchscript_archive_is_refused_before_torch_opens_it(tmp_path):
    path = str(tmp_path / "best-lm.pt")
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), path)
    with pytest.raises(MultitagError, match="TorchScript") as e:
        load_lm(path)
    assert "\n" not in str(e.value)


def test_an_lm_whose_sizes_do_not_fit_its_weights_is_one_line(tmp_path):
    path = _tiny_lm(tmp_path / "best-lm.pt")
    state = torch.load(path, weights_only=False)
    state["hidden_size"] = 16
    torch.save(state, path, pickle_protocol=4)
    with pytest.raises(MultitagError, match="do not fit") as e:
        load_lm(path)
    assert "\n" not in str(e.value)
