"""Creating a project from the files people have: CoNLL / JSONL (tags present become round-0
annotations) or plain text tokenised with character offsets; bad settings write nothing."""
import importlib.util
import os

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.errors import MultitagError
from multitag.project.project import Project
from multitag.project.tokenize import tokenizer

_spec = importlib.util.spec_from_file_location("project_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

TEXT = "Dr. Smith flew to New York on Monday.  He met the U.N. envoy there!\nReuters reported it, didn't it?\n"


@pytest.mark.parametrize("name", ["spacy", "whitespace"])
def test_tokens_keep_their_character_offsets(name):
    for line in TEXT.splitlines():
        for piece in tokenizer(name)(line, False):
            assert [piece.text[a:b] for a, b in zip(piece.starts, piece.ends)] == piece.tokens
            assert line[piece.offset:piece.offset + len(piece.text)] == piece.text


def test_spacy_splits_documents_into_sentences_and_tokens_like_an_english_tokenizer():
    pieces = tokenizer("spacy")(TEXT.splitlines()[0], True)
    assert [p.tokens for p in pieces] == [["Dr.", "Smith", "flew", "to", "New", "York", "on", "Monday", "."],
                                          ["He", "met", "the", "U.N.", "envoy", "there", "!"]]
    assert tokenizer("spacy")("didn't it?", False)[0].tokens == ["did", "n't", "it", "?"]
    with pytest.raises(MultitagError, match="cannot split documents"):
        tokenizer("whitespace")("a b. c d.", True)


def _init(tmp_path, *args):
    return CliRunner().invoke(main, ["project", "init", str(tmp_path / "p"), *args])


def test_plain_text_projects_one_document_per_line(tmp_path, count_backend):
    f = tmp_path / "corpus.txt"
    f.write_text(TEXT)
    r = _init(tmp_path, "--text", str(f), "--documents", "--labels", "PER,LOC,ORG", "--backend", count_backend,
              "--strategy", "bt", "--level", "entity", "--training-mode", "mask")
    assert r.exit_code == 0, r.output
    assert "3 sentences" in r.output and "labels LOC, ORG, PER" in r.output
    with Project(str(tmp_path / "p")) as p:
        rows = p.sentences()
        docs = p.store.query("SELECT id, text FROM documents ORDER BY id")
        assert len(docs) == 2 and [r["document_id"] for r in rows] == [1, 1, 2]
        d1 = docs[0]["text"]
        second = rows[1]
        assert d1[second_offset(p, second["id"]):].startswith(second["text"])


def second_offset(p, sid):
    return p.store.query("SELECT offset FROM sentences WHERE id = ?", (sid,))[0][0]


def test_conll_tags_become_round_zero_annotations_and_partial_tags_stay_partial(tmp_path, count_backend, gold):
    lines = []
    for k, s in enumerate(gold[:3]):
        for j, (tok, tag) in enumerate(zip(s.tokens, s.tags)):
            lines.append(f"{tok} {tag if k < 2 or j % 2 else '_'}")
        lines.append("")
    for s in gold[3:6]:
        lines += [f"{tok} _" for tok in s.tokens] + [""]
    f = tmp_path / "partial.conll"
    f.write_text("\n".join(lines))
    r = _init(tmp_path, "--text", str(f), "--backend", count_backend, "--strategy", "mnlp")
    assert r.exit_code == 0, r.output
    assert "already annotated" in r.output
    with Project(str(tmp_path / "p")) as p:
        learner, _ = p.learner()
        assert learner.pool.tags(0) == gold[0].tags and learner.pool.tags(1) == gold[1].tags
        assert learner.pool.tags(2) == tuple(t if j % 2 else None for j, t in enumerate(gold[2].tags))
        assert all(t is None for t in learner.pool.tags(4))
        visible = [t for k, s in enumerate(gold[:3]) for j, t in enumerate(s.tags) if k < 2 or j % 2]
        assert p.settings.entity_types == sorted({t[2:] for t in visible if t != "O"})
        assert p.store.query("SELECT kind FROM rounds WHERE id = 0")[0][0] == "text"


@pytest.mark.parametrize("args,message", [
    (["--labels", "PER", "--param", "alpha=abc"], "parameter alpha expects a number"),
    (["--labels", "PER", "--strategy", "nope"], "unknown strategy 'nope'"),
    (["--labels", "PER", "--level", "entity", "--strategy", "mnlp"], "scores single tokens"),
    (["--labels", "PER", "--level", "sentences"], "unknown annotation level"),
    ([], "no labels"),
    (["--labels", "PER", "--tokenizer", "nltk"], "unknown tokenizer"),
])
def test_bad_settings_are_one_line_and_create_nothing(tmp_path, count_backend, args, message):
    f = tmp_path / "corpus.txt"
    f.write_text(TEXT)
    r = _init(tmp_path, "--text", str(f), "--backend", count_backend, *args)
    assert r.exit_code == 2, r.output
    assert len(r.output.strip().splitlines()) == 1 and message in r.output
    assert not (tmp_path / "p").exists()
    assert [x for x in os.listdir(tmp_path) if x.startswith(".p")] == []


def test_an_existing_project_or_folder_is_never_overwritten(tmp_path, count_backend, text_file):
    assert _init(tmp_path, "--text", text_file, "--labels", "PER", "--backend", count_backend).exit_code == 0
    r = _init(tmp_path, "--text", text_file, "--labels", "PER", "--backend", count_backend)
    assert r.exit_code == 2 and "already a project" in r.output
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    r = CliRunner().invoke(main, ["project", "init", str(tmp_path / "other"), "--text", text_file, "--labels", "PER",
                                  "--backend", count_backend])
    assert r.exit_code == 2 and "not an empty folder" in r.output
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_the_labelstudio_config_names_the_labels_and_shows_what_to_annotate(tmp_path, count_backend, text_file):
    assert _init(tmp_path, "--text", text_file, "--labels", "PER,LOC", "--backend", count_backend).exit_code == 0
    r = CliRunner().invoke(main, ["project", "labelstudio-config", str(tmp_path / "p")])
    assert r.exit_code == 0
    import xml.etree.ElementTree as ET

    root = ET.fromstring(r.output)
    assert [e.get("value") for e in root.iter("Label")] == ["LOC", "PER"]
    assert root.find("Text").get("value") == "$text" and root.find("Header").get("value") == "$asked"
    assert root.find("Labels").get("toName") == "text"
