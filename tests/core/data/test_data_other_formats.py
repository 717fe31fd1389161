"""BRAT standoff, Hugging Face JSON lines (integer ner_tags + ClassLabel names), save_to_disk / parquet
(through pyarrow; refused without it), spaCy DocBin: each read behind the same Dataset, with the same
fingerprint-relevant counts as the CoNLL form of the same data."""
from __future__ import annotations

import json
import sys

import pytest

from multitag.data import load_dataset
from multitag.errors import DataError

SENTENCES = [(["John", "lives", "in", "New", "York", "."], ["B-PER", "O", "O", "B-LOC", "I-LOC", "O"]),
             (["IL", "-", "2", "binds", "NF", "-", "kB"], ["B-PROT", "I-PROT", "I-PROT", "O", "B-PROT", "I-PROT", "I-PROT"])]
NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-PROT", "I-PROT"]


def _conll(path):
    path.write_text("\n\n".join("\n".join(f"{t} {g}" for t, g in zip(*s)) for s in SENTENCES) + "\n", encoding="utf-8")
    return load_dataset(path)


def _same_counts(ds, reference):
    fp, ref = ds.fingerprint()["train"], reference.fingerprint()["train"]
    assert (fp["sentences"], fp["tokens"], fp["sha256"]) == (ref["sentences"], ref["tokens"], ref["sha256"])


def _brat(folder, ann: str, text="John lives in New York .\nIL-2 binds NF-kB\n"):
    folder.mkdir(exist_ok=True)
    (folder / "doc1.txt").write_text(text, encoding="utf-8")
    (folder / "doc1.ann").write_text(ann, encoding="utf-8")
    return folder


ANN = ("T1\tPER 0 4\tJohn\nT2\tLOC 14 22\tNew York\nT3\tLOC 18 22\tYork\nT4\tPROT 25 29\tIL-2\n"
       "T5\tPROT 36 41\tNF-kB\nR1\tBinds Arg1:T4 Arg2:T5\n#1\tAnnotatorNotes T1\tperson\n")


def test_brat_folder_reads_like_its_conll_form_and_says_the_nesting_rule(tmp_path):
    ds = load_dataset(_brat(tmp_path / "brat", ANN))
    assert [s.tokens for s in ds.train] == [tuple(t) for t, _ in SENTENCES]
    assert [s.tags for s in ds.train] == [tuple(g) for _, g in SENTENCES]
    _same_counts(ds, _conll(tmp_path / "train.txt"))
    (note,) = ds.warnings()
    assert "1 span inside another dropped (the outer kept)" in note       # York inside New York


@pytest.mark.parametrize("ann, line, what", [
    ("T1\tPER 0 4;5 10\tJohn lives\n", 1, "discontinuous span"),
    ("T1\tPER 0 4\tJohn\nT2\tLOC 1 3\toh\nT3\tLOC 2 10\thn lives\n", 3, "crosses the one at line 1"),
    ("T1\tPER 0 3\tJoh\n", 1, "inside a token"),
    ("T1\tPER 0 4\tJane\n", 1, "is not the text 'Jane'"),
])
def test_brat_refusals_name_the_ann_line(tmp_path, ann, line, what):
    folder = _brat(tmp_path / "b", ann)
    with pytest.raises(DataError) as e:
        load_dataset(folder)
    assert str(e.value).startswith(f"{folder / 'doc1.ann'}:{line}: ") and what in str(e.value)


def test_brat_split_folders(tmp_path):
    for split in ("train", "dev", "test"):
        _brat(tmp_path / split, ANN)
    ds = load_dataset(tmp_path)
    assert len(ds.train) == len(ds.dev) == len(ds.test) == 2 and ds.split_info["dev"].source.format == "brat"


def _hf(folder, names=NAMES, info=True):
    folder.mkdir(exist_ok=True)
    rows = [{"id": str(k), "tokens": t, "ner_tags": [names.index(x) for x in g]} for k, (t, g) in enumerate(SENTENCES)]
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if info:
        features = {"ner_tags": {"feature": {"names": names, "_type": "ClassLabel"}, "_type": "Sequence"}}
        (folder / "dataset_info.json").write_text(json.dumps({"features": features}), encoding="utf-8")
    return folder


def test_hf_jsonl_with_integer_ner_tags_reads_like_its_conll_form(tmp_path):
    ds = load_dataset(_hf(tmp_path / "hf"))
    assert ds.split_info["train"].source.format == "hf-jsonl"
    _same_counts(ds, _conll(tmp_path / "train.txt"))
    assert ds.warnings() == []                              # dataset_info.json is not a data file left unread


