"""Which GPU a run uses, tested without a GPU: the GPUs read from CUDA_VISIBLE_DEVICES, blocks per
local worker, slots handed to concurrent runs of one worker, the device a backend is built with."""
import threading

import pytest

from multitag.baseline import CountTagger
from multitag.errors import MultitagError
from multitag.experiments import gpus
from multitag.experiments.cluster import local_worker_options


def test_visible_gpus_follow_cuda_rules():
    assert gpus.visible_gpus({}) is None
    assert gpus.visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert gpus.visible_gpus({"CUDA_VISIBLE_DEVICES": "2, 5"}) == ["2", "5"]
    assert gpus.visible_gpus({"CUDA_VISIBLE_DEVICES": "1,-1,3"}) == ["1"]   # CUDA stops at an invalid id
    assert gpus.local_gpus({"CUDA_VISIBLE_DEVICES": "GPU-abc,GPU-def"}) == ["GPU-abc", "GPU-def"]


def test_nvidia_smi_counts_the_gpus_when_nothing_is_set(monkeypatch):
    class R:
        returncode = 0
        stdout = "GPU 0: NVIDIA H100 (UUID: GPU-1)\nGPU 1: NVIDIA H100 (UUID: GPU-2)\n"

    monkeypatch.setattr(gpus.shutil, "which", lambda exe: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(gpus.subprocess, "run", lambda *a, **k: R())
    assert gpus.local_gpus({}) == ["0", "1"]
    monkeypatch.setattr(gpus.shutil, "which", lambda exe: None)
    assert gpus.local_gpus({}) == []


def test_each_local_worker_gets_its_own_block():
    assert gpus.worker_gpus(2, 1, ["0", "1", "2"]) == [["0"], ["1"]]
    assert gpus.worker_gpus(2, 2, ["4", "5", "6", "7"]) == [["4", "5"], ["6", "7"]]
    with pytest.raises(MultitagError, match="needs 4 GPUs, and this machine has 3 GPUs"):
        gpus.worker_gpus(2, 2, ["0", "1", "2"])
    assert local_worker_options(["6", "7"]) == {"env": {"CUDA_VISIBLE_DEVICES": "6,7"}, "resources": {"GPU": 2}}
    assert local_worker_options(None) == {}


def test_slots_give_concurrent_runs_distinct_gpus_and_refuse_more_than_there_are():
    slots = gpus.GpuSlots(2)
    got, barrier = [], threading.Barrier(2)

    def take():
        barrier.wait()
        got.append(slots.acquire(1))

    ts = [threading.Thread(target=take) for _ in range(2)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted(got) == [[0], [1]]
    with pytest.raises(MultitagError, match="needs 1 GPU, and its worker has 0 free of 2 visible"):
        slots.acquire(1)
    slots.release([1])
    assert slots.acquire(1) == [1]
    assert gpus.GpuSlots.from_env({"CUDA_VISIBLE_DEVICES": "3"}).acquire(1) == [0]   # numbered as CUDA sees them


class _WithDevice(CountTagger):
    def __init__(self, *, labels, seed=0, alpha=0.5, device="cpu"):
        super().__init__(labels=labels, seed=seed, alpha=alpha)
        self.device = device


def test_the_backend_device_follows_the_runs_gpu_unless_set():
    assert gpus.device_params(_WithDevice, {}, [1]) == {"device": "cuda:1"}
    assert gpus.device_params(_WithDevice, {}, []) == {}                        # no GPU: its own default
    assert gpus.device_params(_WithDevice, {"device": "cpu"}, [0]) == {}        # --param device=cpu wins
    assert gpus.device_params(CountTagger, {}, [0]) == {}                       # no device parameter
