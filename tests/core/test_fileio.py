"""multitag.fileio: atomic writes."""
import os


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
