"""The engine writes the records it wrote before its refactor (golden files of ``tests/golden``):
same selections, tokens, entity and cost accounting, and F1, at sentence, entity and token level."""
import importlib.util
import os

import pytest

_spec = importlib.util.spec_from_file_location(
    "multitag_golden_compare", os.path.join(os.path.dirname(__file__), "..", "..", "golden", "compare.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.mark.parametrize("name", ["count-entity-token", "count-sentence"])
def test_count_baseline_records_equal_the_golden_file(tmp_path, count_backend, name):
    gen = golden.generator()
    data = gen.count_data(str(tmp_path / "data"))
    got = gen.run(gen.COUNT_CONFIGS[name], data, str(tmp_path / "out"))
    golden.assert_same_records(got, golden.load(name))
