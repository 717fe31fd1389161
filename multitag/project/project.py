"""An annotation project: real rounds with people, stored in one SQLite file (:mod:`.store`).

A project folder ``P`` holds ``project.sqlite`` and ``models/`` (one model per round that trained
one, written through the model template). The whole annotation cycle is the
:class:`~multitag.loop.ActiveLearner`'s: the store is replayed into a pool (each round's answers
taught in order), so a project driven by a scripted annotator makes, round for round, the
selections of ``multitag compare --query-mode batch`` with the same seed, strategy and level.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from multitag.annotation.budget import InitialSize
from multitag.annotation.cost import CostModel
from multitag.annotation.pool import Annotation, Pool, Query
from multitag.data.sentence import Sentence, sort_labels
from multitag.errors import CompatibilityError, MultitagError
from multitag.fileio import FolderLock
from multitag.project import formats
from multitag.project.importer import apply_import, file_sha256, now, plan_import
from multitag.project.store import DB_NAME, Store

MODELS = "models"
QUERY_LOCK = ".query.lock"


@dataclass
class Settings:
    """What a project runs, fixed at ``init`` (stored in ``meta``)."""

    backend: str
    params: dict[str, Any]
    strategy: str
    level: str
    entity_types: list[str]
    initial: str = "random"
    initial_lm: str | None = None
    seed: int = 0
    training_mode: str = "auto"
    mc_samples: int = 10
    mc_mode: str | None = None
    cost_model: dict[str, float] | None = None
    tokenizer: str = "spacy"

    @property
    def labels(self) -> list[str]:
        return sort_labels(["O"] + [f"{p}-{t}" for t in self.entity_types for p in ("B", "I")])

    def to_json(self) -> dict:
        return dict(self.__dict__)


def check_settings(s: Settings, *, has_pos: bool) -> Settings:
    """Every setting validated (and backend parameters coerced) before anything is written."""
    from multitag import registry
    from multitag.annotation.initial import initial_selection_class
    from multitag.annotation.levels import get_level
    from multitag.annotation.training_modes import check_mode
    from multitag.loop import check_compatible
    from multitag.params import coerce_params
    from multitag.strategies import get_strategy

    cls = registry.resolve(s.backend).cls
    s.params = coerce_params(cls, s.params, backend=s.backend)
    registry.create(s.backend, labels=s.labels, seed=s.seed, **s.params).check()
    strategy = get_strategy(s.strategy)
    problem = get_level(s.level).refusal(strategy) or check_compatible(cls, strategy, mc_mode=s.mc_mode, backend_name=s.backend)
    problem = problem or check_mode(s.training_mode, partial_training=cls.partial_training, has_pos=has_pos, backend=s.backend)
    if problem:
        raise CompatibilityError(problem)
    initial = initial_selection_class(s.initial)
    if initial.needs_pos and not has_pos:
        raise CompatibilityError(f"initial selection {s.initial!r} needs POS tags, and this text has none")
    initial(model=s.initial_lm).check()
    CostModel.from_dict(s.cost_model or {})
    if not s.entity_types:
        raise MultitagError("no labels: pass --labels PER,LOC,... (or text whose tags name them)")
    return s


def _sentence_hash(text: str, tokens: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([text, list(tokens)], ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------- creating a project
def init_project(path: str, text_file: str, settings: Settings, *, text_format: str = "auto", documents: bool = False,
                 eval_file: str | None = None) -> dict:
    """Create project ``path`` from ``text_file``; the folder appears complete or not at all."""
    from multitag.data import load_dataset
    from multitag.project.ingest import read_text

    if os.path.exists(os.path.join(path, DB_NAME)):
        raise MultitagError(f"{path} is already a project; use another folder")
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise MultitagError(f"{path} exists and is not an empty folder; use another folder")
    docs = read_text(text_file, fmt=text_format, tokenizer_name=settings.tokenizer, documents=documents)
    found = {t[2:] for d in docs for tags in d.tags if tags for t in tags if t not in (None, "O")}
    unknown = found - set(settings.entity_types) if settings.entity_types else set()
    if unknown:
        raise MultitagError(f"{text_file}: tags of types {', '.join(sorted(unknown))} are not among --labels "
                            f"{','.join(settings.entity_types)}")
    if not settings.entity_types:
        settings.entity_types = sorted(found)
    settings.entity_types = sorted(set(settings.entity_types))
    has_pos = all(p is not None for d in docs for p in d.pos)
    gold = None
    if eval_file:
        gold = load_dataset(eval_file).train
        if any(not s.is_fully_annotated for s in gold):
            raise MultitagError(f"{eval_file}: the gold evaluation set must be fully annotated")
        extra = {t[2:] for s in gold for t in s.tags if t != "O"} - set(settings.entity_types or found)
        if extra:
            raise MultitagError(f"{eval_file}: gold tags of types {', '.join(sorted(extra))} are not project labels")
    settings = check_settings(settings, has_pos=has_pos)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(path))}.init-", dir=parent)
    try:
        uid = uuid.uuid4().hex
        store = Store(tmp, create=True)
        store.create_schema({"project_uid": uid, "settings": settings.to_json(), "created": now(),
                             "text_file": os.path.abspath(text_file), "eval_file": os.path.abspath(eval_file) if eval_file else None})
        n_sent = n_tok = n_ann = 0
        with store.transaction() as c:
            stamp = now()
            text_round = any(tags is not None and any(t is not None for t in tags) for d in docs for tags in d.tags)
            if text_round:
                c.execute("INSERT INTO rounds (id, kind, created, level) VALUES (0, 'text', ?, 'sentence')", (stamp,))
            for d in docs:
                doc_id = c.execute("INSERT INTO documents (name, text) VALUES (?, ?)", (d.name, d.text)).lastrowid
                for piece, tags, pos, source in zip(d.sentences, d.tags, d.pos, d.sources):
                    sid = c.execute(
                        "INSERT INTO sentences (document_id, offset, text, tokens, starts, ends, pos, hash, source) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (doc_id, piece.offset, piece.text, json.dumps(piece.tokens, ensure_ascii=False),
                         json.dumps(piece.starts), json.dumps(piece.ends),
                         None if pos is None else json.dumps(pos), _sentence_hash(piece.text, piece.tokens), source)).lastrowid
                    n_sent += 1
                    n_tok += len(piece.tokens)
                    for t, tag in enumerate(tags or []):
                        if tag is not None:
                            c.execute("INSERT INTO annotations (sentence_id, token, tag, round_id, annotator, created) "
                                      "VALUES (?, ?, ?, 0, ?, ?)", (sid, t, tag, f"file:{os.path.basename(text_file)}", stamp))
                            n_ann += 1
            for s in gold or []:
                c.execute("INSERT INTO eval_sentences (tokens, tags, pos, source) VALUES (?, ?, ?, ?)",
                          (json.dumps(list(s.tokens)), json.dumps(list(s.tags)), None if s.pos is None else json.dumps(list(s.pos)),
                           f"{eval_file}:{s.line}"))
        store.close()
        os.makedirs(os.path.join(tmp, MODELS))
        if os.path.isdir(path):
            os.rmdir(path)  # empty, checked above
        os.rename(tmp, path)
        tmp = None
    except OSError as e:
        raise MultitagError(f"{path}: cannot create the project ({e.strerror}); nothing was written") from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return {"sentences": n_sent, "tokens": n_tok, "annotated_tokens": n_ann, "labels": settings.entity_types,
            "eval_sentences": len(gold or [])}


# ---------------------------------------------------------------------------- an open project
class Project:
    """An open project. Every method reads the store afresh, so several processes can share it."""

    def __init__(self, path: str):
        self.path = path
        self.store = Store(path)
        self.uid: str = self.store.meta("project_uid")
        self.settings = Settings(**self.store.meta("settings"))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ replaying the store
    def sentences(self) -> list[dict]:
        out = []
        for r in self.store.query("SELECT * FROM sentences ORDER BY id"):
            out.append({"id": r["id"], "text": r["text"], "tokens": json.loads(r["tokens"]), "starts": json.loads(r["starts"]),
                        "ends": json.loads(r["ends"]), "pos": None if r["pos"] is None else json.loads(r["pos"]),
                        "hash": r["hash"], "document_id": r["document_id"]})
        return out

    def current_annotations(self) -> list:
        return self.store.query("SELECT a.sentence_id, a.token, a.tag, a.round_id, a.query_id, a.annotator "
                                "FROM annotations a WHERE a.superseded_by IS NULL ORDER BY a.round_id, a.id")

    def labeled_hash(self) -> str:
        h = hashlib.sha256()
        for r in self.store.query("SELECT sentence_id, token, tag FROM annotations WHERE superseded_by IS NULL "
                                  "ORDER BY sentence_id, token"):
            h.update(f"{r[0]}:{r[1]}:{r[2]};".encode())
        return h.hexdigest()

    def make_backend(self):
        from multitag import registry

        s = self.settings
        return registry.create(s.backend, labels=s.labels, seed=s.seed, **s.params)

    def learner(self):
        """The pool and learner with every current annotation taught, round by round.

        Returns (learner, sentences) where ``sentences[i]`` is the row of pool sentence ``i``.
        """
        from multitag.loop import ActiveLearner
        from multitag.strategies import get_strategy

        s = self.settings
        rows = self.sentences()
        index = {r["id"]: i for i, r in enumerate(rows)}
        pool = Pool([Sentence(r["tokens"], None, r["pos"], id=str(r["id"])) for r in rows])
        learner = ActiveLearner(pool, self.make_backend(), get_strategy(s.strategy), level=s.level,
                                cost=CostModel.from_dict(s.cost_model or {}), scheme="IOB2", seed=s.seed,
                                mc_samples=s.mc_samples, mc_mode=s.mc_mode, training_mode=s.training_mode)
        queries = {r["id"]: r for r in self.store.query("SELECT id, sentence_id, tokens, unit FROM queries")}
        by_round: dict[int, dict[tuple, list]] = {}
        for a in self.current_annotations():
            key = ("q", a["query_id"]) if a["query_id"] is not None else ("s", a["sentence_id"])
            by_round.setdefault(a["round_id"], {}).setdefault(key, []).append(a)
        for round_id in sorted(by_round):
            answers = []
            for key, group in by_round[round_id].items():
                i = index[group[0]["sentence_id"]]
                toks = tuple(a["token"] for a in group)
                tags = tuple(a["tag"] for a in group)
                if key[0] == "q":
                    q = queries[key[1]]
                    answers.append(Annotation(i, toks, tags, asked=tuple(json.loads(q["tokens"])), unit=q["unit"]))
                else:
                    whole = len(toks) == len(rows[i]["tokens"])
                    answers.append(Annotation(i, toks, tags, asked=toks, unit="sentence" if whole else "token"))
            learner.teach(answers, round_id)
        return learner, rows

    # ------------------------------------------------------------------ models
    def _model_dir(self, rel: str) -> str:
        return os.path.join(self.path, rel)

    def latest_model_row(self):
        return next(iter(self.store.query("SELECT * FROM models ORDER BY id DESC LIMIT 1")), None)

    def load_model(self, row):
        from multitag.persistence import load_model

        return load_model(self._model_dir(row["path"]))

    def _clean_orphan_models(self) -> None:
        known = {r["path"] for r in self.store.query("SELECT path FROM models")}
        folder = os.path.join(self.path, MODELS)
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            if os.path.join(MODELS, name) not in known:
                shutil.rmtree(os.path.join(folder, name), ignore_errors=True)

    def _evaluate(self, model) -> dict | None:
        from multitag.evaluation import evaluate

        gold = self.store.query("SELECT tokens, tags, pos FROM eval_sentences ORDER BY id")
        if not gold:
            return None
        sents = [Sentence(json.loads(r["tokens"]), None, None if r["pos"] is None else json.loads(r["pos"])) for r in gold]
        preds = model.predict(sents)
        return evaluate([json.loads(r["tags"]) for r in gold], [p.tags for p in preds], scheme="IOB2")

    # ------------------------------------------------------------------ a round
    def query(self, budget: int, *, fmt: str, out: str, progress: Callable[[str], None] | None = None) -> dict:
        """Choose about ``budget`` tokens to annotate and write them as a batch to ``out``."""
        formats.module(fmt)
        say = progress or (lambda phase: None)
        round_id, reused, rows = self.choose_round(budget, progress=say)
        return self._write_round(round_id, rows, fmt, out, say, reused=reused)

    def choose_round(self, budget: int, *, progress: Callable[[str], None] | None = None,
                     reuse: bool = True) -> tuple[int, bool, list[dict]]:
        """Retrain when the labeled set changed, choose about ``budget`` tokens to annotate, and
        record the round. Returns (round id, whether an unanswered round was reused, sentence rows).

        While nothing is annotated, the round is the seed set (whole sentences by the project's
        initial selection, no model). ``reuse``: when nothing was annotated since the newest round
        and it had this budget, return it instead of choosing again.
        """
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise MultitagError(f"--budget must be a positive number of tokens, not {budget!r}")
        say = progress or (lambda phase: None)
        with FolderLock(self.path, QUERY_LOCK, advice="wait for that query to finish"):
            self._clean_orphan_models()
            say("reading the project")
            learner, rows = self.learner()
            pool = learner.pool
            labeled = self.labeled_hash()
            reused = self._reusable_round(labeled, budget) if reuse else None
            if reused is not None:
                return reused, True, rows
            timings = {"train_seconds": None, "predict_seconds": None, "select_seconds": None}
            model_row = None
            new_model = None
            if pool.n_revealed_tokens == 0:
                kind = "seed"
                from multitag.annotation.initial import get_initial_selection

                say("choosing the seed set")
                selection = get_initial_selection(self.settings.initial, model=self.settings.initial_lm)
                queries = learner.initial_queries(InitialSize(tokens=budget), selection)
            else:
                kind = "query"
                model_row = next(iter(self.store.query("SELECT * FROM models WHERE labeled_hash = ? ORDER BY id DESC LIMIT 1",
                                                       (labeled,))), None)
                if model_row is not None:
                    learner.model = self.load_model(model_row)
                else:
                    say("training")
                    model = learner.fit(unlabeled=pool.sentences)
                    timings["train_seconds"] = learner.timings["train_seconds"]
                    say("evaluating")
                    new_model = (model, self._evaluate(model), len(learner.labeled()),
                                 sum(len(s) for s in learner.labeled()))
                iteration = self.store.query("SELECT COUNT(*) FROM rounds WHERE kind = 'query'")[0][0]
                say("predicting the pool and selecting")
                batch = learner.query(budget, iteration=iteration)
                queries = batch.queries
                timings["predict_seconds"] = learner.timings.get("predict_seconds")
                timings["select_seconds"] = learner.timings.get("select_seconds")
            model_path = None
            if new_model is not None:
                say("saving the model")
                model_path = os.path.join(MODELS, f"model-{uuid.uuid4().hex[:12]}")
                new_model[0].save(self._model_dir(model_path))
            round_id = self._record_round(kind, budget, labeled, queries, rows, timings, model_row, new_model, model_path)
            return round_id, False, rows

    def _reusable_round(self, labeled: str, budget: int) -> int | None:
        """The newest round, when nothing was annotated since it was chosen and it had this budget:
        asking again gives the same batch (an interrupted query completes; nothing is chosen twice)."""
        last = next(iter(self.store.query("SELECT * FROM rounds WHERE kind IN ('seed', 'query') ORDER BY id DESC LIMIT 1")), None)
        if last is None or last["labeled_hash"] != labeled or last["budget"] != budget:
            return None
        answered = self.store.query("SELECT COUNT(*) FROM annotations a JOIN queries q ON a.query_id = q.id "
                                    "WHERE q.round_id = ?", (last["id"],))[0][0]
        return None if answered else last["id"]

    def _record_round(self, kind, budget, labeled, queries: list[Query], rows, timings, model_row, new_model, model_path) -> int:
        with self.store.transaction() as c:
            if self.labeled_hash() != labeled:
                # annotations arrived while this query trained: drop asked tokens that are annotated now
                current = {(r[0], r[1]) for r in c.execute("SELECT sentence_id, token FROM annotations WHERE superseded_by IS NULL")}
                queries = [q for q in queries if not any((rows[q.sentence]["id"], t) in current for t in q.tokens)]
            model_id = model_row["id"] if model_row is not None else None
            if new_model is not None:
                model, scores, n_sent, n_tok = new_model
                model_id = c.execute(
                    "INSERT INTO models (path, labeled_hash, created, train_sentences, train_tokens, train_seconds, f1, "
                    "precision, recall) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (model_path, labeled, now(), n_sent, n_tok, timings["train_seconds"] or 0.0,
                     None if scores is None else scores["f1"], None if scores is None else scores["precision"],
                     None if scores is None else scores["recall"])).lastrowid
            round_id = c.execute(
                "INSERT INTO rounds (kind, created, strategy, level, budget, model_id, labeled_hash, train_seconds, "
                "predict_seconds, select_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, now(), self.settings.strategy if kind == "query" else self.settings.initial,
                 self.settings.level if kind == "query" else "sentence", budget, model_id, labeled,
                 timings["train_seconds"], timings["predict_seconds"], timings["select_seconds"])).lastrowid
            if new_model is not None:
                c.execute("UPDATE models SET round_id = ? WHERE id = ?", (round_id, model_id))
            stamp = now()
            for rank, q in enumerate(queries):
                c.execute("INSERT INTO queries (round_id, sentence_id, tokens, unit, score, rank, created) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)", (round_id, rows[q.sentence]["id"], json.dumps(list(q.tokens)),
                                                           q.unit, q.score, rank, stamp))
        return round_id

    def round_tasks(self, round_id: int, rows: list[dict] | None = None) -> list[formats.Task]:
        """The tasks of a round, one per sentence in the order first asked, with the pre-annotation
        of the round's model (none for the seed set)."""
        rows = rows or self.sentences()
        by_id = {r["id"]: r for r in rows}
        rnd = self.store.query("SELECT * FROM rounds WHERE id = ?", (round_id,))[0]
        qs = self.store.query("SELECT * FROM queries WHERE round_id = ? ORDER BY rank", (round_id,))
        grouped: dict[int, list] = {}
        for q in qs:
            grouped.setdefault(q["sentence_id"], []).append(q)
        model = None
        model_name = None
        if rnd["model_id"] is not None:
            mrow = self.store.query("SELECT * FROM models WHERE id = ?", (rnd["model_id"],))[0]
            model = self.load_model(mrow)
            model_name = f"round-{round_id}"
        sentences = [by_id[sid] for sid in grouped]
        preds = model.predict([Sentence(r["tokens"], None, r["pos"]) for r in sentences]) if model is not None else None
        tasks = []
        for k, (sid, group) in enumerate(grouped.items()):
            r = by_id[sid]
            asked = sorted({t for q in group for t in json.loads(q["tokens"])})
            scores = [q["score"] for q in group if q["score"] is not None]
            ref = formats.TaskRef(project=self.uid, sentence=sid, hash=r["hash"], round=round_id,
                                  queries=[q["id"] for q in group], asked=asked, unit=group[0]["unit"])
            tasks.append(formats.Task(ref=ref, text=r["text"], tokens=r["tokens"], starts=r["starts"], ends=r["ends"],
                                      tags=list(preds[k].tags) if preds is not None else None,
                                      score=max(scores) if scores else None, model=model_name))
        return tasks

    def _write_round(self, round_id: int, rows, fmt: str, out: str, say, *, reused: bool) -> dict:
        say("writing the batch")
        tasks = self.round_tasks(round_id, rows)
        formats.module(fmt).write_tasks(tasks, out)
        rnd = self.store.query("SELECT * FROM rounds WHERE id = ?", (round_id,))[0]
        asked = sum(len(t.ref.asked) for t in tasks)
        return {"round": round_id, "kind": rnd["kind"], "tasks": len(tasks), "asked_tokens": asked, "out": out,
                "reused": reused, "train_seconds": rnd["train_seconds"], "predict_seconds": rnd["predict_seconds"],
                "select_seconds": rnd["select_seconds"]}

    # ------------------------------------------------------------------ answers
    def import_file(self, path: str, *, fmt: str | None = None, snap: bool = False) -> dict:
        fmt = fmt or formats.guess_format(path)
        sha = file_sha256(path)
        done = self.store.query("SELECT created FROM imports WHERE sha256 = ?", (sha,))
        if done:
            return {"already": done[0]["created"], "tasks": 0, "annotated_tokens": 0}
        tasks = formats.module(fmt).read_answers(path)
        plan = plan_import(self.store, tasks, snap=snap)
        return {"format": fmt, **apply_import(self.store, plan, path=os.path.abspath(path), sha256=sha, fmt=fmt)}

    # ------------------------------------------------------------------ reading out
    def tasks_for_export(self, only_complete: bool) -> list[formats.Task]:
        rows = self.sentences()
        tags: dict[int, list] = {r["id"]: [None] * len(r["tokens"]) for r in rows}
        for a in self.current_annotations():
            tags[a["sentence_id"]][a["token"]] = a["tag"]
        out = []
        for r in rows:
            t = tags[r["id"]]
            if all(x is None for x in t) or (only_complete and any(x is None for x in t)):
                continue
            ref = formats.TaskRef(project=self.uid, sentence=r["id"], hash=r["hash"])
            out.append(formats.Task(ref=ref, text=r["text"], tokens=r["tokens"], starts=r["starts"], ends=r["ends"],
                                    tags=t, annotated=True))
        return out

    def export(self, fmt: str, out: str, *, only_complete: bool = False) -> dict:
        tasks = self.tasks_for_export(only_complete)
        formats.module(fmt).write_tasks(tasks, out)
        return {"sentences": len(tasks), "out": out}

    def export_model(self, out: str) -> dict:
        row = self.latest_model_row()
        if row is None:
            raise MultitagError(f"{self.path}: no model yet (a model is trained by the first `query` after the seed set "
                                "is imported)")
        model = self.load_model(row)
        model.save(out)
        return {"model": out, "round": row["round_id"], "f1": row["f1"]}

    def status(self, *, png: str | None = None) -> dict:
        from multitag.data.entity_spans import entity_spans

        learner, rows = self.learner()
        pool = learner.pool
        complete = int(sum(1 for i in range(len(pool)) if pool.revealed_counts()[i] == pool.lengths[i]))
        types: dict[str, int] = {}
        tag_counts: dict[str, int] = {}
        for i in pool.touched():
            tags = pool.tags(int(i))
            for t in tags:
                if t is not None:
                    tag_counts[t] = tag_counts.get(t, 0) + 1
            for typ, _, _ in entity_spans(tags, "IOB2"):
                types[typ] = types.get(typ, 0) + 1
        rounds = []
        for r in self.store.query("SELECT * FROM rounds ORDER BY id"):
            n_q = self.store.query("SELECT COUNT(*) FROM queries WHERE round_id = ?", (r["id"],))[0][0]
            answered = self.store.query("SELECT COUNT(*) FROM annotations WHERE round_id = ? AND superseded_by IS NULL",
                                        (r["id"],))[0][0]
            m = self.store.query("SELECT f1 FROM models WHERE id = ?", (r["model_id"],)) if r["model_id"] else []
            rounds.append({"round": r["id"], "kind": r["kind"], "created": r["created"], "strategy": r["strategy"],
                           "level": r["level"], "budget": r["budget"], "queries": n_q, "annotated_tokens": answered,
                           "train_seconds": r["train_seconds"], "predict_seconds": r["predict_seconds"],
                           "select_seconds": r["select_seconds"], "model_f1": m[0]["f1"] if m else None})
        curve = [{"model": r["id"], "round": r["round_id"], "train_tokens": r["train_tokens"],
                  "train_sentences": r["train_sentences"], "f1": r["f1"], "precision": r["precision"], "recall": r["recall"]}
                 for r in self.store.query("SELECT * FROM models ORDER BY id") if r["f1"] is not None]
        result = {"project": self.path, "sentences": len(pool), "tokens": pool.n_tokens,
                  "annotated_tokens": pool.n_revealed_tokens, "touched_sentences": pool.n_touched_sentences,
                  "complete_sentences": complete, "entities": learner.totals.entities,
                  "estimated_hours": learner.totals.seconds / 3600, "entity_types": dict(sorted(types.items())),
                  "tags": dict(sorted(tag_counts.items())), "rounds": rounds, "curve": curve, "png": None}
        if curve and png:
            _plot_curve(curve, pool.n_tokens, png)
            result["png"] = png
        return result

    def labelstudio_config(self) -> str:
        from multitag.project.formats.labelstudio import labeling_config

        return labeling_config(self.settings.entity_types)


