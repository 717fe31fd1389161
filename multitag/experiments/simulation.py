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
from multitag.annotation.initial import InitialSelection, get_initial_selection
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.levels import get_level
from multitag.annotation.pool import Annotation, Pool
from multitag.backend import Tagger
from multitag.data.dataset import Dataset
from multitag.data.sentence import Corpus
from multitag.evaluation import Evaluator, evaluate
from multitag.experiments.records import IterationRecord, ReferenceRecord, RunSpec
from multitag.experiments.successors import PseudoLabels, pseudo_labelled, successors_due
from multitag.experiments.validation import Validation, split_valid_from_pool, validation_for
from multitag.loop import ActiveLearner
from multitag.pool_pass import ShardRunner
from multitag.settings import LearnerSettings
from multitag.strategies import get_strategy

__all__ = ["Protocol", "RunSpec", "Simulation", "run_reference"]


@dataclass
class Protocol:
    """Settings shared by every run of an experiment (already parsed and validated): the budgets,
    validation and evaluation, and the learner settings (:class:`LearnerSettings`) whose grid
    values each run's :class:`RunSpec` fills in."""

    initial_size: InitialSize
    budgets: list[int]
    valid: Validation = field(default_factory=lambda: Validation("dev"))
    eval_split: str = "test"
    learner: LearnerSettings = field(default_factory=LearnerSettings)

    def settings_of(self, spec: RunSpec) -> LearnerSettings:
        """The learner settings of one run."""
        return self.learner.replace(**spec.grid_values())

    def initial_selection(self, name: str) -> InitialSelection:
        return get_initial_selection(name, model=self.learner.initial_lm)


