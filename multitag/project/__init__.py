"""Annotation projects: real rounds with people, stored in SQLite (see :mod:`multitag.project.project`)."""
