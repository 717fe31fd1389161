"""Constructors written from shared parameter declarations (multitag_torch.constructor): they read
exactly as hand-written ones to everything that introspects a backend."""
from __future__ import annotations

import inspect
import typing
from typing import Sequence

import pytest

from multitag.params import param_infos
from multitag_torch import taggers
from multitag_torch.constructor import Param, stores_parameters, with_defaults


class _HandWritten:
    def __init__(self, *, labels: Sequence[str], seed: int = 0, rate: float | None = 0.5) -> None:
        self.labels = labels
        self.seed = seed
        self.rate = rate


@stores_parameters(Param("labels", "Sequence[str]"), Param("seed", "int", 0), Param("rate", "float | None", 0.5))
class _Declared:
    pass


def test_the_written_init_reads_like_a_hand_written_one():
    assert str(inspect.signature(_Declared.__init__)) == str(inspect.signature(_HandWritten.__init__))
    assert typing.get_type_hints(_Declared.__init__) == typing.get_type_hints(_HandWritten.__init__)
    assert _Declared.__init__.__qualname__ == "_Declared.__init__"
    d = _Declared(labels=["O"], rate=None)
    assert vars(d) == {"labels": ["O"], "seed": 0, "rate": None}


def test_the_written_init_refuses_what_a_hand_written_one_refuses():
    with pytest.raises(TypeError, match="labels"):
        _Declared()
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        _Declared(labels=["O"], nope=1)
    with pytest.raises(TypeError):
        _Declared(["O"])  # keyword-only


def test_declaration_mistakes_fail_when_the_class_is_made():
    with pytest.raises(NameError):
        stores_parameters(Param("x", "NoSuchType"))(type("A", (), {"__module__": __name__}))
    with pytest.raises(TypeError, match="twice"):
        stores_parameters(Param("x", "int"), Param("x", "int"))
    with pytest.raises(TypeError, match="not an expression"):
        stores_parameters(Param("x", "int) -> None:\n    pass\ndef f(y: int"))
    with pytest.raises(TypeError, match="defines __init__"):
        stores_parameters(Param("x", "int"))(_HandWritten)
    with pytest.raises(TypeError, match="no parameter"):
        with_defaults([Param("x", "int", 1)], y=2)


@pytest.mark.parametrize("cls", [taggers.CNNBiLSTMCRFTagger, taggers.CNNCNNLSTMTagger, taggers.BiLSTMTagger,
                                 taggers.BiLSTMEncDecTagger])
def test_every_torch_tagger_takes_the_shared_parameters_once_declared(cls):
    names = cls._param_names()
    head = [p.name for p in taggers.INPUT]
    tail = [p.name for p in taggers.TRAINING]
    assert names[:len(head)] == head and names[-len(tail):] == tail
    # the clone of a tagger is the same tagger: get_params reads back every declared parameter
    t = cls(labels=["O", "B-X"], lr=0.5, word_dim=7)
    assert t.clone().get_params() == t.get_params() and t.get_params()["lr"] == 0.5
    infos = {i.name: i for i in param_infos(cls)}
    assert infos["max_seconds"].annotation == (float | None) and infos["max_seconds"].doc
