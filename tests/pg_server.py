"""A real PostgreSQL server for the tests: Debian's `postgresql` binaries, a fresh data directory and
a free loopback port, with password (scram) authentication like Aurora's, stopped at the end.

PostgreSQL refuses to run as root, so under root the server runs as the `postgres` system user,
with its data directory outside pytest's private temp folder (which that user cannot enter).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
PASSWORD = "s3cret-pa$$word"  # has characters a URL must escape: `infra migrate` must quote them


class PostgresMissing(RuntimeError):
    pass


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str

    def url(self, dbname: str = "postgres", password: str | None = None) -> str:
        from urllib.parse import quote

        return (f"postgresql://{self.user}:{quote(password if password is not None else self.password, safe='')}"
                f"@{self.host}:{self.port}/{dbname}")


def bindir() -> Path:
    for candidate in [os.environ.get("PG_BINDIR"), *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresMissing("no PostgreSQL server binaries (initdb); install Debian's `postgresql` package "
                          "(make setup does) or set PG_BINDIR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running() -> Iterator[Server]:
    bins = bindir()
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="infra-pg-"))
    data, pwfile = base / "data", base / "pwfile"
    pwfile.write_text(PASSWORD + "\n")
    prefix: list[str] = []
    if as_root:
        owner = pwd.getpwnam(SUPERUSER)
        for path in (base, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", SUPERUSER, "--"]
    port = free_port()

    def run(*args: str) -> None:
        proc = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {proc.stderr or proc.stdout}")

    try:
        run(str(bins / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=scram-sha-256",
            f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8", "--locale=C")
        run(str(bins / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60",
            "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        yield Server("127.0.0.1", port, SUPERUSER, PASSWORD)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*prefix, str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
