"""One simulated active-learning run: seed set -> (fit, evaluate, predict pool, select, reveal) x iterations.

The acquisition model selects; every successor is trained on the same labeled set and evaluated
(the acquisition model is evaluated too). All randomness derives from the run's seed and the
iteration number, so a run that is killed and started again replays the recorded selections and
ends with the same numbers as an uninterrupted run.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from multitag.annotation.cost import CONTEXT_WINDOW, CostModel
from multitag.annotation.initial import initial_order
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.pool import Annotation, Pool
from multitag.annotation.training_modes import apply_mode, resolve_mode
from multitag.backend import Tagger
from multitag.data.dataset import Dataset
from multitag.data.sentence import Corpus, Sentence
from multitag.evaluation import Evaluator, evaluate
from multitag.experiments.budget import InitialSize
from multitag.loop import ActiveLearner
from multitag.strategies import get_strategy

# stream ids for np.random.default_rng([seed, iteration, stream])
_SELECT, _VALID, _SUBSAMPLE, _INITIAL = 1, 2, 3, 4


@dataclass(frozen=True)
class RunSpec:
    """The grid point of one run."""

    backend: str                       # the acquisition model
    strategy: str
    seed: int
    successors: tuple[str, ...] = ()
    level: str = "sentence"
    training_mode: str = "auto"
    initial: str = "random"

    def key(self) -> dict:
        d = asdict(self)
        d["successors"] = list(self.successors)
        return d

    def label(self) -> str:
        parts = [self.backend, self.strategy, f"seed {self.seed}"]
        if self.level != "sentence":
            parts.append(self.level)
        if self.training_mode != "auto":
            parts.append(self.training_mode)
        if self.initial != "random":
            parts.append(f"init {self.initial}")
        return " / ".join(parts)


@dataclass
class Protocol:
    """Settings shared by every run of an experiment (already parsed)."""

    initial_size: InitialSize
    budgets: list[int]
    valid: str = "dev"                 # dev | none | P% | P%-of-pool
    eval_split: str = "test"
    mc_samples: int = 10
    mc_mode: str | None = None
    pool_subsample: float | None = None
    cost: CostModel = field(default_factory=CostModel)
    lm_scorer: Callable | None = None


def _matches(record: dict, key: dict) -> bool:
    return all(record.get(k) == v for k, v in key.items())


def split_valid_from_pool(sentences: Sequence[Sentence], valid: str, seed: int) -> tuple[list[Sentence], list[Sentence]]:
    """(pool, validation) when validation is a fraction of the pool (``1%-of-pool``), else (all, [])."""
    if not valid.endswith("%-of-pool"):
        return list(sentences), []
    frac = float(valid[: -len("%-of-pool")]) / 100
    rng = np.random.default_rng([seed, 0, _VALID])
    k = max(1, int(round(len(sentences) * frac)))
    chosen = set(rng.choice(len(sentences), size=k, replace=False).tolist())
    return [s for i, s in enumerate(sentences) if i not in chosen], [sentences[i] for i in sorted(chosen)]


class Simulation:
    """Runs one :class:`RunSpec` under a :class:`Protocol`.

    Parameters
    ----------
    make_backend : ``f(name, seed) -> Tagger`` (unfitted).
    on_iteration : called with the list of records of each finished iteration (to append to disk).
    """

    def __init__(self, spec: RunSpec, protocol: Protocol, data: Dataset, *,
                 make_backend: Callable[[str, int], Tagger], on_iteration: Callable[[list[dict]], None],
                 progress: Callable[[str], None] | None = None):
        self.spec, self.protocol, self.data = spec, protocol, data
        self.make_backend = make_backend
        self.on_iteration = on_iteration
        self.progress = progress or (lambda phase: None)
        gold, self.valid_set = split_valid_from_pool(list(data.train), protocol.valid, spec.seed)
        self.gold = gold
        self.pool = Pool(gold)
        self.oracle = SimulationOracle(gold, widen_to_entities=spec.level == "entity", scheme=data.scheme)
        self.eval_corpus = data.split(protocol.eval_split)
        self._eval_text = [s.unlabeled() for s in self.eval_corpus]
        self._evaluator = Evaluator([s.tags for s in self.eval_corpus], scheme=data.scheme)
        self._unlabeled = self.pool.sentences
        acq = make_backend(spec.backend, spec.seed)
        self.mode = resolve_mode(spec.training_mode, type(acq).partial_training)
        self.learner = ActiveLearner(
            self.pool, acq, get_strategy(spec.strategy), mc_samples=protocol.mc_samples, mc_mode=protocol.mc_mode,
            pool_subsample=protocol.pool_subsample)
        self.entities = 0
        self.seconds = 0.0

    # ------------------------------------------------------------------ bookkeeping
    def _account(self, annotations: Sequence[Annotation], queried: dict[int, set[int]] | None) -> None:
        """Add the cost of annotations revealed in one iteration (``queried``: tokens asked for, at
        sub-sentence levels; ``None`` at sentence level)."""
        by_sentence: dict[int, set[int]] = {}
        for a in annotations:
            by_sentence.setdefault(a.sentence, set()).update(a.tokens)
        read = labels = 0
        for i, toks in by_sentence.items():
            tags = [self.gold[i].tags[t] for t in sorted(toks)]
            spans_here = sum(1 for t in tags if t is not None and t[0] in "BS")
            self.entities += spans_here
            if queried is None:
                read += len(self.gold[i])
                labels += spans_here
            else:
                window = set()
                for t in toks:
                    window.update(range(max(0, t - CONTEXT_WINDOW), min(len(self.gold[i]), t + CONTEXT_WINDOW + 1)))
                read += len(window)
                # one decision per entity span (its B-/S- token) plus one per other token queried on
                # its own: an O, or at token level an inside token labelled without its entity
                labels += spans_here + sum(
                    1 for t in queried.get(i, ())
                    if self.gold[i].tags[t] == "O" or (self.spec.level == "token" and self.gold[i].tags[t][0] in "IE"))
        self.seconds += self.protocol.cost.seconds(sentences=0, tokens_read=read, labels=labels)

    def _reveal(self, annotations: list[Annotation], iteration: int, queried: dict[int, set[int]] | None):
        counts = self.pool.revealed_counts()
        new_sentences = len({a.sentence for a in annotations if counts[a.sentence] == 0})
        stats = self.pool.reveal(annotations, iteration)
        self._account(annotations, queried)
        self.seconds += self.protocol.cost.sentence * new_sentences
        return stats

    # ------------------------------------------------------------------ phases
    def _seed_set(self) -> list[Annotation]:
        rng = np.random.default_rng([self.spec.seed, 0, _INITIAL])
        order = initial_order(self.spec.initial, self.pool.sentences if self.spec.initial != "nnp" else self.gold, rng,
                              lm_scorer=self.protocol.lm_scorer)
        size = self.protocol.initial_size
        if size.sentences is not None:
            chosen = order[: size.sentences]
        else:
            budget = int(round(self.pool.n_tokens * size.fraction))
            cum = np.cumsum(self.pool.lengths[order])
            chosen = order[: int(np.searchsorted(cum, budget) + 1)]
        return self.oracle.annotate([self._whole(i) for i in chosen])

    def _whole(self, i: int):
        from multitag.annotation.pool import Query

        return Query(int(i), tuple(range(int(self.pool.lengths[i]))))

    def _dev(self, iteration: int) -> tuple[Corpus | None, Callable[[Corpus], Corpus]]:
        """The validation corpus for this iteration and a filter for the training corpus."""
        v = self.protocol.valid
        if v == "none":
            return None, lambda c: c
        if v == "dev":
            return self.data.dev, lambda c: c
        if v.endswith("%-of-pool"):
            return Corpus(self.valid_set, name="valid"), lambda c: c
        frac = float(v[:-1]) / 100
        labeled = self.pool.touched()
        full = [i for i in labeled if self.pool.revealed_counts()[i] == self.pool.lengths[i]]
        rng = np.random.default_rng([self.spec.seed, iteration, _VALID])
        k = int(round(len(full) * frac))
        if k == 0 or len(full) - k < 1:
            return None, lambda c: c
        held = set(rng.choice(full, size=k, replace=False).tolist())
        dev = Corpus([self.gold[i] for i in sorted(held)], name="valid")
        held_ids = {self.pool.sentences[i].id for i in held}
        return dev, lambda c: Corpus([s for s in c if s.id not in held_ids], name=c.name)

    def _fit_and_evaluate(self, iteration: int) -> list[dict]:
        dev, train_filter = self._dev(iteration)
        base = apply_mode(self.pool.labeled(), self.mode)
        train = train_filter(base)
        records = []
        models = [("acquisition", self.spec.backend)] + [("successor", s) for s in self.spec.successors]
        for k, (role, name) in enumerate(models):
            self.progress(f"fit {name}")
            # every fit of a run uses the run's seed: same seed, same model on the same data (and
            # backends' caches keyed by seed, e.g. the CRF's word clusters, stay valid across iterations)
            seed = self.spec.seed
            if role == "acquisition":
                model = self.learner.fit(train=train, dev=dev, seed=seed, unlabeled=self._unlabeled)
                train_s = self.learner.timings["train_seconds"]
            else:
                model = self.make_backend(name, seed)
                model.observe_unlabeled(self._unlabeled)
                t0 = time.perf_counter()
                model.fit(train, dev)
                train_s = time.perf_counter() - t0
            self.progress(f"evaluate {name}")
            t0 = time.perf_counter()
            preds = model.predict(self._eval_text)
            scores = self._evaluator.score([p.tags for p in preds])
            records.append({
                **self.spec.key(), "role": role, "model": name, "iteration": iteration,
                "tokens_annotated": self.pool.n_revealed_tokens,
                "tokens_fraction": self.pool.n_revealed_tokens / self.pool.n_tokens,
                "sentences_annotated": self.pool.n_touched_sentences,
                "entities_annotated": self.entities,
                "estimated_seconds": round(self.seconds, 3),
                "train_sentences": len(train), "valid_sentences": 0 if dev is None else len(dev),
                "precision": scores["precision"], "recall": scores["recall"], "f1": scores["f1"],
                "per_type": {t: round(v["f1"], 6) for t, v in scores["per_type"].items()},
                "train_seconds": round(train_s, 4), "eval_seconds": round(time.perf_counter() - t0, 4),
                "predict_seconds": 0.0, "select_seconds": 0.0,
            })
        return records

    def _select(self, iteration: int, budget: int) -> tuple[list[Annotation], dict[int, set[int]] | None]:
        rng = np.random.default_rng([self.spec.seed, iteration, _SELECT])
        self.progress("select")
        if self.spec.level == "sentence":
            queries = self.learner.query(budget, rng=rng)
            return self.oracle.annotate(queries), None
        annotations, queried, spent = [], {}, 0
        revealed_now: dict[int, set[int]] = {}
        for q in self.learner.rank_tokens(rng=rng):
            t = q.tokens[0]
            if t in revealed_now.get(q.sentence, ()):
                continue  # already revealed this round by a wider entity annotation
            ann = self.oracle.annotate([q])[0]
            fresh = [k for k in ann.tokens if k not in revealed_now.get(q.sentence, ())]
            revealed_now.setdefault(q.sentence, set()).update(ann.tokens)
            queried.setdefault(q.sentence, set()).add(t)
            annotations.append(ann)
            spent += len(fresh)
            if spent >= budget:
                break
        return annotations, queried

    # ------------------------------------------------------------------ the run
    def run(self, previous: Sequence[dict] = ()) -> None:
        """Run (or resume) to the end; ``previous`` are records already on disk (any runs)."""
        key = self.spec.key()
        mine = [r for r in previous if r.get("role") in ("acquisition", "successor") and _matches(r, key)]
        n_models = 1 + len(self.spec.successors)
        done = {}
        for r in mine:
            done.setdefault(r["iteration"], []).append(r)
        K = len(self.protocol.budgets)
        seed_set = self._seed_set()
        self.seed_ids = [self.pool.sentences[a.sentence].id for a in seed_set]
        self._reveal(seed_set, 0, None)
        start = 0
        for it in range(K + 1):
            recs = done.get(it, [])
            if len(recs) < n_models:
                break
            acq = next(r for r in recs if r["role"] == "acquisition")
            if it < K:
                self._replay(acq, it + 1)
            start = it + 1
        for it in range(start, K + 1):
            records = self._fit_and_evaluate(it)
            if it == 0:
                records[0]["initial_selected"] = self.seed_ids
            if it < K:
                annotations, queried = self._select(it, self.protocol.budgets[it])
                sel_ids = []
                for a in annotations:
                    sid = self.pool.sentences[a.sentence].id
                    if sid not in sel_ids:
                        sel_ids.append(sid)
                acq = records[0]
                acq["predict_seconds"] = round(self.learner.timings.get("predict_seconds", 0.0), 4)
                acq["select_seconds"] = round(self.learner.timings.get("select_seconds", 0.0), 4)
                acq["budget"] = self.protocol.budgets[it]
                acq["selected"] = sel_ids
                if self.spec.level != "sentence":
                    acq["selected_tokens"] = [[self.pool.sentences[a.sentence].id, list(a.tokens)] for a in annotations]
                    acq["queried_tokens"] = [[self.pool.sentences[i].id, sorted(t)] for i, t in queried.items()]
                self._reveal(annotations, it + 1, queried)
            self.on_iteration(records)

    def _replay(self, acq_record: dict, iteration: int) -> None:
        """Re-apply a recorded selection (resume)."""
        idx = self.pool.index
        if self.spec.level == "sentence":
            annotations = self.oracle.annotate([self._whole(idx[sid]) for sid in acq_record.get("selected", [])])
            self._reveal(annotations, iteration, None)
            return
        queries = []
        from multitag.annotation.pool import Query

        for sid, toks in acq_record.get("selected_tokens", []):
            queries.append(Query(idx[sid], tuple(toks)))
        annotations = self.oracle.annotate(queries)
        queried = {idx[sid]: set(t) for sid, t in acq_record.get("queried_tokens", [])}
        self._reveal(annotations, iteration, queried)


def run_reference(name: str, data: Dataset, protocol: Protocol, make_backend: Callable[[str, int], Tagger],
                  seed: int = 0) -> dict:
    """Train ``name`` once on the whole pool (every gold tag) and evaluate: the full-data F1."""
    gold, valid_set = split_valid_from_pool(list(data.train), protocol.valid, seed)
    dev = data.dev if protocol.valid == "dev" else (Corpus(valid_set) if valid_set else None)
    model = make_backend(name, seed)
    model.observe_unlabeled([s.unlabeled() for s in gold])
    t0 = time.perf_counter()
    model.fit(Corpus(gold), dev)
    train_s = time.perf_counter() - t0
    corpus = data.split(protocol.eval_split)
    preds = model.predict([s.unlabeled() for s in corpus])
    scores = evaluate([s.tags for s in corpus], [p.tags for p in preds], scheme=data.scheme)
    n_tokens = sum(len(s) for s in gold)
    return {"role": "reference", "model": name, "seed": seed, "tokens_annotated": n_tokens, "tokens_fraction": 1.0,
            "precision": scores["precision"], "recall": scores["recall"], "f1": scores["f1"],
            "train_seconds": round(train_s, 4)}
