"""Data layer: sentences, corpora, readers, writers, tag schemes and data set folders."""
from multitag.data.dataset import Dataset, SplitInfo, load_dataset
from multitag.data.layout import find_split_files, split_of
from multitag.data.readers import read_conll, read_jsonl, read_parallel
from multitag.data.schemes import SchemeFit, convert, detect_scheme, fit_schemes, spans, validation_error
from multitag.data.sentence import Corpus, Sentence, sort_labels
from multitag.data.sources import SourceFile, read_file
from multitag.data.writers import write_conll, write_jsonl

__all__ = [
    "Sentence", "Corpus", "Dataset", "SplitInfo", "SourceFile", "load_dataset", "find_split_files", "split_of",
    "sort_labels", "read_conll", "read_parallel", "read_jsonl", "read_file", "write_conll", "write_jsonl",
    "convert", "detect_scheme", "fit_schemes", "SchemeFit", "spans", "validation_error",
]
