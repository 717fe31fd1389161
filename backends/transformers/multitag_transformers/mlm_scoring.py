"""Masked-LM breaking-ties scores for choosing the initial labeled set (paper 000, section 3.3).

Each word of a sentence is masked in turn (all its sub-tokens replaced by one mask token); the
masked LM's distribution at the mask gives a margin between its two most probable tokens. A
sentence's score is its smallest margin: sentences with a low score hold a word the language model
finds ambiguous, and are preferred for annotation.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from multitag.annotation.initial import InitialSelection, order_by_score
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError


def mlm_margin_scores(sentences: Sequence[Sentence | Sequence[str]], model_path: str, *, batch_size: int = 32,
                      device: str = "auto") -> np.ndarray:
    """Smallest masked-LM margin per sentence.

    Parameters
    ----------
    sentences : sequence of Sentence (or of token lists), length m
    model_path : str
        A folder with a masked-LM checkpoint (``AutoModelForMaskedLM``) and a fast tokenizer, or a
        hub name in the local cache.
    batch_size : int
        Masked copies per forward pass.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.

    Returns
    -------
    ndarray, shape (m,), float64
        ``min over words of (p1 - p2)`` where ``p1 >= p2`` are the two largest probabilities at the
        masked position; in [0, 1]. An empty sentence scores 1.0 (nothing is ambiguous).
    """
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from multitag_transformers.loading import _missing, _offline, _quiet
    from multitag_transformers.windows import WindowEncoder

    try:
        with _quiet():
            tok = AutoTokenizer.from_pretrained(model_path, local_files_only=True, use_fast=True)
            net = AutoModelForMaskedLM.from_pretrained(model_path, local_files_only=True)
    except (OSError, ValueError):
        raise _missing(str(model_path), "offline mode" if _offline() else "no masked-LM checkpoint found there") from None
    if tok.mask_token_id is None:
        raise MultitagError(f"the tokenizer of {model_path!r} has no mask token; pass a masked-LM checkpoint")
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device))
    net = net.to(dev).eval()
    limit = min(int(getattr(net.config, "max_position_embeddings", 512)), int(min(tok.model_max_length, 1_000_000)))
    enc = WindowEncoder(tok, limit)
    token_lists = [list(s.tokens) if isinstance(s, Sentence) else list(s) for s in sentences]
    scores = np.ones(len(token_lists), dtype=np.float64)
    # one masked copy per (sentence, word): the word's sub-tokens become a single mask token
    jobs: list[tuple[int, list[int], int]] = []
    for i, (ids, offsets) in enumerate(enc.pieces(token_lists)):
        n = len(offsets) - 1
        for w in range(n):
            a, b = int(offsets[w]), int(offsets[w + 1])
            body = ids[:a] + [tok.mask_token_id] + ids[b:]
            lo = max(0, min(a - enc.window // 2, len(body) - enc.window))  # keep the mask inside the window
            body = body[lo:lo + enc.window]
            jobs.append((i, tok.build_inputs_with_special_tokens(body), enc.prefix + a - lo))
    order = sorted(range(len(jobs)), key=lambda j: len(jobs[j][1]))
    pad = tok.pad_token_id or 0
    with torch.inference_mode():
        for s in range(0, len(order), max(1, int(batch_size))):
            sel = [jobs[j] for j in order[s:s + batch_size]]
            T = max(len(x[1]) for x in sel)
            ids = torch.full((len(sel), T), pad, dtype=torch.long)
            mask = torch.zeros((len(sel), T), dtype=torch.long)
            for r, (_, seq, _) in enumerate(sel):
                ids[r, :len(seq)] = torch.tensor(seq)
                mask[r, :len(seq)] = 1
            pos = torch.tensor([x[2] for x in sel])
            logits = net(input_ids=ids.to(dev), attention_mask=mask.to(dev)).logits
            probs = torch.softmax(logits[torch.arange(len(sel)), pos.to(dev)].float(), dim=-1)
            top = torch.topk(probs, 2, dim=-1).values.double().cpu().numpy()
            for (i, _, _), (p1, p2) in zip(sel, top):
                scores[i] = min(scores[i], p1 - p2)
    return scores


class MaskedLMInitial(InitialSelection):
    """Seed-set selection ``lm`` (paper 000): the sentences whose hardest word the masked LM finds
    most ambiguous (smallest top-2 margin, :func:`mlm_margin_scores`) first. ``model`` is a local
    masked-LM folder."""

    name = "lm"
    needs_model = True

    def check(self) -> None:
        super().check()
        import os

        if not os.path.exists(str(self.model)):
            raise MultitagError(f"initial selection 'lm': the masked-LM folder {self.model!r} does not exist")

    def order(self, sentences: Sequence[Sentence], rng: np.random.Generator) -> np.ndarray:
        margins = mlm_margin_scores(sentences, str(self.model))
        if margins.shape != (len(sentences),):
            raise MultitagError(f"the masked-LM scorer returned {margins.shape} scores for {len(sentences)} sentences")
        return order_by_score(margins, rng)
