"""The backend registry (real entry points, the test hook) and the conformance suite check_backend,
which must pass on an honest backend and fail on broken ones."""
from __future__ import annotations

import importlib
import math
import sys
import uuid

import numpy as np
import pytest

from multitag import registry
from multitag.backend import Prediction
from multitag.errors import MultitagError
from multitag.registry import Preset
from multitag.testing import SYNTHETIC_LABELS, check_backend, synthetic_corpus

# ---------------------------------------------------------------------- real entry points

EP_MODULE = '''
from multitag.backend import Prediction, Tagger
from multitag.registry import Preset
import numpy as np


class EPTagger(Tagger):
    """Tags every token O."""

    def __init__(self, *, labels, seed=0, width=3):
        self.labels = labels
        self.seed = seed
        self.width = width

    def fit(self, train, dev=None):
        return self

    def predict(self, sentences, *, hidden=False):
        out = []
        for s in sentences:
            m = np.zeros((len(s), len(self.labels)))
            m[:, 0] = 1.0
            out.append(Prediction(["O"] * len(s), m, 0.0))
        return out

    def _save_state(self, folder):
        pass

    def _load_state(self, folder):
        pass


PRESET = Preset(EPTagger, {"width": 7}, "EPTagger with width 7")
NOT_A_TAGGER = 42
'''


def _dist_info(root, dist: str, entries: dict[str, str]) -> None:
    """A minimal installed distribution ``dist`` with entry points in ``multitag.backends``."""
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[multitag.backends]\n{lines}")


@pytest.fixture
def ep_plugin(tmp_path, monkeypatch):
    """A module with backends, installed through a real ``*.dist-info`` on ``sys.path``.

    Yields ``(module_name, {entry-point name: target})``; the names are unique to this test.
    """
    tag = uuid.uuid4().hex[:8]
    mod = f"mt_ep_plugin_{tag}"
    (tmp_path / f"{mod}.py").write_text(EP_MODULE)
    names = {
        f"mt-ep-{tag}": f"{mod}:EPTagger",
        f"mt-ep-preset-{tag}": f"{mod}:PRESET",
        f"mt-ep-int-{tag}": f"{mod}:NOT_A_TAGGER",
        f"mt-ep-missing-{tag}": f"mt_no_such_module_{tag}:Nothing",
    }
    _dist_info(tmp_path, f"mt-ep-plugin-{tag}", names)
    monkeypatch.syspath_prepend(str(tmp_path))      # also invalidates importlib caches
    importlib.invalidate_caches()
    yield mod, list(names)
    sys.modules.pop(mod, None)


def test_available_lists_entry_point_without_importing(ep_plugin):
    mod, (plain, preset, _, _) = ep_plugin
    names = registry.available()
    assert plain in names and preset in names
    assert names == sorted(names)
    assert mod not in sys.modules, "available() must not import the backend's module"


def test_create_builds_the_entry_point_backend(ep_plugin):
    mod, (plain, preset, _, _) = ep_plugin
    tagger = registry.create(plain, labels=("O", "B-X"), seed=3, width=5)
    assert mod in sys.modules
    assert type(tagger).__module__ == mod and type(tagger).__name__ == "EPTagger"
    assert tagger.get_params() == {"labels": ["O", "B-X"], "seed": 3, "width": 5}
    assert registry.backend_class(plain) is type(tagger)
    # a preset brings its defaults; explicit parameters override them
    assert registry.create(preset, labels=["O"]).width == 7
    assert registry.create(preset, labels=["O"], width=1).width == 1
    assert registry.resolve(preset).description == "EPTagger with width 7"
    # factory() for check_backend and the engine
    made = registry.factory(plain, width=2)(labels=["O"], seed=9)
    assert (made.width, made.seed) == (2, 9)


def test_create_rejects_unknown_parameters(ep_plugin):
    _, (plain, _, _, _) = ep_plugin
    with pytest.raises(MultitagError) as e:
        registry.create(plain, labels=["O"], depth=2)
    assert "'depth'" in str(e.value) and "width" in str(e.value)


