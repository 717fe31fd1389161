"""Data layer: sentences, corpora, readers, writers and tag schemes."""
from multitag.data.dataset import Dataset, find_split_files, load_dataset
from multitag.data.readers import read_conll, read_file, read_jsonl, read_parallel
from multitag.data.schemes import convert, detect_scheme, spans, validation_error
from multitag.data.sentence import Corpus, Sentence, sort_labels
from multitag.data.writers import write_conll, write_jsonl

__all__ = [
    "Sentence", "Corpus", "Dataset", "load_dataset", "find_split_files", "sort_labels",
    "read_conll", "read_parallel", "read_jsonl", "read_file", "write_conll", "write_jsonl",
    "convert", "detect_scheme", "spans", "validation_error",
]
