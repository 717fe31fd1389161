"""``multitag pretrain-lm``: a click command contributed through the ``multitag.commands`` group."""
from __future__ import annotations

import click

from multitag.errors import MultitagError


@click.command("pretrain-lm")
@click.option("--text", "source", required=True, help="Unlabeled text: a data folder (its train split) or a file with one sentence per line.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder (forward/ and backward/ get best-lm.pt).")
@click.option("--hidden-size", default=128, show_default=True, help="LSTM units of each LM.")
@click.option("--layers", default=1, show_default=True)
@click.option("--embedding-size", default=32, show_default=True, help="Character embedding size.")
@click.option("--epochs", default=2, show_default=True)
@click.option("--sequence-length", default=100, show_default=True)
@click.option("--batch-size", default=32, show_default=True)
@click.option("--lr", "learning_rate", default=20.0, show_default=True, help="SGD learning rate (flair's default).")
@click.option("--seed", default=0, show_default=True)
def pretrain_lm(source, out, hidden_size, layers, embedding_size, epochs, sequence_length, batch_size, learning_rate, seed):
    """Train forward and backward character LMs for flair-lm: embeddings."""
    from multitag_flair.lm import LMOptions, pretrain_lm as run

    opts = LMOptions(hidden_size=hidden_size, layers=layers, embedding_size=embedding_size,
                     sequence_length=sequence_length, batch_size=batch_size, epochs=epochs,
                     learning_rate=learning_rate, seed=seed)
    try:
        fwd, bwd = run(source, out, opts)
    except MultitagError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"forward LM:  {fwd}\nbackward LM: {bwd}\nuse: flair-lm:{fwd},{bwd}")
