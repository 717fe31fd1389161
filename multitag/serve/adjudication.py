"""Adjudication: the sentences of the overlap on which two annotators gave different answers, for
a reviewer to settle. The settled answer supersedes theirs (which stay, as history), so exports
and training use it."""
from __future__ import annotations

from multitag.project.store import Store
from multitag.serve.history import current_draft


def disagreements(store: Store) -> list[dict]:
    """The unsettled sentences whose annotators' answers differ, each with every annotator's tags
    and the sentence's current tags."""
    by_sentence: dict[int, dict[str, list]] = {}
    for sid, who, tags in store.leases.submitted_answers():
        by_sentence.setdefault(sid, {})[who] = tags
    settled = store.settlements.settled_sentences()
    out = []
    for sid, answers in sorted(by_sentence.items()):
        if sid in settled or len(answers) < 2 or len({tuple(t) for t in answers.values()}) < 2:
            continue
        out.append({"sentence": sid, "tokens": store.text.sentence(sid).tokens, "current": current_draft(store, sid),
                    "answers": [{"annotator": who, "tags": tags} for who, tags in sorted(answers.items())]})
    return out
