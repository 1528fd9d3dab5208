"""Run the `infra` CLI as a user does (a subprocess) and check its one-line errors; used by the CLI suites."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from core.project import REPO_ROOT


def infra(*args: str, env: dict | None = None, cwd: Path = REPO_ROOT,
          drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`infra *args` with the caller's environment, `env` added and the variables named in `drop`
    (names, or prefixes ending in `*`) removed."""
    def dropped(name: str) -> bool:
        return any(name.startswith(d[:-1]) if d.endswith("*") else name == d for d in drop)

    full_env = {**{k: v for k, v in os.environ.items() if not dropped(k)}, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str, code: int = 2) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("infra:")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