class Simulation:
    """Runs one :class:`RunSpec` under a :class:`Protocol`.

    Parameters
    ----------
    make_backend : ``f(name, seed) -> Tagger`` (unfitted).
    on_iteration : called with the list of records of each finished iteration (to append to disk).
    shards : where the shards of each round's pool pass run (default: here, one after another).
    """

    def __init__(self, spec: RunSpec, protocol: Protocol, data: Dataset, *,
                 make_backend: Callable[[str, int], Tagger], on_iteration: Callable[[list[IterationRecord]], None],
                 progress: Callable[[str], None] | None = None, checkpoints: str | None = None,
                 shards: ShardRunner | None = None):
        self.spec, self.protocol, self.data = spec, protocol, data
        self.make_backend = make_backend
        self.on_iteration = on_iteration
        self.progress = progress or (lambda phase: None)
        self.gold, self.valid_set = split_valid_from_pool(data.train, protocol.valid, spec.seed)
        self.pool = Pool(self.gold)
        self.oracle = SimulationOracle(self.gold, scheme=data.scheme)
        self.eval_corpus = data.split(protocol.eval_split)
        self._eval_text = [s.unlabeled() for s in self.eval_corpus]
        self._evaluator = Evaluator([s.tags for s in self.eval_corpus], scheme=data.scheme)
        self.settings = protocol.settings_of(spec)
        self.learner = ActiveLearner(self.pool, make_backend(spec.backend, spec.seed), get_strategy(spec.strategy),
                                     self.settings, scheme=data.scheme, seed=spec.seed, shards=shards)
        self.note: str | None = None   # set when the run stopped before its last iteration
        self.iterations_done = 0
        self.successor_models: dict[str, Tagger] = {}
        self._pseudo: PseudoLabels | None = None   # this iteration's pseudo-labelled sentences, once chosen
        self.checkpoints = checkpoints   # folder of this run's model checkpoints (incremental runs)
        if self.settings.incremental and checkpoints is None:
            raise ValueError("an incremental simulation needs a checkpoint folder")

    # ------------------------------------------------------------------ phases
    def _training_sets(self, iteration: int) -> tuple[Corpus, Corpus | None]:
        dev, train_filter = validation_for(self.protocol.valid, iteration=iteration, seed=self.spec.seed,
                                           pool=self.pool, gold=self.gold, dev=self.data.dev,
                                           pool_sample=self.valid_set)
        return train_filter(self.learner.labeled()), dev

    def _fit_and_evaluate(self, iteration: int, train: Corpus, dev: Corpus | None, *,
                          successors: bool = True, acquisition: bool = True) -> list[IterationRecord]:
        """Fit and evaluate the acquisition model and (``successors``) every successor on
        ``train``/``dev``: one record each."""
        records = []
        models = ([("acquisition", self.spec.backend)] if acquisition else []) + (
            [("successor", s) for s in self.spec.successors] if successors else [])
        for role, name in models:
            self.progress(f"fit {name}")
            # every fit of a run uses the run's seed: same seed, same model on the same data (and
            # backends' caches keyed by seed, e.g. the CRF's word clusters, stay valid across iterations)
            seed = self.spec.seed
            incremental = self.settings.incremental
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
                model.fit(self._successor_train(train), dev)
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

    def _successor_train(self, train: Corpus) -> Corpus:
        """What successors train on: the labeled set, plus the acquisition model's pseudo-labels
        when the run asks for them (:func:`~multitag.experiments.successors.pseudo_labelled`)."""
        fraction = self.settings.successor_pseudo_labels
        if not fraction:
            return train
        if self._pseudo is None:
            self._pseudo = pseudo_labelled(self.learner.model, self.pool, fraction)
        return Corpus(list(train) + self._pseudo.sentences)

    def _successors_due(self, iteration: int) -> bool:
        return successors_due(iteration, last=len(self.protocol.budgets), every=self.settings.successor_every)

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
        trained = max(i for i in range(iteration + 1) if self._successors_due(i))  # successors' last fit
        for role, name in models:
            path = self._checkpoint_path(role, name, iteration if role == "acquisition" else trained)
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
        for name, value in get_level(level).record_fields(pool, answers).items():
            setattr(record, name, value)

    # ------------------------------------------------------------------ the run
    def run(self, previous: Sequence[IterationRecord] = ()) -> None:
        """Run (or resume) to the end; ``previous`` are records already on disk (any runs)."""
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
            acq = next((r for r in recs if r.role == "acquisition"), None)
            # successors have records where they were due, and at an iteration where the run stopped
            due = acq is not None and (self._successors_due(it) or acq.note is not None)
            if acq is None or len(recs) < 1 + (len(self.spec.successors) if due else 0):
                break
            if it < K:
                if not self._replay(acq, it + 1):
                    self.iterations_done = it + 1
                    return  # the run had stopped early there (pool exhausted)
            start = it + 1
        if self.settings.incremental and start > 0:
            self._restore(start - 1)
        for it in range(start, K + 1):
            self._pseudo = None
            train, dev = self._training_sets(it)
            due = self._successors_due(it)
            records = self._fit_and_evaluate(it, train, dev, successors=due)
            acq = records[0]
            if it == 0:
                acq.initial_selected = seed_ids
            stop = False
            if it < K:
                self.progress("select")
                if self.settings.query_mode == "batch":   # as when a batch goes out to an annotation tool
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
            if stop and not due:   # the run ends here: its successors are evaluated at its last iteration
                records += self._fit_and_evaluate(it, train, dev, acquisition=False)
            self.on_iteration(records)
            self.iterations_done = it + 1
            if stop:
                return

    def _replay(self, acq: IterationRecord, iteration: int) -> bool:
        """Re-apply a recorded selection (resume); False when it recorded that the run stopped."""
        if acq.note is not None and not acq.selected:
            return False
        self.learner.teach(get_level(self.spec.level).replay(self.pool, self.oracle.answer, vars(acq)), iteration)
        return True


def run_reference(name: str, data: Dataset, protocol: Protocol, make_backend: Callable[[str, int], Tagger],
                  seed: int = 0) -> ReferenceRecord:
    """Train ``name`` once on the whole pool (every gold tag) and evaluate: the full-data F1."""
    gold, valid_set = split_valid_from_pool(data.train, protocol.valid, seed)
    dev = data.dev if protocol.valid.kind == "dev" else (Corpus(valid_set) if len(valid_set) else None)
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
