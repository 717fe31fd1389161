"""A site folder holding the test backends of ``dask_plugin/`` as an installed distribution (a
``.dist-info`` with ``entry_points.txt``): put on ``sys.path`` / ``PYTHONPATH``, every process, Dask
workers included, finds them through ``importlib.metadata`` like any installed plugin."""
from __future__ import annotations

import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

ENTRY_POINTS = """[multitag.backends]
dcount = multitag.baseline:CountTagger
dcount-slow = multitag_dasktest:SlowCount
dcount-failing = multitag_dasktest:FailingCount
dcount-gpu = multitag_dasktest:DeviceCount
dcount-slowpredict = multitag_dasktest:SlowPredictCount
"""


def make_site(folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    shutil.copy(os.path.join(HERE, "dask_plugin", "multitag_dasktest.py"), folder)
    info = os.path.join(folder, "multitag_dasktest-0.0.1.dist-info")
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w") as fh:
        fh.write("Metadata-Version: 2.1\nName: multitag-dasktest\nVersion: 0.0.1\n")
    with open(os.path.join(info, "entry_points.txt"), "w") as fh:
        fh.write(ENTRY_POINTS)
    with open(os.path.join(info, "RECORD"), "w") as fh:
        fh.write("")
    return folder
