"""Encodings: UTF-8 with or without BOM, else cp1252 or Latin-1 (said per split), --encoding, mojibake."""
from __future__ import annotations

import pytest

from multitag.data import load_dataset, read_conll
from multitag.data.encodings import decode, mojibake
from multitag.data.read_options import ReadOptions
from multitag.errors import DataError

# CoNLL-2002 Spanish as it ships: Latin-1, two columns
ESP = "La B-LOC\nCoruña I-LOC\n,\tO\n23\tO\nmay\tO\n\nEl O\nAbogado B-PER\nGeneral I-PER\nañadió O\n"


@pytest.mark.parametrize("raw, encoding, text", [
    ("Coruña O\n".encode("utf-8"), "UTF-8", "Coruña O\n"),
    (b"\xef\xbb\xbf" + "Coruña O\n".encode("utf-8"), "UTF-8 with BOM", "Coruña O\n"),
    ("Coruña O\n".encode("latin-1"), "Latin-1", "Coruña O\n"),
    ("“Coruña” O\n".encode("cp1252"), "cp1252", "“Coruña” O\n"),   # 0x93 / 0x94: cp1252, not C1 controls
    (b"a\x81 O\n", "Latin-1", "a\x81 O\n"),                          # 0x81 is no cp1252 character
    ("Coruña O\n".encode("utf-16"), "UTF-16", "Coruña O\n"),           # by its BOM; as Latin-1: NUL-ridden tokens
])
def test_decode_picks_utf8_then_cp1252_or_latin1(raw, encoding, text):
    d = decode(raw, "f.txt")
    assert (d.text, d.encoding) == (text, encoding)


def test_a_latin1_release_reads_with_exact_counts_and_the_split_line_says_latin1(tmp_path):
    (tmp_path / "esp.train").write_bytes(ESP.encode("latin-1"))
    ds = load_dataset(tmp_path)
    assert [s.tokens for s in ds.train][0] == ("La", "Coruña", ",", "23", "may")
    assert (len(ds.train), ds.train.n_tokens) == (2, 9)
    assert ds.split_info["train"].encoding == "Latin-1"
    (line,) = ds.describe()
    assert line.startswith(f"train: {tmp_path / 'esp.train'} (IOB2; Latin-1)")


def test_encoding_option_reads_strictly(write):
    path = write("a.txt", "Coruña O\n".encode("latin-1"))
    assert read_conll(path, encoding="latin-1")[0].tokens == ("Coruña",)
    with pytest.raises(DataError) as e:
        read_conll(path, encoding="utf-8")
    assert e.value.line == 1 and "not valid UTF-8" in str(e.value)
    with pytest.raises(DataError) as e:
        read_conll(path, encoding="no-such-codec")
    assert "unknown encoding 'no-such-codec'" in str(e.value)
    # the wrong encoding, given: read as said (no guessing over the user's word)
    assert read_conll(write("u.txt", "Coruña O\n"), encoding="latin-1")[0].tokens == ("CoruÃ±a",)


def test_mojibake_is_warned_about_with_its_line(write):
    path = write("train.txt", "a O\n\nCaf\u00c3\u00a9 O\n")      # "Café" decoded as Latin-1 and saved as UTF-8
    ds = load_dataset(path)
    assert ds.train[1].tokens == ("Caf\u00c3\u00a9",)           # read as it is
    (warning,) = ds.warnings()
    assert warning.startswith(f"{path}:3: 'CafÃ©'") and "'Café' meant?" in warning
    assert load_dataset(write("ok.txt", "Café Ärger O\n".replace(" Ärger", ""))).warnings() == []
    assert mojibake(["Ärger über Österreich", "Â"]) is None


def test_encoding_reaches_every_split_through_the_options(tmp_path):
    (tmp_path / "train.txt").write_bytes("Coruña B-LOC\n".encode("cp1252"))
    (tmp_path / "test.txt").write_bytes("Coruña B-LOC\n".encode("cp1252"))
    ds = load_dataset(tmp_path, options=ReadOptions(encoding="cp1252"))
    assert {i.encoding for i in ds.split_info.values()} == {"cp1252"}
    assert ds.test[0].tokens == ("Coruña",)
