"""A CRF trained on sentences that are all O (a first round where annotators found no entity) keeps
no attribute at all: crfsuite writes an empty attribute dictionary, which the model-file check must
accept (it was refused as "damaged", so such a retrain of `multitag serve` failed)."""
import multitag
from multitag import registry
from multitag.data.sentence import Corpus, Sentence


def test_a_crf_fitted_on_all_o_sentences_saves_loads_and_predicts_o(tmp_path):
    tagger = registry.create("crf", labels=["O", "B-PER", "I-PER"], seed=0, max_iterations=5)
    tagger.fit(Corpus([Sentence(["Nothing", "here"], ["O", "O"]), Sentence(["Nor", "here", "."], ["O", "O", "O"])]))
    assert tagger.predict([Sentence(["Paris", "here"])])[0].tags == ["O", "O"]
    tagger.save(tmp_path / "m")
    again = multitag.load(tmp_path / "m")
    pred = again.predict([Sentence(["Nothing", "new"])])[0]
    assert pred.tags == ["O", "O"] and abs(pred.marginals.sum(axis=1) - 1).max() < 1e-9
