""":class:`TorchTagger`: what the four torch taggers share (vocabularies, embeddings, training,
batched prediction, MC-dropout sampling, save/load).

Subclasses define ``__init__`` (their parameters, stored only), ``_net_class`` and
``_net_kwargs()``; the network classes live in :mod:`multitag_torch.models`.
"""
from __future__ import annotations

import json
import math
import os
from collections import Counter
from typing import Any, ClassVar, Sequence

import numpy as np
import torch

from multitag.backend import Prediction, Tagger
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.param_ranges import Range, at_least, check_ranges

from . import embeddings as E
from . import precision as P
from .batching import Encoder, iter_batches, length_batches
from .process_state import batch_seed, seeded, torch_threads
from .warm import dev_sample, fingerprint, replayed
from .trainer import TrainConfig, train as run_training
from .training_loop import epoch_limit
from .vocab import CASES, Vocabulary, char_vocabulary, normalize

class TorchTagger(Tagger):
    """Base class of the torch taggers.

    Parameters
    ----------
    labels : list of str
        The label set; column ``j`` of the marginals is ``labels[j]``.
    seed : int
        Seed of everything random (initialisation, shuffling, dropout, MC-dropout sampling).
    embeddings : str or None
        "train:fasttext" (default: FastText trained on the pool's text), "train:word2vec", a vectors file, or "random"/None.
    word_dim : int
        Word embedding size (a vectors file sets its own).
    freeze_embeddings : bool
        Keep the word vectors fixed during training.
    optimizer : str
        "sgd" (learning rate halved on a dev plateau) or "adam" (early stopping).
    lr : float
        Initial learning rate.
    batch_size : int
        Training sentences per batch.
    max_epochs : int
        Epoch limit of a fit from scratch.
    patience : int
        Epochs without dev improvement before the learning rate is halved (sgd) or training stops (adam).
    clip : float
        Gradient norm clipping threshold (0 turns clipping off).
    max_seconds : float or None
        Stop training after the epoch that passes this many seconds.
    dev_limit : int or None
        Every fit scores its epochs on this many dev sentences, a fixed sample drawn from ``seed``
        (None: all); a warm fit takes ``warm_dev`` instead when that is set.
    warm_start : bool
        When the model is already fitted, fit continues from the current weights instead of starting again.
    incremental_epochs : int or None
        Epoch limit of a warm fit (None: max_epochs; 0: keep the weights); early stopping still applies.
    warm_optimizer : bool
        A warm fit continues with the previous fit's optimiser state (Adam moments, annealed sgd rate).
    warm_patience : int or None
        A warm fit stops after this many epochs without dev improvement (sgd too, instead of
        annealing), within ``incremental_epochs`` (None: the schedule of a fit from scratch).
    warm_replay : float or None
        A warm fit trains on the sentences new since the earlier fits and this fraction of the old
        ones, sampled (None: on the whole training set); see :mod:`multitag_torch.warm`.
    warm_dev : int or None
        A warm fit scores its epochs on this many dev sentences, a fixed sample (None: all).
    warm_lr : float or None
        The learning rate a warm fit starts at (None: ``lr``, or with ``warm_optimizer`` the
        previous fit's last rate); with ``warm_optimizer`` the optimiser's moments are kept.
    warm_max_growth : float or None
        A fit on more than this many times the sentences given to the fits since the last fit from
        scratch (the training set grew that much, as in an AL run's first rounds) starts from
        scratch instead of warm (None: every fit on a fitted model is warm).
    precision : str
        "fp32", "bf16", "fp16" (torch.autocast; gradient scaling for fp16) or "auto" (bf16 on a GPU that has it, else fp32).
    predict_batch_size : int
        Sentences per inference batch.
    threads : int or None
        torch.set_num_threads for fit / predict / sample (None leaves torch's setting).
    device : str
        Torch device, e.g. "cpu" or "cuda".
    progress : bool
        Show a progress bar and one line per epoch.

    Notes
    -----
    Vocabularies: the word vocabulary of a fit from scratch holds the training words and, with
    trained or file vectors, the words that have a vector. With ``warm_start=True`` it also holds
    every word of the text given to :meth:`observe_unlabeled` (the pool), so that the words of
    later rounds' training sentences are already in it: a warm fit never resizes anything (so set
    ``warm_start=True`` before the first fit; a word a warm fit meets outside the vocabulary is
    the unknown word). With random embeddings, pool words not trained yet keep their random initial
    vectors.

    Whatever ``precision``, marginals, log-probabilities and the CRF are computed in float32.
    """

    partial_training: ClassVar[bool] = True
    supports_warm_start: ClassVar[bool] = True
    hidden_states: ClassVar[bool] = True
    learns_from_rejections: ClassVar[bool] = True
    _net_class: ClassVar[type] = None  # type: ignore[assignment]
    _uses_chars: ClassVar[bool] = True

    # ------------------------------------------------------------------ subclass hooks
    def _net_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def observe_unlabeled(self, sentences: Sequence[Sentence]) -> "TorchTagger":
        self.unlabeled_text_ = [tuple(s.tokens) for s in sentences]
        return self

    def _build_vocab(self, train: Corpus) -> tuple[Vocabulary, Vocabulary, np.ndarray | None]:
        pool = list(getattr(self, "unlabeled_text_", []))
        train_text = [tuple(s.tokens) for s in train]
        vocab_text = train_text + pool if self.warm_start else train_text
        kind, arg = E.parse_spec(self.embeddings)
        pretrained = None
        if kind == "train":
            seen = set(pool)  # in AL the labeled sentences are pool sentences: the text stays the same
            text = pool + [t for t in train_text if t not in seen]
            pretrained = E.train_vectors(arg, text, dim=self.word_dim, seed=self.seed)
        elif kind == "file":
            pretrained = E.load_vectors(arg)
        counts = Counter(normalize(t) for toks in vocab_text for t in toks)
        words = Vocabulary(sorted(counts, key=lambda w: (-counts[w], w)))
        matrix = None
        if pretrained is not None:
            pw, pv = pretrained
            table = E.lookup_table(pretrained)
            for w in pw:
                words.add(normalize(w))
            matrix = np.full((len(words), pv.shape[1]), np.nan, dtype=np.float32)
            for i, w in enumerate(words.itos):
                j = table.get(w)
                if j is not None:
                    matrix[i] = pv[j]
        chars = char_vocabulary(pool + train_text)
        return words, chars, matrix

    def _encoder(self) -> Encoder:
        return Encoder(self.words_, self.chars_, self.labels)

    def _build_net(self, arch: dict[str, Any], pretrained: np.ndarray | None) -> torch.nn.Module:
        net = self._net_class(pretrained=pretrained, **arch)
        return net.to(self.device)

    def _check_fitted(self) -> None:
        if getattr(self, "net_", None) is None:
            raise MultitagError(f"{type(self).__name__} is not fitted: call fit() or load() first")

    def _precision(self) -> str:
        """The resolved precision ("fp32", "bf16" or "fp16") on this tagger's device."""
        return P.resolve(self.precision, self.device, lstm=True)

    def _autocast(self):
        return P.autocast(self._precision(), self.device)

    def _train_config(self, max_epochs: int, warm: bool = False) -> TrainConfig:
        """The schedule of a fit; a warm one takes ``warm_lr`` and ``warm_patience`` when they are set."""
        lr = self.lr if not warm or self.warm_lr is None else self.warm_lr
        stop = warm and self.warm_patience is not None
        return TrainConfig(optimizer=self.optimizer, lr=lr, max_epochs=max_epochs,
                           patience=self.warm_patience if stop else self.patience, stop_on_plateau=stop,
                           clip=self.clip, progress=self.progress, max_seconds=self.max_seconds,
                           precision=self._precision(), device=str(torch.device(self.device)))

    def _arch(self, n_words: int, word_dim: int, n_chars: int) -> dict[str, Any]:
        arch = {"n_words": n_words, "word_dim": int(word_dim), "n_labels": len(self.labels), **self._net_kwargs()}
        if self._uses_chars:
            arch["n_chars"] = n_chars
        return arch

    def _check_warm(self) -> None:
        """A warm fit keeps the network: refuse parameter changes that would need another one."""
        now = self._arch(len(self.words_), self.arch_["word_dim"], len(self.chars_))
        changed = sorted(k for k in set(now) | set(self.arch_) if now.get(k) != self.arch_.get(k))
        if changed:
            raise MultitagError(f"{type(self).__name__}: cannot warm-start, the network's settings changed since the "
                                f"last fit ({', '.join(changed)}); set warm_start=False to train a new model")

    # ------------------------------------------------------------------ the contract
    def check(self) -> None:
        """Reject a configuration that cannot work before any training: the embeddings spec (and
        that its file exists), the optimizer, the device, sizes and probabilities."""
        kind, arg = E.parse_spec(self.embeddings)
        if kind == "file" and not os.path.isfile(arg):
            raise MultitagError(f"{type(self).__name__}: embeddings file {arg!r} does not exist; pass an existing "
                                "word2vec/GloVe file, 'train:fasttext', 'train:word2vec' or 'random'")
        if self.optimizer not in ("sgd", "adam"):
            raise MultitagError(f"{type(self).__name__}: optimizer must be 'sgd' or 'adam', not {self.optimizer!r}")
        try:
            dev = torch.device(self.device)
        except (RuntimeError, TypeError) as e:
            raise MultitagError(f"{type(self).__name__}: device {self.device!r} is not a torch device ({e})") from e
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise MultitagError(f"{type(self).__name__}: device {self.device!r} asked for but CUDA is not available; use device='cpu'")
        for name in ("batch_size", "max_epochs", "predict_batch_size", "word_dim"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise MultitagError(f"{type(self).__name__}: {name} must be a positive integer, not {getattr(self, name)!r}")
        for name in ("dropout", "word_dropout", "locked_dropout", "char_dropout", "unk_replace"):
            v = getattr(self, name, None)
            if v is not None and not 0 <= v < 1:
                raise MultitagError(f"{type(self).__name__}: {name} must be in [0, 1), not {v!r}")
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < float("inf"):
            raise MultitagError(f"{type(self).__name__}: lr must be a number > 0, not {lr!r}")
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 0:
            raise MultitagError(f"{type(self).__name__}: patience must be an integer >= 0, not {self.patience!r}")
        if isinstance(self.clip, bool) or not isinstance(self.clip, (int, float)) or not 0 <= self.clip < float("inf"):
            raise MultitagError(f"{type(self).__name__}: clip must be a number >= 0 (0 turns clipping off), not {self.clip!r}")
        if self.max_seconds is not None and not (isinstance(self.max_seconds, (int, float)) and self.max_seconds > 0):
            raise MultitagError(f"{type(self).__name__}: max_seconds must be None or a number > 0, not {self.max_seconds!r}")
        n = self.incremental_epochs
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise MultitagError(f"{type(self).__name__}: incremental_epochs must be None or an integer >= 0, not {n!r}")
        check_ranges(self, {"dev_limit": at_least(1, optional=True), "warm_patience": at_least(1, optional=True),
                            "warm_replay": Range(low=0, high=1, optional=True), "warm_dev": at_least(1, optional=True),
                            "warm_lr": Range(low=0, low_open=True, optional=True),
                            "warm_max_growth": Range(low=1, optional=True)})
        P.resolve(self.precision, dev, lstm=True)

    def fit(self, train: Corpus, dev: Corpus | None = None) -> "TorchTagger":
        """Train on ``train`` (``dev``: annealing / early stopping and the best epoch's weights).

        From scratch, or, with ``warm_start=True`` on a fitted model, from the current weights for
        at most ``incremental_epochs`` epochs (vocabularies and network unchanged; ``warm_patience``,
        ``warm_replay``, ``warm_dev`` and ``warm_lr`` shape that fit; past ``warm_max_growth`` the
        fit is from scratch again).
        """
        self.check()
        self._check_trainable(train)
        with torch_threads(self.threads), seeded(self.seed, device=self.device):
            return self._fit(train, dev)

    def _outgrown(self, train: Corpus) -> bool:
        """Whether ``train`` holds more than ``warm_max_growth`` times the sentences fitted since
        the last fit from scratch (their fingerprints, ``trained_``)."""
        if self.warm_max_growth is None:
            return False
        return len(train) > self.warm_max_growth * max(1, len(getattr(self, "trained_", None) or ()))

    def _fit(self, train: Corpus, dev: Corpus | None) -> "TorchTagger":
        warm = bool(self.warm_start) and getattr(self, "net_", None) is not None and not self._outgrown(train)
        rng = np.random.default_rng(self.seed)
        if warm:
            self._check_warm()
            opt_state = getattr(self, "optimizer_state_", None) if self.warm_optimizer else None
            if opt_state is not None and self.warm_lr is not None:  # the schedule restarts, the moments stay
                opt_state = {**opt_state, "param_groups": [{**g, "lr": self.warm_lr} for g in opt_state["param_groups"]]}
        else:
            words, chars, matrix = self._build_vocab(train)
            self.words_, self.chars_ = words, chars
            word_dim = matrix.shape[1] if matrix is not None else self.word_dim
            self.arch_ = self._arch(len(words), word_dim, len(chars))
            self.net_ = self._build_net(self.arch_, matrix)
            opt_state = None
        max_epochs = epoch_limit(self.max_epochs, self.incremental_epochs, warm)
        encoder = self._encoder()
        sentences = [s for s in train if len(s) > 0]
        seen = (getattr(self, "trained_", None) or frozenset()) if warm else frozenset()
        if warm:
            sentences = replayed(sentences, seen, self.warm_replay, self.seed)
            max_epochs = max_epochs if sentences else 0
        dev_gold = [s for s in (dev or []) if s.is_fully_annotated and len(s) > 0]
        dev_gold = dev_sample(dev_gold, self.warm_dev if warm and self.warm_dev is not None else self.dev_limit,
                              self.seed)

        def batches():
            for _, b in iter_batches(sentences, encoder, self.batch_size, rng=rng, with_tags=True):
                yield b.to(self.device)

        score_fn = None
        if dev_gold:
            from multitag.evaluation import evaluate

            scheme = "BIOES" if any(str(lab)[:2] in ("S-", "E-") for lab in self.labels) else "IOB2"
            gold = [list(s.tags) for s in dev_gold]

            def score_fn() -> float:
                pred = self._decode(dev_gold, marginals=False, hidden=False, logprob=False)
                return float(evaluate(gold, [p.tags for p in pred], scheme=scheme)["f1"])

        n_batches = math.ceil(len(sentences) / self.batch_size)
        self.history_ = run_training(self.net_, batches, self.net_.loss, self._train_config(max_epochs, warm), score_fn,
                                     n_batches, optimizer_state=opt_state)
        # the fingerprints of every sentence given to a fit since the last one from scratch (warm_replay's "old")
        self.trained_ = frozenset(seen | {fingerprint(s) for s in train}) if self.warm_start else None
        # kept only when a later warm fit will use it (Adam's moments are twice the model's size)
        self.optimizer_state_ = self.history_.optimizer_state if self.warm_start and self.warm_optimizer else None
        self.history_.optimizer_state = None
        return self

    def _decode(self, sentences: Sequence[Sentence], *, marginals: bool, hidden: bool,
                logprob: bool = True) -> list[Prediction]:
        encoder = self._encoder()
        L = len(self.labels)
        out: list[Prediction | None] = [
            Prediction([], np.zeros((0, L), dtype=np.float32), 0.0, np.zeros((0, self.net_.hidden_dim), dtype=np.float32) if hidden else None)
            if len(s) == 0 else None for s in sentences]
        real = [i for i, s in enumerate(sentences) if len(s) > 0]  # empty sentences never reach the network
        self.net_.eval()
        with torch.inference_mode(), self._autocast():
            for ids, batch in iter_batches([sentences[i] for i in real], encoder, self.predict_batch_size):
                ids = [real[i] for i in ids]
                d = self.net_.decode(batch.to(self.device), marginals=marginals, hidden=hidden, logprob=logprob)
                paths = d.paths.cpu().numpy()
                probs = d.probs.float().cpu().numpy() if d.probs is not None else None
                lps = d.logprob.double().cpu().numpy()
                hid = d.hidden.float().cpu().numpy() if d.hidden is not None else None
                for k, i in enumerate(ids):
                    n = batch.lengths[k]
                    out[i] = Prediction(
                        tags=[self.labels[j] for j in paths[k, :n]],
                        marginals=probs[k, :n] if probs is not None else np.zeros((n, 0), dtype=np.float32),
                        logprob=min(0.0, float(lps[k])),
                        hidden=hid[k, :n] if hid is not None else None)
        return out  # type: ignore[return-value]

    def predict(self, sentences: Sequence[Sentence], *, hidden: bool = False) -> list[Prediction]:
        self._check_fitted()
        if len(sentences) == 0:
            return []
        with torch_threads(self.threads):
            return self._decode(sentences, marginals=True, hidden=hidden)

    def predict_tags(self, sentences: Sequence[Sentence]) -> list[list[str]]:
        """Best paths only (Viterbi / greedy / argmax), without computing marginals."""
        self._check_fitted()
        if len(sentences) == 0:
            return []
        with torch_threads(self.threads):
            return [p.tags for p in self._decode(sentences, marginals=False, hidden=False, logprob=False)]

    def sample(self, sentences: Sequence[Sentence], *, n_samples: int, mode: str) -> list[np.ndarray]:
        """MC-dropout: ``n_samples`` stochastic passes with the dropout modules of ``mode`` sampling.

        Returns one ``(n_samples, n_tokens, L)`` float32 array per sentence. Each batch is seeded by
        the model's seed and the batch's tokens (:func:`batch_seed`), so a batch's samples do not
        depend on the batches before it (:meth:`inference_groups`); the global torch RNG is left
        untouched. The network is in eval mode afterwards, also after an exception.
        """
        self._check_mode(mode)
        self._check_fitted()
        if n_samples < 1:
            raise MultitagError(f"n_samples must be >= 1, got {n_samples}")
        L = len(self.labels)
        out: list[np.ndarray | None] = [np.zeros((n_samples, 0, L), dtype=np.float32) if len(s) == 0 else None
                                        for s in sentences]
        real = [i for i, s in enumerate(sentences) if len(s) > 0]
        encoder = self._encoder()
        modules = self.net_.mc_modules(mode)
        per_batch = self.net_.sample_batch_size(modules, n_samples, self.predict_batch_size)
        self.net_.eval()
        try:
            with torch_threads(self.threads), seeded(self.seed, device=self.device), torch.inference_mode(), \
                    self._autocast():
                for ids, batch in iter_batches([sentences[i] for i in real], encoder, per_batch):
                    ids = [real[i] for i in ids]
                    torch.manual_seed(batch_seed(self.seed, [sentences[i].tokens for i in ids]))
                    probs = self.net_.sample(batch.to(self.device), n_samples, modules).float().cpu().numpy()
                    for k, i in enumerate(ids):
                        out[i] = probs[:, k, :batch.lengths[k]]
        finally:
            self.net_.eval()
        return out  # type: ignore[return-value]

    def inference_groups(self, lengths, *, n_samples=None, mode=None):
        """The length-sorted batches of :meth:`predict` / :meth:`sample` (each output depends on its
        batch alone), empty sentences one by one after them."""
        lengths = np.asarray(lengths)
        real = np.flatnonzero(lengths > 0)
        if n_samples is None:
            size = self.predict_batch_size
        else:
            self._check_mode(mode)
            size = self.net_.sample_batch_size(self.net_.mc_modules(mode), n_samples, self.predict_batch_size)
        groups = [real[np.asarray(b, dtype=np.int64)] for b in length_batches(lengths[real].tolist(), size)]
        return groups + [np.array([i]) for i in np.flatnonzero(lengths == 0)]

    # ------------------------------------------------------------------ persistence
    def training_summary(self) -> dict[str, Any] | None:
        """Epochs run, the best epoch (whose weights the model holds), its score and the seconds."""
        h = getattr(self, "history_", None)
        if h is None:
            return None
        return {"epochs_run": len(h.epochs), "best_epoch": int(h.best_epoch), "best_score": float(h.best_score),
                "seconds": round(float(h.seconds), 3)}

    def _save_state(self, folder: str) -> None:
        """``vocab.json`` (words, characters), ``arch.json`` (network sizes),
        ``model.safetensors`` (the state dict; no pickle) and, for a ``warm_start`` model,
        ``trained.json`` (the fingerprints of the sentences fitted)."""
        self._check_fitted()
        write_json(os.path.join(folder, "vocab.json"), {"words": self.words_.to_list(), "chars": self.chars_.to_list()})
        write_json(os.path.join(folder, "arch.json"), self.arch_)
        write_tensors(os.path.join(folder, WEIGHTS), self.net_.state_dict())
        if getattr(self, "trained_", None) is not None:  # warm_replay's "old" sentences, for a resumed run
            write_json(os.path.join(folder, TRAINED), sorted(self.trained_))

    def _load_state(self, folder: str) -> None:
        with open(os.path.join(folder, "vocab.json"), encoding="utf8") as f:
            vocab = json.load(f)
        with open(os.path.join(folder, "arch.json"), encoding="utf8") as f:
            arch = json.load(f)
        self.words_ = Vocabulary.from_list(vocab["words"])
        self.chars_ = Vocabulary.from_list(vocab["chars"])
        n_labels = arch.get("n_labels") if isinstance(arch, dict) else None
        if n_labels != len(self.labels):
            raise MultitagError(f"arch.json: the weights have {n_labels} output labels, the manifest lists "
                                f"{len(self.labels)}; the manifest was edited or belongs to another model")
        self.arch_ = arch
        net = self._build_net(arch, None)
        net.load_state_dict(read_tensors(os.path.join(folder, WEIGHTS), device=self.device))
        net.eval()
        self.net_ = net
        trained = os.path.join(folder, TRAINED)
        if os.path.isfile(trained):
            with open(trained, encoding="utf8") as f:
                self.trained_ = frozenset(json.load(f))


WEIGHTS = "model.safetensors"
TRAINED = "trained.json"  # fingerprints of the sentences fitted (warm_start models)


def write_json(path: str, obj: Any) -> None:
    """``obj`` as JSON in one write."""
    with open(path, "w", encoding="utf8") as f:
        f.write(json.dumps(obj))


def write_tensors(path: str, state: dict[str, torch.Tensor]) -> None:
    """A state dict as safetensors (CPU, contiguous copies; tensors that share memory are copied
    apart), written in one write."""
    from safetensors.torch import save

    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in state.items()}
    with open(path, "wb") as f:
        f.write(save(tensors))


def read_tensors(path: str, *, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file (never unpickles); a damaged file is a MultitagError."""
    from safetensors.torch import load

    with open(path, "rb") as f:
        data = f.read()
    try:
        tensors = load(data)
    except Exception as e:  # safetensors raises its own error types for a bad header
        raise MultitagError(f"{path}: not a safetensors file ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    return {k: v.to(device) for k, v in tensors.items()}


__all__ = ["TorchTagger", "CASES"]
