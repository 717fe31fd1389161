"""Word/sub-token alignment and the splitting of long sentences into windows."""
import numpy as np
import pytest
from transformers import AutoTokenizer

from multitag_transformers.windows import WindowEncoder, length_batches


@pytest.fixture(scope="module")
def tok(tiny_bert):
    return AutoTokenizer.from_pretrained(tiny_bert, local_files_only=True)


def test_first_subtoken_positions(tok):
    enc = WindowEncoder(tok, max_length=64)
    words = ["John", "walked", "to", "London"]  # 'walked' splits into several pieces
    (chunk,) = enc.encode([words])
    pieces = [tok(w, add_special_tokens=False)["input_ids"] for w in words]
    assert len(pieces[1]) > 1
    assert chunk.input_ids[0] == tok.cls_token_id and chunk.input_ids[-1] == tok.sep_token_id
    expected = np.cumsum([0] + [len(p) for p in pieces[:-1]]) + 1
    assert chunk.positions.tolist() == expected.tolist()
    for w, pos in zip(range(4), chunk.positions):
        assert chunk.input_ids[pos] == pieces[w][0]


def test_word_without_pieces_gets_unknown_token(tok):
    enc = WindowEncoder(tok, max_length=64)
    (chunk,) = enc.encode([["John", "", "Paris"]])
    assert len(chunk.words) == 3
    assert chunk.input_ids[chunk.positions[1]] == tok.unk_token_id


@pytest.mark.parametrize("n_words,max_length,stride", [(600, 64, None), (100, 16, 3), (37, 10, 8), (9, 64, None)])
def test_every_word_in_exactly_one_window(tok, n_words, max_length, stride):
    rng = np.random.default_rng(n_words)
    vocab = ["John", "walked", "to", "London", "Siemens", "the", "xyzzy", "."]
    words = [str(w) for w in rng.choice(vocab, n_words)]
    enc = WindowEncoder(tok, max_length=max_length, stride=stride)
    chunks = enc.encode([words])
    seen = np.concatenate([c.words for c in chunks])
    assert sorted(seen.tolist()) == list(range(n_words))
    assert all(len(c.input_ids) <= max_length for c in chunks)
    (ids, offsets), = enc.pieces([words])
    for c in chunks:  # each first sub-token sits where the word's pieces start
        assert [c.input_ids[p] for p in c.positions] == [ids[offsets[w]] for w in c.words]
    if n_words > 50:
        assert len(chunks) > 1


def test_word_gets_the_window_with_most_context():
    offsets = np.arange(0, 21)  # 20 one-piece words
    spans = [(0, 10), (5, 15), (10, 20)]
    owner = WindowEncoder.assign(offsets, spans)
    assert owner[0] == 0 and owner[19] == 2
    assert owner[9] == 1 and owner[10] == 1  # centre of the middle window, not the edge of the others
    assert owner[14] == 2 and owner[5] == 0


def test_length_batches_sorted_and_complete(tok):
    enc = WindowEncoder(tok, max_length=64)
    chunks = enc.encode([["John"] * k for k in (3, 9, 1, 5, 7)])
    batches = length_batches(chunks, 2)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(5))
    lengths = [len(chunks[i].input_ids) for i in flat]
    assert lengths == sorted(lengths, reverse=True)
