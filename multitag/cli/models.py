"""``multitag train`` and ``multitag evaluate``: one model, trained or saved."""
from __future__ import annotations

import os
import time

import click

from multitag.cli import main
from multitag.cli.data_options import data_options, load_from_options
from multitag.cli.params import parse_params
from multitag.errors import MultitagError


@main.command("train", epilog="Backend parameters: `multitag backends NAME` lists every parameter of a backend "
                               "with its default and meaning.")
@click.option("--backend", required=True, help="Registered backend or preset name (see `multitag backends`).")
@data_options
@click.option("--out", "out", type=click.Path(), default=None,
              help="Folder to write the trained model to (replaced atomically; its multitag.json records "
                   "the parameters, the dev/test scores and the timings).")
@click.option("--param", "params", multiple=True, help="Backend parameter KEY=VALUE (repeatable), e.g. --param features=paper.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--no-dev", is_flag=True, help="Do not pass the dev split to the backend (no early stopping on dev).")
def train_cmd(backend: str, data: str | None, train_file: str | None, dev_file: str | None, test_file: str | None,
              scheme: str | None, out: str | None, params: tuple[str, ...], seed: int, no_dev: bool, read_options) -> None:
    """Train BACKEND on the train split, validate on dev, print test P/R/F1 and save the model."""
    from multitag import registry
    from multitag.checks import resolve_backend
    from multitag.evaluation import evaluate

    if out:
        from multitag.persistence import check_save_target

        check_save_target(out)  # a file or a foreign folder is refused before any training
    cls = registry.resolve(backend).cls
    typed = resolve_backend(backend, parse_params(params), seed=seed)
    ds = load_from_options(data, train_file, dev_file, test_file, scheme, options=read_options)
    if ds.dev is None and not no_dev:
        click.echo("no dev split: training without validation (no early stopping on dev; pass --dev FILE to use one)",
                   err=True)
    if len(ds.train) == 0:
        raise MultitagError(f"{data or train_file}: no train split to train on (pass --train FILE)")
    if not cls.partial_training:
        where = ds.first_unannotated("train")
        if where is not None:
            path, line = where
            raise MultitagError(
                f"{path}{'' if line is None else f':{line}'}: a token without a tag (_ or null); {backend!r} trains only on "
                "fully annotated sentences: tag every token of the train split, remove the untagged sentences, or use a "
                "backend that learns from partial labels (`multitag backends` shows which)")
    tagger = registry.create(backend, labels=ds.labels, seed=seed, **typed)
    click.echo(f"{backend}: training on {len(ds.train)} sentences ({ds.train.n_tokens} tokens), {len(ds.labels)} labels", err=True)
    t0 = time.perf_counter()
    tagger.observe_unlabeled([s.unlabeled() for s in ds.train])
    tagger.fit(ds.train, None if no_dev else ds.dev)
    train_s = time.perf_counter() - t0
    result: dict = {"data": {k: v["path"] for k, v in ds.fingerprint().items()}, "train_seconds": round(train_s, 2)}
    for split in ("dev", "test"):
        corpus = getattr(ds, split)
        if corpus is None:
            continue
        t0 = time.perf_counter()
        preds = tagger.predict([s.unlabeled() for s in corpus])
        scores = evaluate([s.tags for s in corpus], [p.tags for p in preds], scheme=ds.scheme)
        result[split] = {k: scores[k] for k in ("precision", "recall", "f1")}
        result[f"{split}_predict_seconds"] = round(time.perf_counter() - t0, 2)
        if split == "test":
            result["test"]["per_type"] = scores["per_type"]
    if out:
        from multitag.persistence import save_model

        save_model(tagger, out, extra=result)
    for split in ("dev", "test"):
        if split in result:
            r = result[split]
            click.echo(f"{split}: P={r['precision']:.4f} R={r['recall']:.4f} F1={r['f1']:.4f}")
    click.echo(f"train time: {train_s:.1f}s" + (f"; model written to {out}" if out else ""))


@main.command("evaluate")
@click.option("--model", required=True, type=click.Path(exists=True), help="A model written by `multitag train --out`.")
@data_options
@click.option("--split", default="test", show_default=True, help="Split to evaluate when --data is a folder.")
def evaluate_cmd(model: str, data: str | None, train_file: str | None, dev_file: str | None, test_file: str | None,
                 scheme: str | None, split: str, read_options) -> None:
    """Evaluate a saved model on labeled data: span P/R/F1, micro and per type. --data FILE is
    evaluated whole; --data DIR on its --split."""
    import multitag
    from multitag.evaluation import evaluate

    tagger = multitag.load(model)
    single = bool(data) and not os.path.isdir(data) and not (train_file or dev_file or test_file)
    ds = load_from_options(data, train_file, dev_file, test_file, scheme, options=read_options,
                           single_file_as=split if single else "train")
    corpus = ds.split(split)
    if any(not s.is_fully_annotated for s in corpus):
        raise MultitagError(f"the {split} split has tokens without a tag; evaluation needs gold tags on every token")
    unknown = set(corpus.labels()) - set(tagger.labels)
    if unknown:
        click.echo(f"warning: tags unknown to the model (always counted as misses): {', '.join(sorted(unknown))}", err=True)
    preds = tagger.predict([s.unlabeled() for s in corpus])
    scores = evaluate([s.tags for s in corpus], [p.tags for p in preds], scheme=ds.scheme)
    click.echo(f"P={scores['precision']:.4f} R={scores['recall']:.4f} F1={scores['f1']:.4f} ({scores['support']} spans)")
    for typ, v in sorted(scores["per_type"].items()):
        click.echo(f"  {typ:<24} P={v['precision']:.4f} R={v['recall']:.4f} F1={v['f1']:.4f} n={v['support']}")
