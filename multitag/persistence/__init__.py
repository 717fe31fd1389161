"""The model template: one folder layout, one manifest, one loader for every backend.

A saved model is a folder holding ``multitag.json`` (the manifest) and the files the backend's
:meth:`~multitag.backend.Tagger._save_state` hook wrote, and nothing else::

    {"format": "multitag-model", "version": 1,
     "backend": "crf",                      # registered name (reverse lookup), or null
     "class": "CRFTagger",                  # informational only: never imported
     "params": {"c1": 0.1, "cluster_sizes": [32, 128, 512], "max_seconds": null, ...},
     "labels": ["O", "B-PER", ...],
     "files": {"model.crfsuite": {"size": 40213, "sha256": "..."}, ...},
     "training": {"epochs_run": 12, "best_epoch": 9, "seconds": 41.2, ...},   # optional
     "multitag": "0.1.0",
     "backend_package": {"name": "multitag-crf", "version": "0.1.0",       # informational; null
                         "requires": {"sklearn-crfsuite": "0.5.0", ...}},  # outside a distribution
     "created": "2025-01-01T12:00:00+00:00"}

Loading (:func:`load_model`, also ``multitag.load``) resolves the class only through
:mod:`multitag.registry` from the stored name (a module path read from a file is never imported),
checks the size and sha256 of every listed file before the backend opens any of them, refuses files
the manifest does not list, and only then builds ``cls(labels=..., **params)`` and calls its
``_load_state`` hook. Saving (:func:`save_model`) writes into a fresh temporary folder beside the
target and swaps it into place by renames, so an interrupted save (full disk, permissions) leaves
the previous model untouched.

One module per job: :mod:`~multitag.persistence.manifest` (the manifest: typed JSON, reading and
validation, building), :mod:`~multitag.persistence.provenance` (the versions it records),
:mod:`~multitag.persistence.files` (file inventory and hashes), :mod:`~multitag.persistence.typed_params`
(parameters back in their declared types), :mod:`~multitag.persistence.scratch` (temporary folders
and the removal of stale ones), :mod:`~multitag.persistence.saving` and
:mod:`~multitag.persistence.loading`. This package imports neither torch nor any backend, nor the
contract (:mod:`multitag.backend`, which saves and loads through it).
"""
from __future__ import annotations

from multitag.persistence.files import verify_files
from multitag.persistence.loading import load_model
from multitag.persistence.manifest import (FORMAT, MANIFEST, VERSION, build_manifest, is_model_folder, read_manifest,
                                           to_json)
from multitag.persistence.saving import check_save_target, save_model
from multitag.persistence.scratch import remove_stale
from multitag.persistence.scratch import _boot_id, _start_time, _writer_tag  # noqa: F401 (the stale-folder tests name writers)
from multitag.persistence.typed_params import params_from_manifest

__all__ = ["FORMAT", "VERSION", "MANIFEST", "to_json", "params_from_manifest", "read_manifest", "verify_files",
           "build_manifest", "is_model_folder", "check_save_target", "save_model", "load_model", "remove_stale"]
