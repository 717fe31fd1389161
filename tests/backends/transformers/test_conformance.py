"""The conformance suite on a tiny random BERT (both MC-dropout modes are exercised by it)."""
from multitag.testing import check_backend
from multitag_transformers.tagger import TransformerTagger


def test_check_backend(tiny_bert):
    check_backend(lambda *, labels, seed: TransformerTagger(labels=labels, seed=seed, model=tiny_bert, epochs=1))
