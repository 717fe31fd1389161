"""Selection profiles: what each strategy chose, against the pool it chose from (in the manner of
the genre analysis of Shen et al. 2017, paper 002).

For every acquisition setting (backend, strategy, level, training mode, seed-set selection) and
seed, the sentences its strategy chose over the whole run (the seed set excluded: it is chosen by
the seed-set selection, not the strategy) are compared with the pool:

* the length distribution (tokens per sentence) of the chosen sentences and of the pool's;
* the entity-type mix of what was revealed (at sentence level every entity of a chosen sentence;
  at entity or token level every gold entity with at least one revealed token) and of the pool;
  and the entities per 100 revealed tokens;
* where the data has document boundaries (``-DOCSTART-`` lines of a CoNLL file, which the reader
  skips; they are read here from the file itself), how many documents the selection touches.

Figures over seeds are means, with the population standard deviation (ddof=0) where shown.
"""
from __future__ import annotations

import bisect
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from multitag import settings as learner
from multitag.data.schemes import spans
from multitag.data.sentence import Sentence
from multitag.experiments.records import IterationRecord

ACQ_KEYS = ("backend", "strategy", *learner.grid_names())


@dataclass
class LengthStats:
    mean: float
    p10: float
    p50: float
    p90: float

    @classmethod
    def of(cls, lengths: Sequence[int]) -> "LengthStats":
        a = np.asarray(lengths, dtype=float)
        if not len(a):
            return cls(float("nan"), float("nan"), float("nan"), float("nan"))
        p10, p50, p90 = np.percentile(a, [10, 50, 90])
        return cls(float(a.mean()), float(p10), float(p50), float(p90))


@dataclass
class PoolProfile:
    """The pool: shape ``lengths`` (n_sentences,), entity shares by type, documents."""

    n_sentences: int
    n_tokens: int
    lengths: np.ndarray
    length: LengthStats
    entity_mix: dict[str, float]           # type -> share of the pool's entities
    entities_per_100_tokens: float
    n_documents: int | None                # None: the data has no document boundaries


@dataclass
class SelectionProfile:
    """What one acquisition setting chose, over its seeds."""

    key: dict
    seeds: int
    sentences: float                       # sentences chosen (touched), mean over seeds
    tokens: float                          # tokens revealed by the strategy, mean over seeds
    lengths: np.ndarray                    # lengths of the chosen sentences, all seeds pooled
    length: LengthStats
    entity_mix: dict[str, float]
    entities_per_100_tokens: float
    documents: float | None = None         # documents touched, mean over seeds
    documents_std: float | None = None
    per_seed_documents: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        k = self.key
        parts = [k["backend"], k["strategy"]]
        parts += [learner.info(name).label(k[name])
                  for name in learner.named_in_label({n: k.get(n) for n in learner.grid_names()})]
        return " / ".join(parts)


def document_index(path: str | None, sentences: Sequence[Sentence]) -> dict[str, int] | None:
    """Sentence id -> document number, from the ``-DOCSTART-`` lines of the CoNLL file ``path``
    (``None`` when the file has none, is not a column file, or cannot be read)."""
    if not path or not os.path.isfile(path) or path.endswith((".jsonl", ".seq.in")):
        return None
    starts = []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, start=1):
                if line.startswith("-DOCSTART-"):
                    starts.append(lineno)
    except OSError:
        return None
    if not starts:
        return None
    out = {}
    for s in sentences:
        if s.id is not None and s.line is not None:
            out[s.id] = bisect.bisect_right(starts, s.line)   # 0: before the first -DOCSTART-
    return out


def _entity_counts(sentence: Sentence, scheme: str, revealed: set[int] | None) -> Counter:
    c: Counter = Counter()
    for typ, a, b in spans(sentence.tags, scheme):
        if revealed is None or any(i in revealed for i in range(a, b)):
            c[typ] += 1
    return c


def _shares(c: Counter) -> dict[str, float]:
    total = sum(c.values())
    return {t: (c[t] / total if total else 0.0) for t in sorted(c)}


def pool_profile(pool: Sequence[Sentence], scheme: str, documents: dict[str, int] | None) -> PoolProfile:
    lengths = np.array([len(s) for s in pool], dtype=int)
    ents: Counter = Counter()
    for s in pool:
        ents += _entity_counts(s, scheme, None)
    n_tokens = int(lengths.sum())
    n_docs = None if documents is None else len({documents[s.id] for s in pool if s.id in documents})
    return PoolProfile(len(pool), n_tokens, lengths, LengthStats.of(lengths), _shares(ents),
                       100.0 * sum(ents.values()) / max(1, n_tokens), n_docs)


def selection_profiles(records: Sequence[IterationRecord], pool: Sequence[Sentence], scheme: str,
                       documents: dict[str, int] | None) -> list[SelectionProfile]:
    """One profile per acquisition setting, from the acquisition records' ``selected`` (and, below
    sentence level, ``selected_tokens``) fields. Ids not in ``pool`` are ignored."""
    by_id = {s.id: s for s in pool}
    runs: dict[tuple, dict[int, list[IterationRecord]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if isinstance(r, IterationRecord) and r.role == "acquisition":
            runs[tuple(getattr(r, k) for k in ACQ_KEYS)][r.seed].append(r)
    out = []
    for key, seeds in sorted(runs.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        lengths: list[int] = []
        ents: Counter = Counter()
        n_sent, n_tok, n_docs = [], [], []
        revealed_tokens = 0
        for seed, recs in sorted(seeds.items()):
            chosen: dict[str, set[int] | None] = {}
            for r in sorted(recs, key=lambda r: r.iteration):
                if r.selected_tokens:
                    for sid, toks in r.selected_tokens:
                        if sid in by_id:
                            cur = chosen.get(sid)
                            chosen[sid] = (cur or set()) | set(toks)
                else:
                    for sid in r.selected or []:
                        if sid in by_id:
                            chosen[sid] = None          # the whole sentence
            tokens = 0
            for sid, toks in chosen.items():
                s = by_id[sid]
                lengths.append(len(s))
                ents += _entity_counts(s, scheme, toks)
                tokens += len(s) if toks is None else len(toks)
            revealed_tokens += tokens
            n_sent.append(len(chosen))
            n_tok.append(tokens)
            if documents is not None:
                n_docs.append(len({documents[sid] for sid in chosen if sid in documents}))
        k = dict(zip(ACQ_KEYS, key))
        prof = SelectionProfile(
            key=k, seeds=len(seeds), sentences=float(np.mean(n_sent)), tokens=float(np.mean(n_tok)),
            lengths=np.array(lengths, dtype=int), length=LengthStats.of(lengths), entity_mix=_shares(ents),
            entities_per_100_tokens=100.0 * sum(ents.values()) / max(1, revealed_tokens))
        if documents is not None:
            prof.documents, prof.documents_std = float(np.mean(n_docs)), float(np.std(n_docs))
            prof.per_seed_documents = n_docs
        out.append(prof)
    return out
