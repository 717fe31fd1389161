"""Word clusters: deterministic for a seed, across processes, and memoised per text."""
import os
import subprocess
import sys

from multitag.testing import synthetic_corpus
from multitag_crf.clusters import WordClusters, train_clusters

SCRIPT = """
from multitag.testing import synthetic_corpus
from multitag_crf.clusters import train_clusters
c = train_clusters([s.tokens for s in synthetic_corpus(100)], granularities=(4, 8), vector_size=16, epochs=3, seed=0)
print(c.fingerprint)
"""


def test_same_seed_same_clusters_in_other_processes():
    """String hashing is randomised per process; the clusters must not depend on it."""
    prints = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
        prints.append(out.stdout.strip())
    here = train_clusters([s.tokens for s in synthetic_corpus(100)], granularities=(4, 8), vector_size=16,
                          epochs=3, seed=0)
    assert prints[0] == prints[1] == here.fingerprint


def test_clusters_depend_on_seed_and_text_and_are_memoised():
    text = [s.tokens for s in synthetic_corpus(100)]
    a = train_clusters(text, granularities=(4, 8), vector_size=16, epochs=3, seed=0)
    assert train_clusters(text, granularities=(4, 8), vector_size=16, epochs=3, seed=0) is a
    b = train_clusters(text, granularities=(4, 8), vector_size=16, epochs=3, seed=1)
    c = train_clusters(text[:60], granularities=(4, 8), vector_size=16, epochs=3, seed=0)
    assert len({a.fingerprint, b.fingerprint, c.fingerprint}) == 3
    assert set(a.ids) == {w.lower() for s in text for w in s}
    assert all(0 <= i < 4 and 0 <= j < 8 for i, j in a.ids.values())
    assert len({i for i, _ in a.ids.values()}) == 4


def test_json_round_trip_keeps_the_fingerprint():
    a = train_clusters([s.tokens for s in synthetic_corpus(30)], granularities=(3,), vector_size=8, epochs=2, seed=0)
    b = WordClusters.from_json(a.to_json())
    assert b == a and b.fingerprint == a.fingerprint
