"""The backend contract: every tagger multitag drives implements :class:`Tagger`.

The engine and the query strategies see only this interface. A third-party backend is a package
that subclasses :class:`Tagger`, declares an entry point in the group ``multitag.backends`` and
passes :func:`multitag.testing.check_backend`.

Conventions (the scikit-learn idiom):

* ``__init__`` takes keyword-only parameters, always including ``labels`` and ``seed``, and only
  stores them under attributes of the same name; it does no work and validates nothing.
* fitted state lives in attributes ending in ``_``;
* :meth:`get_params` / :meth:`clone` read the parameters back from the ``__init__`` signature.
* column ``j`` of every marginal matrix is ``self.labels[j]``.

Capabilities are class-level declarations, read together with :meth:`Tagger.tags` (a
:class:`TaggerTags`, as scikit-learn's estimator tags); parameters are constructor arguments. The
two never share a name: the capability of continuing training is ``supports_warm_start``, the
parameter that asks for it ``warm_start``.

Persistence is a template (:mod:`multitag.persistence`): :meth:`Tagger.save` and
:meth:`Tagger.load` are concrete; a backend implements ``_save_state(folder)`` (write its files)
and ``_load_state(folder)`` (fill the fitted attributes of ``cls(**params)``), and optionally
``training_summary()``. The contract depends on the template, never the reverse (the template
and the registry know a backend by its members).
"""
from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.persistence import load_model, save_model


@dataclass
class Prediction:
    """What a backend predicts for one sentence of ``n`` tokens over ``L`` labels.

    Attributes
    ----------
    tags : list of str, length n
        The best path (Viterbi for CRF-type models, greedy or argmax otherwise).
    marginals : ndarray, shape (n, L), float
        Per-token label distributions; each row sums to 1. For CRF-type models these are true
        forward-backward marginals.
    logprob : float
        ``log P(best path | sentence)`` (<= 0); used by least confidence and MNLP.
    hidden : ndarray, shape (n, d), float32, or None
        The input of the last linear layer per token, when asked for and available.
    """

    tags: list[str]
    marginals: np.ndarray
    logprob: float
    hidden: np.ndarray | None = None


@dataclass(frozen=True)
class TaggerTags:
    """What a backend class can do, as :meth:`Tagger.tags` reports it (see :class:`Tagger` for the
    declaration each field comes from).

    Attributes
    ----------
    mc_modes : tuple of str
        MC-dropout variants :meth:`Tagger.sample` accepts (``()``: it cannot sample).
    partial_training : bool
        :meth:`Tagger.fit` learns from sentences whose tags contain ``None``.
    warm_start : bool
        :meth:`Tagger.fit` can continue from the current weights (declared as
        ``supports_warm_start``; asked for with the parameter ``warm_start=True``).
    hidden_states : bool
        :meth:`Tagger.predict` can return ``hidden``.
    """

    mc_modes: tuple[str, ...] = ()
    partial_training: bool = False
    warm_start: bool = False
    hidden_states: bool = False


