"""Annotation levels: what a query asks for, how strategy scores become queries within a token
budget, and what an answer adds to the accounting (paper 000, section 3.2).

* ``sentence``: a query is a whole untouched sentence; the strategy ranks sentences.
* ``entity``: a query is one token; the answer covers the token and, when it lies in an entity,
  the whole entity (an annotator who is shown ``York`` labels ``New York``).
* ``token``: a query is one token; the answer covers that token alone.
* ``teach`` (:mod:`multitag.annotation.teach_level`): a query is one entity the model suggests; the
  answer accepts it (its tokens revealed) or rejects it ("not this type at this span").

Budgets are counted in annotated tokens. A sentence that overshoots the budget is still taken
whole. When answers come back one at a time (a gold oracle, or an annotator working inside the
loop), the sub-sentence levels count the tokens each answer revealed, so an entity that widens
counts whole and a token already revealed this round by a wider answer is not asked again; when
a whole batch is written out before anyone answers, they count the tokens asked.

Accounting (estimated annotation seconds, see :mod:`multitag.annotation.cost`): entity spans are
counted with :func:`multitag.data.entity_spans.entity_spans` over each answer's tags (the one span
function of multitag); tokens read are the whole sentence at sentence level and the revealed tokens
plus a window of :data:`~multitag.annotation.cost.CONTEXT_WINDOW` tokens either side at the
sub-sentence levels; decisions are one per entity span plus, at sub-sentence levels, one per asked
token labelled ``O`` and, at token level, one per asked inside token labelled without its entity.

A level owns everything that differs between levels: which tokens an answer covers
(:meth:`AnnotationLevel.covers`), what an iteration record says about a round's answers and how a
recorded round is replayed (:meth:`~AnnotationLevel.record_fields`, :meth:`~AnnotationLevel.replay`),
whether a query asks for a whole sentence (:attr:`~AnnotationLevel.whole_sentence`) and what a task
file tells the annotator (:meth:`~AnnotationLevel.instruction`); no module outside
:mod:`multitag.annotation` compares a level name. Levels are plugins of the entry-point group
``multitag.levels`` (the three above are registered in multitag's ``setup.cfg``); a new level is one
:class:`AnnotationLevel` subclass whose ``name`` is its registered name. Tests register one with
``registry.levels.registered(name, cls)``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterator, Mapping, Sequence

import numpy as np

from multitag import registry
from multitag.annotation.cost import CONTEXT_WINDOW
from multitag.annotation.pool import Annotation, Pool, Query
from multitag.data.entity_spans import entity_spans
from multitag.errors import MultitagError
from multitag.strategies import token_level_names
from multitag.strategies.base import QueryContext, Strategy, rank_descending

Annotate = Callable[[Query], Annotation]

WHOLE_SENTENCE_TEXT = "Annotate every entity in the sentence."


@dataclass
class Effort:
    """What a group of answers cost: entity spans annotated, tokens read, decisions taken."""

    entities: int = 0
    tokens_read: int = 0
    labels: int = 0


def _layout(pool: Pool, i: int, answers: Sequence[Annotation]) -> list[str | None]:
    """The tags the answers give sentence ``i`` (``None`` where they say nothing)."""
    tags: list[str | None] = [None] * int(pool.lengths[i])
    for a in answers:
        for t, tag in zip(a.tokens, a.tags):
            tags[t] = tag
    return tags


def _by_sentence(answers: Sequence[Annotation]) -> dict[int, list[Annotation]]:
    groups: dict[int, list[Annotation]] = defaultdict(list)
    for a in answers:
        groups[a.sentence].append(a)
    return groups


def widen_to_entities(asked: Sequence[int], tags: Sequence[str | None], scheme: str = "IOB2") -> tuple[int, ...]:
    """The asked positions and every token of an entity of ``tags`` that covers one of them, sorted.

    Entities are :func:`~multitag.data.entity_spans.entity_spans` of ``tags`` in ``scheme`` (``None``
    reads as ``O``): asking ``York`` in ``New/B-LOC York/I-LOC`` covers both tokens.
    """
    positions = set(asked)
    spans = entity_spans(tags, scheme) if asked else []
    for t in asked:
        for _, start, end in spans:
            if start <= t < end:
                positions.update(range(start, end))
                break
    return tuple(sorted(positions))


def whole_sentence_query(pool: Pool, i: int, score: float | None = None) -> Query:
    """The query of every token of pool sentence ``i`` at the default (sentence) level: a seed-set
    query, or a sentence-level one."""
    return Query(int(i), tuple(range(int(pool.lengths[i]))), SentenceLevel.name, score)


class AnnotationLevel(ABC):
    """One annotation level.

    Class attributes
    ----------------
    name : its registered name (the entry point of group ``multitag.levels``); queries and answers
        of the level carry it as their ``unit``.
    token_level : whether its strategy must score single tokens.
    whole_sentence : whether a query of the level asks for a whole sentence (so an answer tags
        every token, and a record lists sentences only).
    asks_for : what a task of the level asks the annotator to label (see :meth:`instruction`).
    plans_from_scores : whether :meth:`plan` reads nothing of the context but the strategy's
        scores, the lengths and the generator (then a big pool is scored shard by shard, see
        :mod:`multitag.pool_pass`); a level that reads the predictions themselves sets it false.
    """

    name: ClassVar[str]
    token_level: ClassVar[bool] = False
    plans_from_scores: ClassVar[bool] = True
    whole_sentence: ClassVar[bool] = False
    asks_for: ClassVar[str] = "each marked word"

    def refusal(self, strategy: Strategy) -> str | None:
        """Why ``strategy`` cannot query at this level (``None`` if it can)."""
        if self.token_level and not strategy.token_level:
            return (f"{self.name}-level annotation needs a strategy that scores single tokens "
                    f"({', '.join(token_level_names())}), not {strategy.name!r}")
        return None

    def query(self, sentence: int, tokens: Sequence[int], score: float | None = None) -> Query:
        """A query of this level asking for ``tokens`` of pool sentence ``sentence``."""
        return Query(int(sentence), tuple(tokens), self.name, score)

    def covers(self, asked: Sequence[int], tags: Sequence[str | None], scheme: str = "IOB2") -> tuple[int, ...]:
        """The positions an answer to a query asking ``asked`` tags, sorted, given the sentence's
        tags (``tags``: gold tags, or what the annotator returned; ``None`` reads as ``O``).

        By default the asked tokens alone (a sentence-level query asks for every token).
        """
        return tuple(sorted(set(asked)))

    def record_fields(self, pool: Pool, answers: Sequence[Annotation]) -> dict[str, Any]:
        """What an iteration record says about a round's ``answers`` (record field -> value).

        ``selected``: the ids of the sentences answered, in the order first answered. Below
        sentence level also ``selected_tokens`` (``[id, tokens covered]`` per answer, in order) and
        ``queried_tokens`` (``[id, tokens asked]`` per sentence). :meth:`replay` reads them back.
        """
        fields: dict[str, Any] = {"selected": list(dict.fromkeys(pool.sentences[a.sentence].id for a in answers))}
        if not self.whole_sentence:
            fields["selected_tokens"] = [[pool.sentences[a.sentence].id, list(a.tokens)] for a in answers]
            asked: dict[int, set[int]] = {}
            for a in answers:
                asked.setdefault(a.sentence, set()).update(a.asked_tokens)
            fields["queried_tokens"] = [[pool.sentences[i].id, sorted(t)] for i, t in asked.items()]
        return fields

    def replay(self, pool: Pool, answer: Annotate, fields: Mapping[str, Any]) -> list[Annotation]:
        """The answers of a recorded round again (a resumed run): ``answer`` (an oracle) tags the
        tokens that the record ``fields`` (as :meth:`record_fields` wrote them) say each answer covered."""
        idx = pool.index
        asked = {idx[sid]: tuple(toks) for sid, toks in fields.get("queried_tokens") or []}
        answers, given = [], set()
        for sid, toks in fields.get("selected_tokens") or []:
            i = idx[sid]
            # a token-level query of the covered tokens: the oracle tags exactly those (not covered again)
            ans = answer(Query(i, tuple(toks), TokenLevel.name))
            # the sentence's asked tokens go with its first answer (the accounting unions them per sentence)
            answers.append(Annotation(ans.sentence, ans.tokens, ans.tags, () if i in given else asked.get(i, ()),
                                      self.name))
            given.add(i)
        return answers

    def instruction(self, tokens: Sequence[str], asked: Sequence[int]) -> str:
        """What a task file tells the annotator: ``Label each marked word: He flew to New [[York]]``
        (with nothing asked, the whole sentence)."""
        if not asked:
            return WHOLE_SENTENCE_TEXT
        wanted = set(asked)
        marked = " ".join(f"[[{t}]]" if i in wanted else t for i, t in enumerate(tokens))
        return f"Label {self.asks_for}: {marked}"

    @abstractmethod
    def candidates(self, pool: Pool) -> np.ndarray:
        """Pool indices of the sentences that can still be queried."""

    @abstractmethod
    def plan(self, strategy: Strategy, ctx: QueryContext, cand: np.ndarray, pool: Pool, budget: int,
             annotate: Annotate | None) -> tuple[list[Query], list[Annotation]]:
        """Queries (and, with ``annotate``, their answers) costing at least ``budget`` tokens.

        ``ctx`` describes the candidates ``cand`` (pool indices) in that order.
        """

    @abstractmethod
    def effort(self, pool: Pool, answers: Sequence[Annotation], scheme: str) -> Effort:
        """The entities, tokens read and decisions of answers to queries of this level (one round)."""


class SentenceLevel(AnnotationLevel):
    name = "sentence"
    whole_sentence = True

    def candidates(self, pool: Pool) -> np.ndarray:
        return pool.untouched()

    def plan(self, strategy, ctx, cand, pool, budget, annotate):
        picks, scores = strategy.choose(ctx, budget)
        if len(set(picks)) != len(picks):
            raise MultitagError(f"strategy {strategy.name!r} picked a sentence twice")
        queries = [whole_sentence_query(pool, cand[k], None if scores is None else float(scores[k])) for k in picks]
        return queries, ([annotate(q) for q in queries] if annotate is not None else [])

    def replay(self, pool, answer, fields):
        return [answer(whole_sentence_query(pool, pool.index[sid])) for sid in fields.get("selected") or []]

    def instruction(self, tokens, asked):
        return WHOLE_SENTENCE_TEXT

    def effort(self, pool, answers, scheme):
        e = Effort()
        for i, group in _by_sentence(answers).items():
            spans = len(entity_spans(_layout(pool, i, group), scheme))
            e.entities += spans
            e.tokens_read += int(pool.lengths[i])
            e.labels += spans          # the annotator marks entities; O tokens cost no decision
        return e


class SubSentenceLevel(AnnotationLevel):
    """The base of levels whose query is one token (a strategy that scores single tokens ranks every
    unrevealed token): a subclass gives its ``name`` and, when an answer covers more than the asked
    token, :meth:`~AnnotationLevel.covers`."""

    token_level = True

    def candidates(self, pool: Pool) -> np.ndarray:
        return pool.incomplete()

    def _is_decision(self, tag: str) -> bool:
        """Whether labelling an asked token ``tag`` is a decision of its own (beyond entity spans)."""
        return tag == "O"

    def ranked(self, strategy: Strategy, ctx: QueryContext, cand: np.ndarray, pool: Pool) -> Iterator[Query]:
        """Every unrevealed token of the candidates as a one-token query, most informative first
        (made as they are read: a round reads a budget's worth of a pool's tokens)."""
        scores, offsets = strategy.token_scores(ctx)
        revealed = np.concatenate([pool.revealed_at[i] >= 0 for i in cand]) if len(cand) else np.zeros(0, bool)
        if scores.shape != revealed.shape:
            raise MultitagError(f"strategy {strategy.name!r} scored {scores.shape[0]} tokens; the candidates have {revealed.shape[0]}")
        scores = np.where(revealed, -np.inf, scores)
        order = rank_descending(scores, ctx.rng)[: int((~revealed).sum())]  # revealed (-inf) sort last
        sent_of = np.searchsorted(offsets, order, side="right") - 1
        for a in range(0, len(order), 4096):   # in blocks, so no list of every token is made
            for flat, k in zip(order[a:a + 4096].tolist(), sent_of[a:a + 4096].tolist()):
                yield self.query(cand[k], (int(flat - offsets[k]),), float(scores[flat]))

    def plan(self, strategy, ctx, cand, pool, budget, annotate):
        queries: list[Query] = []
        answers: list[Annotation] = []
        spent = 0
        if annotate is None:  # a batch written out before anyone answers: count the tokens asked
            for q in self.ranked(strategy, ctx, cand, pool):
                if spent >= budget:
                    break
                queries.append(q)
                spent += len(q.tokens)
            return queries, answers
        revealed_now: dict[int, set[int]] = defaultdict(set)
        for q in self.ranked(strategy, ctx, cand, pool):
            seen = revealed_now[q.sentence]
            if q.tokens[0] in seen:
                continue  # already revealed this round by a wider answer
            ans = annotate(q)
            spent += sum(1 for k in ans.tokens if k not in seen)
            seen.update(ans.tokens)
            queries.append(q)
            answers.append(ans)
            if spent >= budget:
                break
        return queries, answers

    def effort(self, pool, answers, scheme):
        e = Effort()
        for i, group in _by_sentence(answers).items():
            tags = _layout(pool, i, group)
            spans = len(entity_spans(tags, scheme))
            n = len(tags)
            window: set[int] = set()
            for a in group:
                for t in a.tokens:
                    window.update(range(max(0, t - CONTEXT_WINDOW), min(n, t + CONTEXT_WINDOW + 1)))
            asked = {t for a in group for t in a.asked_tokens}
            e.entities += spans
            e.tokens_read += len(window)
            e.labels += spans + sum(1 for t in asked if tags[t] is not None and self._is_decision(tags[t]))
        return e


class EntityLevel(SubSentenceLevel):
    name = "entity"
    asks_for = "each marked word, and the whole entity it belongs to"

    def covers(self, asked, tags, scheme="IOB2"):
        return widen_to_entities(asked, tags, scheme)


class TokenLevel(SubSentenceLevel):
    name = "token"

    def _is_decision(self, tag: str) -> bool:
        # an inside token labelled on its own is a decision too: its entity is not annotated with it
        return tag == "O" or tag[:2] in ("I-", "E-")


#: the level of a run, project or record that names none (and of every seed set: whole sentences)
DEFAULT_LEVEL = SentenceLevel.name
#: the built-in levels, listed first and in this order; other installed levels follow by name
_BUILTIN_ORDER = tuple(cls.name for cls in (SentenceLevel, EntityLevel, TokenLevel))
_instances: dict[type, AnnotationLevel] = {}


def level_names() -> list[str]:
    """The installed levels: the built-in ones in their order, then the others by name (imports nothing)."""
    installed = registry.levels.names()
    return [n for n in _BUILTIN_ORDER if n in installed] + [n for n in installed if n not in _BUILTIN_ORDER]


def get_level(name: str) -> AnnotationLevel:
    """The level registered as ``name``; an unknown name is an error listing the installed ones."""
    if not isinstance(name, str) or name not in registry.levels.names():
        have = ", ".join(level_names()) or "none (multitag's own levels are missing: reinstall it, e.g. bash bin/install)"
        raise MultitagError(f"unknown annotation level {name!r}; use one of {have}")
    cls = registry.levels.load(name)
    if not (isinstance(cls, type) and issubclass(cls, AnnotationLevel)) or getattr(cls, "name", None) != name:
        raise MultitagError(f"annotation level {name!r} points to {cls!r}, which is not an AnnotationLevel "
                            f"subclass named {name!r}")
    if cls not in _instances:
        _instances[cls] = cls()
    return _instances[cls]


def unasked_level(whole: bool) -> str:
    """The level an answer to no query (a file annotated by hand) is accounted at: the default
    (sentence) level when it tags the ``whole`` sentence, else token level."""
    return DEFAULT_LEVEL if whole else TokenLevel.name


class _InstalledLevels(Mapping[str, AnnotationLevel]):
    """The installed levels by name, in :func:`level_names` order (looked up when read)."""

    def __getitem__(self, name: str) -> AnnotationLevel:
        try:
            return get_level(name)
        except MultitagError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(level_names())

    def __len__(self) -> int:
        return len(level_names())


LEVELS: Mapping[str, AnnotationLevel] = _InstalledLevels()
