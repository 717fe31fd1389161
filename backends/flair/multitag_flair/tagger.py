"""BiLSTM-CRF taggers built on flair's ``SequenceTagger`` over an embedding stack.

flair supplies the embeddings, the dropout layers, the BiLSTM, the final linear layer and the
transition matrix. Everything CRF is computed by :mod:`multitag_torch.crf` over those scores:
forward-backward marginals, ``log P(best path)``, and the partial-label training loss (flair's
own loss needs every tag).

Tags: flair's tag dictionary is built from ``labels`` in order (as plain token labels, so flair
does no BIO/BIOES re-encoding); column ``j`` of flair's emission scores is ``labels[j]``. flair
adds ``<START>``/``<STOP>`` after them; with flair's ``transitions[to, from]`` the CRF potentials
are ``transitions[:L, :L].T``, start ``transitions[:L, START]`` and end ``transitions[STOP, :L]``.
"""
from __future__ import annotations

import json
import os
from typing import Sequence

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import flair
from flair.data import Dictionary
from flair.data import Sentence as FlairSentence
from flair.models import SequenceTagger
from flair.training_utils import store_embeddings

from multitag.backend import Prediction, Tagger
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.param_ranges import FRACTION, NON_NEGATIVE, POSITIVE, Range, at_least, check_ranges
from multitag_flair import stack_state
from multitag_flair.embeddings import StackOptions, build_stack
from multitag_flair.training import Schedule
from multitag_flair.training import train as train_loop
from multitag_torch import crf
from multitag_torch.base import read_tensors, write_json, write_tensors
from multitag_torch.constructor import Param, stores_parameters
from multitag_torch.process_state import seeded
from multitag_torch.training_loop import epoch_limit
from multitag_torch.mc_dropout import find_modules, sampling

_TAG_TYPE = "multitag"
_STACK = "stack.json"
_ARRAYS = "embeddings.safetensors"
_WEIGHTS = "model.safetensors"


def to_flair(sentence: Sentence) -> FlairSentence:
    """A flair sentence with exactly the tokens of ``sentence`` (no re-tokenisation)."""
    return FlairSentence(list(sentence.tokens))


def _compact(sentences: list[FlairSentence], names: list[str]) -> None:
    """Replace token vectors that are views of a batch tensor by copies (flair's character-LM
    embeddings are rows of the whole batch's per-character states; keeping the views across
    epochs would keep every batch's states alive)."""
    for s in sentences:
        for tok in s.tokens:
            for name in names:
                v = tok._embeddings.get(name)
                if v is not None and v._base is not None:
                    tok._embeddings[name] = v.clone()


#: The parameters of the flair taggers after their embeddings (the ELMo tagger shares them all).
LAYERS_AND_TRAINING = (
    Param("hidden_size", "int", 128), Param("rnn_layers", "int", 1), Param("dropout", "float", 0.0),
    Param("word_dropout", "float", 0.05), Param("locked_dropout", "float", 0.5),
    Param("reproject_embeddings", "bool", True), Param("learning_rate", "float", 0.1), Param("batch_size", "int", 32),
    Param("max_epochs", "int", 30), Param("patience", "int", 3), Param("anneal_factor", "float", 0.5),
    Param("min_learning_rate", "float", 1e-4), Param("max_grad_norm", "float | None", 5.0),
    Param("char_dim", "int", 25), Param("char_hidden", "int", 25), Param("fasttext_dim", "int", 100),
    Param("fasttext_epochs", "int", 5), Param("elmo_mode", "str", "all"), Param("elmo_stateful", "bool", False),
    Param("elmo_cache", "bool", True), Param("predict_batch_size", "int", 64), Param("warm_start", "bool", False),
    Param("incremental_epochs", "int | None", None), Param("warm_optimizer", "bool", False),
)


@stores_parameters(Param("labels", "Sequence[str]"), Param("seed", "int", 0),
                   Param("embeddings", "Sequence[str]", ("word:train:fasttext", "char")), *LAYERS_AND_TRAINING)
