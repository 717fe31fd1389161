"""Conformance suite for backends: :func:`check_backend`.

Every backend, first-party or third-party, must pass it::

    from multitag.testing import check_backend
    check_backend(lambda *, labels, seed: MyTagger(labels=labels, seed=seed, epochs=3))

It trains on a small synthetic tagging task (:func:`synthetic_corpus`) and checks the contract of
:class:`multitag.backend.Tagger`. Failures raise ``AssertionError`` naming the broken promise.
"""
from __future__ import annotations

import math
import os
import tempfile
from typing import Callable, Sequence

import numpy as np

from multitag import persistence
from multitag.backend import Prediction, Tagger
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError

TaggerFactory = Callable[..., Tagger]

_PER = ["John", "Mary", "Anna", "Peter", "Smith", "Jones"]
_LOC = ["Paris", "London", "Berlin", "York", "Rome"]
_ORG = ["Google", "Reuters", "Siemens", "Nokia"]
_WORDS = ["the", "a", "said", "in", "to", "visited", "met", "from", "works", "at", "on", "Monday", "today", "and", "."]


def synthetic_corpus(n_sentences: int = 60, *, seed: int = 0, prefix: str = "syn") -> Corpus:
    """A small learnable NER task in IOB2 with POS tags: names are PER, cities LOC (``New York`` is a
    two-token LOC), companies ORG; everything else O."""
    rng = np.random.default_rng(seed)
    sentences = []
    for i in range(n_sentences):
        tokens, tags, pos = [], [], []
        for _ in range(int(rng.integers(3, 9))):
            r = rng.random()
            if r < 0.15:
                tokens += [str(rng.choice(_PER))]; tags += ["B-PER"]; pos += ["NNP"]
                if rng.random() < 0.4:
                    tokens += [str(rng.choice(_PER))]; tags += ["I-PER"]; pos += ["NNP"]
            elif r < 0.27:
                if rng.random() < 0.3:
                    tokens += ["New", "York"]; tags += ["B-LOC", "I-LOC"]; pos += ["NNP", "NNP"]
                else:
                    tokens += [str(rng.choice(_LOC))]; tags += ["B-LOC"]; pos += ["NNP"]
            elif r < 0.35:
                tokens += [str(rng.choice(_ORG))]; tags += ["B-ORG"]; pos += ["NNP"]
            else:
                w = str(rng.choice(_WORDS))
                tokens += [w]; tags += ["O"]; pos += ["NN" if w.islower() else "NNP"]
        sentences.append(Sentence(tokens, tags, pos, id=f"{prefix}:{i}"))
    return Corpus(sentences, name=prefix)


SYNTHETIC_LABELS = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def _with_holes(corpus: Corpus, seed: int) -> Corpus:
    """The corpus with about a third of the tags hidden (``None``), each sentence keeping one tag."""
    rng = np.random.default_rng(seed)
    out = []
    for s in corpus:
        keep = rng.random(len(s)) > 0.33
        keep[int(rng.integers(len(s)))] = True
        out.append(s.with_tags([t if k else None for t, k in zip(s.tags, keep)]))
    return Corpus(out, name=corpus.name)


def _assert_same(a: list[Prediction], b: list[Prediction], what: str, atol: float = 1e-6) -> None:
    for i, (pa, pb) in enumerate(zip(a, b)):
        assert pa.tags == pb.tags, f"{what}: sentence {i} tags differ: {pa.tags} vs {pb.tags}"
        assert np.allclose(pa.marginals, pb.marginals, atol=atol), f"{what}: sentence {i} marginals differ"
        assert math.isclose(pa.logprob, pb.logprob, abs_tol=max(atol, 1e-5)), f"{what}: sentence {i} logprob differs"


def check_saved_model(tagger: Tagger, folder: str) -> dict:
    """The promises of a model folder written by ``tagger.save(folder)``: a valid manifest naming
    the class, at least one state file, and files that match their recorded sizes and hashes.
    Returns the manifest."""
    try:
        manifest = persistence.read_manifest(folder)
        persistence.verify_files(folder, manifest)
    except MultitagError as e:
        raise AssertionError(f"the saved model folder is not a valid multitag model: {e}") from None
    assert manifest["class"] == type(tagger).__name__, f"the manifest names class {manifest['class']!r}"
    assert manifest["files"], "_save_state wrote no file: the fitted state is not saved"
    return manifest


def _assert_same_params(saved: Tagger, loaded: Tagger) -> None:
    """Parameters survive a round trip with their values and types (tuples as tuples, None as None)."""
    a, b = saved.get_params(), loaded.get_params()
    assert a.keys() == b.keys(), "load must restore every parameter"
    for k, v in a.items():
        if k == "labels":
            continue
        w = b[k]
        same = (list(v) == list(w)) if isinstance(v, (list, tuple)) and isinstance(w, (list, tuple)) else v == w
        assert same and (v is None) == (w is None), f"save/load changed parameter {k!r}: {v!r} -> {w!r}"
        if isinstance(v, tuple):
            assert isinstance(w, tuple), f"save/load turned the tuple parameter {k!r} into {type(w).__name__}"
        elif v is not None and not isinstance(v, (list, tuple)):
            assert isinstance(v, type(w)), f"save/load changed the type of parameter {k!r}: {type(v).__name__} -> {type(w).__name__}"


