"""Reports of an experiment folder: ``summary.md``, a self-contained ``report.html``, ``summary.csv``,
``curves.png`` and ``profile.png``.

Both ``summary.md`` and ``report.html`` are rendered from the same blocks
(:mod:`multitag.report.document`) and begin with what was run (:mod:`multitag.report.context`:
the settings in ``OUT/config.yaml``, split sizes, pool, seeds); then the per-strategy table, the
learning curves, the selection profile of each strategy (:mod:`multitag.report.profile`, when the
data is still where the configuration says) and the learning-curve tables.
"""
from __future__ import annotations

import csv
import io
import os

from multitag import settings as learner
from multitag.errors import MultitagError
from multitag.experiments.records import IterationRecord
from multitag.experiments.results import ResultsStore
from multitag.fileio import atomic_write
from multitag.report.context import STD_NOTE, ReportContext, read_context
from multitag.report.document import Block, Heading, Image, Paragraph, Table, render_html, render_markdown
from multitag.report.mismatch import MismatchCell, mismatch_cells, mismatch_csv_rows
from multitag.report.profile import PoolProfile, SelectionProfile, document_index, pool_profile, selection_profiles
from multitag.report.summary import Curve, curves


def format_reach(reach: dict, pct: str) -> str:
    """A tokens-to-``pct`` cell: - without a target, "not reached", or the token share."""
    if not reach:
        return "-"
    v = reach.get(pct)
    return "not reached" if v is None else f"{v * 100:.1f}%"


def _strategy_table(cs: list[Curve]) -> Table:
    rows = []
    for c in cs:
        has_ref = c.reference_f1 is not None
        rows.append([
            c.name, str(max(c.n_seeds)), f"{c.f1_mean[-1]:.4f} ± {c.f1_std[-1]:.4f}", f"{c.aulc:.4f} ± {c.aulc_std:.4f}",
            format_reach(c.reach, "95%"), format_reach(c.reach, "99%"),
            f"{c.reference_f1:.4f}" if has_ref else "", f"{c.phase_seconds['train_seconds']:.2f}",
            f"{c.phase_seconds['predict_seconds']:.2f}", f"{c.phase_seconds['select_seconds']:.3f}"])
    return Table(["model / strategy", "seeds", "final F1", "AULC", "tokens to 95%", "tokens to 99%", "full-data F1",
                  "train s/it", "predict s/it", "select s/it"], rows)


def _curve_tables(cs: list[Curve]) -> list[Block]:
    out: list[Block] = []
    for c in cs:
        out.append(Heading(3, c.name))
        out.append(Table(["iteration", "tokens annotated", "% of pool", "est. seconds", "F1"], [
            [str(it), f"{c.tokens_mean[i]:.0f} ± {c.tokens_std[i]:.0f}", f"{c.fraction_mean[i] * 100:.2f}",
             f"{c.seconds_mean[i]:.0f}", f"{c.f1_mean[i]:.4f} ± {c.f1_std[i]:.4f}"] for i, it in enumerate(c.iterations)]))
    return out


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def _profile_blocks(pool: PoolProfile, profiles: list[SelectionProfile], has_docs: bool) -> list[Block]:
    def lengths(st) -> str:
        return f"{st.p10:.0f} / {st.p50:.0f} / {st.p90:.0f}"

    docs_pool = f"{pool.n_documents:,}" if pool.n_documents is not None else "-"
    rows = [["pool", "-", f"{pool.n_sentences:,}", f"{pool.n_tokens:,}", f"{pool.length.mean:.1f}", lengths(pool.length),
             f"{pool.entities_per_100_tokens:.1f}", docs_pool]]
    for p in profiles:
        docs = "-"
        if p.documents is not None and pool.n_documents:
            docs = f"{p.documents:,.0f} ± {p.documents_std:.0f} ({p.documents / pool.n_documents * 100:.0f}%)"
        rows.append([p.name, str(p.seeds), f"{p.sentences:,.0f}", f"{p.tokens:,.0f}", f"{p.length.mean:.1f}",
                     lengths(p.length), f"{p.entities_per_100_tokens:.1f}", docs])
    types = sorted(set(pool.entity_mix) | {t for p in profiles for t in p.entity_mix})
    shown = types
    if len(types) > MIX_TYPES_SHOWN:   # e.g. ATIS's 79 slot types: the pool's most frequent, the rest summed
        top = sorted(types, key=lambda t: (-pool.entity_mix.get(t, 0.0), t))[:MIX_TYPES_SHOWN]
        shown = [t for t in types if t in top]
    rest = [t for t in types if t not in shown]

    def mix_row(name: str, m: dict) -> list[str]:
        return [name] + [_pct(m.get(t, 0.0)) for t in shown] + ([_pct(sum(m.get(t, 0.0) for t in rest))] if rest else [])

    mix = [mix_row("pool", pool.entity_mix)] + [mix_row(p.name, p.entity_mix) for p in profiles]
    mix_header = ["selection"] + shown + ([f"{len(rest)} other types"] if rest else [])
    doc_note = ("Documents: the `-DOCSTART-` boundaries of the pool's file (the reader skips those lines; they are "
                "read here from the file); a document is touched when any of its sentences was chosen."
                if has_docs else "Documents are not counted: the data has no document boundaries (`-DOCSTART-`).")
    return [
        Paragraph("What each strategy chose over its whole run, against the pool it chose from (as paper 002's genre "
                  "analysis): the seed set is left out (the seed-set selection chose it, not the strategy); per seed, "
                  "then the mean over seeds (± std, ddof=0); lengths are pooled over seeds. At entity or token level "
                  "a sentence counts when any of its tokens was asked, an entity when any of its tokens was revealed."),
        Table(["selection", "seeds", "sentences / seed", "tokens revealed / seed", "mean length",
               "length p10 / p50 / p90", "entities per 100 tokens", "documents touched"], rows),
        Paragraph("Entity-type mix of what was revealed (share of the entities), against the pool's"
                  + (f" (the pool's {len(shown)} most frequent types; the others summed)" if rest else "") + ":"),
        Table(mix_header, mix),
        Paragraph(doc_note),
    ]


