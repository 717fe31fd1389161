"""What was run, for the head of a report: the settings saved in ``OUT/config.yaml`` (with the data
fingerprint written when the experiment started), the pool size the records imply, and the data
itself when it is still where the configuration says (for the selection profile).

A report must work without the data (a results folder copied elsewhere): then the context comes
from ``config.yaml`` and the records alone, and says that the data was not available.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from multitag import settings as learner
from multitag.data.dataset import Dataset
from multitag.experiments.records import IterationRecord, ReferenceRecord

STD_NOTE = ("± is the population standard deviation over seeds (numpy std, ddof=0), not a standard error "
            "or a confidence interval.")


@dataclass
class ReportContext:
    """Rows of (setting, value) describing the experiment, the loaded data (or why there is none)."""

    rows: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    data: Dataset | None = None
    data_problem: str | None = None      # why the data could not be used, when it could not
    train_path: str | None = None        # the pool's file (for document boundaries)


def _load_yaml(path: str) -> dict:
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            d = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return d if isinstance(d, dict) else {}


def _split_text(fp: dict | None) -> str:
    if not fp:
        return "-"
    return f"{fp.get('sentences', 0):,} sentences, {fp.get('tokens', 0):,} tokens"


def _pool_tokens(records: Sequence[IterationRecord]) -> int | None:
    for r in records:
        if isinstance(r, IterationRecord) and r.tokens_fraction > 0:
            return int(round(r.tokens_annotated / r.tokens_fraction))
    return None


def _saved_paths(cfg: dict, out: str) -> dict[str, str] | None:
    """Split -> file from ``data_paths`` in config.yaml (absolute, else relative to OUT), when every one is there."""
    saved = cfg.get("data_paths")
    if not isinstance(saved, dict) or "train" not in saved:
        return None
    found = {}
    for split, where in saved.items():
        candidates = [where.get("path"), os.path.join(out, where.get("from_out") or "")] if isinstance(where, dict) else []
        found[split] = next((p for p in candidates if p and os.path.exists(p)), None)
        if found[split] is None:
            return None
    return found


def _load_data(cfg: dict, out: str) -> tuple[Dataset | None, str | None, str | None]:
    """(data, problem, train file) for the saved configuration."""
    from multitag.errors import MultitagError

    path = cfg.get("data")
    files = {k: cfg.get(f"{k}_file") for k in ("train", "dev", "test")}
    if not path and not files["train"]:
        return None, "the configuration names no data", None
    missing = next((w for w in [path, *files.values()] if w and not os.path.exists(w)), None)
    if missing is not None:
        # the paths as given are relative to where the run was started: try the split files' saved
        # absolute and OUT-relative paths (the fingerprint check below confirms they hold the same data)
        saved = _saved_paths(cfg, out)
        if saved is None:
            return None, f"{missing} is not there (the report was made without the data)", None
        path, files = None, {k: saved.get(k) for k in ("train", "dev", "test")}
    path = path or files["train"]
    try:
        from multitag.data.dataset import load_dataset
        from multitag.data.layout import find_split_files
        from multitag.data.read_options import ReadOptions

        options = ReadOptions.parse(*(cfg.get(k) for k in ("encoding", "columns", "tag_column", "repair")))
        ds = load_dataset(path if path != files["train"] else None, scheme=cfg.get("scheme"), **files, options=options)
        limit = cfg.get("train_limit")
        if isinstance(limit, int):
            ds.train = ds.train[:limit]
    except (MultitagError, OSError) as e:
        return None, f"{path} cannot be read now ({e})", None
    fp = cfg.get("data_fingerprint")
    if fp:
        from multitag.experiments.outdir import data_fingerprint, differing_splits

        differ = differing_splits(fp, data_fingerprint(ds))
        if differ:
            return None, f"the data at {path} is not the data of this run (the {differ[0]} split differs)", None
    train = files["train"] or (path if os.path.isfile(path) else find_split_files(path).get("train"))
    return ds, None, train


def read_context(out: str, records: Sequence[IterationRecord | ReferenceRecord], *, load_data: bool = True,
                 data: Dataset | None = None) -> ReportContext:
    """The context of the results folder ``out`` (``config.yaml``) and its ``records``; ``data``:
    the run's data set, already read (and checked against the fingerprint) by the caller."""
    cfg = _load_yaml(os.path.join(out, "config.yaml"))
    ctx = ReportContext(config=cfg)
    its = [r for r in records if isinstance(r, IterationRecord)]
    if not cfg:
        ctx.rows.append(("configuration", f"{os.path.join(out, 'config.yaml')} is missing or unreadable"))
        ctx.data_problem = "no configuration"
        return ctx
    fp = cfg.get("data_fingerprint") or {}
    rows = ctx.rows
    rows.append(("data", str(cfg.get("data") or cfg.get("train_file") or "-")))
    saved = cfg.get("data_paths") if isinstance(cfg.get("data_paths"), dict) else {}
    split_files = [f"{k}: {v['path']}" for k, v in saved.items() if isinstance(v, dict) and v.get("path")]
    if split_files:
        rows.append(("data files", ", ".join(split_files)))
    limit = cfg.get("train_limit")
    for split in ("train", "dev", "test"):
        if split in fp:
            rows.append((f"{split} split", _split_text(fp.get(split)) + (" (after the train limit)" if split == "train" and limit else "")))
    pool_tokens = _pool_tokens(its)
    pool = "the train split" + (f", its first {limit:,} sentences" if limit else " (all of it)")
    if pool_tokens is not None:
        pool += f"; {pool_tokens:,} tokens to annotate"
    valid = str(cfg.get("valid", "dev"))
    if valid.endswith("-of-pool"):
        pool += f" (after removing the {valid} validation sample)"
    rows.append(("pool", pool))
    pool_size = (fp.get("train") or {}).get("sentences")
    smaller = f" (the pool has only {pool_size:,}: all of it was used)" if limit and pool_size and pool_size < limit else ""
    rows.append(("train limit", f"{limit:,} sentences{smaller}" if limit else "none"))
    rows.append(("evaluation split", str(cfg.get("eval", "test"))))
    rows.append(("validation (early stopping)", valid))
    n_iter = max((r.iteration for r in its), default=None)
    rows.append(("initial size (seed set)", str(cfg.get("initial_size"))))
    rows.append(("schedule", f"{cfg.get('schedule')}" + (f" ({n_iter} iterations after the seed set)" if n_iter else "")))
    rows.append(("backends (acquisition)", ", ".join(cfg.get("backends") or []) or "-"))
    if cfg.get("successors"):
        rows.append(("successors", ", ".join(cfg["successors"])))
    params = cfg.get("params") or {}
    for name in dict.fromkeys(list(cfg.get("backends") or []) + list(cfg.get("successors") or [])):
        given = params.get(name) or {}
        text = ", ".join(f"{k}={v}" for k, v in given.items()) if given else "all defaults"
        rows.append((f"{name} parameters", text + f" (others at their defaults: `multitag backends {name}`)"
                     if given else text + f" (`multitag backends {name}`)"))
    rows.append(("strategies", ", ".join(cfg.get("strategies") or [])))
    for name in learner.grid_names():
        i = learner.info(name)
        rows.append((i.title, ", ".join(cfg.get(i.grid) or [learner.default(name)])))
    seeds = cfg.get("seeds") or []
    rows.append(("seeds", f"{len(seeds)} ({', '.join(str(s) for s in seeds)})"))
    cost = cfg.get("cost_model") or {}
    if cost:
        rows.append(("cost model", f"{cost.get('sentence')} s per sentence opened + {cost.get('token_read')} s per token "
                                   f"read + {cost.get('label')} s per label"))
    if any(s.startswith(("vr", "bald")) for s in cfg.get("strategies") or []):
        rows.append(("MC samples", f"{cfg.get('mc_samples')} ({cfg.get('mc_mode') or 'the backend default mode'})"))
    if cfg.get("pool_subsample"):
        rows.append(("pool subsample", f"{float(cfg['pool_subsample']) * 100:g}% of the unlabeled pool scored per iteration"))
    refs = [r for r in records if isinstance(r, ReferenceRecord)]
    rows.append(("full-data reference", ", ".join(f"{r.model} F1 {r.f1:.4f}" for r in refs)
                 if refs else ("requested, not recorded yet" if cfg.get("full_reference") else "not run (--full-reference)")))
    if data is not None:
        info = data.split_info.get("train")
        ctx.data, ctx.train_path = data, (info.source.path if info is not None else None)
    elif load_data:
        ctx.data, ctx.data_problem, ctx.train_path = _load_data(cfg, out)
    else:
        ctx.data_problem = "not loaded"
    return ctx