def check_predictions(tagger: Tagger, sentences: Sequence[Sentence], preds: list[Prediction], *, hidden: bool = False) -> None:
    """The per-prediction promises: shapes, normalised marginals, a consistent log-probability."""
    labels = list(tagger.labels)  # type: ignore[attr-defined]
    L = len(labels)
    assert isinstance(preds, list) and len(preds) == len(sentences), \
        f"predict returned {len(preds)} predictions for {len(sentences)} sentences"
    dims = set()
    for i, (s, p) in enumerate(zip(sentences, preds)):
        n = len(s)
        assert isinstance(p, Prediction), f"sentence {i}: predict must return Prediction objects"
        assert len(p.tags) == n, f"sentence {i}: {len(p.tags)} tags for {n} tokens"
        assert all(t in labels for t in p.tags), f"sentence {i}: tags outside the label set: {p.tags}"
        m = np.asarray(p.marginals)
        assert m.shape == (n, L), f"sentence {i}: marginals shape {m.shape}, expected {(n, L)}"
        assert np.issubdtype(m.dtype, np.floating), "marginals must be a float array"
        assert np.all(np.isfinite(m)) and np.all(m >= -1e-7), f"sentence {i}: marginals must be finite and >= 0"
        assert np.allclose(m.sum(axis=1), 1.0, atol=1e-5), f"sentence {i}: marginal rows sum to {m.sum(axis=1)}"
        assert np.isfinite(p.logprob) and p.logprob <= 1e-6, f"sentence {i}: logprob {p.logprob} must be <= 0"
        idx = [labels.index(t) for t in p.tags]
        on_path = m[np.arange(n), idx]
        assert math.exp(p.logprob) <= on_path.min() + 1e-5, (
            f"sentence {i}: P(best path) = {math.exp(p.logprob):.6f} exceeds the marginal "
            f"{on_path.min():.6f} of a tag on that path")
        if hidden:
            assert p.hidden is not None, f"sentence {i}: predict(hidden=True) returned no hidden states"
            h = np.asarray(p.hidden)
            assert h.ndim == 2 and h.shape[0] == n, f"sentence {i}: hidden shape {h.shape}, expected ({n}, d)"
            assert np.all(np.isfinite(h)), f"sentence {i}: hidden states must be finite"
            dims.add(h.shape[1])
    assert len(dims) <= 1, f"hidden sizes differ between sentences: {dims}"


