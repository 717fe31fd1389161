"""The progress of a query on the terminal: its phases, in order, with the seconds spent."""
from __future__ import annotations

import sys
import time
from typing import Callable

from tqdm import tqdm

#: the phases of a query, in order (a seed round skips training and prediction)
PHASES = ("reading the project", "choosing the seed set", "training", "evaluating", "predicting the pool and selecting",
          "saving the model", "writing the batch")


def progress_printer(stream=sys.stderr) -> Callable[[str], None]:
    """A progress bar over the phases of a query (tqdm), naming the current phase and the seconds
    spent; on a non-terminal stream, one line per phase with the elapsed seconds."""
    t0 = time.perf_counter()
    if not stream.isatty():
        def say(phase: str) -> None:
            print(f"[{time.perf_counter() - t0:7.1f}s] {phase}", file=stream, flush=True)

        return say
    bar = tqdm(total=len(PHASES), file=stream, bar_format="{desc} |{bar}| {n}/{total} phases [{elapsed}]", leave=False)

    def say(phase: str) -> None:
        k = PHASES.index(phase) if phase in PHASES else bar.n
        bar.n = k + 1
        bar.set_description_str(phase)
        bar.refresh()
        if phase == PHASES[-1]:
            bar.close()

    return say
