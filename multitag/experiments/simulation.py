"""One simulated active-learning run: the :class:`~multitag.loop.ActiveLearner` driven by a gold
oracle, with a record per model and iteration.

seed set -> (fit, evaluate, query, answer, teach) x iterations. The acquisition model selects; every
successor is trained on the same labeled set and evaluated. The learner owns the annotation cycle
(levels, budget, accounting); this module only answers from gold tags and writes records. All
randomness derives from the run's seed and the iteration number, so a run that is killed and
started again replays the recorded selections and ends with the same numbers as an uninterrupted
run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from multitag.annotation.budget import InitialSize
from multitag.annotation.cost import CostModel
from multitag.annotation.initial import InitialSelection, get_initial_selection
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.pool import Annotation, Pool, Query
from multitag.backend import Tagger
from multitag.data.dataset import Dataset
from multitag.data.sentence import Corpus
from multitag.evaluation import Evaluator, evaluate
from multitag.experiments.records import IterationRecord, ReferenceRecord, RunSpec
from multitag.experiments.validation import Validation, split_valid_from_pool, validation_for
from multitag.loop import ActiveLearner
from multitag.strategies import get_strategy

__all__ = ["Protocol", "RunSpec", "Simulation", "run_reference"]


@dataclass
class Protocol:
    """Settings shared by every run of an experiment (already parsed and validated)."""

    initial_size: InitialSize
    budgets: list[int]
    valid: Validation = field(default_factory=lambda: Validation("dev"))
    eval_split: str = "test"
    mc_samples: int = 10
    mc_mode: str | None = None
    pool_subsample: float | None = None
    cost: CostModel = field(default_factory=CostModel)
    initial_model: str | None = None      # the model folder of a seed-set selection that needs one
    query_mode: str = "interactive"       # "batch": every query of a round chosen before any answer
    incremental: bool = False             # keep each model across rounds (warm starts), checkpointed

    def initial_selection(self, name: str) -> InitialSelection:
        return get_initial_selection(name, model=self.initial_model)


class Simulation:
    """Runs one :class:`RunSpec` under a :class:`Protocol`.

    Parameters
    ----------
    make_backend : ``f(name, seed) -> Tagger`` (unfitted).
    on_iteration : called with the list of records of each finished iteration (to append to disk).
    """

    def __init__(self, spec: RunSpec, protocol: Protocol, data: Dataset, *,
                 make_backend: Callable[[str, int], Tagger], on_iteration: Callable[[list[IterationRecord]], None],
                 progress: Callable[[str], None] | None = None, checkpoints: str | None = None):
        self.spec, self.protocol, self.data = spec, protocol, data
        self.make_backend = make_backend
        self.on_iteration = on_iteration
        self.progress = progress or (lambda phase: None)
        self.gold, self.valid_set = split_valid_from_pool(list(data.train), protocol.valid, spec.seed)
        self.pool = Pool(self.gold)
        self.oracle = SimulationOracle(self.gold, scheme=data.scheme)
        self.eval_corpus = data.split(protocol.eval_split)
        self._eval_text = [s.unlabeled() for s in self.eval_corpus]
        self._evaluator = Evaluator([s.tags for s in self.eval_corpus], scheme=data.scheme)
        self.learner = ActiveLearner(
            self.pool, make_backend(spec.backend, spec.seed), get_strategy(spec.strategy), level=spec.level,
            cost=protocol.cost, scheme=data.scheme, seed=spec.seed, mc_samples=protocol.mc_samples,
            mc_mode=protocol.mc_mode, pool_subsample=protocol.pool_subsample, training_mode=spec.training_mode)
        self.note: str | None = None   # set when the run stopped before its last iteration
        self.iterations_done = 0
        self.successor_models: dict[str, Tagger] = {}
        self.checkpoints = checkpoints   # folder of this run's model checkpoints (incremental runs)
        if protocol.incremental and checkpoints is None:
            raise ValueError("an incremental simulation needs a checkpoint folder")

    # ------------------------------------------------------------------ phases
    def _fit_and_evaluate(self, iteration: int) -> list[IterationRecord]:
        dev, train_filter = validation_for(self.protocol.valid, iteration=iteration, seed=self.spec.seed,
                                           pool=self.pool, gold=self.gold, dev=self.data.dev,
                                           pool_sample=self.valid_set)
        train = train_filter(self.learner.labeled())
        records = []
        models = [("acquisition", self.spec.backend)] + [("successor", s) for s in self.spec.successors]
        for role, name in models:
            self.progress(f"fit {name}")
            # every fit of a run uses the run's seed: same seed, same model on the same data (and
            # backends' caches keyed by seed, e.g. the CRF's word clusters, stay valid across iterations)
            seed = self.spec.seed
            incremental = self.protocol.incremental
            if role == "acquisition":
                model = self.learner.fit(train=train, dev=dev, seed=seed, unlabeled=self.pool.sentences,
                                         incremental=incremental)
                train_s = self.learner.timings["train_seconds"]
            else:
                model = self.successor_models.get(name) if incremental else None
                if model is None:
                    model = self.make_backend(name, seed)
                    model.observe_unlabeled(self.pool.sentences)
                t0 = time.perf_counter()
                model.fit(train, dev)
                train_s = time.perf_counter() - t0
                if incremental:
                    self.successor_models[name] = model
            if incremental:
                self._checkpoint(role, name, model, iteration)
            self.progress(f"evaluate {name}")
            t0 = time.perf_counter()
            scores = self._evaluator.score([p.tags for p in model.predict(self._eval_text)])
            totals = self.learner.totals
            records.append(IterationRecord(
                role=role, **self.spec.key(), model=name, iteration=iteration,
                tokens_annotated=self.pool.n_revealed_tokens,
                tokens_fraction=self.pool.n_revealed_tokens / self.pool.n_tokens,
                sentences_annotated=self.pool.n_touched_sentences, entities_annotated=totals.entities,
                estimated_seconds=round(totals.seconds, 3), train_sentences=len(train),
                valid_sentences=0 if dev is None else len(dev), precision=scores["precision"],
                recall=scores["recall"], f1=scores["f1"],
                per_type={t: round(v["f1"], 6) for t, v in scores["per_type"].items()},
                train_seconds=round(train_s, 4), eval_seconds=round(time.perf_counter() - t0, 4)))
        return records

    # ------------------------------------------------------------------ checkpoints (incremental runs)
    def _checkpoint_path(self, role: str, name: str, iteration: int) -> str:
        import os

        return os.path.join(self.checkpoints, f"{role}-{name}", f"iteration-{iteration:04d}")

    def _checkpoint(self, role: str, name: str, model: Tagger, iteration: int) -> None:
        """Save the model after this iteration's fit (the model template, atomic); keep the last two."""
        import os
        import shutil

        model.save(self._checkpoint_path(role, name, iteration))
        folder = os.path.dirname(self._checkpoint_path(role, name, iteration))
        for old in sorted(f for f in os.listdir(folder) if f.startswith("iteration-"))[:-2]:
            shutil.rmtree(os.path.join(folder, old), ignore_errors=True)

    def _restore(self, iteration: int) -> None:
        """Load the models as they were after ``iteration`` (resume an incremental run exactly)."""
        import os

        from multitag.errors import MultitagError
        from multitag.persistence import load_model

        models = [("acquisition", self.spec.backend)] + [("successor", s) for s in self.spec.successors]
        for role, name in models:
            path = self._checkpoint_path(role, name, iteration)
            if not os.path.isdir(path):
                raise MultitagError(f"{path}: the checkpoint an incremental run resumes from is missing; the run "
                                    "cannot continue with the same weights (use another --out to start over)")
            model = load_model(path)
            if role == "acquisition":
                self.learner.model = model
            else:
                self.successor_models[name] = model

    @staticmethod
    def _selection_fields(record: IterationRecord, pool: Pool, answers: Sequence[Annotation], level: str) -> None:
        record.selected = list(dict.fromkeys(pool.sentences[a.sentence].id for a in answers))
        if level != "sentence":
            record.selected_tokens = [[pool.sentences[a.sentence].id, list(a.tokens)] for a in answers]
            asked: dict[int, set[int]] = {}
            for a in answers:
                asked.setdefault(a.sentence, set()).update(a.asked_tokens)
            record.queried_tokens = [[pool.sentences[i].id, sorted(t)] for i, t in asked.items()]

    # ------------------------------------------------------------------ the run
    def run(self, previous: Sequence[IterationRecord] = ()) -> None:
        """Run (or resume) to the end; ``previous`` are records already on disk (any runs)."""
        n_models = 1 + len(self.spec.successors)
        done: dict[int, list[IterationRecord]] = {}
        for r in previous:
            if self.spec.owns(r):
                done.setdefault(r.iteration, []).append(r)
        K = len(self.protocol.budgets)
        seed_queries = self.learner.initial_queries(self.protocol.initial_size,
                                                    self.protocol.initial_selection(self.spec.initial))
        seed_set = self.oracle.annotate(seed_queries)
        seed_ids = [self.pool.sentences[a.sentence].id for a in seed_set]
        self.learner.teach(seed_set, 0)
        start = 0
        for it in range(K + 1):
            recs = done.get(it, [])
            if len(recs) < n_models:
                break
            acq = next(r for r in recs if r.role == "acquisition")
            if it < K:
                if not self._replay(acq, it + 1):
                    self.iterations_done = it + 1
                    return  # the run had stopped early there (pool exhausted)
            start = it + 1
        if self.protocol.incremental and start > 0:
            self._restore(start - 1)
        for it in range(start, K + 1):
            records = self._fit_and_evaluate(it)
            acq = records[0]
            if it == 0:
                acq.initial_selected = seed_ids
            stop = False
            if it < K:
                self.progress("select")
                if self.protocol.query_mode == "batch":   # as when a batch goes out to an annotation tool
                    batch = self.learner.query(self.protocol.budgets[it], iteration=it)
                    batch.answers = self.oracle.annotate(batch.queries)
                else:                                     # an annotator in the loop answers each query
                    batch = self.learner.query(self.protocol.budgets[it], iteration=it, annotate=self.oracle.answer)
                acq.predict_seconds = round(self.learner.timings.get("predict_seconds", 0.0), 4)
                acq.select_seconds = round(self.learner.timings.get("select_seconds", 0.0), 4)
                acq.budget = self.protocol.budgets[it]
                self._selection_fields(acq, self.pool, batch.answers, self.spec.level)
                self.learner.teach(batch.answers, it + 1)
                if not batch.answers:
                    acq.note = self.note = "the pool is exhausted: nothing is left to annotate at this level"
                    stop = True
            self.on_iteration(records)
            self.iterations_done = it + 1
            if stop:
                return

    def _replay(self, acq: IterationRecord, iteration: int) -> bool:
        """Re-apply a recorded selection (resume); False when it recorded that the run stopped."""
        idx = self.pool.index
        level = self.spec.level
        if acq.note is not None and not acq.selected:
            return False
        if level == "sentence":
            queries = [Query(idx[sid], tuple(range(int(self.pool.lengths[idx[sid]]))), "sentence")
                       for sid in acq.selected or []]
            self.learner.teach(self.oracle.annotate(queries), iteration)
            return True
        asked = {idx[sid]: tuple(toks) for sid, toks in acq.queried_tokens or []}
        answers, given = [], set()
        for sid, toks in acq.selected_tokens or []:
            i = idx[sid]
            ans = self.oracle.answer(Query(i, tuple(toks), level))
            # the sentence's asked tokens go with its first answer (the accounting unions them per sentence)
            answers.append(Annotation(ans.sentence, ans.tokens, ans.tags, () if i in given else asked.get(i, ()), level))
            given.add(i)
        self.learner.teach(answers, iteration)
        return True


def run_reference(name: str, data: Dataset, protocol: Protocol, make_backend: Callable[[str, int], Tagger],
                  seed: int = 0) -> ReferenceRecord:
    """Train ``name`` once on the whole pool (every gold tag) and evaluate: the full-data F1."""
    gold, valid_set = split_valid_from_pool(list(data.train), protocol.valid, seed)
    dev = data.dev if protocol.valid.kind == "dev" else (Corpus(valid_set) if valid_set else None)
    model = make_backend(name, seed)
    model.observe_unlabeled([s.unlabeled() for s in gold])
    t0 = time.perf_counter()
    model.fit(Corpus(gold), dev)
    train_s = time.perf_counter() - t0
    corpus = data.split(protocol.eval_split)
    preds = model.predict([s.unlabeled() for s in corpus])
    scores = evaluate([s.tags for s in corpus], [p.tags for p in preds], scheme=data.scheme)
    return ReferenceRecord(model=name, seed=seed, tokens_annotated=sum(len(s) for s in gold), tokens_fraction=1.0,
                           precision=scores["precision"], recall=scores["recall"], f1=scores["f1"],
                           train_seconds=round(train_s, 4))