def test_hf_jsonl_without_label_names_is_refused_naming_what_to_add(tmp_path):
    folder = _hf(tmp_path / "hf", info=False)
    with pytest.raises(DataError) as e:
        load_dataset(folder)
    assert str(e.value).startswith(f"{folder / 'train.jsonl'}:1: integer ner_tags need their label names")


def test_save_to_disk_and_parquet_without_pyarrow_are_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)      # as on a machine without the hf extra
    split = tmp_path / "dd" / "train"
    split.mkdir(parents=True)
    (split / "state.json").write_text("{}", encoding="utf-8")
    (split / "data-00000-of-00001.arrow").write_bytes(b"")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path / "dd")
    assert "needs pyarrow" in str(e.value) and str(split) in str(e.value)
    (tmp_path / "test.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError) as e:
        load_dataset(train=tmp_path / "test.parquet")
    assert "needs pyarrow" in str(e.value)


def _arrow_table(names=NAMES, strings=False):
    import pyarrow as pa

    rows = [{"id": str(k), "tokens": t, "ner_tags": list(g) if strings else [names.index(x) for x in g]}
            for k, (t, g) in enumerate(SENTENCES)]
    return pa.Table.from_pylist(rows)


def _save_to_disk(folder, names=NAMES):
    """A folder shaped like Dataset.save_to_disk's: state.json, dataset_info.json, an Arrow stream."""
    import pyarrow as pa

    folder.mkdir(parents=True)
    table = _arrow_table(names)
    with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    features = {"ner_tags": {"feature": {"names": names, "_type": "ClassLabel"}, "_type": "Sequence"}}
    (folder / "dataset_info.json").write_text(json.dumps({"features": features}), encoding="utf-8")
    return folder


def test_a_save_to_disk_dataset_dict_reads_like_its_conll_form(tmp_path):
    for split in ("train", "test"):
        _save_to_disk(tmp_path / "dd" / split)
    ds = load_dataset(tmp_path / "dd")
    assert ds.split_info["train"].source.format == "arrow" and len(ds.test) == 2
    _same_counts(ds, _conll(tmp_path / "train.txt"))
    assert [s.id for s in ds.train] == ["0", "1"]


def test_parquet_reads_label_names_from_the_hub_metadata_or_dataset_info(tmp_path):
    import pyarrow as pa   # the hf extra; the test extra (bin/install) includes it
    import pyarrow.parquet as pq

    table = _arrow_table()
    hub = {"info": {"features": {"ner_tags": {"feature": {"names": NAMES, "_type": "ClassLabel"}, "_type": "Sequence"}}}}
    pq.write_table(table.replace_schema_metadata({"huggingface": json.dumps(hub)}), str(tmp_path / "train.parquet"))
    reference = _conll(tmp_path / "ref.txt")
    _same_counts(load_dataset(train=tmp_path / "train.parquet"), reference)
    bare = tmp_path / "bare"
    bare.mkdir()
    pq.write_table(table, str(bare / "train.parquet"))
    with pytest.raises(DataError, match="row 1: integer ner_tags need their label names"):
        load_dataset(train=bare / "train.parquet")
    _hf(bare)   # writes dataset_info.json (and a train.jsonl) beside it
    _same_counts(load_dataset(train=bare / "train.parquet"), reference)
    pq.write_table(_arrow_table(strings=True), str(tmp_path / "strings.parquet"))
    _same_counts(load_dataset(train=tmp_path / "strings.parquet"), reference)
    pq.write_table(pa.Table.from_pylist([{"tokens": ["a"]}]), str(tmp_path / "no_tags.parquet"))
    with pytest.raises(DataError, match="no ner_tags column"):
        load_dataset(train=tmp_path / "no_tags.parquet")



def test_spacy_docbin_reads_like_its_conll_form(tmp_path):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import Doc, DocBin

    vocab = spacy.blank("en").vocab
    db = DocBin()
    for tokens, tags in SENTENCES:
        db.add(Doc(vocab, words=tokens, spaces=[True] * len(tokens), ents=tags))
    db.to_disk(tmp_path / "train.spacy")
    ds = load_dataset(tmp_path / "train.spacy")
    assert ds.split_info["train"].source.format == "spacy"
    _same_counts(ds, _conll(tmp_path / "train.txt"))
