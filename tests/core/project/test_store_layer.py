"""The store's query layer: every SQL statement of the package lives in ``multitag/project/store/``
(a scan of the source), and its named statements do what their names say on a real SQLite file."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import multitag
from multitag.project.importer import ImportPlan, Row, apply_import
from multitag.project.store import SentenceRow, Store

ROOT = Path(multitag.__file__).resolve().parent
STORE = ROOT / "project" / "store"
SQL = re.compile(r"\b(SELECT\b.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|"
                 r"ALTER\s+TABLE|DROP\s+TABLE|BEGIN\s+IMMEDIATE|PRAGMA)\b", re.S)


def sql_outside_the_store() -> list[str]:
    """``file:line: what`` for every SQL string, ``.execute`` call or ``sqlite3`` import outside the store."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if STORE in path.parents:
            continue
        where = path.relative_to(ROOT.parent)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                found.append(f"{where}:{node.lineno}: SQL text {node.value[:60]!r}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("execute", "executemany", "executescript"):
                found.append(f"{where}:{node.lineno}: .{node.func.attr}() call")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if "sqlite3" in names:
                    found.append(f"{where}:{node.lineno}: imports sqlite3")
    return found


def test_no_sql_outside_the_store_modules():
    found = sql_outside_the_store()
    assert not found, "SQL outside multitag/project/store/ (add a named method to a table group):\n" + "\n".join(found)


def test_the_scan_sees_sql_text(tmp_path, monkeypatch):
    bad = tmp_path / "multitag" / "planted.py"
    bad.parent.mkdir()
    bad.write_text('def f(store):\n    return store.conn.execute(\n        "SELECT id FROM rounds WHERE kind = ?", ("q",))\n')
    monkeypatch.setitem(globals(), "ROOT", bad.parent)
    found = sql_outside_the_store()
    assert len(found) == 2 and "SQL text" in found[0] + found[1] and ".execute() call" in found[0] + found[1]


# ---------------------------------------------------------------------------- on a real store
@pytest.fixture
def store(tmp_path):
    s = Store(str(tmp_path), create=True)
    s.create_schema({"project_uid": "u", "settings": {}})
    with s.transaction():
        doc = s.text.add_document("d", "Ann met Bob .")
        s.text.add_sentence(document_id=doc, offset=0, text="Ann met Bob .", tokens=["Ann", "met", "Bob", "."],
                            starts=[0, 4, 8, 12], ends=[3, 7, 11, 13], pos=None, hash="h1", source="t:1")
        s.text.add_sentence(document_id=doc, offset=14, text="Ça va", tokens=["Ça", "va"], starts=[0, 3], ends=[2, 5],
                            pos=["PRON", "VERB"], hash="h2", source="t:2")
    yield s
    s.close()


def _annotate(store, sentence, token, tag, round_id, **kw):
    return store.annotations.add(sentence_id=sentence, token=token, tag=tag, round_id=round_id,
                                 query_id=kw.get("query_id"), annotator="a", import_id=kw.get("import_id"), created="t")


def test_sentence_rows_decode_their_json_and_read_by_column(store):
    rows = store.text.sentences()
    assert [r.id for r in rows] == [1, 2] and isinstance(rows[0], SentenceRow)
    assert rows[1].tokens == ["Ça", "va"] and rows[1].pos == ["PRON", "VERB"] and rows[0].pos is None
    assert rows[1]["tokens"] == rows[1].tokens and rows[0]["starts"] == [0, 4, 8, 12]
    assert store.query("SELECT tokens FROM sentences WHERE id = 2")[0][0] == '["Ça", "va"]'   # stored as before
    assert store.text.sentence(3) is None and store.text.pool_tokens() == 6
    with pytest.raises(KeyError):
        rows[0]["no_such_column"]


def test_a_correction_supersedes_and_an_undo_restores(store):
    with store.transaction():
        store.rounds.add_text_round("t", "sentence")
        first = _annotate(store, 1, 0, "B-PER", 0)
        _annotate(store, 1, 2, "B-PER", 0)
        second = _annotate(store, 1, 0, "B-ORG", 0)
        store.annotations.supersede(first, by=second)
    assert store.annotations.current_tags(1) == {0: "B-ORG", 2: "B-PER"}
    assert store.annotations.current_at(1, 0).id == second and store.annotations.count_current() == 2
    assert store.annotations.current_positions() == {(1, 0), (1, 2)}
    assert store.annotations.current_tags_in_position_order() == [(1, 0, "B-ORG"), (1, 2, "B-PER")]
    with store.transaction():     # what the annotation page's undo does
        store.annotations.restore_superseded_by(second)
        store.annotations.retract(second, "later")
    assert store.annotations.current_at(1, 0).id == first and store.annotations.current_at(1, 0).tag == "B-PER"
    assert [a.id for a in store.annotations.current()] == [first, first + 1]
    assert store.annotations.current_at(1, 1) is None


def test_the_latest_chosen_round_ignores_text_and_import_rounds(store):
    with store.transaction():
        store.rounds.add_text_round("t", "sentence")
        seed = store.rounds.add(kind="seed", created="t", strategy="random", level="sentence", budget=5, model_id=None,
                                labeled_hash="x", train_seconds=None, predict_seconds=None, select_seconds=None)
        store.rounds.add_import_round("t", "sentence")
    latest = store.rounds.latest_chosen()
    assert latest.id == seed and latest.kind == "seed" and latest["budget"] == 5
    assert store.rounds.count_query_rounds() == 0 and [r.kind for r in store.rounds.all()] == ["text", "seed", "import"]
    with store.transaction():
        q = store.queries.add(round_id=seed, sentence_id=2, tokens=(1, 0), unit="token", score=0.5, rank=1, created="t")
        store.queries.add(round_id=seed, sentence_id=1, tokens=[3], unit="token", score=None, rank=0, created="t")
    assert [x.sentence_id for x in store.queries.of_round(seed)] == [1, 2]
    assert store.queries.by_id()[q].tokens == [1, 0] and store.queries.count_of_round(seed) == 2
    assert store.annotations.count_answering_round(seed) == 0
    with store.transaction():
        _annotate(store, 2, 1, "O", seed, query_id=q)
    assert store.annotations.count_answering_round(seed) == 1 and store.annotations.count_current_of_round(seed) == 1


def test_leases_by_annotator_expiry_and_state(store):
    with store.transaction():
        rnd = store.rounds.add(kind="seed", created="t", strategy="random", level="sentence", budget=5, model_id=None,
                               labeled_hash="x", train_seconds=None, predict_seconds=None, select_seconds=None)
        a1 = store.leases.add(round_id=rnd, sentence_id=1, annotator="ann", created="t", expires=100.0)
        a2 = store.leases.add(round_id=rnd, sentence_id=2, annotator="ann", created="t", expires=200.0)
        b1 = store.leases.add(round_id=rnd, sentence_id=1, annotator="bob", created="t", expires=150.0)
    assert store.leases.get(a1.id) == a1 and a1.state == "held" and a1.import_id is None
    assert [x.id for x in store.leases.held_by("ann")] == [a2.id, a1.id]      # the latest to expire first
    assert store.leases.sentences_held_by_others("ann", now=120.0) == {1}
    assert store.leases.sentences_held_by_others("ann", now=160.0) == set()   # bob's lease expired
    assert store.leases.count_live_holds_of_others(a1, now=120.0) == 1
    with store.transaction():
        imp = store.imports.add(sha256="s", path="api:bob", fmt="serve", created="t", tasks=1, tokens=4, annotator="bob")
        store.leases.mark_answered(b1.id, imp)
        store.leases.set_state(a2.id, "skipped")
    assert store.leases.finished_by_other(a1) == "bob" and store.leases.finished_by_other(store.leases.get(b1.id)) is None
    assert store.leases.sentences_skipped_by("ann", rnd) == {2} and store.leases.count_answered_by("bob") == 1
    assert store.leases.last_answered_by("bob").id == b1.id and store.leases.last_answered_by("ann") is None
    with store.transaction():
        store.leases.hand_back(b1.id, 999.0)
    back = store.leases.get(b1.id)
    assert (back.state, back.import_id, back.expires) == ("held", None, 999.0)


def test_a_failed_transaction_writes_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.imports.add(sha256="s", path="f", fmt="jsonl", created="t", tasks=1, tokens=1, annotator=None)
            _annotate(store, 1, 0, "O", store.rounds.add_import_round("t", "sentence"))
            raise RuntimeError("killed")
    assert store.imports.created_of("s") is None and store.annotations.count_current() == 0
    assert store.rounds.all() == []


def test_an_import_raced_by_another_connection_imports_nothing(store, tmp_path):
    """Two imports of one file that both passed the caller's check: the re-check inside the write
    transaction (BEGIN IMMEDIATE) makes the second import nothing."""
    plan = ImportPlan(rows=[Row(1, 0, "B-PER", None, None, "a", "f:1"), Row(1, 1, "O", None, None, "a", "f:1")], tasks=1)
    other = Store(str(tmp_path))
    try:
        assert store.imports.created_of("same") is None          # both callers see a new file
        first = apply_import(other, plan, path="f", sha256="same", fmt="conll")
        assert first["annotated_tokens"] == 2
        second = apply_import(store, plan, path="f", sha256="same", fmt="conll")
    finally:
        other.close()
    assert second == {"already": store.imports.created_of("same"), "tasks": 0, "annotated_tokens": 0}
    assert store.annotations.count_current() == 2 and len(store.query("SELECT id FROM imports")) == 1
    assert [r.kind for r in store.rounds.all()] == ["import"]