class Tagger(ABC):
    """Base class of every backend.

    Class attributes declare capabilities (read them together with :meth:`tags`):

    mc_modes : tuple of str
        MC-dropout variants :meth:`sample` accepts (``()`` when it cannot sample).
    partial_training : bool
        Whether :meth:`fit` learns from sentences whose tags contain ``None``.
    supports_warm_start : bool
        Whether :meth:`fit` can continue training from the current weights (incremental training,
        Shen et al. 2017) instead of starting again. A class declaring it takes the constructor
        parameters ``warm_start`` (default False) and ``incremental_epochs`` (int or None): with
        ``warm_start=True``, a ``fit`` on an already fitted model updates the current weights on
        the new training set for at most ``incremental_epochs`` passes (None: the backend's own
        epoch limit; 0: no pass, the weights stay as they are), early stopping on the dev split
        still applying. Vocabularies and the label set are fixed by the first fit (from
        :meth:`observe_unlabeled`, the pool's text, and ``labels``) and never resized by a warm
        fit. With ``warm_start=False`` every fit starts from scratch. A class without the
        capability must not take a ``warm_start`` parameter. A class written against the older
        contract, which declared the capability as a class attribute ``warm_start = True``, is
        read as declaring ``supports_warm_start`` (the flag and the parameter then share the name;
        the instance attribute holds the parameter).
    hidden_states : bool
        Whether :meth:`predict` can return ``hidden``.
    learns_from_rejections : bool
        Whether :meth:`fit` uses the ``rejected`` spans of its sentences ("not type X at these
        tokens", teach mode) by excluding those labels there; a class without it ignores them.
    """

    mc_modes: ClassVar[tuple[str, ...]] = ()
    partial_training: ClassVar[bool] = False
    supports_warm_start: ClassVar[bool] = False
    hidden_states: ClassVar[bool] = False
    learns_from_rejections: ClassVar[bool] = False

    @classmethod
    def tags(cls) -> TaggerTags:
        """The capabilities the class declares."""
        return TaggerTags(mc_modes=tuple(cls.mc_modes), partial_training=bool(cls.partial_training),
                          warm_start=bool(cls.supports_warm_start), hidden_states=bool(cls.hidden_states))

    # ---------------------------------------------------------------- parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        names = []
        for p in sig.parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                raise TypeError(f"{cls.__name__}.__init__ must list its parameters explicitly (no *args/**kwargs)")
            names.append(p.name)
        return names

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, read back from attributes of the same name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "Tagger":
        valid = set(self._param_names())
        for k, v in params.items():
            if k not in valid:
                raise MultitagError(f"{type(self).__name__} has no parameter {k!r}; it has {', '.join(sorted(valid))}")
            setattr(self, k, v)
        return self

    def clone(self, **overrides: Any) -> "Tagger":
        """A new, unfitted tagger with the same parameters (and ``overrides``)."""
        params = self.get_params()
        params.update(overrides)
        return type(self)(**params)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if k != "labels")
        return f"{type(self).__name__}({params})"

    # ---------------------------------------------------------------- the contract
    def check(self) -> None:
        """Optional: raise :class:`MultitagError` if this configuration cannot work (a model folder
        that does not exist, an unknown option value) without training anything. The engine calls it
        on every backend of an experiment before the first fit, so a grid fails at once rather than
        after hours of other runs. The default accepts everything."""

    def observe_unlabeled(self, sentences: Sequence[Sentence]) -> "Tagger":
        """Optional: text the backend may learn from without labels (the AL pool), given before
        :meth:`fit`. Backends that build features or embeddings from raw text (word clusters,
        FastText vectors) use it; the default ignores it. Tags in ``sentences`` must not be read.
        """
        return self

    @abstractmethod
    def fit(self, train: Corpus, dev: Corpus | None = None) -> "Tagger":
        """Train on ``train``; ``dev`` is used for early stopping where the model uses it.

        From scratch, unless the class declares :attr:`supports_warm_start`, the instance was built with
        ``warm_start=True`` and is already fitted: then training continues from the current weights.
        """

    @abstractmethod
    def predict(self, sentences: Sequence[Sentence], *, hidden: bool = False) -> list[Prediction]:
        """One :class:`Prediction` per sentence, in order."""

    def sample(self, sentences: Sequence[Sentence], *, n_samples: int, mode: str) -> list[np.ndarray]:
        """MC-dropout samples: one array of shape ``(n_samples, n_tokens, L)`` per sentence.

        Each ``[k]`` slice holds the per-token label distributions of one stochastic pass.
        """
        raise MultitagError(f"{type(self).__name__} cannot sample MC-dropout predictions (mc_modes is empty)")

    def inference_groups(self, lengths: np.ndarray, *, n_samples: int | None = None,
                         mode: str | None = None) -> list[np.ndarray] | None:
        """Optional: how :meth:`predict` (``n_samples`` None) or :meth:`sample` groups ``len(lengths)``
        sentences of these lengths: index arrays whose outputs depend only on their own members, in
        the order the backend processes them. The sharded pool pass (:mod:`multitag.pool_pass`) cuts
        shards at group boundaries, so a shard's outputs equal those of one call over the whole pool.

        ``None`` (the default) says every sentence's output depends on that sentence alone. A backend
        whose outputs depend on the whole call (one seed per call, batches sorted over the call)
        returns its batches (seeded per batch), or ``[np.arange(len(lengths))]`` to be scored in one
        piece.
        """
        return None

    # ---------------------------------------------------------------- persistence (the template)
    def save(self, path: str) -> None:
        """Write the fitted model to the folder ``path``, atomically (see :mod:`multitag.persistence`).

        The folder gets ``multitag.json`` (registered backend name, typed parameters, labels, sha256
        of every file, training summary) and the files :meth:`_save_state` writes. Backends
        implement the hooks, not this method.
        """
        save_model(self, path)

    @classmethod
    def load(cls, path: str) -> "Tagger":
        """Read a model written by :meth:`save`; the manifest must name this class (for any
        backend, use ``multitag.load(path)``)."""
        return load_model(path, expected=cls)

    @abstractmethod
    def _save_state(self, folder: str) -> None:
        """Hook of :meth:`save`: write the fitted state into the (new, empty) folder ``folder``.

        Every file written there is listed in the manifest with its size and sha256; the name
        ``multitag.json`` is reserved. Parameters need not be written (the template stores them).
        Never write a format that runs code when read (no pickle).
        """

    @abstractmethod
    def _load_state(self, folder: str) -> None:
        """Hook of :meth:`load`: called on ``cls(labels=..., **params)`` once the files of
        ``folder`` matched their hashes; fills the fitted attributes (``*_``) from them."""

    def training_summary(self) -> dict[str, Any] | None:
        """Optional: typed facts about the last :meth:`fit` for the manifest's ``training`` entry,
        e.g. ``{"epochs_run": 12, "best_epoch": 9, "seconds": 41.2}``; None when there are none."""
        return None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        legacy = cls.__dict__.get("warm_start")
        if isinstance(legacy, bool) and "supports_warm_start" not in cls.__dict__:
            cls.supports_warm_start = legacy  # the older contract's name of the capability
        for name in ("save", "load"):
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} overrides Tagger.{name}; implement the hooks _save_state / "
                                "_load_state instead (saving and loading go through multitag.persistence)")

    # ---------------------------------------------------------------- helpers for subclasses
    def _check_mode(self, mode: str) -> None:
        if mode not in self.mc_modes:
            have = ", ".join(self.mc_modes) or "none"
            raise MultitagError(f"{type(self).__name__} has no MC-dropout mode {mode!r} (it has: {have})")

    def _check_trainable(self, train: Corpus) -> None:
        """Refuse partially annotated sentences when the backend cannot learn from them."""
        if len(train) == 0:
            raise MultitagError(f"{type(self).__name__}.fit: the training corpus is empty")
        if not self.partial_training:
            for s in train:
                if not s.is_fully_annotated:
                    raise MultitagError(
                        f"{type(self).__name__} cannot train on partially annotated sentences "
                        f"(sentence {s.id or '?'} has tokens without tags); use training mode 'drop'"
                    )
        unknown = {t for s in train for t in s.tags if t is not None} - set(self.labels)  # type: ignore[attr-defined]
        if unknown:
            raise MultitagError(f"training data has tags missing from the label set: {', '.join(sorted(unknown))}")


def label_index(labels: Sequence[str]) -> dict[str, int]:
    return {label: i for i, label in enumerate(labels)}
