"""multitag-torch: torch taggers for multitag and the torch parts other backends reuse.

Modules: :mod:`.crf` (linear-chain CRF), :mod:`.mc_dropout` (dropout modules and the sampling
switch), :mod:`.embeddings` (word vectors), :mod:`.trainer` (training loop), :mod:`.taggers`.
Importing this package does not import the taggers (keeps ``import multitag_torch.crf`` light).
"""
__version__ = "0.1.0"
