"""``LogRegTagger``: every token classified on its own by a multinomial logistic regression."""
from __future__ import annotations

import json
import os
from typing import Sequence

import numpy as np

from multitag.backend import Prediction, Tagger
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError


def _shape(word: str) -> str:
    out = []
    for c in word:
        k = "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c
        if not out or out[-1] != k:
            out.append(k)
    return "".join(out)


def token_features(tokens: Sequence[str], i: int, window: int) -> dict[str, float]:
    """Sparse features of token ``i``: the word, its shape, affixes, and the words around it."""
    w = tokens[i]
    f = {"bias": 1.0, f"w={w.lower()}": 1.0, f"shape={_shape(w)}": 1.0, f"pre3={w[:3].lower()}": 1.0,
         f"suf3={w[-3:].lower()}": 1.0}
    if w[:1].isupper():
        f["title"] = 1.0
    for d in range(1, window + 1):
        f[f"w-{d}={tokens[i - d].lower() if i - d >= 0 else '<s>'}"] = 1.0
        f[f"w+{d}={tokens[i + d].lower() if i + d < len(tokens) else '</s>'}"] = 1.0
    return f


class LogRegTagger(Tagger):
    """Per-token multinomial logistic regression (scikit-learn, L-BFGS).

    Parameters
    ----------
    labels : list of str
        The label set; column ``j`` of the marginals is ``labels[j]``.
    seed : int
        Seeds the solver.
    C : float
        Inverse L2 regularisation strength.
    max_iter : int
        L-BFGS iterations.
    window : int
        Neighbouring words on each side used as features.
    """

    mc_modes = ()
    partial_training = True
    hidden_states = False
    supports_warm_start = False   # a capability (every fit starts again), not a constructor parameter

    def __init__(self, *, labels: Sequence[str], seed: int = 0, C: float = 1.0, max_iter: int = 200, window: int = 1):
        self.labels = labels
        self.seed = seed
        self.C = C
        self.max_iter = max_iter
        self.window = window

    def check(self) -> None:
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise MultitagError(f"LogRegTagger: C must be a positive number, not {self.C!r}")
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            raise MultitagError(f"LogRegTagger: max_iter must be a positive integer, not {self.max_iter!r}")
        if not (isinstance(self.window, int) and self.window >= 0):
            raise MultitagError(f"LogRegTagger: window must be an integer >= 0, not {self.window!r}")

    def fit(self, train: Corpus, dev: Corpus | None = None) -> "LogRegTagger":
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        self.check()
        self._check_trainable(train)
        feats, ys = [], []
        for s in train:
            for i, t in enumerate(s.tags):
                if t is not None:
                    feats.append(token_features(s.tokens, i, self.window))
                    ys.append(self.labels.index(t))
        if not ys:
            raise MultitagError("LogRegTagger.fit: no annotated token to learn from")
        self.vectorizer_ = DictVectorizer(sort=True)
        x = self.vectorizer_.fit_transform(feats)
        classes = sorted(set(ys))
        self.classes_ = np.array(classes)
        if len(classes) == 1:
            self.coef_ = np.zeros((1, x.shape[1]))
            self.intercept_ = np.zeros(1)
        else:
            model = LogisticRegression(C=float(self.C), max_iter=int(self.max_iter), random_state=int(self.seed))
            model.fit(x, ys)
            coef, intercept = model.coef_, model.intercept_
            if len(classes) == 2:  # sklearn keeps one row for two classes: expand to a softmax over both
                coef = np.vstack([-coef[0] / 2, coef[0] / 2])
                intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
            self.coef_, self.intercept_ = coef, intercept
        return self

    def _probabilities(self, tokens: Sequence[str]) -> np.ndarray:
        """(n, L) softmax probabilities; labels never seen in training get 0."""
        n, L = len(tokens), len(self.labels)
        out = np.zeros((n, L))
        if n == 0:
            return out
        x = self.vectorizer_.transform([token_features(tokens, i, self.window) for i in range(n)])
        scores = x @ self.coef_.T + self.intercept_
        scores = np.asarray(scores) - np.max(scores, axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        out[:, self.classes_] = p
        return out

    def predict(self, sentences: Sequence[Sentence], *, hidden: bool = False) -> list[Prediction]:
        if getattr(self, "coef_", None) is None:
            raise MultitagError("LogRegTagger is not fitted; call fit() or load() first")
        out = []
        for s in sentences:
            m = self._probabilities(s.tokens)
            best = m.argmax(axis=1) if len(s) else np.zeros(0, dtype=int)
            logprob = float(np.log(np.maximum(m[np.arange(len(s)), best], 1e-300)).sum()) if len(s) else 0.0
            out.append(Prediction([self.labels[j] for j in best], m, min(0.0, logprob)))
        return out

    # the model template (multitag.persistence) writes multitag.json with the parameters and the
    # hashes of the files written here, and checks them before _load_state opens anything
    def _save_state(self, folder: str) -> None:
        state = {"features": self.vectorizer_.feature_names_, "classes": self.classes_.tolist(),
                 "coef": self.coef_.tolist(), "intercept": self.intercept_.tolist()}
        with open(os.path.join(folder, "logreg.json"), "w", encoding="utf-8") as fh:
            json.dump(state, fh)

    def _load_state(self, folder: str) -> None:
        from sklearn.feature_extraction import DictVectorizer

        with open(os.path.join(folder, "logreg.json"), encoding="utf-8") as fh:
            state = json.load(fh)
        vec = DictVectorizer(sort=True)
        vec.feature_names_ = state["features"]
        vec.vocabulary_ = {f: i for i, f in enumerate(state["features"])}
        self.vectorizer_ = vec
        self.classes_ = np.array(state["classes"], dtype=int)
        self.coef_ = np.array(state["coef"])
        self.intercept_ = np.array(state["intercept"])
