"""`infra migrate` against a real PostgreSQL server: order, once-only, atomic files, the lock, re-runs."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import psycopg
import pytest
from cli_run import assert_one_line_error, infra

from core.errors import CheckFailed, InfraError
from core.project import REPO_ROOT
from infra.delivery import migrate

pytestmark = pytest.mark.postgres

FILES = {
    "0001_create_accounts.sql": "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);",
    "0002_add_balance.sql": "ALTER TABLE accounts ADD COLUMN balance numeric NOT NULL DEFAULT 0;\n"
                            "CREATE INDEX accounts_email ON accounts (email);",
    "0010_seed.sql": "INSERT INTO accounts (email) VALUES ('a@example.com'), ('100% sure');",
}


def write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return folder


def history(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT version, name FROM {migrate.HISTORY_TABLE} ORDER BY version").fetchall()


def columns(url: str, table: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            (table,)).fetchall()]


def test_applies_every_file_once_in_numeric_order_and_a_rerun_applies_nothing(database_url, tmp_path):
    folder = write_migrations(tmp_path / "m", FILES)
    first = migrate.migrate(database_url, folder, say=lambda _: None)
    assert [m.path.name for m in first.applied] == list(FILES)  # 0010 after 0002: versions compare as numbers
    assert history(database_url) == [(1, "create_accounts"), (2, "add_balance"), (10, "seed")]
    assert columns(database_url, "accounts") == ["id", "email", "balance"]

    again = migrate.migrate(database_url, folder, say=lambda _: None)
    assert again.applied == [] and again.already == 3
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 2  # the seed ran once


def test_dry_run_lists_pending_files_and_changes_nothing(database_url, tmp_path):
    folder = write_migrations(tmp_path / "m", FILES)
    first = write_migrations(tmp_path / "first", {"0001_create_accounts.sql": FILES["0001_create_accounts.sql"]})
    migrate.migrate(database_url, first, say=lambda _: None)
    dry = migrate.migrate(database_url, folder, dry_run=True, say=lambda _: None)
    assert [m.path.name for m in dry.pending] == ["0002_add_balance.sql", "0010_seed.sql"]
    assert dry.applied == [] and dry.already == 1
    assert history(database_url) == [(1, "create_accounts")]
    assert columns(database_url, "accounts") == ["id", "email"]


def test_dry_run_on_a_database_never_migrated_creates_nothing(database_url, tmp_path):
    dry = migrate.migrate(database_url, write_migrations(tmp_path / "m", FILES), dry_run=True, say=lambda _: None)
    assert len(dry.pending) == 3
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT to_regclass(%s)", (migrate.HISTORY_TABLE,)).fetchone()[0] is None


def test_a_failing_file_is_rolled_back_whole_named_and_a_fixed_rerun_continues(database_url, tmp_path):
    broken = dict(FILES)
    # Its first statement succeeds; the second fails, so only a transaction can undo the first.
    broken["0002_add_balance.sql"] = (
        "ALTER TABLE accounts ADD COLUMN balance numeric;\nALTER TABLE nope ADD COLUMN x int;"
    )
    folder = write_migrations(tmp_path / "m", broken)
    with pytest.raises(CheckFailed, match=r"0002_add_balance\.sql failed and was rolled back: .*nope.*"
                                          r"applied in this run: 0001_create_accounts\.sql"):
        migrate.migrate(database_url, folder, say=lambda _: None)
    assert history(database_url) == [(1, "create_accounts")]
    assert columns(database_url, "accounts") == ["id", "email"]  # the first ALTER was undone too

    write_migrations(folder, {"0002_add_balance.sql": FILES["0002_add_balance.sql"]})
    rerun = migrate.migrate(database_url, folder, say=lambda _: None)
    assert [m.version for m in rerun.applied] == [2, 10]
    assert history(database_url) == [(1, "create_accounts"), (2, "add_balance"), (10, "seed")]


def test_concurrent_runs_never_both_apply_a_file(database_url, tmp_path):
    files = {
        # Slow enough that the second run arrives while the first holds the lock.
        "0001_slow.sql": "SELECT pg_sleep(1.5); CREATE TABLE once (id int PRIMARY KEY);",
        "0002_insert.sql": "INSERT INTO once VALUES (1);",
    }
    folder = write_migrations(tmp_path / "m", files)
    results, errors, messages = [], [], []

    def run():
        try:
            results.append(migrate.migrate(database_url, folder, say=messages.append))
        except Exception as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(len(r.applied) for r in results) == [0, 2]  # one run applied both, the other none
    assert any("holds the lock" in m for m in messages)  # the second really waited on the lock
    assert history(database_url) == [(1, "slow"), (2, "insert")]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM once").fetchone()[0] == 1


def test_an_applied_file_that_was_edited_is_refused(database_url, tmp_path):
    folder = write_migrations(tmp_path / "m", {"0001_create_accounts.sql": FILES["0001_create_accounts.sql"]})
    migrate.migrate(database_url, folder, say=lambda _: None)
    (folder / "0001_create_accounts.sql").write_text("CREATE TABLE accounts (id int);")
    write_migrations(folder, {"0002_add_balance.sql": FILES["0002_add_balance.sql"]})
    with pytest.raises(InfraError, match=r"0001_create_accounts\.sql was changed after it was applied"):
        migrate.migrate(database_url, folder, say=lambda _: None)
    assert history(database_url) == [(1, "create_accounts")]  # 0002 did not run either


@pytest.mark.parametrize(("files", "message"), [
    ({"create_accounts.sql": "SELECT 1;"}, "not a migration file name"),
    ({"0001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 1;"}, "version 1 is also used by"),
    ({"0001_a.txt": "SELECT 1;"}, "not a migration file name"),
])
def test_a_bad_folder_is_refused_before_connecting(tmp_path, files, message):
    folder = write_migrations(tmp_path / "m", files)
    # An unreachable URL: reaching the folder check proves nothing connected first.
    with pytest.raises(InfraError, match=message):
        migrate.migrate("postgresql://u:p@127.0.0.1:1/none", folder, say=lambda _: None)


def test_missing_folder_and_wrong_password_are_clear_errors(postgres, tmp_path):
    with pytest.raises(InfraError, match="does not exist"):
        migrate.discover(tmp_path / "nowhere")
    folder = write_migrations(tmp_path / "m", FILES)
    with pytest.raises(InfraError, match=r"cannot connect to the database: .*password authentication failed"):
        migrate.migrate(postgres.url(password="wrong"), folder, say=lambda _: None)


def test_database_url_from_the_master_secret_escapes_the_password():
    url = migrate.database_url({"username": "app", "password": "p@ss:/w%rd"}, "db.example", 5432, "rupaya")
    assert url == "postgresql://app:p%40ss%3A%2Fw%25rd@db.example:5432/rupaya"
    with pytest.raises(InfraError, match="no username and password"):
        migrate.database_url({"user": "x"}, "h", 1, "d")


def test_cli_dry_run_then_apply_then_rerun_and_the_record(database_url, tmp_path):
    folder = write_migrations(tmp_path / "m", FILES)
    record = tmp_path / "record.json"
    common = ("--env", "dev", "--database-url", database_url, "--migrations", str(folder), "--record", str(record))
    dry = infra("migrate", *common, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "3 migration(s) would run (0 already applied)" in dry.stdout and "0010_seed.sql" in dry.stdout
    assert "dev: 1 platform migration(s) would run first: 0001_app_role.sql" in dry.stdout
    assert not record.exists()  # a dry run records nothing

    done = infra("migrate", *common)
    assert done.returncode == 0, done.stderr
    assert "applied 3 migration(s); 0 were already applied" in done.stdout
    again = infra("migrate", *common)
    assert "applied 0 migration(s); 3 were already applied" in again.stdout
    steps = json.loads(record.read_text())["steps"]
    assert [(s["step"], s["ok"], s["applied"]) for s in steps] == [
        ("migrate", True, list(FILES)), ("migrate", True, [])]

    write_migrations(folder, {"0011_bad.sql": "SELEC 1;"})
    failed = infra("migrate", *common)
    assert_one_line_error(failed, "0011_bad.sql failed and was rolled back", "syntax error", code=1)
    last = json.loads(record.read_text())["steps"][-1]
    assert last["step"] == "migrate" and last["ok"] is False and "0011_bad.sql" in last["error"]


def test_the_application_gets_a_role_of_its_own_that_survives_the_master_rotation(database_url, tmp_path):
    """`infra migrate` first creates the application's role (platform_migrations): it signs in with IAM
    authentication on Aurora (a member of rds_iam, no password), reads and writes the tables the
    migrations create, and cannot change the schema; the master user's rotated password is never its."""
    with psycopg.connect(database_url, autocommit=True) as conn:  # Aurora's IAM role, as RDS makes it
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') "
                     "THEN CREATE ROLE rds_iam; END IF; END $$")
    folder = write_migrations(tmp_path / "m", FILES)
    done = infra("migrate", "--env", "dev", "--database-url", database_url, "--migrations", str(folder),
                 "--record", str(tmp_path / "record.json"))
    assert done.returncode == 0, done.stderr
    with psycopg.connect(database_url, autocommit=True) as conn:
        platform = conn.execute(f"SELECT name FROM {migrate.PLATFORM_HISTORY_TABLE}").fetchall()
        assert platform == [("app_role",)]
        login, password = conn.execute(
            "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'app'").fetchone()
        assert login and password is None  # IAM tokens only: nothing to rotate
        assert conn.execute("SELECT pg_has_role('app', 'rds_iam', 'member')").fetchone()[0]
        conn.execute("SET ROLE app")
        conn.execute("INSERT INTO accounts (email) VALUES ('app@acme-corp.com')")  # made by a migration
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 3
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TABLE accounts")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE app_made (id int)")
    # The role's name is the one the task role may connect as (rds-db:connect ... dbuser:<id>/app).
    outputs = (REPO_ROOT / "terraform/modules/database/outputs.tf").read_text()
    assert 'value       = "app"' in outputs.split('output "app_username"')[1].split("}")[0]
