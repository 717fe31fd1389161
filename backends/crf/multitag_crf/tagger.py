"""``CRFTagger``: a linear-chain CRF (crfsuite, L-BFGS, elastic net) behind the multitag contract."""
from __future__ import annotations

import contextlib
import json
import math
import os
import struct
from typing import Sequence

import numpy as np
import pycrfsuite

from multitag.backend import Prediction, Tagger
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag_crf import cache
from multitag_crf.clusters import WordClusters, train_clusters
from multitag_crf.features import FEATURE_SETS, paper_features, rich_features
from multitag_crf.model_file import scratch_model_file

_TINY = np.finfo(float).tiny


class CRFTagger(Tagger):
    """Linear-chain CRF trained with crfsuite's L-BFGS (registry name ``crf``).

    Parameters
    ----------
    labels : list of str
        The label set; column ``j`` of every marginal matrix is ``labels[j]``.
    seed : int
        Seeds the word vectors and k-means of the ``rich`` features (crfsuite's L-BFGS itself is
        deterministic).
    features : {"rich", "paper"}
        The feature set: ``rich`` (default; shapes, affixes, a +-2 window, word clusters) or ``paper``
        (paper 001, appendix B). ``rich`` takes word-cluster ids from Word2Vec trained on the text
        given to :meth:`observe_unlabeled` plus the training text.
    c1, c2 : float
        L1 and L2 regularisation strengths (0.1 in paper 001).
    max_iterations : int
        L-BFGS iterations.
    all_possible_transitions : bool
        Also learn weights for label transitions never seen in training.
    cluster_sizes : tuple of int
        k-means granularities of the ``rich`` word clusters (``()`` turns clusters off).
    vector_size, vector_epochs : int
        Word2Vec dimensionality and training passes of the ``rich`` word clusters.

    Notes
    -----
    Extracted features are cached per sentence for the whole process (:mod:`multitag_crf.cache`),
    keyed by the sentence and the feature extractor (feature set + cluster fingerprint), so
    re-predicting a pool with a freshly fitted clone costs inference only.
    """

    mc_modes = ()
    partial_training = False
    hidden_states = False

    def __init__(self, *, labels: Sequence[str], seed: int = 0, features: str = "rich", c1: float = 0.1,
                 c2: float = 0.1, max_iterations: int = 100, all_possible_transitions: bool = False,
                 cluster_sizes: tuple[int, ...] = (32, 128, 512), vector_size: int = 100,
                 vector_epochs: int = 10):
        self.labels = labels
        self.seed = seed
        self.features = features
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.all_possible_transitions = all_possible_transitions
        self.cluster_sizes = cluster_sizes
        self.vector_size = vector_size
        self.vector_epochs = vector_epochs

    # ---------------------------------------------------------------- features
    def _check_features(self) -> None:
        if self.features not in FEATURE_SETS:
            raise MultitagError(f"CRFTagger: unknown features {self.features!r}; use one of {', '.join(FEATURE_SETS)}")

    def check(self) -> None:
        """Refuse values crfsuite cannot train with, before any training."""
        self._check_features()
        for name in ("c1", "c2"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise MultitagError(f"CRFTagger: {name} must be a number >= 0, not {v!r}")
        for name in ("max_iterations", "vector_size", "vector_epochs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise MultitagError(f"CRFTagger: {name} must be a positive integer, not {v!r}")
        sizes = self.cluster_sizes
        if not isinstance(sizes, (tuple, list)) or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 2 for k in sizes):
            raise MultitagError(f"CRFTagger: cluster_sizes must be a list of integers >= 2 (or [] for none), not {sizes!r}")

    def _feature_key(self) -> tuple:
        if self.features == "paper":
            return ("paper",)
        fp = self.clusters_.fingerprint if self.clusters_ is not None else None
        return ("rich", fp)

    def extract(self, sentence: Sentence) -> list[list[str]]:
        """The attribute strings of each token of ``sentence`` (no cache): list of n lists of str."""
        if self.features == "paper":
            return paper_features(sentence.tokens, sentence.pos)
        cl = self.clusters_
        return rich_features(sentence.tokens, sentence.pos, cl.ids if cl else None, cl.granularities if cl else ())

    def _items(self, sentence: Sentence) -> pycrfsuite.ItemSequence:
        return cache.get(self._feature_key(), sentence.tokens, sentence.pos, lambda: self.extract(sentence))

    def observe_unlabeled(self, sentences: Sequence[Sentence]) -> "CRFTagger":
        """Keep the text of ``sentences`` (never their tags) for the word clusters of ``rich``."""
        self.unlabeled_ = [tuple(s.tokens) for s in sentences]
        return self

    def _fit_clusters(self, train: Corpus) -> WordClusters | None:
        if self.features != "rich" or not self.cluster_sizes:
            return None
        text = list(getattr(self, "unlabeled_", []))
        seen = set(text)
        for s in train:
            if s.tokens not in seen:
                seen.add(s.tokens)
                text.append(s.tokens)
        return train_clusters(text, granularities=tuple(self.cluster_sizes), vector_size=int(self.vector_size),
                              epochs=int(self.vector_epochs), seed=int(self.seed))

    # ---------------------------------------------------------------- training
    def fit(self, train: Corpus, dev: Corpus | None = None) -> "CRFTagger":
        """Train from scratch on ``train`` (``dev`` is not used: L-BFGS runs ``max_iterations``)."""
        self._check_features()
        self._check_trainable(train)
        self.clusters_ = self._fit_clusters(train)
        trainer = pycrfsuite.Trainer(verbose=False)
        trainer.select("lbfgs", "crf1d")
        trainer.set_params({
            "c1": float(self.c1), "c2": float(self.c2), "max_iterations": int(self.max_iterations),
            "feature.possible_transitions": bool(self.all_possible_transitions),
        })
        n = 0
        for s in train:
            if len(s):
                trainer.append(self._items(s), list(s.tags))
                n += 1
        if n == 0:
            raise MultitagError("CRFTagger.fit: every training sentence is empty")
        where = None
        try:
            with scratch_model_file(self._scratch_dir()) as scratch:
                where = scratch.where
                _train_in_child(trainer, scratch.path)
                model = scratch.read()
        except OSError as e:
            what = where or "crfsuite's model file"
            raise MultitagError(f"CRFTagger.fit: cannot write or read {what} ({e.strerror or e}); "
                                "disk full or file-size limit?") from None
        try:
            check_crfsuite_model(model, where)
        except MultitagError as e:
            raise MultitagError(f"CRFTagger.fit: the CRF model file was cut short (disk full or file-size "
                                f"limit?): {e}") from None
        self.model_bytes_ = model
        self._open()
        return self

    def _scratch_dir(self) -> str | None:
        """Where crfsuite writes its model file during :meth:`fit`: ``MULTITAG_CRF_SCRATCH`` when
        set, else None: an in-memory file (:mod:`multitag_crf.model_file`), so that a full
        temporary folder does not matter."""
        return os.environ.get("MULTITAG_CRF_SCRATCH") or None

    def _open(self, where: str = "model.crfsuite") -> None:
        # the whole structure is checked first: crfsuite trusts every offset and count in the file
        # and dies with a segmentation fault on a damaged one
        stored = crfsuite_model_labels(self.model_bytes_, where)
        tagger = pycrfsuite.Tagger()
        try:
            tagger.open_inmemory(self.model_bytes_)
        except ValueError as e:
            raise MultitagError(f"{where}: not a valid crfsuite model ({e})") from None
        self.tagger_ = tagger
        self.model_labels_ = list(tagger.labels())
        if self.model_labels_ != stored:
            raise MultitagError(f"{where}: the crfsuite model is damaged (its label dictionary does not read back)")
        if len(set(self.labels)) != len(self.labels):
            raise MultitagError(f"CRFTagger: the label set has duplicates: {list(self.labels)}")
        index = {label: j for j, label in enumerate(self.labels)}
        missing = [y for y in self.model_labels_ if y not in index]
        if missing:
            raise MultitagError(f"CRFTagger: the model has labels outside the label set: {', '.join(missing)}")
        self.columns_ = np.array([index[y] for y in self.model_labels_], dtype=int)

    def _check_fitted(self) -> None:
        if getattr(self, "tagger_", None) is None:
            raise MultitagError("CRFTagger is not fitted; call fit() (or load()) before predict()")

    # ---------------------------------------------------------------- prediction
    def predict(self, sentences: Sequence[Sentence], *, hidden: bool = False) -> list[Prediction]:
        """Viterbi tags, forward-backward marginals ``(n, L)`` and ``log P(Viterbi path)`` per sentence.

        Marginals come from crfsuite (``Tagger.marginal``); labels the model never saw in training
        get 0. The rows of all sentences are normalised in one batch, and each sentence's matrix is
        a view into one array of shape ``(total tokens, L)``.
        """
        self._check_fitted()
        tagger = self.tagger_
        model_labels = self.model_labels_
        marginal = tagger.marginal
        flat: list[float] = []
        lengths, paths, probs = [], [], []
        for s in sentences:
            n = len(s)
            lengths.append(n)
            if n == 0:
                paths.append([])
                probs.append(1.0)
                continue
            tagger.set(self._items(s))
            tags = tagger.tag()
            paths.append(list(tags))
            probs.append(tagger.probability(tags))
            flat += [marginal(y, t) for t in range(n) for y in model_labels]
        raw = np.array(flat, dtype=np.float64).reshape(-1, len(model_labels))
        np.clip(raw, 0.0, None, out=raw)
        raw /= raw.sum(axis=1, keepdims=True)
        marg = np.zeros((raw.shape[0], len(self.labels)), dtype=np.float64)
        marg[:, self.columns_] = raw
        blocks = np.split(marg, np.cumsum(lengths)[:-1]) if lengths else []
        return [Prediction(tags=tags, marginals=m, logprob=min(0.0, math.log(max(p, _TINY))))
                for tags, m, p in zip(paths, blocks, probs)]

    # ---------------------------------------------------------------- persistence
    def _save_state(self, folder: str) -> None:
        """``model.crfsuite`` (crfsuite's own model file) and ``clusters.json`` (the word clusters of
        ``rich``, or null); parameters and labels go to the manifest."""
        self._check_fitted()
        with open(os.path.join(folder, MODEL_FILE), "wb") as f:
            f.write(self.model_bytes_)
        data = None if self.clusters_ is None else self.clusters_.to_json()
        with open(os.path.join(folder, CLUSTERS_FILE), "w", encoding="utf-8") as f:
            f.write(json.dumps(data))

    def _load_state(self, folder: str) -> None:
        self.check()  # manifest values crfsuite or the feature extractor would not honour
        with open(os.path.join(folder, CLUSTERS_FILE), encoding="utf-8") as f:
            data = json.load(f)
        self.clusters_ = None if data is None else WordClusters.from_json(data)
        with open(os.path.join(folder, MODEL_FILE), "rb") as f:
            model = f.read()
        where = os.path.join(folder, MODEL_FILE)
        check_crfsuite_model(model, where)
        self.model_bytes_ = model
        self._open(where)


MODEL_FILE = "model.crfsuite"
CLUSTERS_FILE = "clusters.json"
_HEADER = struct.Struct("<4sI4s9I")


_U32 = struct.Struct("<I")
_FEATURE = struct.Struct("<IIId")
_CQDB_HEADER = struct.Struct("<4sIIIII")
_CQDB_BYTEORDER = 0x62445371


def _train_in_child(trainer: "pycrfsuite.Trainer", path: str) -> None:
    """``trainer.train(path)`` in a forked child, so that crfsuite dying while it writes (a full
    disk or a file-size limit makes it crash) cannot take this process with it."""
    if not hasattr(os, "fork"):  # pragma: no cover - not POSIX
        trainer.train(path)
        return
    import signal

    pid = os.fork()
    if pid == 0:  # the child: train, report by exit status only
        code = 1
        try:
            with contextlib.suppress(Exception):
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            trainer.train(path)
            code = 0
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:  # pragma: no cover
            continue
        except BaseException:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            raise
    if os.WIFSIGNALED(status):
        raise MultitagError(f"CRFTagger.fit: crfsuite died with signal {os.WTERMSIG(status)} while writing its "
                            "model file (disk full or file-size limit?)")
    if os.WEXITSTATUS(status) != 0:
        raise MultitagError("CRFTagger.fit: crfsuite could not write its model file (disk full or file-size limit?)")


def _cqdb_strings(data: bytes, start: int, end: int, count: int, what: str, where: str) -> list[str]:
    """Check the CQDB string database ``data[start:end]`` (crfsuite's label or attribute
    dictionary) and return its ``count`` strings in id order."""
    bad = MultitagError(f"{where}: the crfsuite model is damaged (its {what} dictionary is malformed)")
    if not _HEADER.size <= start or start + _CQDB_HEADER.size + 256 * 8 > end:
        raise bad
    magic, size, _flag, order, bwd_size, bwd_offset = _CQDB_HEADER.unpack_from(data, start)
    if magic != b"CQDB" or order != _CQDB_BYTEORDER or start + size > end or size < _CQDB_HEADER.size + 256 * 8:
        raise bad
    stop = start + size
    if bwd_size != count or start + bwd_offset + 4 * bwd_size > stop:
        raise bad
    if bwd_offset < _CQDB_HEADER.size and not (count == 0 and bwd_offset == 0):
        raise bad   # an empty dictionary (a model trained on one label keeps no attribute) has no backward array

    def record(off: int) -> tuple[int, bytes]:
        if off < _CQDB_HEADER.size + 256 * 8 or start + off + 8 > stop:
            raise bad
        vid, ksize = struct.unpack_from("<II", data, start + off)
        if ksize < 1 or start + off + 8 + ksize > stop or data[start + off + 8 + ksize - 1] != 0:
            raise bad
        return vid, data[start + off + 8: start + off + 7 + ksize]

    for k in range(256):
        toff, tnum = struct.unpack_from("<II", data, start + _CQDB_HEADER.size + 8 * k)
        if tnum == 0:
            continue
        if toff < _CQDB_HEADER.size or start + toff + 8 * tnum > stop:
            raise bad
        for e in range(tnum):
            _h, roff = struct.unpack_from("<II", data, start + toff + 8 * e)
            if roff:
                vid, _key = record(roff)
                if vid >= count:
                    raise bad
    out = []
    for i in range(count):
        (roff,) = _U32.unpack_from(data, start + bwd_offset + 4 * i)
        vid, key = record(roff)
        if vid != i:
            raise bad
        try:
            out.append(key.decode("utf-8"))
        except UnicodeDecodeError:
            raise bad from None
    return out


def _check_refs(data: bytes, off: int, magic: bytes, count: int, n_features: int, what: str, where: str) -> None:
    bad = MultitagError(f"{where}: the crfsuite model is damaged (its {what} references are malformed)")
    size = len(data)
    if off + 12 > size:
        raise bad
    m, csize, num = struct.unpack_from("<4sII", data, off)
    if m != magic or num < count or off + csize > size or 12 + 4 * num > csize:
        raise bad
    stop = off + csize
    for i in range(num):
        (p,) = _U32.unpack_from(data, off + 12 + 4 * i)
        if p == 0:
            continue
        if p < off + 12 + 4 * num or p + 4 > stop:
            raise bad
        (n,) = _U32.unpack_from(data, p)
        if p + 4 + 4 * n > stop:
            raise bad
        if n and max(struct.unpack_from(f"<{n}I", data, p + 4)) >= n_features:
            raise bad


def crfsuite_model_labels(data: bytes, where: str = "model.crfsuite") -> list[str]:
    """Check the whole structure of a crfsuite CRF1d model (``check_crfsuite_model``) and return
    its labels in crfsuite's order (what ``pycrfsuite.Tagger.labels()`` would return)."""
    check_crfsuite_model(data, where)
    (_m, size, _k, _v, _nf, n_labels, n_attrs, off_feat, off_labels, off_attrs, off_lrefs,
     off_arefs) = _HEADER.unpack_from(data)
    bad = MultitagError(f"{where}: the crfsuite model is damaged (its feature table is malformed)")
    if off_feat + 12 > size:
        raise bad
    magic, csize, n_feat = struct.unpack_from("<4sII", data, off_feat)
    if magic != b"FEAT" or csize != 12 + _FEATURE.size * n_feat or off_feat + csize > size:
        raise bad
    for i in range(n_feat):
        kind, src, dst, weight = _FEATURE.unpack_from(data, off_feat + 12 + _FEATURE.size * i)
        if kind == 0:
            ok = src < n_attrs and dst < n_labels
        elif kind == 1:
            ok = src < n_labels and dst < n_labels
        else:
            ok = False
        if not ok:
            raise bad
    labels = _cqdb_strings(data, off_labels, size, n_labels, "label", where)
    _cqdb_strings(data, off_attrs, size, n_attrs, "attribute", where)
    _check_refs(data, off_lrefs, b"LFRF", n_labels, n_feat, "label", where)
    _check_refs(data, off_arefs, b"AFRF", n_attrs, n_feat, "attribute", where)
    return labels


def check_crfsuite_model(data: bytes, where: str = "model.crfsuite") -> None:
    """Refuse bytes that are not a whole crfsuite CRF1d model before crfsuite parses them (a cut
    file crashes crfsuite with a segmentation fault): the magic, the model type, the file size
    recorded in the header and the section offsets must agree with ``data``."""
    if len(data) < _HEADER.size:
        raise MultitagError(f"{where}: not a crfsuite model ({len(data)} bytes)")
    magic, size, kind, _version, _nf, _nl, _na, *offsets = _HEADER.unpack_from(data)
    if magic != b"lCRF" or kind != b"FOMC":
        raise MultitagError(f"{where}: not a crfsuite CRF1d model (bad magic)")
    if size != len(data):
        raise MultitagError(f"{where}: the crfsuite model is cut or padded ({len(data)} bytes, its header says {size})")
    if any(not _HEADER.size <= off < size for off in offsets):
        raise MultitagError(f"{where}: the crfsuite model header is damaged (a section offset lies outside the file)")