MIX_TYPES_SHOWN = 12


def _mismatch_blocks(cells: list[MismatchCell], image: bytes | None) -> list[Block]:
    rows = [[c.successor, c.source, c.strategy + (f" / {c.setting}" if c.setting else ""), str(c.seeds),
             f"{c.aulc:.4f} ± {c.aulc_std:.4f}", format_reach(c.reach, "95%"),
             format_reach(c.reach, "99%"),
             "-" if c.gain_kept is None else f"{c.gain_kept * 100:.0f}%"] for c in cells]
    blocks: list[Block] = [
        Heading(2, "Acquisition / successor mismatch"),
        Paragraph("Each successor when the pool was chosen by each acquisition model, by itself (native) and at random, "
                  "read at the iterations where it has successor results. Gain kept: (AULC - AULC random) / "
                  "(AULC native - AULC random); 100% keeps all of the native gain over random, below 0 falls below "
                  "random. Tokens to 95%/99%: of the successor's own full-data F1 (`--full-reference`; - where "
                  "that F1 is 0)."),
        Table(["successor", "chosen by", "strategy", "seeds", "AULC", "tokens to 95%", "tokens to 99%", "gain kept"],
              rows)]
    if image is not None:
        blocks.append(Image("AL gain kept per acquisition x successor pair", "mismatch.png", image))
    return blocks


def report_blocks(cs: list[Curve], context: ReportContext | None, *, curves_image: bytes | None = None,
                  profile: tuple[PoolProfile, list[SelectionProfile]] | None = None,
                  profile_image: bytes | None = None, mismatch: list[MismatchCell] | None = None,
                  mismatch_image: bytes | None = None, kept_profile_image: bytes | None = None) -> list[Block]:
    """The report's content (see the module docstring); images are PNG bytes (or left out)."""
    blocks: list[Block] = [Heading(1, "Summary"), Heading(2, "What was run")]
    if context is not None and context.rows:
        blocks.append(Table(["setting", "value"], [[k, v] for k, v in context.rows]))
    n = max((max(c.n_seeds) for c in cs), default=0)
    blocks.append(Paragraph(f"{STD_NOTE} Computed over {n} seed{'s' if n != 1 else ''}."))
    blocks += [Heading(2, "Per strategy"), _strategy_table(cs),
               Paragraph("AULC: area under the F1 curve over the fraction of pool tokens annotated, divided by that range "
                         "(a mean F1). Tokens to 95%/99%: the first iteration whose mean F1 reaches that share of the "
                         "full-data F1 (`--full-reference`); - where there is none, or where it is 0 (a target every curve "
                         "meets at its first point says nothing).")]
    if curves_image is not None:
        blocks += [Heading(2, "Learning curves"), Image("F1 against tokens annotated (mean ± std over seeds)",
                                                        "curves.png", curves_image)]
    if mismatch:
        blocks += _mismatch_blocks(mismatch, mismatch_image)
    blocks.append(Heading(2, "Selection profile"))
    if profile is not None:
        pool, profiles = profile
        blocks += _profile_blocks(pool, profiles, pool.n_documents is not None)
        if profile_image is not None:
            blocks.append(Image("sentence lengths chosen against the pool", "profile.png", profile_image))
    else:
        why = context.data_problem if context is not None and context.data_problem else "no data"
        if kept_profile_image is not None:
            blocks += [Paragraph(f"Not recomputed now: it needs the data, and {why}. The figure is the one an earlier "
                                 "report drew with the data (`profile.png`, kept); run `multitag report` where the "
                                 "data is to redraw the tables."),
                       Image("sentence lengths chosen against the pool (earlier report)", "profile.png",
                             kept_profile_image)]
        else:
            blocks.append(Paragraph(f"Not available: it needs the data, and {why}."))
    blocks.append(Heading(2, "Learning curves (mean ± std over seeds)"))
    blocks += _curve_tables(cs)
    return blocks