def _plot_curve(curve: list[dict], pool_tokens: int, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from multitag.fileio import atomic_write

    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    xs = [100 * c["train_tokens"] / pool_tokens for c in curve]
    ax.plot(xs, [c["f1"] for c in curve], marker="o")
    ax.set_xlabel("% of the pool's tokens annotated")
    ax.set_ylabel("span F1 on the gold set")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)


#: the phases of a query, in order (a seed round skips training and prediction)
PHASES = ("reading the project", "choosing the seed set", "training", "evaluating", "predicting the pool and selecting",
          "saving the model", "writing the batch")


def progress_printer(stream=sys.stderr) -> Callable[[str], None]:
    """A progress bar over the phases of a query (tqdm), naming the current phase and the seconds
    spent; on a non-terminal stream, one line per phase with the elapsed seconds."""
    t0 = time.perf_counter()
    if not stream.isatty():
        def say(phase: str) -> None:
            print(f"[{time.perf_counter() - t0:7.1f}s] {phase}", file=stream, flush=True)

        return say
    from tqdm import tqdm

    bar = tqdm(total=len(PHASES), file=stream, bar_format="{desc} |{bar}| {n}/{total} phases [{elapsed}]", leave=False)

    def say(phase: str) -> None:
        k = PHASES.index(phase) if phase in PHASES else bar.n
        bar.n = k + 1
        bar.set_description_str(phase)
        bar.refresh()
        if phase == PHASES[-1]:
            bar.close()

    return say


__all__ = ["Project", "Settings", "init_project", "progress_printer"]

