import pytest

from multitag import registry
from multitag.baseline import CountTagger

# a CoNLL-2003-style pool: three documents (-DOCSTART- lines), sentences of known lengths and entities
TRAIN = """-DOCSTART- -X- -X- O

John NNP B-NP B-PER
Smith NNP I-NP I-PER
runs VBZ B-VP O

Paris NNP B-NP B-LOC
is VBZ B-VP O
big JJ B-ADJP O
. . O O

-DOCSTART- -X- -X- O

IBM NNP B-NP B-ORG
and CC O O
Acme NNP B-NP B-ORG
merge VBP B-VP O

Mary NNP B-NP B-PER
visits VBZ B-VP O
Rome NNP B-NP B-LOC

-DOCSTART- -X- -X- O

nothing NN B-NP O
here RB B-ADVP O

Berlin NNP B-NP B-LOC
"""

TEST = """John NNP B-NP B-PER
visits VBZ B-VP O
Paris NNP B-NP B-LOC

IBM NNP B-NP B-ORG
runs VBZ B-VP O
"""


@pytest.fixture
def docs_data(tmp_path):
    d = tmp_path / "docs-data"
    d.mkdir()
    (d / "train.txt").write_text(TRAIN)
    (d / "test.txt").write_text(TEST)
    return str(d)


@pytest.fixture
def count_backend():
    with registry.registered("count", CountTagger):
        yield "count"
