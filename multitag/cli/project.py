"""``multitag project``: annotation projects with people (init, query, import, status, export)."""
from __future__ import annotations

import json

import click

from multitag.cli import main
from multitag.cli.labelstudio import sync_labelstudio_cmd
from multitag.cli.learner_options import project_values, with_project_options
from multitag.cli.params import parse_params
from multitag.errors import MultitagError


@main.group("project")
def project_group() -> None:
    """Annotation projects: real rounds with people, stored in one SQLite file.

    \b
    multitag project init P --text corpus.txt --labels PER,LOC,ORG
    multitag project query P --budget 500 --format labelstudio --out batch.json
    ... annotate batch.json in Label Studio, export it (JSON) ...
    multitag project import P export.json
    multitag project query P --budget 500 --format labelstudio --out batch2.json
    multitag project status P
    multitag project export P --format conll --out annotated.conll
    """


project_group.add_command(sync_labelstudio_cmd)


@project_group.command("init")
@click.argument("path", type=click.Path())
@click.option("--text", "text_file", required=True, type=click.Path(), help="The text to annotate: CoNLL or JSONL (tags present become annotations), or plain text.")
@click.option("--format", "text_format", default="auto", show_default=True, help="auto, conll, jsonl or text.")
@click.option("--documents", is_flag=True, help="Plain text: each line is a document, split into sentences (default: a sentence per line).")
@click.option("--tokenizer", default="spacy", show_default=True, help="Plain text: spacy (rule-based English, no model download) or whitespace.")
@click.option("--backend", default="crf", show_default=True, help="The model that chooses (`multitag backends`).")
@click.option("--param", "params", multiple=True, help="Backend parameter KEY=VALUE (repeatable; `multitag backends NAME`).")
@click.option("--strategy", default="mnlp", show_default=True, help="Query strategy (`multitag strategies`).")
@click.option("--labels", default=None, help="Entity types, comma-separated (PER,LOC,ORG); default: the types of the text's tags.")
@click.option("--eval", "eval_file", default=None, type=click.Path(), help="A gold evaluation set (CoNLL/JSONL): each model's F1 on it is recorded.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--quiet", is_flag=True, help="No progress messages.")
@with_project_options
def init_cmd(path, text_file, text_format, documents, tokenizer, backend, params, strategy, labels, eval_file, seed,
             quiet, **kw) -> None:
    """Create project PATH (a new folder) from a text file (plain text is streamed into the store in
    batches, with a progress line on stderr)."""
    from multitag.project.init_progress import init_progress
    from multitag.project.project import Settings, init_project

    types = [t.strip() for t in (labels or "").split(",") if t.strip()]
    for t in types:
        if any(c.isspace() for c in t) or "-" == t[:1]:
            raise MultitagError(f"--labels: {t!r} is not an entity type name")
    settings = Settings(backend=backend, params=parse_params(params), strategy=strategy, entity_types=types, seed=seed,
                        tokenizer=tokenizer, **project_values(kw))
    r = init_project(path, text_file, settings, text_format=text_format, documents=documents, eval_file=eval_file,
                     progress=None if quiet else init_progress())
    click.echo(f"project {path}: {r['sentences']:,} sentences, {r['tokens']:,} tokens, labels {', '.join(r['labels'])}"
               + (f", {r['annotated_tokens']:,} tokens already annotated" if r["annotated_tokens"] else "")
               + (f", gold set of {r['eval_sentences']:,} sentences" if r["eval_sentences"] else ""))
    click.echo(f"next: multitag project query {path} --budget 500 --format labelstudio --out batch.json")


@project_group.command("query")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--budget", required=True, type=int, help="Tokens to annotate in this round (a sentence that overshoots is taken whole).")
@click.option("--format", "fmt", default="labelstudio", show_default=True, help="labelstudio, doccano, conll or jsonl.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The batch file to write.")
@click.option("--quiet", is_flag=True, help="No progress messages.")
def query_cmd(path, budget, fmt, out, quiet) -> None:
    """Retrain if the labeled set changed, choose what to annotate next, and write it as a batch
    (the whole sentence, the asked tokens marked, the model's prediction as a pre-annotation)."""
    from multitag.project.project import Project, progress_printer

    with Project(path) as p:
        r = p.query(budget, fmt=fmt, out=out, progress=None if quiet else progress_printer())
    what = "the seed set" if r["kind"] == "seed" else f"round {r['round']}"
    again = " (the same batch again: nothing was annotated since it was chosen)" if r["reused"] else ""
    click.echo(f"{what}: {r['tasks']} tasks, {r['asked_tokens']} tokens asked, written to {out}{again}")


