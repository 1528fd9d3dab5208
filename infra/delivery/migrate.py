"""`infra migrate`: apply the schema migrations of a folder of SQL files, each once, in order.

- Files are named `<version>_<description>.sql` (`0001_create_users.sql`); they run in version
  order, compared as integers, so 10 follows 9. A duplicate version, or a file that does not
  match the pattern, stops the run before anything is applied.
- Each file runs in its own transaction together with its row in the history table, so a file
  either applied completely and is recorded, or left no trace. A failure stops the run and names
  the file; the files before it stay applied (each was committed), the history says exactly which.
- A session-level advisory lock serialises concurrent runs: the second waits, then finds the
  files already recorded and applies nothing. Two runs can never both apply a file.
- A file that was applied and then edited is refused (its checksum differs from the recorded one):
  changing history silently is how schemas drift between envs.
- Before the application's files, the platform's own (`platform_migrations/`, e.g. the application's
  database role) run the same way, with a history table of their own, so their versions never meet
  the application's.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from core import reading
from core.errors import CheckFailed, InfraError

HISTORY_TABLE = "infra_schema_history"
PLATFORM_HISTORY_TABLE = "infra_platform_schema_history"
PLATFORM_MIGRATIONS = Path(__file__).resolve().parent / "platform_migrations"
# An arbitrary, fixed 64-bit key: every `infra migrate` against the same database takes this lock.
LOCK_KEY = 0x72757061_79610001
FILE = re.compile(r"^(?P<version>\d+)_(?P<name>[A-Za-z0-9][A-Za-z0-9_\-]*)\.sql\Z")

CREATE_HISTORY = """
CREATE TABLE IF NOT EXISTS {table} (
    version     bigint PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer     NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: str  # read when the folder is, so that an unreadable file stops the run before anything is applied
    checksum: str

    @classmethod
    def read(cls, version: int, name: str, path: Path) -> Migration:
        data = reading.read_bytes(path, "migration")
        return cls(version, name, path, reading.decode(data, str(path), "migration"), hashlib.sha256(data).hexdigest())


@dataclass
class Outcome:
    pending: list[Migration]  # what was (or, on a dry run, would be) applied, in order
    applied: list[Migration] = field(default_factory=list)
    already: int = 0  # files found in the history before this run


def discover(folder: Path) -> list[Migration]:
    if not folder.is_dir():
        raise InfraError(f"migrations folder {folder} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        match = FILE.match(path.name)
        if not match:
            raise InfraError(
                f"{path}: not a migration file name (<version>_<description>.sql, e.g. 0001_create_users.sql)"
            )
        version = int(match["version"])
        if version in found:
            raise InfraError(f"{path}: version {version} is also used by {found[version].path.name}")
        found[version] = Migration.read(version, match["name"], path)
    return [found[v] for v in sorted(found)]


def database_url(secret: dict, host: str, port: int | str, dbname: str) -> str:
    """The URL for the AWS-managed master secret (a JSON document of username and password)."""
    try:
        user, password = secret["username"], secret["password"]
    except (KeyError, TypeError):
        raise InfraError("the database secret has no username and password keys") from None
    credentials = f"{quote(str(user), safe='')}:{quote(str(password), safe='')}"
    return f"postgresql://{credentials}@{host}:{port}/{quote(dbname, safe='')}"


def _connect(url: str):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except psycopg.Error:
        # Not repeated: the URL may hold the password.
        raise InfraError("the database URL is neither a postgresql:// URL nor a libpq connection string") from None
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=15, application_name="infra migrate")
    except (psycopg.Error, OSError, UnicodeError, ValueError) as exc:
        # psycopg resolves the host itself: a name the IDNA codec refuses ("." or a 64-character
        # label) raises UnicodeError from getaddrinfo, not a psycopg error.
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InfraError(f"cannot connect to the database: {detail}") from None


def migrate(url: str, folder: Path, *, dry_run: bool = False, say=print, history: str = HISTORY_TABLE) -> Outcome:
    """Apply `folder`'s pending files, recording each in the table `history` (the application's, or
    the platform's own)."""
    import psycopg

    migrations = discover(folder)
    with _connect(url) as conn:
        # Session lock, held across the per-file transactions, released when the connection closes.
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            say("   another migration run holds the lock; waiting for it")
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        if not dry_run:
            conn.execute(CREATE_HISTORY.format(table=history))
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (history,)).fetchone()[0]
        recorded = dict(conn.execute(f"SELECT version, checksum FROM {history}").fetchall()) if exists else {}

        for m in migrations:
            if m.version in recorded and recorded[m.version] != m.checksum:
                raise InfraError(
                    f"{m.path.name} was changed after it was applied (checksum differs from {history}); "
                    "add a new migration instead of editing an applied one"
                )
        known = {m.version for m in migrations}
        unknown = sorted(set(recorded) - known)
        if unknown:
            say(f"   note: the database has versions with no file here: {', '.join(map(str, unknown))}")
        outcome = Outcome([m for m in migrations if m.version not in recorded], already=len(recorded))
        if dry_run:
            return outcome
        for m in outcome.pending:
            started = time.monotonic()
            try:
                with conn.transaction():
                    conn.execute(m.sql)
                    conn.execute(
                        f"INSERT INTO {history} (version, name, checksum, duration_ms) VALUES (%s, %s, %s, %s)",
                        (m.version, m.name, m.checksum, int((time.monotonic() - started) * 1000)),
                    )
            except psycopg.Error as exc:
                message = (getattr(exc.diag, "message_primary", None) or str(exc)).strip().splitlines()[0]
                done = ", ".join(a.path.name for a in outcome.applied) or "none"
                raise CheckFailed(
                    f"migration {m.path.name} failed and was rolled back: {message} (applied in this run: {done})"
                ) from None
            outcome.applied.append(m)
            say(f"   applied {m.path.name} ({time.monotonic() - started:.2f}s)")
        return outcome
