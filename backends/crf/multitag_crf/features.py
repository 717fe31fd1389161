"""Token feature extraction for the CRF: the ``paper`` set and the ``rich`` set.

A featuriser maps one sentence to one list of attribute strings per token (each attribute has
weight 1 in crfsuite). Both are pure functions of ``(tokens, pos, clusters)``, which is what makes
the per-sentence feature cache in :mod:`multitag_crf.cache` safe.
"""
from __future__ import annotations

import re
from typing import Mapping, Sequence

FEATURE_SETS = ("rich", "paper")

_DIGITS = re.compile(r"\d")


def paper_features(tokens: Sequence[str], pos: Sequence[str] | None = None) -> list[list[str]]:
    """The feature set of Shelmanov et al. / Tsvigun et al. (paper 001, appendix B).

    For the word itself: lowercased form, 2- and 3-character suffixes, capitalisation (title case,
    all upper), is-digit, the POS tag and a generalised POS (its first two characters) when POS
    exists, and whether the word begins or ends the sentence. The same, except suffixes, for the
    previous word (prefix ``-1:``) and the next word (prefix ``+1:``). A constant ``bias``
    attribute gives each label its own offset.

    Parameters
    ----------
    tokens : sequence of str, length n
    pos : sequence of str, length n, or None

    Returns
    -------
    list of n lists of str
    """
    n = len(tokens)
    base = []
    for i, w in enumerate(tokens):
        f = [
            "lower=" + w.lower(),
            "istitle=" + str(w.istitle()),
            "isupper=" + str(w.isupper()),
            "isdigit=" + str(w.isdigit()),
        ]
        if pos is not None:
            f += ["pos=" + pos[i], "pos2=" + pos[i][:2]]
        if i == 0:
            f.append("BOS")
        if i == n - 1:
            f.append("EOS")
        base.append(f)
    out = []
    for i, w in enumerate(tokens):
        f = ["bias"] + base[i] + ["suffix3=" + w[-3:], "suffix2=" + w[-2:]]
        if i > 0:
            f += ["-1:" + a for a in base[i - 1]]
        if i < n - 1:
            f += ["+1:" + a for a in base[i + 1]]
        out.append(f)
    return out


def shape(word: str) -> str:
    """Character classes: ``Xx`` letters by case, ``d`` digits, other characters kept (``U.S.`` -> ``X.X.``)."""
    out = []
    for ch in word:
        if ch.isupper():
            out.append("X")
        elif ch.islower():
            out.append("x")
        elif ch.isdigit():
            out.append("d")
        else:
            out.append(ch)
    return "".join(out)


def short_shape(word: str) -> str:
    """:func:`shape` with runs of the same class collapsed (``Xxxxx`` -> ``Xx``)."""
    s = shape(word)
    out = []
    for ch in s:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def normalize(word: str) -> str:
    """The form word vectors and clusters are keyed by: lowercased, digits mapped to ``0``."""
    return _DIGITS.sub("0", word.lower())


def rich_features(tokens: Sequence[str], pos: Sequence[str] | None = None,
                  clusters: Mapping[str, Sequence[int]] | None = None,
                  granularities: Sequence[int] = ()) -> list[list[str]]:
    """A stronger, resource-free feature set.

    Per word: lowercased form, word shape and short shape, prefixes and suffixes of length 1-4,
    case / digit / hyphen flags, POS and generalised POS when present, word-cluster ids at each
    granularity (from :mod:`multitag_crf.clusters`), sentence boundaries. A +-2 window of lowercased
    forms, short shapes and POS; +-1 also carries case flags and all cluster ids, +-2 the coarsest
    cluster id. Word bigrams with the previous and next word.

    Parameters
    ----------
    tokens : sequence of str, length n
    pos : sequence of str, length n, or None
    clusters : mapping normalised word -> cluster id per granularity, or None
    granularities : the cluster counts, in the order of the ids in ``clusters``

    Returns
    -------
    list of n lists of str
    """
    n = len(tokens)
    lower = [w.lower() for w in tokens]
    sshape = [short_shape(w) for w in tokens]
    cl: list[Sequence[int] | None] = [None] * n
    if clusters:
        cl = [clusters.get(normalize(w)) for w in tokens]
    gran = list(granularities)

    def ctx(o: int, j: int, near: bool) -> list[str]:
        p = f"{o:+d}:"
        f = [p + "w=" + lower[j], p + "ss=" + sshape[j]]
        if pos is not None:
            f += [p + "pos=" + pos[j], p + "pos2=" + pos[j][:2]]
        c = cl[j]
        if near:
            w = tokens[j]
            if w.istitle():
                f.append(p + "title")
            if w.isupper():
                f.append(p + "upper")
            if c is not None:
                f += [f"{p}c{k}={cid}" for k, cid in zip(gran, c)]
        elif c is not None and gran:
            f.append(f"{p}c{gran[0]}={c[0]}")
        return f

    out = []
    for i, w in enumerate(tokens):
        f = ["bias", "w=" + lower[i], "sh=" + shape(w)[:12], "ss=" + sshape[i]]
        for k in range(1, 5):
            if len(w) >= k:
                f += [f"p{k}=" + w[:k], f"s{k}=" + w[-k:]]
        if w.istitle():
            f.append("title")
        if w.isupper():
            f.append("upper")
        if w.islower():
            f.append("lowercase")
        if w.isdigit():
            f.append("digit")
        elif any(ch.isdigit() for ch in w):
            f.append("hasdigit")
        if "-" in w:
            f.append("hyphen")
        if pos is not None:
            f += ["pos=" + pos[i], "pos2=" + pos[i][:2]]
        c = cl[i]
        if c is not None:
            f += [f"c{k}={cid}" for k, cid in zip(gran, c)]
        else:
            f.append("c=none")
        if i == 0:
            f.append("BOS")
        if i == n - 1:
            f.append("EOS")
        for o in (-2, -1, 1, 2):
            j = i + o
            if 0 <= j < n:
                f += ctx(o, j, abs(o) == 1)
            else:
                f.append(f"{o:+d}:pad")
        if i > 0:
            f.append("w-1|w=" + lower[i - 1] + "|" + lower[i])
        if i < n - 1:
            f.append("w|w+1=" + lower[i] + "|" + lower[i + 1])
        if i > 0 and w.istitle() and tokens[i - 1].istitle():
            f.append("title-1&title")
        out.append(f)
    return out