@project_group.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", default=None, help="labelstudio, doccano, conll or jsonl (default: from the file).")
@click.option("--snap", is_flag=True, help="Widen spans that do not fall on token boundaries to whole tokens.")
def import_cmd(path, file, fmt, snap) -> None:
    """Import annotations (a Label Studio JSON export, doccano JSONL, CoNLL with _ for unannotated
    tokens, or JSONL). The whole file is checked before anything is written."""
    from multitag.project.project import Project

    with Project(path) as p:
        r = p.import_file(file, fmt=fmt, snap=snap)
    if r.get("already"):
        click.echo(f"{file} was imported on {r['already']}; nothing to do")
        return
    click.echo(f"imported {r['tasks']} tasks from {file}: {r['annotated_tokens']} tokens annotated"
               + (f", {r['unchanged_tokens']} unchanged" if r.get("unchanged_tokens") else "")
               + (f", {r['skipped']} tasks without annotation" if r.get("skipped") else ""))


@project_group.command("status")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--png", default=None, type=click.Path(dir_okay=False), help="Where to draw the learning curve on the gold set (default: PATH/learning-curve.png).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_cmd(path, png, as_json) -> None:
    """Rounds, what is annotated, estimated annotation time, label distribution, learning curve."""
    import os

    from multitag.project.project import Project

    with Project(path) as p:
        r = p.status(png=png or os.path.join(path, "learning-curve.png"))
    if as_json:
        click.echo(json.dumps(r, indent=2))
        return
    click.echo(f"{r['project']}: {r['sentences']:,} sentences, {r['tokens']:,} tokens")
    pct = 100 * r["annotated_tokens"] / max(r["tokens"], 1)
    click.echo(f"annotated: {r['annotated_tokens']:,} tokens ({pct:.1f}%), {r['entities']:,} entities, "
               f"{r['touched_sentences']:,} sentences touched ({r['complete_sentences']:,} complete); "
               f"estimated annotation time {r['estimated_hours']:.2f} h")
    if r["entity_types"]:
        click.echo("entities: " + ", ".join(f"{k} {v}" for k, v in r["entity_types"].items()))
    m = r["measured"]
    if m["answers"]:
        click.echo(f"measured on the page: {m['answers']:,} answers, {m['active_seconds'] / 3600:.2f} h active "
                   f"({m['active_seconds'] / m['answers']:.1f} s per answer), against the estimate above")
    for a in r["agreement"]:
        kappa = "-" if a["kappa"] is None else f"{a['kappa']:.4f}"
        click.echo(f"agreement {a['annotators'][0]} / {a['annotators'][1]}: {a['sentences']} sentences, "
                   f"span F1 {a['span_f1']:.4f}, kappa {kappa}")
    click.echo("")
    click.echo(f"{'round':>5}  {'kind':<6} {'strategy':<10} {'level':<8} {'budget':>6} {'queries':>7} {'annotated':>9} "
               f"{'train s':>8} {'select s':>8}  gold F1")
    for x in r["rounds"]:
        f1 = "" if x["model_f1"] is None else f"{x['model_f1']:.4f}"
        click.echo(f"{x['round']:>5}  {x['kind']:<6} {x['strategy'] or '-':<10} {x['level'] or '-':<8} "
                   f"{x['budget'] if x['budget'] is not None else '-':>6} {x['queries']:>7} {x['annotated_tokens']:>9} "
                   f"{_s(x['train_seconds']):>8} {_s(x['select_seconds']):>8}  {f1}")
    if r["curve"]:
        click.echo("\nlearning curve on the gold set:")
        for c in r["curve"]:
            click.echo(f"  model {c['model']} (round {c['round']}): {c['train_tokens']:,} tokens, F1 {c['f1']:.4f}")
        click.echo(f"drawn in {r['png']}")


