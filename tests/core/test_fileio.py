"""multitag.fileio: atomic writes."""
import os
import stat


def test_atomic_writes_get_the_umask_or_the_replaced_files_permissions(tmp_path):
    import stat

    from multitag.fileio import atomic_write

    old = os.umask(0o022)
    try:
        new = tmp_path / "new.txt"
        with atomic_write(new) as fh:
            fh.write("x")
        assert stat.S_IMODE(os.stat(new).st_mode) == 0o644       # mkstemp alone gives 0o600
        os.chmod(new, 0o640)
        with atomic_write(new) as fh:
            fh.write("y")
        assert stat.S_IMODE(os.stat(new).st_mode) == 0o640 and new.read_text() == "y"
    finally:
        os.umask(old)


def test_atomic_folder_replaces_a_folder_only_when_the_block_succeeds(tmp_path):
    import pytest

    from multitag.fileio import atomic_folder

    target = tmp_path / "out"
    with atomic_folder(target, scratch_prefix=".out.new-", aside_prefix=".out.old-") as tmp:
        assert os.path.dirname(tmp) == str(tmp_path) and os.path.basename(tmp).startswith(".out.new-")
        (tmp_path / os.path.basename(tmp) / "a.txt").write_text("first")
    assert (target / "a.txt").read_text() == "first"
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_folder(target, scratch_prefix=".out.new-", aside_prefix=".out.old-") as tmp:
            (tmp_path / os.path.basename(tmp) / "b.txt").write_text("second")
            raise RuntimeError("interrupted")
    assert sorted(os.listdir(target)) == ["a.txt"]            # the previous folder, untouched
    with atomic_folder(target, scratch_prefix=".out.new-", aside_prefix=".out.old-") as tmp:
        (tmp_path / os.path.basename(tmp) / "c.txt").write_text("third")
    assert sorted(os.listdir(target)) == ["c.txt"]
    assert sorted(os.listdir(tmp_path)) == ["out"]              # no scratch or set-aside folder left


def test_atomic_folder_puts_the_previous_folder_back_when_the_swap_fails(tmp_path, monkeypatch):
    import pytest

    from multitag import fileio

    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("old")
    real_rename = os.rename

    def failing_second_rename(src, dst, _calls=[]):
        _calls.append(src)
        if len(_calls) == 2:  # the new folder into place
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(fileio.os, "rename", failing_second_rename)
    with pytest.raises(OSError):
        with fileio.atomic_folder(target, scratch_prefix=".out.new-", aside_prefix=".out.old-") as tmp:
            (tmp_path / os.path.basename(tmp) / "new.txt").write_text("new")
    monkeypatch.undo()
    assert sorted(os.listdir(target)) == ["keep.txt"] and sorted(os.listdir(tmp_path)) == ["out"]


def test_a_private_atomic_folder_stays_0700_and_a_plain_one_takes_the_umask(tmp_path):
    from multitag.fileio import atomic_folder

    old = os.umask(0o022)
    try:
        with atomic_folder(tmp_path / "p", scratch_prefix=".p.", aside_prefix=".p.old-", private=True) as tmp:
            open(os.path.join(tmp, "f"), "w").close()
        with atomic_folder(tmp_path / "q", scratch_prefix=".q.", aside_prefix=".q.old-") as tmp:
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "p").st_mode) == 0o700    # a project's annotations
    assert stat.S_IMODE(os.stat(tmp_path / "q").st_mode) == 0o755
    assert sorted(os.listdir(tmp_path)) == ["p", "q"]                 # no scratch or aside left