def test_unknown_name_lists_installed_backends(ep_plugin):
    _, (plain, preset, _, _) = ep_plugin
    with pytest.raises(MultitagError) as e:
        registry.create("no-such-backend", labels=["O"])
    msg = str(e.value)
    assert "'no-such-backend'" in msg
    assert plain in msg and preset in msg


def test_broken_entry_points_are_clear_errors(ep_plugin):
    _, (_, _, not_tagger, missing) = ep_plugin
    with pytest.raises(MultitagError, match="cannot be imported"):
        registry.create(missing, labels=["O"])
    with pytest.raises(MultitagError, match="neither a Tagger subclass nor a Preset"):
        registry.create(not_tagger, labels=["O"])


def test_duplicate_entry_point_name_is_an_error(tmp_path, monkeypatch):
    tag = uuid.uuid4().hex[:8]
    name = f"mt-dup-{tag}"
    _dist_info(tmp_path, f"mt-dup-a-{tag}", {name: "pkg_a:Tagger"})
    _dist_info(tmp_path, f"mt-dup-b-{tag}", {name: "pkg_b:Tagger"})
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    for call in (registry.available, lambda: registry.create(name, labels=["O"])):
        with pytest.raises(MultitagError) as e:
            call()
        msg = str(e.value)
        assert "registered twice" in msg and "pkg_a:Tagger" in msg and "pkg_b:Tagger" in msg


def test_registered_hook(mf_tagger):
    MostFrequentTagger = mf_tagger
    name = f"mt-hook-{uuid.uuid4().hex[:8]}"
    assert name not in registry.available()
    with registry.registered(name, MostFrequentTagger):
        assert name in registry.available()
        tagger = registry.create(name, labels=SYNTHETIC_LABELS, seed=1, alpha=0.1)
        assert isinstance(tagger, MostFrequentTagger) and tagger.alpha == 0.1
        with pytest.raises(MultitagError, match="registered twice"):
            with registry.registered(name, MostFrequentTagger):
                pass
        # still registered after the refused nested registration
        assert name in registry.available()
    assert name not in registry.available()
    with pytest.raises(MultitagError, match="unknown backend"):
        registry.create(name, labels=["O"])


def test_registered_hook_with_preset_and_cleanup_on_error(mf_tagger):
    MostFrequentTagger = mf_tagger
    name = f"mt-hook-{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError):
        with registry.registered(name, Preset(lambda: MostFrequentTagger, {"alpha": lambda: 2.0})):
            assert registry.create(name, labels=["O"]).alpha == 2.0      # lazy class and lazy default
            raise RuntimeError
    assert name not in registry.available()


def test_registered_hook_refuses_an_entry_point_name(ep_plugin, mf_tagger):
    _, (plain, _, _, _) = ep_plugin
    with pytest.raises(MultitagError, match="registered twice"):
        with registry.registered(plain, mf_tagger):
            pass


# ---------------------------------------------------------------------- check_backend



def _factory(cls):
    return lambda *, labels, seed: cls(labels=labels, seed=seed)


def test_dummy_backend_is_honest(mf_tagger):
    """Sanity of the dummy itself, so that the failures below are due to the injected bugs."""
    train = synthetic_corpus(40, seed=0)
    tagger = mf_tagger(labels=SYNTHETIC_LABELS, seed=0).fit(train)
    preds = tagger.predict(train)
    acc = np.mean([t == g for p, s in zip(preds, train) for t, g in zip(p.tags, s.tags)])
    assert acc > 0.9
    p = preds[0]
    assert math.isclose(p.logprob, float(np.log(p.marginals.max(axis=1)).sum()))
    # the seed matters (different seeds give different marginals), as in a real model
    other = mf_tagger(labels=SYNTHETIC_LABELS, seed=1).fit(train).predict(train[:1])[0]
    assert not np.allclose(other.marginals, p.marginals, atol=1e-6)


def test_check_backend_passes_on_an_honest_backend(mf_tagger):
    check_backend(_factory(mf_tagger))


