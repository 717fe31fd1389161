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

from typing import Any, ClassVar, Sequence  # noqa: F401 - Sequence: the constructors' annotations

from .base import TorchTagger
from .constructor import Param, stores_parameters, with_defaults
from .models import BiLSTMEncDecNet, BiLSTMNet, CNNBiLSTMCRFNet, CNNCNNLSTMNet
from .vocab import CASES

#: The first parameters of every torch tagger (documented in :class:`~multitag_torch.base.TorchTagger`).
INPUT = (
    Param("labels", "Sequence[str]"),
    Param("seed", "int", 0),
    Param("embeddings", "str | None", "train:fasttext"),
    Param("word_dim", "int", 100),
    Param("freeze_embeddings", "bool", False),
)
#: The last parameters of every torch tagger: training, inference and the machine.
TRAINING = (
    Param("optimizer", "str", "sgd"),
    Param("lr", "float", 0.1),
    Param("batch_size", "int", 32),
    Param("max_epochs", "int", 30),
    Param("patience", "int", 3),
    Param("clip", "float", 5.0),
    Param("max_seconds", "float | None", None),
    Param("dev_limit", "int | None", None),
    Param("warm_start", "bool", False),
    Param("incremental_epochs", "int | None", None),
    Param("warm_optimizer", "bool", False),
    Param("warm_patience", "int | None", None),
    Param("warm_replay", "float | None", None),
    Param("warm_dev", "int | None", None),
    Param("warm_lr", "float | None", None),
    Param("warm_max_growth", "float | None", None),
    Param("precision", "str", "auto"),
    Param("predict_batch_size", "int", 64),
    Param("threads", "int | None", None),
    Param("device", "str", "cpu"),
    Param("progress", "bool", False),
)
#: The training defaults of the Adam taggers (Shen et al. 2017; the W-BADGE paper).
ADAM = dict(optimizer="adam", lr=0.001)


@stores_parameters(
    *INPUT, Param("char_dim", "int", 30), Param("char_filters", "int", 30), Param("case_dim", "int", 8),
    Param("hidden", "int", 128), Param("word_dropout", "float", 0.05), Param("locked_dropout", "float", 0.5),
    Param("char_dropout", "float", 0.5), *TRAINING)
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

    def _net_kwargs(self) -> dict[str, Any]:
        return dict(freeze=self.freeze_embeddings, char_dim=self.char_dim, char_filters=self.char_filters,
                    n_cases=len(CASES), case_dim=self.case_dim, hidden=self.hidden, word_dropout=self.word_dropout,
                    locked_dropout=self.locked_dropout, char_dropout=self.char_dropout)


@stores_parameters(
    *INPUT, Param("char_dim", "int", 30), Param("char_filters", "int", 50), Param("char_layers", "int", 2),
    Param("cnn_filters", "int", 200), Param("cnn_layers", "int", 2), Param("decoder_hidden", "int", 128),
    Param("tag_dim", "int", 20), Param("dropout", "float", 0.5), Param("unk_replace", "float", 0.5),
    *with_defaults(TRAINING, **ADAM))
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

    def _net_kwargs(self) -> dict[str, Any]:
        return dict(freeze=self.freeze_embeddings, char_dim=self.char_dim, char_filters=self.char_filters,
                    char_layers=self.char_layers, cnn_filters=self.cnn_filters, cnn_layers=self.cnn_layers,
                    decoder_hidden=self.decoder_hidden, tag_dim=self.tag_dim, dropout=self.dropout,
                    unk_replace=self.unk_replace)


@stores_parameters(
    *INPUT, Param("hidden", "int", 200), Param("dropout", "float", 0.5),
    *with_defaults(TRAINING, **ADAM, batch_size=16, max_epochs=25))
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

    def _net_kwargs(self) -> dict[str, Any]:
        return dict(freeze=self.freeze_embeddings, hidden=self.hidden, dropout=self.dropout)


@stores_parameters(
    *INPUT, Param("hidden", "int", 200), Param("decoder_hidden", "int", 100), Param("tag_dim", "int", 20),
    Param("dropout", "float", 0.5), *with_defaults(TRAINING, **ADAM, batch_size=16, max_epochs=25))
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

    def _net_kwargs(self) -> dict[str, Any]:
        return dict(freeze=self.freeze_embeddings, hidden=self.hidden, decoder_hidden=self.decoder_hidden,
                    tag_dim=self.tag_dim, dropout=self.dropout)


__all__ = ["CNNBiLSTMCRFTagger", "CNNCNNLSTMTagger", "BiLSTMTagger", "BiLSTMEncDecTagger"]
