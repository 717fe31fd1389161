"""One split's tag scheme: decided from its tags (or given), repaired on request, converted to the target.

Every refusal is a :class:`DataError` at the file and line of the first tag that does not fit.
"""
from __future__ import annotations

from multitag.data.repair import repair_tags, repairable
from multitag.data.schemes import convert, fit_schemes
from multitag.data.sentence import Sentence
from multitag.data.sources import SourceFile
from multitag.errors import DataError

REPAIR_HINT = "pass --repair to read a stray I-X as B-X (as conlleval and seqeval's non-strict mode do)"


def _error_at(source: SourceFile, sentence: Sentence, token: int, message: str) -> DataError:
    path, line = source.tag_line(sentence, token)
    return DataError(message, path=path, line=line)


def _repair_hint(sentences: list[Sentence]) -> str:
    return f"; {REPAIR_HINT}" if repairable(s.tags for s in sentences) else ""


def repair_if_needed(sentences: list[Sentence], given: str | None) -> tuple[list[Sentence], int]:
    """``sentences`` with stray ``I-X`` made ``B-X`` when no IOB scheme reads them as they are (and
    ``given``, if any, is IOB2), with the number of tags changed; unchanged otherwise."""
    if given not in (None, "IOB2") or not repairable(s.tags for s in sentences):
        return sentences, 0
    fit = fit_schemes((s.tags for s in sentences), schemes=(given,) if given else ("IOB2", "IOB1"))
    if fit.fitting:
        return sentences, 0
    out, changed = [], 0
    for s in sentences:
        tags, n = repair_tags(s.tags)
        out.append(s.with_tags(tags) if n else s)
        changed += n
    return out, changed


def decide_scheme(sentences: list[Sentence], source: SourceFile, given: str | None, target: str | None) -> str | None:
    """The scheme of one split's files, or a :class:`DataError` at the first tag that does not fit."""
    if given is not None:
        fit = fit_schemes((s.tags for s in sentences), schemes=(given,))
        if fit.invalid[given]:
            k, i, reason = fit.first_error[given]
            hint = _repair_hint(sentences) if given == "IOB2" else ""
            raise _error_at(source, sentences[k], i, f"{reason} (the files were said to be {given}){hint}")
        return given
    fit = fit_schemes(s.tags for s in sentences)
    if not fit.n_with_entities:
        return None
    fitting = fit.fitting
    if len(fitting) == 1:
        return fitting[0]
    if fitting:
        if target in fitting:
            return target
        first = next(s for s in sentences if any(t not in (None, "O") for t in s.tags))
        token = next(i for i, t in enumerate(first.tags) if t not in (None, "O"))
        raise _error_at(source, first, token, f"the tags fit {' and '.join(fitting)} alike (every entity lies in a partially "
                                          "annotated sentence); state the files' scheme")
    stray = bool(_repair_hint(sentences))
    best = "IOB2" if stray else fit.best(prefer=[target] if target else [])   # with --repair on offer: the stray I-
    k, i, reason = fit.first_error[best]
    bad = fit.invalid[best]
    rest = (f"the rest of the file is {best}" if bad == 1 else
            f"it reads best as {best}, which {bad:,} of its {fit.n_with_entities:,} sentences with entities break")
    fix = REPAIR_HINT + ", or correct the tags" if stray else "correct the tags, or state the files' scheme"
    raise _error_at(source, sentences[k], i, f"{reason}; no tag scheme fits every sentence of this file ({rest}): {fix}")


def convert_split(sentences: list[Sentence], source: SourceFile, scheme: str, target: str) -> list[Sentence]:
    out = []
    for s in sentences:
        if s.is_fully_annotated:
            out.append(s.with_tags(convert(s.tags, scheme, target)))  # type: ignore[arg-type]
            continue
        entity = next((i for i, t in enumerate(s.tags) if t not in (None, "O")), None)
        if entity is not None:
            raise _error_at(source, s, entity,
                            f"cannot convert a partially annotated sentence from {scheme} to {target} (a token that "
                            "is not annotated may continue or end its entities); annotate the sentence fully, "
                            "or keep the files' scheme")
        out.append(s)
    return out