def summary_markdown(cs: list[Curve], context: ReportContext | None = None, **kw) -> str:
    return render_markdown(report_blocks(cs, context, **kw))


def summary_csv(cs: list[Curve]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["model", "role", "acquisition", "strategy", *learner.grid_names(), "iteration", "seeds",
                "tokens_mean", "tokens_std", "tokens_fraction", "estimated_seconds", "f1_mean", "f1_std", "aulc",
                "full_f1", "fraction_to_95", "fraction_to_99"])
    for c in cs:
        k = c.key
        for i, it in enumerate(c.iterations):
            w.writerow([k["model"], k["role"], k["backend"], k["strategy"], *(k[n] for n in learner.grid_names()),
                        it, c.n_seeds[i], round(c.tokens_mean[i], 1), round(c.tokens_std[i], 1),
                        round(c.fraction_mean[i], 6), round(c.seconds_mean[i], 1), round(c.f1_mean[i], 6),
                        round(c.f1_std[i], 6), round(c.aulc, 6), "" if c.reference_f1 is None else round(c.reference_f1, 6),
                        "" if c.reach.get("95%") is None else round(c.reach["95%"], 6),
                        "" if c.reach.get("99%") is None else round(c.reach["99%"], 6)])
    return buf.getvalue()


def _csv_text(rows: list[list]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def plot_curves(cs: list[Curve], path: str, *, x: str = "tokens") -> None:
    from multitag.report.plots import curves_png

    _write_bytes(path, curves_png(cs, x=x))


def _write_bytes(path: str, data: bytes) -> None:
    with atomic_write(path, "wb") as fh:
        fh.write(data)


def _write_text(path: str, text: str) -> None:
    with atomic_write(path) as fh:
        fh.write(text)


def write_report(out: str, *, x: str = "tokens", load_data: bool = True, data=None) -> dict:
    """Write OUT/summary.md, OUT/summary.csv, OUT/curves.png, OUT/profile.png (with the data) and
    OUT/report.html from OUT/results.jsonl and OUT/config.yaml; returns the paths written.
    ``data``: the run's data set when the caller has it (else it is read again from the config)."""
    path = os.path.join(out, "results.jsonl")
    if not os.path.exists(path):
        raise MultitagError(f"{out}: no results.jsonl (run `multitag compare --out {out}` first)")
    records = ResultsStore(path).load()
    cs = curves(records)
    if not cs:
        raise MultitagError(f"{path}: no finished iteration yet")
    from multitag.report.plots import curves_png, lengths_png, mismatch_png

    context = read_context(out, records, load_data=load_data, data=data)
    profile = None
    if context.data is not None:
        pool = list(context.data.train)
        docs = document_index(context.train_path, pool)
        profile = (pool_profile(pool, context.data.scheme, docs),
                   selection_profiles([r for r in records if isinstance(r, IterationRecord)], pool,
                                      context.data.scheme, docs))
    curves_image = curves_png(cs, x=x)
    profile_image = lengths_png(*profile) if profile is not None else None
    cells = mismatch_cells(records)
    mismatch_image = mismatch_png(cells) if cells else None
    old_profile = os.path.join(out, "profile.png")
    kept = None
    if profile is None and context.data_problem and os.path.exists(old_profile):
        with open(old_profile, "rb") as fh:   # the data is not here now: keep what an earlier report drew
            kept = fh.read()
    blocks = report_blocks(cs, context, curves_image=curves_image, profile=profile, profile_image=profile_image,
                           mismatch=cells, mismatch_image=mismatch_image, kept_profile_image=kept)
    paths = {"summary_md": os.path.join(out, "summary.md"), "summary_csv": os.path.join(out, "summary.csv"),
             "curves_png": os.path.join(out, "curves.png"), "report_html": os.path.join(out, "report.html")}
    # the small text files first, so that a full disk leaves them complete and the images absent
    _write_text(paths["summary_md"], render_markdown(blocks))
    _write_text(paths["summary_csv"], summary_csv(cs))
    _write_bytes(paths["curves_png"], curves_image)
    for name, file, content in (("mismatch_csv", "mismatch.csv", _csv_text(mismatch_csv_rows(cells)) if cells else None),
                                ("mismatch_png", "mismatch.png", mismatch_image)):
        target = os.path.join(out, file)
        if content is None:
            if os.path.exists(target):
                os.remove(target)   # a stale one: the records have no successors any more
            continue
        paths[name] = target
        (_write_text if isinstance(content, str) else _write_bytes)(target, content)
    if profile_image is not None:
        paths["profile_png"] = os.path.join(out, "profile.png")
        _write_bytes(paths["profile_png"], profile_image)
    elif kept is not None:
        paths["profile_png"] = old_profile
        paths["profile_kept"] = context.data_problem
    elif os.path.exists(old_profile):
        os.remove(old_profile)   # the run has no data to profile (e.g. --load-data off): summary.md no longer shows it
    _write_text(paths["report_html"], render_html(blocks, title=f"multitag report: {os.path.basename(os.path.abspath(out))}"))
    return paths
