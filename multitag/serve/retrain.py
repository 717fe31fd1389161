"""The active-learning loop of a served project: a background worker process retrains the model
and chooses the next round while the annotators keep answering."""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from multitag.errors import MultitagError
from multitag.project.project import Project
from multitag.serve.tasks import unanswered_tokens

#: seconds the retrain worker sleeps before training (tests use it to make a retrain slow)
RETRAIN_DELAY_ENV = "MULTITAG_SERVE_RETRAIN_DELAY"


def _die_with_parent(parent: int) -> None:
    """In the worker process, first thing: be killed when the server dies (even by ``kill -9``)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:     # the server died before prctl took effect
        os._exit(1)


def _retrain(project: str, budget: int) -> int:
    """In the worker process: retrain on the current labeled set and choose the next round (the
    unanswered queue re-ranked, ``budget`` tokens more)."""
    delay = float(os.environ.get(RETRAIN_DELAY_ENV) or 0)
    if delay > 0:
        time.sleep(delay)

    with Project(project) as p:
        # the new round re-ranks every unanswered task with the new model, and adds ``budget`` tokens
        return p.choose_round(budget + unanswered_tokens(p.store), reuse=False)[0]


class RetrainLoop:
    """The active-learning loop of a served project: counts net answers (an undone answer no longer
    counts) and, after every ``retrain_every`` of them (or when the queue runs dry), retrains in a
    background process."""

    def __init__(self, project: str, *, budget: int, retrain_every: int | None):
        self.project = project
        self.budget = budget
        self.retrain_every = retrain_every
        self._counted: set[int] = set()     # leases answered since the last retrain started
        self._lock = threading.Lock()
        self._future: Future | None = None
        self._pool: ProcessPoolExecutor | None = None
        self.last_error: str | None = None
        self.rounds_started = 0

    @property
    def answers(self) -> int:
        """Net answers since the last retrain started."""
        return len(self._counted)

    @answers.setter
    def answers(self, value: int) -> None:
        if value != 0:
            raise ValueError("the answer count can only be reset to 0")
        self._counted = set()

    @property
    def retraining(self) -> bool:
        f = self._future
        return f is not None and not f.done()

    def _collect(self) -> None:
        f = self._future
        if f is not None and f.done():
            try:
                f.result()
                self.last_error = None
            except Exception as e:  # shown on the page; the queue keeps serving the old round
                self.last_error = str(e) if isinstance(e, MultitagError) else f"{type(e).__name__}: {e}"
            self._future = None

    def start(self) -> bool:
        """Start choosing the next round unless one is being chosen; True when one started."""
        with self._lock:
            self._collect()
            if self.retraining:
                return False
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                                                 initializer=_die_with_parent, initargs=(os.getpid(),))
            self._counted = set()
            self.rounds_started += 1
            self._future = self._pool.submit(_retrain, self.project, self.budget)
            return True

    def answered(self, round_tasks: int, lease: int) -> None:
        """The answer on ``lease`` was stored; a retrain starts when it is due."""
        with self._lock:
            self._counted.add(lease)
            every = self.retrain_every or max(1, round_tasks)
            due = self.answers >= every
        if due:
            self.start()

    def undone(self, lease: int) -> None:
        """The answer on ``lease`` was undone: it counts again only when it is answered again."""
        with self._lock:
            self._counted.discard(lease)

    def wait(self, timeout: float | None = None) -> None:
        f = self._future
        if f is not None:
            f.result(timeout=timeout)
        with self._lock:
            self._collect()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
