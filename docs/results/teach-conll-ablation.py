"""The ablation of docs/results/teach-conll.md: the same `multitag compare --level teach` run, but
the training sentences lose their rejections (Pool.labeled strips them), so the model learns from
the accepted entities only. Run: python docs/results/teach-conll-ablation.py OUT"""
import sys
from dataclasses import replace

from multitag.annotation.pool import Pool
from multitag.cli import main
from multitag.data.sentence import Corpus

_labeled = Pool.labeled


def labeled_without_rejections(self, indices=None):
    return Corpus((replace(s, rejected=()) for s in _labeled(self, indices)), name="labeled")


Pool.labeled = labeled_without_rejections
main(["compare", "--data", "/work/shared/data/conll2003", "--train-limit", "1000", "--backends", "cnn-bilstm-crf",
      "--strategies", "tlc", "--level", "teach", "--seeds", "2", "--schedule", "3%x5", "--initial-size", "5%",
      "--valid", "none", "--eval", "test", "--param", "max_epochs=12", "--param", "embeddings=random",
      "--param", "word_dim=50", "--param", "hidden=64", "--param", "optimizer=adam", "--param", "lr=0.005",
      "--param", "batch_size=16", "--param", "threads=1", "--out", sys.argv[1], "--no-progress"])