class FlairBiLSTMCRFTagger(Tagger):
    """flair BiLSTM-CRF over an embedding stack.

    Parameters
    ----------
    labels : list of str
    seed : int
    embeddings : list of str
        Embedding specs (see :mod:`multitag_flair.embeddings`), e.g.
        ``["word:train:fasttext", "char", "flair-lm:FWD,BWD"]``.
    hidden_size, rnn_layers : int
        The BiLSTM (128 units, 1 layer in Shelmanov et al. 2021).
    dropout, word_dropout, locked_dropout : float
        flair's three dropouts (plain, whole-word, locked/variational).
    reproject_embeddings : bool
        flair's linear layer over the embeddings.
    learning_rate, batch_size, max_epochs, patience, anneal_factor, min_learning_rate, max_grad_norm
        SGD schedule: the rate is multiplied by ``anneal_factor`` after ``patience`` epochs without
        dev improvement and the best epoch is restored; training stops below ``min_learning_rate``
        or after ``max_epochs``. Without a dev set the training loss plays the dev score.
    char_dim, char_hidden : int
        Sizes of the ``char`` embedding.
    fasttext_dim, fasttext_epochs : int
        Sizes of ``word:train:fasttext``.
    elmo_mode : {"all", "top", "average"}; elmo_stateful : bool; elmo_cache : bool
        For ``elmo:`` specs (see :class:`multitag_flair.elmo_embedding.ElmoTokenEmbeddings`).
    predict_batch_size : int
        Sentences per inference batch.
    warm_start : bool
        When the model is already fitted, fit continues from the current weights instead of building a new model.
    incremental_epochs : int or None
        Epoch limit of a warm fit (None: max_epochs; 0: keep the weights); annealing and the best epoch still apply.
    warm_optimizer : bool
        A warm fit continues with the learning rate as annealed by the previous fit (else from learning_rate).

    Notes
    -----
    The embedding stack (character dictionary, FastText vocabulary) is built by the first fit from
    the training, dev and pool text (:meth:`observe_unlabeled`); a warm fit keeps it.
    """

    mc_modes = ("word", "locked", "all")
    partial_training = True
    supports_warm_start = True
    hidden_states = True

    # ------------------------------------------------------------------ building
    def _embedding_specs(self) -> list[str]:
        specs = [self.embeddings] if isinstance(self.embeddings, str) else list(self.embeddings)
        if not specs:
            raise MultitagError(f"{type(self).__name__}: embeddings is empty; give e.g. embeddings=['word:train:fasttext', 'char']")
        return specs

    def check(self) -> None:
        """Refuse numeric parameters out of range at once, before any data is read or model built."""
        check_ranges(self, {
            "hidden_size": at_least(1), "rnn_layers": at_least(1), "dropout": FRACTION, "word_dropout": FRACTION,
            "locked_dropout": FRACTION, "learning_rate": POSITIVE, "batch_size": at_least(1),
            "max_epochs": at_least(0), "patience": at_least(0), "anneal_factor": Range(low=0, high=1, low_open=True),
            "min_learning_rate": NON_NEGATIVE, "max_grad_norm": Range(low=0, optional=True),
            "char_dim": at_least(1), "char_hidden": at_least(1), "fasttext_dim": at_least(1),
            "fasttext_epochs": at_least(1), "predict_batch_size": at_least(1),
            "incremental_epochs": at_least(0, optional=True)})

    def observe_unlabeled(self, sentences: Sequence[Sentence]) -> "FlairBiLSTMCRFTagger":
        """Keep the pool's text for ``char`` dictionaries and ``word:train:fasttext`` vectors."""
        self.unlabeled_text_ = [tuple(s.tokens) for s in sentences]
        return self

    def _build(self, texts: list[tuple[str, ...]]) -> SequenceTagger:
        opts = StackOptions(seed=self.seed, char_dim=self.char_dim, char_hidden=self.char_hidden,
                            fasttext_dim=self.fasttext_dim, fasttext_epochs=self.fasttext_epochs,
                            elmo_mode=self.elmo_mode, elmo_stateful=self.elmo_stateful, elmo_cache=self.elmo_cache)
        stack = build_stack(self._embedding_specs(), texts, opts)
        torch.manual_seed(self.seed)  # the tagger's layers start the same whatever the stack drew
        return self._assemble(stack)

    def _assemble(self, stack) -> SequenceTagger:
        """flair's SequenceTagger over ``stack`` with this tagger's sizes and label dictionary."""
        for emb in stack.embeddings:
            if getattr(emb, "static_embeddings", False):
                for p in emb.parameters():
                    p.requires_grad_(False)
        tag_dictionary = Dictionary(add_unk=False)
        for label in self.labels:
            tag_dictionary.add_item(label)
        model = SequenceTagger(
            embeddings=stack, tag_dictionary=tag_dictionary, tag_type=_TAG_TYPE, use_crf=True, use_rnn=True,
            hidden_size=self.hidden_size, rnn_layers=self.rnn_layers, dropout=self.dropout,
            word_dropout=self.word_dropout, locked_dropout=self.locked_dropout,
            reproject_embeddings=self.reproject_embeddings, tag_format="BIO")
        self._check_dictionary(model)
        return model

    def _check_dictionary(self, model: SequenceTagger) -> None:
        d = model.label_dictionary
        for j, label in enumerate(self.labels):
            if d.get_idx_for_item(label) != j:
                raise MultitagError(f"flair's tag dictionary does not keep the label order (label {label!r}); labels must be distinct")

    # ------------------------------------------------------------------ scores
    def _scores(self, model: SequenceTagger, sentences: list[FlairSentence]):
        """CRF potentials of a batch through flair's layers (dropouts active as their modules say).

        Returns
        -------
        emissions : (B, T, L); transitions : (L, L) from->to; start, end : (L,); mask : (B, T) bool;
        hidden : (B, T, H) the input of the final linear layer
        """
        model.embeddings.embed(sentences)
        lengths, x = model._make_padded_tensor_for_batch(sentences)
        if model.use_dropout:
            x = model.dropout(x)
        if model.use_word_dropout:
            x = model.word_dropout(x)
        if model.use_locked_dropout:
            x = model.locked_dropout(x)
        if model.reproject_embeddings:
            x = model.embedding2nn(x)
        T = x.shape[1]
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = model.rnn(packed)
        x, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        if model.use_dropout:
            x = model.dropout(x)
        if model.use_locked_dropout:
            x = model.locked_dropout(x)
        hidden = x
        L = len(self.labels)
        emissions = model.linear(x)[..., :L]
        tr = model.crf.transitions  # [to, from]
        d = model.label_dictionary
        start = tr[:L, d.get_idx_for_item("<START>")]
        end = tr[d.get_idx_for_item("<STOP>"), :L]
        mask = torch.arange(T, device=x.device).unsqueeze(0) < lengths.to(x.device).unsqueeze(1)
        return emissions, tr[:L, :L].t(), start, end, mask, hidden

    # ------------------------------------------------------------------ training
    def fit(self, train: Corpus, dev: Corpus | None = None) -> "FlairBiLSTMCRFTagger":
        """Train on ``train`` (``dev``: annealing and the best epoch); from scratch, or with
        ``warm_start=True`` on a fitted model from the current weights, for at most
        ``incremental_epochs`` epochs (embedding stack and tag dictionary kept)."""
        self._check_trainable(train)
        n = self.incremental_epochs
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise MultitagError(f"{type(self).__name__}: incremental_epochs must be None or an integer >= 0, not {n!r}")
        warm = bool(self.warm_start) and getattr(self, "model_", None) is not None
        # seeded as by random.seed, np.random.seed and torch.manual_seed; the caller's RNG states come back after
        with seeded(self.seed, device=flair.device, python=True, numpy=True):
            return self._fit(train, dev, warm)

    def _fit(self, train: Corpus, dev: Corpus | None, warm: bool) -> "FlairBiLSTMCRFTagger":
        if warm:
            model = self.model_
            if len(model.label_dictionary) - 2 != len(self.labels):  # flair adds <START>, <STOP>
                raise MultitagError(f"{type(self).__name__}: cannot warm-start, the label set changed since the last "
                                    "fit; set warm_start=False")
            self._check_dictionary(model)
            opt_state = getattr(self, "optimizer_state_", None) if self.warm_optimizer else None
        else:
            texts = [tuple(s.tokens) for s in train]
            if dev is not None:
                texts += [tuple(s.tokens) for s in dev]
            texts += list(getattr(self, "unlabeled_text_", []))
            model = self._build(texts)
            opt_state = None
        max_epochs = epoch_limit(self.max_epochs, self.incremental_epochs, warm)
        index = {label: j for j, label in enumerate(self.labels)}
        items = [(to_flair(s), [(-1 if t is None else index[t]) for t in s.tags]) for s in train if len(s)]
        if not items:
            raise MultitagError(f"{type(self).__name__}.fit: every training sentence is empty")

        def batch_loss(idx):
            sents = [items[i][0] for i in idx]
            em, tr, st, en, mask, _ = self._scores(model, sents)
            tags = torch.full(mask.shape, -1, dtype=torch.long, device=em.device)
            for row, i in enumerate(idx):
                tags[row, :len(items[i][1])] = torch.tensor(items[i][1], dtype=torch.long)
            return crf.partial_nll(em, tags, tr, st, en, mask).sum()

        # vectors of static embeddings stay on the tokens across epochs; the others are recomputed
        dynamic = [e.name for e in model.embeddings.embeddings if not getattr(e, "static_embeddings", False)]

        static = [e.name for e in model.embeddings.embeddings if e.name not in dynamic]

        def after_batch(idx):
            sents = [items[i][0] for i in idx]
            store_embeddings(sents, "cpu", dynamic_embeddings=dynamic)
            _compact(sents, static)

        score = None
        dev_sents = [s for s in (dev or []) if len(s) and not s.is_unannotated]
        if dev_sents:
            self.model_ = model
            score = lambda: self._dev_score(dev_sents)  # noqa: E731
        schedule = Schedule(self.learning_rate, self.batch_size, max_epochs, self.patience,
                            self.anneal_factor, self.min_learning_rate, self.max_grad_norm)
        self.history_ = train_loop(model, len(items), batch_loss, score, schedule,
                                   np.random.default_rng(self.seed), after_batch, optimizer_state=opt_state)
        self.optimizer_state_ = self.history_.optimizer_state if self.warm_start and self.warm_optimizer else None
        self.history_.optimizer_state = None
        for s, _ in items:
            s.clear_embeddings()
        self.model_ = model
        return self

    def _dev_score(self, dev: list[Sentence]) -> float:
        """Span F1 when dev is fully annotated, else accuracy over its annotated tokens."""
        preds = self.predict(dev)
        if all(s.is_fully_annotated for s in dev):
            from multitag.evaluation import evaluate

            return float(evaluate([list(s.tags) for s in dev], [p.tags for p in preds])["f1"])
        hit = total = 0
        for s, p in zip(dev, preds):
            for g, t in zip(s.tags, p.tags):
                if g is not None:
                    total += 1
                    hit += g == t
        return hit / max(total, 1)

    # ------------------------------------------------------------------ prediction
    def _fitted(self) -> SequenceTagger:
        model = getattr(self, "model_", None)
        if model is None:
            raise MultitagError(f"{type(self).__name__} is not fitted; call fit() or load() first")
        return model

    def predict(self, sentences: Sequence[Sentence], *, hidden: bool = False) -> list[Prediction]:
        model = self._fitted()
        model.eval()
        L = len(self.labels)
        out: list[Prediction | None] = [None] * len(sentences)
        todo = [i for i, s in enumerate(sentences) if len(s)]
        for i, s in enumerate(sentences):
            if not len(s):
                out[i] = Prediction([], np.zeros((0, L)), 0.0, np.zeros((0, self._hidden_dim()), np.float32) if hidden else None)
        with torch.no_grad():
            for start in range(0, len(todo), self.predict_batch_size):
                chunk = todo[start:start + self.predict_batch_size]
                fs = [to_flair(sentences[i]) for i in chunk]
                em, tr, st, en, mask, hid = self._scores(model, fs)
                paths, best = crf.viterbi(em, tr, st, en, mask)
                logz = crf.log_partition(em, tr, st, en, mask)
                margs = crf.marginals(em, tr, st, en, mask)
                for row, i in enumerate(chunk):
                    n = len(sentences[i])
                    m = margs[row, :n].double().cpu().numpy()
                    m = m / m.sum(axis=1, keepdims=True)
                    out[i] = Prediction(
                        tags=[self.labels[j] for j in paths[row, :n].tolist()], marginals=m,
                        logprob=min(0.0, float(best[row] - logz[row])),
                        hidden=hid[row, :n].float().cpu().numpy() if hidden else None)
        return out  # type: ignore[return-value]

    def _hidden_dim(self) -> int:
        model = self._fitted()
        return model.linear.in_features

    def _dropout_modules(self, mode: str) -> list[torch.nn.Module]:
        from flair.nn import LockedDropout, WordDropout

        types = {"word": (WordDropout,), "locked": (LockedDropout,),
                 "all": (WordDropout, LockedDropout, torch.nn.Dropout)}[mode]
        # the tagger's own dropouts; embeddings are frozen and cached, so not sampled
        mods = find_modules(self._fitted(), types, where=lambda name, m: not name.startswith("embeddings"))
        mods = [m for m in mods if getattr(m, "dropout_rate", getattr(m, "p", 0.0)) > 0]
        if not mods:
            raise MultitagError(f"{type(self).__name__}: MC-dropout mode {mode!r} has no dropout to sample; "
                                "set word_dropout / locked_dropout / dropout above 0")
        return mods

    def sample(self, sentences: Sequence[Sentence], *, n_samples: int, mode: str) -> list[np.ndarray]:
        self._check_mode(mode)
        model = self._fitted()
        model.eval()
        modules = self._dropout_modules(mode)
        L = len(self.labels)
        out = [np.zeros((n_samples, len(s), L)) for s in sentences]
        todo = [i for i, s in enumerate(sentences) if len(s)]
        with torch.random.fork_rng(devices=[]), torch.no_grad(), sampling(modules):
            torch.manual_seed(self.seed)
            for start in range(0, len(todo), self.predict_batch_size):
                chunk = todo[start:start + self.predict_batch_size]
                fs = [to_flair(sentences[i]) for i in chunk]
                for k in range(n_samples):
                    em, tr, st, en, mask, _ = self._scores(model, fs)
                    margs = crf.marginals(em, tr, st, en, mask).double().cpu().numpy()
                    for row, i in enumerate(chunk):
                        m = margs[row, :len(sentences[i])]
                        out[i][k] = m / m.sum(axis=1, keepdims=True)
        return out

    # ------------------------------------------------------------------ persistence
    def training_summary(self) -> dict | None:
        """Epochs run, the best epoch (whose weights the model holds), its score, training seconds."""
        h = getattr(self, "history_", None)
        if h is None:
            return None
        return {"epochs_run": int(h.epochs), "best_epoch": int(h.best_epoch), "best_score": float(h.best_score),
                "seconds": round(float(sum(h.epoch_seconds)), 3)}

    def _save_state(self, folder: str) -> None:
        """``stack.json`` (the embedding stack's structure: dictionaries, vocabularies, sizes),
        ``embeddings.safetensors`` (FastText vectors) and ``model.safetensors`` (the state dict of
        the whole tagger, embeddings included). Nothing is pickled."""
        from safetensors.numpy import save as save_arrays

        model = self._fitted()
        entries, arrays = stack_state.describe(model.embeddings, self._embedding_specs())
        write_json(os.path.join(folder, _STACK), {"flair": flair.__version__, "embeddings": entries})
        with open(os.path.join(folder, _ARRAYS), "wb") as f:
            f.write(save_arrays(arrays))
        write_tensors(os.path.join(folder, _WEIGHTS), model.state_dict())

    def _load_state(self, folder: str) -> None:
        """Rebuild the stack from ``stack.json`` and the arrays (no training text, no embedding
        file), the tagger from the parameters, then load the state dict (safetensors)."""
        from safetensors.numpy import load as load_arrays

        with open(os.path.join(folder, _STACK), encoding="utf-8") as f:
            desc = json.load(f)
        with open(os.path.join(folder, _ARRAYS), "rb") as f:
            raw = f.read()
        try:
            arrays = load_arrays(raw)
        except Exception as e:  # safetensors' own error types
            raise MultitagError(f"{_ARRAYS}: not a safetensors file ({e})") from None
        with torch.random.fork_rng(devices=[]):
            model = self._assemble(stack_state.rebuild(desc["embeddings"], arrays))
        model.load_state_dict(read_tensors(os.path.join(folder, _WEIGHTS), device=flair.device))
        for emb in model.embeddings.embeddings:
            if hasattr(emb, "model") and hasattr(emb.model, "_fingerprint"):
                emb.model._fingerprint = None  # ELMo: the vector cache is keyed by the loaded weights
        model.eval()
        self.model_ = model