def check_backend(factory: TaggerFactory, *, train: Corpus | None = None, test: Corpus | None = None,
                  labels: Sequence[str] | None = None, n_samples: int = 3) -> None:
    """Run the conformance suite on the backend built by ``factory(labels=..., seed=...)``.

    Parameters
    ----------
    factory : callable
        ``factory(*, labels, seed) -> Tagger``; other parameters (small sizes, few epochs) are the
        factory's business.
    train, test, labels : optional data; the synthetic task by default.
    """
    train = train if train is not None else synthetic_corpus(60, seed=0, prefix="train")
    test = test if test is not None else synthetic_corpus(12, seed=1, prefix="test")
    labels = list(labels) if labels is not None else SYNTHETIC_LABELS
    test = Corpus([s.unlabeled() for s in test], name="test")

    # constructor stores parameters only
    tagger = factory(labels=labels, seed=0)
    assert isinstance(tagger, Tagger), "the factory must return a multitag.backend.Tagger"
    params = tagger.get_params()
    assert "labels" in params and "seed" in params, "a Tagger's parameters must include labels and seed"
    assert list(tagger.labels) == labels, "the constructor must store labels unchanged"  # type: ignore[attr-defined]
    clone = tagger.clone()
    assert type(clone) is type(tagger) and clone.get_params().keys() == params.keys(), "clone() must rebuild from get_params()"

    tagger.fit(train)
    preds = tagger.predict(test)
    check_predictions(tagger, test, preds)
    assert tagger.get_params().keys() == params.keys(), "fit must not change the parameter set"

    # predicting one sentence alone gives what it gets in a batch
    alone = tagger.predict([test[3]])
    _assert_same(alone, [preds[3]], "one sentence alone vs in a batch", atol=1e-4)

    # hidden states
    declared = type(tagger).tags()
    if declared.hidden_states:
        with_h = tagger.predict(test, hidden=True)
        check_predictions(tagger, test, with_h, hidden=True)
        _assert_same(with_h, preds, "predict(hidden=True) vs predict()", atol=1e-5)
    else:
        assert all(p.hidden is None for p in preds), "hidden_states is False but predict returned hidden states"

    # same seed -> same predictions
    again = factory(labels=labels, seed=0).fit(train)
    _assert_same(again.predict(test), preds, "same seed, same data")

    # save / load round trip, through the template: a manifest whose hashes match the files
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "model")
        tagger.save(target)
        check_saved_model(tagger, target)
        loaded = type(tagger).load(target)
        assert type(loaded) is type(tagger), "load must return an instance of the saved class"
        assert list(loaded.labels) == labels, "load must restore the label set"  # type: ignore[attr-defined]
        _assert_same(loaded.predict(test), preds, "save/load round trip", atol=1e-6)
        _assert_same_params(tagger, loaded)

    # MC-dropout samples
    L = len(labels)
    for mode in declared.mc_modes:
        samples = tagger.sample(test, n_samples=n_samples, mode=mode)
        assert isinstance(samples, list) and len(samples) == len(test), f"sample({mode}): one array per sentence"
        differs = False
        for i, (s, arr) in enumerate(zip(test, samples)):
            arr = np.asarray(arr)
            assert arr.shape == (n_samples, len(s), L), f"sample({mode}) sentence {i}: shape {arr.shape}"
            assert np.allclose(arr.sum(axis=-1), 1.0, atol=1e-5), f"sample({mode}) sentence {i}: rows must sum to 1"
            differs |= not np.allclose(arr[0], arr[1])
        assert differs, f"sample(mode={mode!r}): two samples are identical; dropout is not sampling"
        after = tagger.predict(test)
        _assert_same(after, preds, f"predict after sample({mode}) (the model must be back in eval mode)", atol=1e-6)
    try:
        tagger.sample(test[:1], n_samples=2, mode="no-such-mode")
    except MultitagError:
        pass
    else:
        raise AssertionError("sample() with an unknown mode must raise MultitagError")

    _check_warm_start(factory, train, test, labels, preds)

    # partial annotation
    holes = _with_holes(train, seed=2)
    if declared.partial_training:
        partial = factory(labels=labels, seed=0).fit(holes)
        check_predictions(partial, test, partial.predict(test))
    else:
        try:
            factory(labels=labels, seed=0).fit(holes)
        except MultitagError:
            pass
        else:
            raise AssertionError("partial_training is False, so fit on sentences with None tags must raise MultitagError")


def _check_warm_start(factory: TaggerFactory, train: Corpus, test: Corpus, labels: list[str],
                      fresh_preds: list[Prediction]) -> None:
    """The warm-start capability (``supports_warm_start``, see :class:`multitag.backend.Tagger`).

    A class declaring it: a fit with ``warm_start=True`` on a fitted model and
    ``incremental_epochs=0`` keeps the first fit's weights (nothing re-initialised or resized: the
    vocabulary was fixed by ``observe_unlabeled``); with ``incremental_epochs=1`` it trains on the
    new data; with the default ``warm_start=False`` a second fit starts from scratch (it predicts as
    a fresh model fitted once on ``train``, whose predictions are ``fresh_preds``). A class without
    the capability takes no ``warm_start`` parameter.
    """
    probe = factory(labels=labels, seed=0)
    cls = type(probe)
    params = probe.get_params()
    if not cls.tags().warm_start:
        assert "warm_start" not in params, (
            f"{cls.__name__} takes a warm_start parameter but does not declare the capability "
            "(class attribute supports_warm_start = True); declare it or drop the parameter")
        return
    for name in ("warm_start", "incremental_epochs"):
        assert name in params, f"{cls.__name__} declares supports_warm_start, so it must take a {name!r} parameter"
    assert params["warm_start"] is False, "warm_start must default to False (every fit from scratch)"

    pool = [s.unlabeled() for s in train] + [s.unlabeled() for s in test]
    first = Corpus(list(train)[: len(train) // 2], name="first-round")

    # default: a second fit starts again
    cold = factory(labels=labels, seed=0)
    cold.fit(first)
    cold.fit(train)
    _assert_same(cold.predict(test), fresh_preds,
                 "warm_start=False: a second fit must start from scratch (as a fresh model fitted once)")

    warm = factory(labels=labels, seed=0).set_params(warm_start=True)
    warm.observe_unlabeled(pool)
    warm.fit(first)
    before = warm.predict(test)
    warm.set_params(incremental_epochs=0)
    warm.fit(train)
    kept = warm.predict(test)
    check_predictions(warm, test, kept)
    _assert_same(kept, before, "warm_start=True, incremental_epochs=0: the fit must keep the first fit's weights")
    warm.set_params(incremental_epochs=1)
    warm.fit(train)
    after = warm.predict(test)
    check_predictions(warm, test, after)
    assert any(not np.allclose(a.marginals, b.marginals, atol=1e-6) for a, b in zip(after, before)), (
        "warm_start=True, incremental_epochs=1: the warm fit did not train (predictions are unchanged)")
    assert warm.get_params().keys() == params.keys(), "a warm fit must not change the parameter set"