def _s(v) -> str:
    return "-" if v is None else f"{v:.1f}"


@project_group.command("export")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "fmt", default="conll", show_default=True, help="conll, jsonl, labelstudio or doccano.")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--only-complete", is_flag=True, help="Only sentences whose every token is annotated.")
def export_cmd(path, fmt, out, only_complete) -> None:
    """Write the current annotations (corrections applied) of every annotated sentence."""
    from multitag.project.project import Project

    with Project(path) as p:
        r = p.export(fmt, out, only_complete=only_complete)
    click.echo(f"{r['sentences']} sentences written to {out}")


@project_group.command("export-model")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path())
def export_model_cmd(path, out) -> None:
    """Copy the project's latest model to OUT (a model folder `multitag evaluate` reads)."""
    from multitag.project.project import Project

    with Project(path) as p:
        r = p.export_model(out)
    click.echo(f"model of round {r['round']} written to {out}" + ("" if r["f1"] is None else f" (gold F1 {r['f1']:.4f})"))


@project_group.command("labelstudio-config")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def labelstudio_config_cmd(path) -> None:
    """Print the Label Studio labeling config for the project's labels."""
    from multitag.project.project import Project

    with Project(path) as p:
        click.echo(p.labelstudio_config(), nl=False)


@project_group.group("annotators")
def annotators_group() -> None:
    """Named annotators of `multitag serve`: each signs in with a token of their own.

    \b
    multitag project annotators add P alice      # prints alice's token (shown once)
    multitag project annotators list P
    multitag project annotators token P alice    # a new token for alice (the old one stops working)
    """


def _issue_token(path: str, name: str, issue) -> None:
    """Run ``issue(annotators, name)`` (it returns a new token) in one transaction and print the token."""
    from multitag.project.project import Project

    with Project(path) as p:
        with p.store.transaction():
            token = issue(p.store.annotators, name)
    name = name.strip()
    click.echo(f"{name}: {token}")
    click.echo(f"{name} signs in once with http://HOST:PORT/?token={token} (the browser remembers it)", err=True)


@annotators_group.command("add")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.argument("name")
def annotators_add_cmd(path, name) -> None:
    """Register annotator NAME and print their token."""
    from multitag.project.importer import now

    _issue_token(path, name, lambda annotators, who: annotators.add(who, now()))


@annotators_group.command("token")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.argument("name")
def annotators_token_cmd(path, name) -> None:
    """Print a new token for annotator NAME (their old token stops working)."""
    _issue_token(path, name, lambda annotators, who: annotators.new_token(who))


@annotators_group.command("list")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def annotators_list_cmd(path) -> None:
    """The registered annotators, how many answers each has given on the page, and the active
    seconds per answer the page measured."""
    from multitag.project.project import Project

    with Project(path) as p:
        for a in p.store.annotators.all():
            timed, seconds = p.store.leases.active_seconds(a.name)
            pace = f"\t{seconds / timed:.1f} active s per answer" if timed else ""
            click.echo(f"{a.name}\t{p.store.leases.count_answered_by(a.name)} answers\tsince {a.created}{pace}")


@annotators_group.command("agreement")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def annotators_agreement_cmd(path) -> None:
    """Agreement per annotator pair on the sentences both answered (`multitag serve --overlap`):
    span-level F1 and Cohen's kappa on token tags."""
    from multitag.project.project import Project
    from multitag.project.agreement import agreement

    with Project(path) as p:
        pairs = agreement(p.store.leases.submitted_answers())
    if not pairs:
        click.echo("no sentence was answered by two annotators (serve with --overlap 10% to have some)")
    for a in pairs:
        kappa = "-" if a["kappa"] is None else f"{a['kappa']:.4f}"
        click.echo(f"{a['annotators'][0]}\t{a['annotators'][1]}\t{a['sentences']} sentences\t"
                   f"span F1 {a['span_f1']:.4f}\tkappa {kappa}")