@stores_parameters(Param("labels", "Sequence[str]"), Param("seed", "int", 0), Param("elmo_options", "str | None", None),
                   Param("elmo_weights", "str | None", None), Param("embeddings", "Sequence[str]", ()),
                   *LAYERS_AND_TRAINING)
class ElmoBiLSTMCRFTagger(FlairBiLSTMCRFTagger):
    """ELMo-BiLSTM-CRF: the flair BiLSTM-CRF over our ELMo encoder (vectors cached per sentence).

    Parameters
    ----------
    elmo_options, elmo_weights : str
        The official ``options.json`` and ``weights.hdf5`` of an ELMo model.
    embeddings : list of str
        More embeddings stacked after ELMo (none by default).
    Other parameters as :class:`FlairBiLSTMCRFTagger`.
    """

    def _embedding_specs(self) -> list[str]:
        if not self.elmo_options or not self.elmo_weights:
            raise MultitagError(
                "elmo-bilstm-crf needs elmo_options=PATH/options.json and elmo_weights=PATH/weights.hdf5 "
                "(an ELMo model in the official bilm-tf format; nothing is downloaded), or set "
                "MULTITAG_ELMO_OPTIONS and MULTITAG_ELMO_WEIGHTS")
        extra = [self.embeddings] if isinstance(self.embeddings, str) else list(self.embeddings)
        return [f"elmo:{self.elmo_options},{self.elmo_weights}"] + extra
