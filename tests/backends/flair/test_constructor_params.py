"""The flair taggers declare their shared parameters once (multitag_torch.constructor)."""
from multitag.backend import Tagger
from multitag_flair.tagger import LAYERS_AND_TRAINING, ElmoBiLSTMCRFTagger, FlairBiLSTMCRFTagger


def test_the_elmo_tagger_shares_every_parameter_of_the_flair_tagger_after_its_embeddings():
    shared = [p.name for p in LAYERS_AND_TRAINING]
    assert FlairBiLSTMCRFTagger._param_names()[3:] == shared
    assert ElmoBiLSTMCRFTagger._param_names() == ["labels", "seed", "elmo_options", "elmo_weights", "embeddings", *shared]
    assert issubclass(ElmoBiLSTMCRFTagger, Tagger)
    assert ElmoBiLSTMCRFTagger(labels=["O"]).embeddings == () and FlairBiLSTMCRFTagger(labels=["O"]).embeddings != ()
