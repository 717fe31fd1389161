"""Named annotators: `multitag project annotators add` prints a token that names its holder; the
store keeps only its hash; a version 2 store is migrated to version 3 (annotators, drafts,
decisions, settlements, submitted answers)."""
import re
import sqlite3

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.errors import MultitagError
from multitag.project.project import Settings, init_project
from multitag.project.store import MIGRATIONS, SCHEMA_VERSION, Store
from multitag.project.store.annotators import token_sha256


@pytest.fixture
def project(tmp_path, text_file, count_backend):
    path = str(tmp_path / "p")
    init_project(path, text_file, Settings(backend=count_backend, params={}, strategy="mnlp", entity_types=["LOC", "MISC", "ORG", "PER"]))
    return path


def test_add_prints_a_token_that_names_its_annotator(project):
    r = CliRunner().invoke(main, ["project", "annotators", "add", project, "alice"])
    assert r.exit_code == 0, r.output
    name, token = r.stdout.strip().splitlines()[0].split(": ")
    assert name == "alice" and len(token) >= 20
    with Store(project) as s:
        assert s.annotators.by_token(token).name == "alice"
        assert s.annotators.by_token(token + "x") is None
        raw = s.query("SELECT token_sha256 FROM annotators")[0][0]
        assert raw == token_sha256(token) and token not in raw, "only the token's hash is stored"
    again = CliRunner().invoke(main, ["project", "annotators", "add", project, "alice"])
    assert again.exit_code != 0 and "exists already" in again.output
    new = CliRunner().invoke(main, ["project", "annotators", "token", project, "alice"])
    new_token = new.stdout.strip().splitlines()[0].split(": ")[1]
    with Store(project) as s:
        assert s.annotators.by_token(token) is None, "a new token replaces the old one"
        assert s.annotators.by_token(new_token).name == "alice"
    listed = CliRunner().invoke(main, ["project", "annotators", "list", project])
    assert listed.stdout.startswith("alice\t0 answers")


def test_names_are_checked(project):
    with Store(project) as s:
        for bad in ("", "   ", "a\nb", "x" * 101):
            with pytest.raises(MultitagError, match="annotator's name"):
                s.annotators.add(bad, "now")


def test_a_version_2_store_is_migrated_to_annotators_and_drafts(project):
    created = re.findall(r"CREATE TABLE (\w+)", MIGRATIONS[2])
    assert {"annotators", "lease_drafts", "span_decisions", "settlements", "lease_answers"} <= set(created)
    conn = sqlite3.connect(f"{project}/project.sqlite")      # a store as version 2 wrote it
    conn.executescript("".join(f"DROP TABLE {t}; " for t in created)
                       + "UPDATE meta SET value = '2' WHERE key = 'schema_version';")
    conn.close()
    with Store(project) as s:
        assert s.schema_version() == SCHEMA_VERSION == 3
        assert s.annotators.count() == 0 and s.leases.draft(1) is None
        assert s.decisions.rejections() == [] and s.settlements.settled_sentences() == set()
        assert s.leases.active_seconds() == (0, 0.0)
