"""The deployment record: every delivery step appends what it did, and `infra summary` renders it.

One JSON file per deployment (`--record`, $INFRA_DEPLOY_RECORD, or `.infra/deployments/<env>.json`).
A workflow passes it between jobs as an artifact. Writes go to a temporary file that replaces
the record in one rename, so a crash never leaves half a record.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core import reading
from core.errors import InfraError

RECORD_ENV = "INFRA_DEPLOY_RECORD"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Record:
    path: Path
    data: dict

    @classmethod
    def open(cls, path: Path, env: str) -> Record:
        if not path.exists():
            return cls(path, {"env": env, "started_at": now(), "steps": []})
        data = reading.read_json(path, "deployment record (remove it to start a new one)")
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            raise InfraError(f"{path} is not a deployment record (no steps list); remove it to start a new one")
        if data.get("env") != env:
            raise InfraError(f"deployment record {path} is for {data.get('env')}, not {env}")
        return cls(path, data)

    @property
    def steps(self) -> list[dict]:
        return self.data["steps"]

    def add(self, step: str, ok: bool, started: float, **detail) -> None:
        self.steps.append(
            {"step": step, "ok": ok, "at": now(), "seconds": round(time.monotonic() - started, 1), **detail}
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(self.data, indent=2) + "\n")
        os.replace(tmp, self.path)

    def last(self, step: str) -> dict | None:
        return next((s for s in reversed(self.steps) if s["step"] == step), None)
