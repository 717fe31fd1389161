"""The annotator's history on the page: their latest answers, each with its sentence and the
entities it holds now (a correction shows the corrected ones)."""
from __future__ import annotations

from multitag.data.entity_spans import entity_spans
from multitag.project.store import Store

HISTORY_LENGTH = 15


def history(store: Store, annotator: str, limit: int = HISTORY_LENGTH) -> list[dict]:
    """The annotator's latest answers, newest first, one per sentence."""
    out = []
    for lease in store.leases.history_of(annotator, limit):
        s = store.text.sentence(lease.sentence_id)
        current = store.annotations.current_tags(lease.sentence_id)
        tags = [current.get(i) for i in range(len(s.tokens))]
        out.append({"lease": lease.id, "sentence": lease.sentence_id, "round": lease.round_id,
                    "text": " ".join(s.tokens), "corrected": store.leases.reopened(lease.id) is not None,
                    "entities": [[a, b, typ, " ".join(s.tokens[a:b])] for typ, a, b in entity_spans(tags, "IOB2")]})
    return out


def current_draft(store: Store, sentence_id: int) -> list[str | None]:
    """The sentence's current tags, one per token (None: not annotated): what a correction starts from."""
    current = store.annotations.current_tags(sentence_id)
    return [current.get(i) for i in range(len(store.text.sentence(sentence_id).tokens))]