def _broken_variants(base):
    """Subclasses of the honest dummy, each with one real bug; name -> (class, expected message)."""

    class Unnormalised(base):
        def _marginals(self, tokens):
            return super()._marginals(tokens) * 1.01

    class Overconfident(base):
        def _logprob(self, m):
            # log of the LARGEST path marginal: exp(logprob) exceeds the smallest one
            return float(np.log(m.max(axis=1)).max())

    class PositiveLogprob(base):
        def _logprob(self, m):
            return 0.1

    class LosesStateOnSave(base):
        def _state(self):
            state = super()._state()
            state["counts"] = {}       # forgets the per-word counts
            return state

    class LosesSeedOnSave(base):
        def _state(self):
            state = super()._state()
            state["jitter"] = [0.0] * len(self.labels)   # a subtle loss: marginals move by ~1e-3
            return state

    class IgnoresSeed(base):
        def _jitter(self):
            return np.random.default_rng().normal(0.0, 1e-3, len(self.labels))

    class WrongShape(base):
        def _marginals(self, tokens):
            m = super()._marginals(tokens)[:, :-1]
            return m / m.sum(axis=1, keepdims=True)

    class SilentlyAcceptsPartial(base):
        def fit(self, train, dev=None):
            from multitag.data import Corpus

            kept = Corpus([s for s in train if s.is_fully_annotated])
            return super().fit(kept if len(kept) else train, dev)

    class BatchDependent(base):
        def predict(self, sentences, *, hidden=False):
            out = super().predict(sentences, hidden=hidden)
            if len(sentences) == 1:        # e.g. a padding bug: a sentence alone is predicted differently
                m = np.roll(out[0].marginals, 1, axis=1)
                out[0] = Prediction([self.labels[j] for j in m.argmax(1)], m, float(np.log(m.max(1)).sum()))
            return out

    class StoresOtherLabels(base):
        def __init__(self, *, labels, seed=0, alpha=0.5):
            super().__init__(labels=sorted(labels), seed=seed, alpha=alpha)

    class UnknownModeAccepted(base):
        def sample(self, sentences, *, n_samples, mode):
            return [np.stack([self._marginals(s.tokens)] * n_samples) for s in sentences]

    class IdenticalSamples(base):
        mc_modes = ("fake",)

        def sample(self, sentences, *, n_samples, mode):
            self._check_mode(mode)
            return [np.stack([self._marginals(s.tokens)] * n_samples) for s in sentences]

    return {
        "unnormalised": (Unnormalised, "marginal rows sum to"),
        "overconfident": (Overconfident, "exceeds the marginal"),
        "positive_logprob": (PositiveLogprob, "must be <= 0"),
        "loses_state_on_save": (LosesStateOnSave, "save/load round trip"),
        "loses_seed_on_save": (LosesSeedOnSave, "save/load round trip"),
        "ignores_seed": (IgnoresSeed, "same seed, same data"),
        "wrong_shape": (WrongShape, "marginals shape"),
        "silently_accepts_partial": (SilentlyAcceptsPartial, "partial_training is False"),
        "batch_dependent": (BatchDependent, "one sentence alone vs in a batch"),
        "stores_other_labels": (StoresOtherLabels, "store labels unchanged"),
        "unknown_mode_accepted": (UnknownModeAccepted, "unknown mode must raise"),
        "identical_samples": (IdenticalSamples, "two samples are identical"),
    }


BROKEN = list(_broken_variants(object))  # names only (the classes are built per test)


@pytest.mark.parametrize("variant", BROKEN)
def test_check_backend_catches_broken_backends(mf_tagger, variant):
    cls, message = _broken_variants(mf_tagger)[variant]
    with pytest.raises(AssertionError, match=message):
        check_backend(_factory(cls))


def test_check_backend_accepts_an_honest_sampler(mf_tagger):
    """The sampling checks are not over-strict: a backend whose samples differ passes."""

    class Sampler(mf_tagger):
        mc_modes = ("fake",)

        def sample(self, sentences, *, n_samples, mode):
            self._check_mode(mode)
            rng = np.random.default_rng(self.seed)
            out = []
            for s in sentences:
                m = self._marginals(s.tokens)
                noisy = m[None] * rng.uniform(0.5, 1.5, size=(n_samples,) + m.shape)
                out.append(noisy / noisy.sum(-1, keepdims=True))
            return out

    check_backend(_factory(Sampler))
