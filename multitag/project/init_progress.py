"""The progress of ``project init`` on the terminal: sentences read, their rate, and how much of
the file is read, after each batch written."""
from __future__ import annotations

import sys
import time
from typing import Callable

from tqdm import tqdm


def init_progress(stream=None, *, every: float = 10.0) -> Callable[[int, int, int], None]:
    """``f(sentences, bytes_read, file_bytes)``: a progress bar over the file's bytes (tqdm) with the
    sentences read and their rate; on a non-terminal stream, one line at most every ``every``
    seconds (as the phases of a query, :func:`multitag.project.progress.progress_printer`).
    ``stream``: default ``sys.stderr`` as it is when called."""
    stream = stream if stream is not None else sys.stderr
    t0 = time.perf_counter()
    if stream.isatty():
        bar = tqdm(total=None, file=stream, unit="B", unit_scale=True, leave=False, desc="reading the text")

        def show(sentences: int, done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.set_postfix_str(f"{sentences:,} sentences ({sentences / max(time.perf_counter() - t0, 1e-9):,.0f}/s)")
            if done >= total:
                bar.close()

        return show
    last = [-float("inf")]

    def say(sentences: int, done: int, total: int) -> None:
        elapsed = time.perf_counter() - t0
        if elapsed - last[0] < every and done < total:
            return
        last[0] = elapsed
        print(f"[{elapsed:7.1f}s] {sentences:,} sentences read ({sentences / max(elapsed, 1e-9):,.0f}/s), "
              f"{100 * done / max(total, 1):.0f}% of the file", file=stream, flush=True)

    return say
