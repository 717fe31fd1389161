"""Capability tags (``Tagger.tags()``, as scikit-learn's estimator tags) are separate from
parameters: the warm-start capability is ``supports_warm_start``, the parameter ``warm_start``;
a class written against the older contract (class attribute ``warm_start = True``) still counts
as declaring the capability."""
from __future__ import annotations

import dataclasses
import json
import uuid

import pytest
from click.testing import CliRunner

from multitag import registry
from multitag.backend import TaggerTags
from multitag.checks import resolve_backend
from multitag.cli import main
from multitag.errors import CompatibilityError


def _with_warm_parameter(base, **declarations):
    def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5, warm_start: bool = False,
                 incremental_epochs: int | None = None):
        base.__init__(self, labels=labels, seed=seed, alpha=alpha)
        self.warm_start = warm_start
        self.incremental_epochs = incremental_epochs

    return type("Warm", (base,), {"__init__": __init__, **declarations})


def test_tags_collect_the_class_declarations(mf_tagger):
    class Declared(mf_tagger):
        mc_modes = ("last", "all")
        partial_training = True
        supports_warm_start = True

    tags = Declared.tags()
    assert tags == TaggerTags(mc_modes=("last", "all"), partial_training=True, warm_start=True, hidden_states=False)
    assert mf_tagger.tags() == TaggerTags()
    with pytest.raises(dataclasses.FrozenInstanceError):
        tags.warm_start = False  # type: ignore[misc]


def test_the_parameter_never_shadows_the_capability(mf_tagger):
    cls = _with_warm_parameter(mf_tagger, supports_warm_start=True)
    t = cls(labels=["O"], warm_start=False)
    assert t.warm_start is False and type(t).tags().warm_start is True
    assert cls(labels=["O"], warm_start=True).tags().warm_start is True


def test_an_old_style_warm_start_class_attribute_still_declares_the_capability(mf_tagger):
    old = _with_warm_parameter(mf_tagger, warm_start=True)
    assert old.tags().warm_start and old.supports_warm_start
    assert old(labels=["O"]).warm_start is False          # the instance holds the parameter
    opted_out = type("OptedOut", (old,), {"warm_start": False})
    assert not opted_out.tags().warm_start
    assert not type("NotABool", (mf_tagger,), {"warm_start": property(lambda self: True)}).tags().warm_start


def test_incremental_runs_accept_old_and_new_declarations_and_refuse_none(mf_tagger):
    for declarations in ({"supports_warm_start": True}, {"warm_start": True}, {}):
        cls = _with_warm_parameter(mf_tagger, **declarations)
        name = f"mt-tags-{uuid.uuid4().hex[:8]}"
        with registry.registered(name, cls):
            if declarations:
                assert resolve_backend(name, {}, incremental=True) == {}
            else:
                with pytest.raises(CompatibilityError, match="cannot continue training"):
                    resolve_backend(name, {}, incremental=True)


def test_backends_listing_shows_the_tags(mf_tagger):
    cls = _with_warm_parameter(mf_tagger, warm_start=True, mc_modes=("last",))
    name = f"mt-tags-{uuid.uuid4().hex[:8]}"
    with registry.registered(name, cls):
        out = CliRunner().invoke(main, ["backends", name, "--json"])
    assert out.exit_code == 0, out.output
    info = json.loads(out.output)
    assert (info["mc_modes"], info["partial_training"], info["hidden"], info["warm_start"]) == (["last"], False, False, True)


def test_the_registry_knows_a_backend_by_its_members(mf_tagger):
    assert registry.is_tagger_class(mf_tagger)
    assert not registry.is_tagger_class(mf_tagger(labels=["O"]))      # an instance, not a class

    class Imitation:  # no _save_state / _load_state: not a backend
        def fit(self, train, dev=None): ...
        def predict(self, sentences, *, hidden=False): ...

    assert not registry.is_tagger_class(Imitation)
