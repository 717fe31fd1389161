"""Tiny sizes of the four torch taggers and fast training settings, shared by the torch backend's tests."""
from multitag_torch.taggers import BiLSTMEncDecTagger, BiLSTMTagger, CNNBiLSTMCRFTagger, CNNCNNLSTMTagger

TINY = {
    CNNBiLSTMCRFTagger: dict(word_dim=16, char_dim=8, char_filters=8, case_dim=4, hidden=16),
    CNNCNNLSTMTagger: dict(word_dim=16, char_dim=6, char_filters=8, cnn_filters=16, decoder_hidden=16, tag_dim=8),
    BiLSTMTagger: dict(word_dim=16, hidden=16),
    BiLSTMEncDecTagger: dict(word_dim=16, hidden=16, decoder_hidden=16, tag_dim=8),
}
FAST = dict(optimizer="adam", lr=0.01, batch_size=8, threads=1, embeddings="random")  # random: fast
