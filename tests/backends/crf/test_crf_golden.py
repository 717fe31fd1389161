"""A fixed-seed CRF run at sentence level on a CoNLL-2003 subset writes the records of the golden
file produced before the engine refactor (selected ids, tokens, F1)."""
import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "multitag_golden_compare", os.path.join(os.path.dirname(__file__), "..", "..", "golden", "compare.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

CONLL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "conll2003")


def test_crf_sentence_level_records_equal_the_golden_file(tmp_path):
    gen = golden.generator()
    data = gen.conll_subset(str(tmp_path / "data"), CONLL)
    got = gen.run(gen.CRF_CONFIG, data, str(tmp_path / "out"))
    golden.assert_same_records(got, golden.load("crf-sentence"))
