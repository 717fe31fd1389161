"""The four torch taggers registered under ``multitag.backends``.

=================  ==========================  ===============================  ==================
name               class                       decoding / marginals             mc_modes
=================  ==========================  ===============================  ==================
cnn-bilstm-crf     :class:`CNNBiLSTMCRFTagger`  Viterbi / forward-backward       word, locked, all
cnn-cnn-lstm       :class:`CNNCNNLSTMTagger`    greedy / per-step distributions  last, all
bilstm             :class:`BiLSTMTagger`        argmax / softmax                 last, all
bilstm-encdec      :class:`BiLSTMEncDecTagger`  greedy / per-step distributions  last, all
=================  ==========================  ===============================  ==================

For the greedy decoders (``cnn-cnn-lstm``, ``bilstm-encdec``) exact marginals are intractable:
``Prediction.marginals[t]`` is the decoder's distribution at step ``t`` given the greedy prefix
(the tags it chose before ``t``), and ``logprob`` is the sum over ``t`` of the log-probability of
the chosen tag, i.e. the model's log-probability of the greedy path.

MC modes: ``word`` = the word dropout, ``locked`` = both locked dropouts (around the BiLSTM),
``last`` = the dropout before the final linear layer, ``all`` = every dropout module of the network
(word, locked, standard dropout incl. those of the character CNN). The UNK replacement of
``cnn-cnn-lstm`` is a training-time augmentation and never samples. ``hidden`` is the input of the
final linear layer (BiLSTM output for the CRF and softmax taggers, decoder LSTM state for the
greedy decoders).
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from .base import TorchTagger
from .models import BiLSTMEncDecNet, BiLSTMNet, CNNBiLSTMCRFNet, CNNCNNLSTMNet
from .vocab import CASES


class CNNBiLSTMCRFTagger(TorchTagger):
    """CNN-BiLSTM-CRF (Shelmanov et al. 2021, section 3.2 and appendix C; Ma and Hovy 2016 character
    CNN; Chiu and Nichols 2016 capitalisation features): BiLSTM with ``hidden`` units per
    direction, word dropout ``word_dropout`` and locked dropout ``locked_dropout``; SGD lr 0.1,
    halved after 3 epochs without dev improvement, at most 30 epochs, batch 32.

    Parameters
    ----------
    char_dim : int
        Character embedding size.
    char_filters : int
        Filters of the character CNN (0: no character CNN).
    case_dim : int
        Capitalisation feature embedding size (0: none).
    hidden : int
        BiLSTM units per direction.
    word_dropout : float
        Probability of dropping a whole word vector (MC mode "word").
    locked_dropout : float
        Locked (variational) dropout around the BiLSTM (MC mode "locked").
    char_dropout : float
        Dropout on the character embeddings.

    The parameters all torch taggers share are listed in :class:`~multitag_torch.base.TorchTagger`.
    """

    mc_modes: ClassVar[tuple[str, ...]] = ("word", "locked", "all")
    _net_class = CNNBiLSTMCRFNet

    def __init__(self, *, labels: Sequence[str], seed: int = 0, embeddings: str | None = "train:fasttext", word_dim: int = 100,
                 freeze_embeddings: bool = False, char_dim: int = 30, char_filters: int = 30, case_dim: int = 8,
                 hidden: int = 128, word_dropout: float = 0.05, locked_dropout: float = 0.5,
                 char_dropout: float = 0.5, optimizer: str = "sgd", lr: float = 0.1, batch_size: int = 32,
                 max_epochs: int = 30, patience: int = 3, clip: float = 5.0, max_seconds: float | None = None,
                 warm_start: bool = False, incremental_epochs: int | None = None, warm_optimizer: bool = False,
                 precision: str = "auto",
                 predict_batch_size: int = 64, threads: int | None = None, device: str = "cpu",
                 progress: bool = False) -> None:
        self.labels = labels
        self.seed = seed
        self.embeddings = embeddings
        self.word_dim = word_dim
        self.freeze_embeddings = freeze_embeddings
        self.char_dim = char_dim
        self.char_filters = char_filters
        self.case_dim = case_dim
        self.hidden = hidden
        self.word_dropout = word_dropout
        self.locked_dropout = locked_dropout
        self.char_dropout = char_dropout
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.clip = clip
        self.max_seconds = max_seconds
        self.warm_start = warm_start
        self.incremental_epochs = incremental_epochs
        self.warm_optimizer = warm_optimizer
        self.precision = precision
        self.predict_batch_size = predict_batch_size
        self.threads = threads
        self.device = device
        self.progress = progress

    def _net_kwargs(self) -> dict[str, Any]:
        return dict(freeze=self.freeze_embeddings, char_dim=self.char_dim, char_filters=self.char_filters,
                    n_cases=len(CASES), case_dim=self.case_dim, hidden=self.hidden, word_dropout=self.word_dropout,
                    locked_dropout=self.locked_dropout, char_dropout=self.char_dropout)


class CNNCNNLSTMTagger(TorchTagger):
    """CNN-CNN-LSTM (Shen et al. 2017, section 2): residual character CNN (``char_layers`` layers,
    max-pooling), word embedding (words replaced by UNK with probability ``unk_replace`` in
    training), word CNN (``cnn_layers`` layers, kernel 3, output concatenated with its input), LSTM
    tag decoder fed the previous tag, greedy decoding.

    Parameters
    ----------
    char_dim : int
        Character embedding size.
    char_filters : int
        Filters of each character CNN layer.
    char_layers : int
        Residual character CNN layers.
    cnn_filters : int
        Filters of each word CNN layer.
    cnn_layers : int
        Word CNN layers.
    decoder_hidden : int
        Units of the LSTM tag decoder.
    tag_dim : int
        Embedding size of the previous tag fed to the decoder.
    dropout : float
        Dropout of the CNNs and before the output layer (MC mode "last": the decoder's).
    unk_replace : float
        Probability of replacing a training word by the unknown word.

    The parameters all torch taggers share are listed in :class:`~multitag_torch.base.TorchTagger`.
    """

    mc_modes: ClassVar[tuple[str, ...]] = ("last", "all")
    _net_class = CNNCNNLSTMNet

    def __init__(self, *, labels: Sequence[str], seed: int = 0, embeddings: str | None = "train:fasttext", word_dim: int = 100,
                 freeze_embeddings: bool = False, char_dim: int = 30, char_filters: int = 50, char_layers: int = 2,
                 cnn_filters: int = 200, cnn_layers: int = 2, decoder_hidden: int = 128, tag_dim: int = 20,
                 dropout: float = 0.5, unk_replace: float = 0.5, optimizer: str = "adam", lr: float = 0.001,
                 batch_size: int = 32, max_epochs: int = 30, patience: int = 3, clip: float = 5.0,
                 max_seconds: float | None = None,
                 warm_start: bool = False, incremental_epochs: int | None = None, warm_optimizer: bool = False,
                 precision: str = "auto", predict_batch_size: int = 64, threads: int | None = None,
                 device: str = "cpu", progress: bool = False) -> None:
        self.labels = labels
        self.seed = seed
        self.embeddings = embeddings
        self.word_dim = word_dim
        self.freeze_embeddings = freeze_embeddings
        self.char_dim = char_dim
        self.char_filters = char_filters
        self.char_layers = char_layers
        self.cnn_filters = cnn_filters
        self.cnn_layers = cnn_layers
        self.decoder_hidden = decoder_hidden
        self.tag_dim = tag_dim
        self.dropout = dropout
        self.unk_replace = unk_replace
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.clip = clip
        self.max_seconds = max_seconds
        self.warm_start = warm_start
        self.incremental_epochs = incremental_epochs
        self.warm_optimizer = warm_optimizer
        self.precision = precision
        self.predict_batch_size = predict_batch_size
        self.threads = threads
        self.device = device
        self.progress = progress

    def _net_kwargs(self) -> dict[str, Any]:
        return dict(freeze=self.freeze_embeddings, char_dim=self.char_dim, char_filters=self.char_filters,
                    char_layers=self.char_layers, cnn_filters=self.cnn_filters, cnn_layers=self.cnn_layers,
                    decoder_hidden=self.decoder_hidden, tag_dim=self.tag_dim, dropout=self.dropout,
                    unk_replace=self.unk_replace)


class BiLSTMTagger(TorchTagger):
    """BiLSTM tagger with a softmax output layer (W-BADGE paper, section 5.2: 200 hidden units,
    dropout 0.5, Adam lr 0.001; its 400-dimensional embeddings are ``word_dim=400``).

    Parameters
    ----------
    hidden : int
        BiLSTM units per direction.
    dropout : float
        Dropout on the embeddings and before the output layer (MC mode "last": the latter).

    The parameters all torch taggers share are listed in :class:`~multitag_torch.base.TorchTagger`.
    """

    mc_modes: ClassVar[tuple[str, ...]] = ("last", "all")
    _net_class = BiLSTMNet
    _uses_chars = False

    def __init__(self, *, labels: Sequence[str], seed: int = 0, embeddings: str | None = "train:fasttext", word_dim: int = 100,
                 freeze_embeddings: bool = False, hidden: int = 200, dropout: float = 0.5, optimizer: str = "adam",
                 lr: float = 0.001, batch_size: int = 16, max_epochs: int = 25, patience: int = 3, clip: float = 5.0,
                 max_seconds: float | None = None,
                 warm_start: bool = False, incremental_epochs: int | None = None, warm_optimizer: bool = False,
                 precision: str = "auto", predict_batch_size: int = 64, threads: int | None = None,
                 device: str = "cpu", progress: bool = False) -> None:
        self.labels = labels
        self.seed = seed
        self.embeddings = embeddings
        self.word_dim = word_dim
        self.freeze_embeddings = freeze_embeddings
        self.hidden = hidden
        self.dropout = dropout
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.clip = clip
        self.max_seconds = max_seconds
        self.warm_start = warm_start
        self.incremental_epochs = incremental_epochs
        self.warm_optimizer = warm_optimizer
        self.precision = precision
        self.predict_batch_size = predict_batch_size
        self.threads = threads
        self.device = device
        self.progress = progress

    def _net_kwargs(self) -> dict[str, Any]:
        return dict(freeze=self.freeze_embeddings, hidden=self.hidden, dropout=self.dropout)


class BiLSTMEncDecTagger(TorchTagger):
    """BiLSTM encoder with a greedy LSTM tag decoder (W-BADGE paper, section 5.2: encoder 200, decoder
    100 units, dropout 0.5, Adam lr 0.001).

    Parameters
    ----------
    hidden : int
        Encoder BiLSTM units per direction.
    decoder_hidden : int
        Units of the LSTM tag decoder.
    tag_dim : int
        Embedding size of the previous tag fed to the decoder.
    dropout : float
        Dropout on the embeddings, the encoder output and before the output layer (MC mode "last": the decoder's).

    The parameters all torch taggers share are listed in :class:`~multitag_torch.base.TorchTagger`.
    """

    mc_modes: ClassVar[tuple[str, ...]] = ("last", "all")
    _net_class = BiLSTMEncDecNet
    _uses_chars = False

    def __init__(self, *, labels: Sequence[str], seed: int = 0, embeddings: str | None = "train:fasttext", word_dim: int = 100,
                 freeze_embeddings: bool = False, hidden: int = 200, decoder_hidden: int = 100, tag_dim: int = 20,
                 dropout: float = 0.5, optimizer: str = "adam", lr: float = 0.001, batch_size: int = 16,
                 max_epochs: int = 25, patience: int = 3, clip: float = 5.0, max_seconds: float | None = None,
                 warm_start: bool = False, incremental_epochs: int | None = None, warm_optimizer: bool = False,
                 precision: str = "auto",
                 predict_batch_size: int = 64, threads: int | None = None, device: str = "cpu",
                 progress: bool = False) -> None:
        self.labels = labels
        self.seed = seed
        self.embeddings = embeddings
        self.word_dim = word_dim
        self.freeze_embeddings = freeze_embeddings
        self.hidden = hidden
        self.decoder_hidden = decoder_hidden
        self.tag_dim = tag_dim
        self.dropout = dropout
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.clip = clip
        self.max_seconds = max_seconds
        self.warm_start = warm_start
        self.incremental_epochs = incremental_epochs
        self.warm_optimizer = warm_optimizer
        self.precision = precision
        self.predict_batch_size = predict_batch_size
        self.threads = threads
        self.device = device
        self.progress = progress

    def _net_kwargs(self) -> dict[str, Any]:
        return dict(freeze=self.freeze_embeddings, hidden=self.hidden, decoder_hidden=self.decoder_hidden,
                    tag_dim=self.tag_dim, dropout=self.dropout)


__all__ = ["CNNBiLSTMCRFTagger", "CNNCNNLSTMTagger", "BiLSTMTagger", "BiLSTMEncDecTagger"]
