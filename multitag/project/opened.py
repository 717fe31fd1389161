"""An open project: its folder, its store, its id and its settings (read from the store's ``meta``).

:class:`~multitag.project.project.Project` adds the operations; the modules that do them
(:mod:`.replay`, :mod:`.models`, :mod:`.round_choice`, :mod:`.batches`, :mod:`.readout`) take an
:class:`OpenedProject`.
"""
from __future__ import annotations

from multitag.project.settings import Settings
from multitag.project.store import Store


class OpenedProject:
    """An open project. Every operation reads the store afresh, so several processes can share it."""

    def __init__(self, path: str):
        self.path = path
        self.store = Store(path)
        self.uid: str = self.store.meta("project_uid")
        self.settings = Settings(**self.store.meta("settings"))

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
