"""A thin runner over the Terraform CLI: every step logged to a file, timed, and failed in one line."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.aws import EMULATOR_CREDENTIALS
from core.errors import InfraError
from infra.toolchain import Toolchain
from infra.workspace import Workspace

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Terraform echoes the offending source as "  39: resource ..." and underlines it with box lines.
SOURCE_ECHO = re.compile(r"^(\d+:\s|[├└─│^]+)")


class StepFailed(InfraError):
    """A terraform step failed; the message is its first error, the log has the rest."""

    def __init__(self, label: str, step: str, reason: str, log: Path | None):
        self.label, self.step, self.reason, self.log = label, step, reason, log
        where = f" (full output: {log})" if log else ""
        super().__init__(f"{label}: terraform {step} failed: {reason}{where}")


class Progress:
    """One line when a step starts and one when it ends, with its duration; CI logs stay readable."""

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def held(self) -> Progress:
        """A Progress that keeps its lines until `release()`: rows that run at once print whole, in order."""
        return Progress(io.StringIO(), quiet=self.quiet)

    def release(self, held: Progress) -> None:
        if held.stream.getvalue():
            print(held.stream.getvalue(), end="", file=self.stream, flush=True)

    @contextmanager
    def step(self, label: str, name: str) -> Iterator[None]:
        self.say(f"-> {label}: {name}")
        started = time.monotonic()
        try:
            yield
        except BaseException:
            self.say(f"xx {label}: {name} failed after {time.monotonic() - started:.1f}s")
            raise
        self.say(f"ok {label}: {name} ({time.monotonic() - started:.1f}s)")


def first_error(output: str) -> str:
    """The first `Error:` of terraform's human output in one line: summary; location; the API's answer.

    Terraform prints the summary, then `with <address>,` and `on <file> line N`, an echo of the
    source, and then the detail (the API error, wrapped over several lines) up to a blank line.
    """
    lines = [ANSI.sub("", line).strip(" │╷╵\t") for line in output.splitlines()]
    for i, line in enumerate(lines):
        if not line.startswith("Error:"):
            continue
        summary = line.removeprefix("Error:").strip()
        where, detail = "", []
        for text in lines[i + 1 : i + 40]:
            if text.startswith("Error:"):
                break
            if text.startswith("on ") and not where:
                where = text.removesuffix(":")
            elif text.startswith("with ") or SOURCE_ECHO.match(text):
                continue
            elif text:
                detail.append(text)
                # stdout follows stderr with no blank line between: the API's answer is a few lines.
                if len(detail) == 6:
                    break
            elif detail:
                break
        parts = [summary, where, " ".join(detail)]
        return "; ".join(part for part in parts if part)
    tail = [line for line in lines if line]
    return tail[-1] if tail else "no output"


@dataclass(frozen=True)
class PlanSummary:
    add: int
    change: int
    destroy: int
    replace: int

    @classmethod
    def from_plan_json(cls, plan: dict) -> PlanSummary:
        counts: Counter[str] = Counter()
        for change in plan.get("resource_changes", []):
            actions = change.get("change", {}).get("actions", [])
            if actions in (["delete", "create"], ["create", "delete"]):
                counts["replace"] += 1
            elif actions == ["create"]:
                counts["add"] += 1
            elif actions == ["update"]:
                counts["change"] += 1
            elif actions == ["delete"]:
                counts["destroy"] += 1
        return cls(counts["add"], counts["change"], counts["destroy"], counts["replace"])

    def __str__(self) -> str:
        text = f"+{self.add} ~{self.change} -{self.destroy}"
        return f"{text} ±{self.replace}" if self.replace else text


class Terraform:
    """Terraform commands for one workspace."""

    def __init__(self, toolchain: Toolchain, workspace: Workspace, progress: Progress | None = None):
        self.toolchain = toolchain
        self.ws = workspace
        self.progress = progress or Progress()
        self.env = toolchain.env()
        if workspace.endpoint is not None:
            self.env.update(EMULATOR_CREDENTIALS)
            # A user's profile must never leak into an emulator run.
            for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
                self.env.pop(var, None)

    def run(
        self, step: str, args: Sequence[str], *, ok_codes=(0,), timeout: float = 1800
    ) -> subprocess.CompletedProcess:
        log = self.ws.log_dir / f"{self.ws.root}-{step}.log"
        cmd = [self.toolchain.terraform, *args]
        with self.progress.step(self.ws.root, step):
            try:
                proc = subprocess.run(
                    cmd, cwd=self.ws.dir, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
                )
            except subprocess.TimeoutExpired:
                raise StepFailed(self.ws.root, step, f"timed out after {timeout:.0f}s", None) from None
            log.write_text(f"$ {' '.join(cmd)}\n# cwd {self.ws.dir}\n{proc.stdout}\n{proc.stderr}")
            if proc.returncode not in ok_codes:
                raise StepFailed(self.ws.root, step, first_error(proc.stderr + proc.stdout), log)
        return proc

    def init(self) -> None:
        # readonly: the committed lock file is the contract; a mismatch is an error, not a rewrite.
        self.run("init", ["init", "-input=false", "-no-color", "-reconfigure", "-lockfile=readonly"])

    def validate(self) -> None:
        proc = subprocess.run(
            [self.toolchain.terraform, "validate", "-json", "-no-color"],
            cwd=self.ws.dir, env=self.env, capture_output=True, text=True, check=False,
        )
        if proc.returncode == 0:
            self.progress.say(f"ok {self.ws.root}: validate")
            return
        try:
            diags = json.loads(proc.stdout).get("diagnostics", [])
        except json.JSONDecodeError:
            diags = []
        errors = [d for d in diags if d.get("severity") == "error"]
        if not errors:
            raise StepFailed(self.ws.root, "validate", first_error(proc.stderr + proc.stdout), None)
        first = errors[0]
        rng = first.get("range") or {}
        where = f"{rng.get('filename')}:{rng.get('start', {}).get('line')}: " if rng else ""
        detail = f": {first['detail']}" if first.get("detail") else ""
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise StepFailed(self.ws.root, "validate", f"{where}{first.get('summary')}{detail}{more}", None)

    def plan(self, extra: Sequence[str] = ()) -> PlanSummary:
        self.run("plan", ["plan", "-input=false", "-no-color", f"-out={self.ws.plan_file}", *extra])
        show = self.run("show", ["show", "-json", str(self.ws.plan_file)])
        self.ws.plan_json.write_text(show.stdout)
        return PlanSummary.from_plan_json(json.loads(show.stdout))

    def apply(self, extra: Sequence[str] = ()) -> None:
        self.run("apply", ["apply", "-input=false", "-no-color", "-auto-approve", *extra])

    def destroy(self, extra: Sequence[str] = ()) -> None:
        self.run("destroy", ["destroy", "-input=false", "-no-color", "-auto-approve", *extra])

    def outputs(self) -> dict:
        proc = self.run("output", ["output", "-json"])
        return {name: item.get("value") for name, item in json.loads(proc.stdout or "{}").items()}


def fmt_check(toolchain: Toolchain, path: Path) -> list[str]:
    """Files under path that `terraform fmt` would change (empty when clean)."""
    proc = subprocess.run(
        [toolchain.terraform, "fmt", "-check", "-recursive", "-list=true", "-no-color", str(path)],
        env=toolchain.env(), capture_output=True, text=True, check=False,
    )
    if proc.returncode not in (0, 3):
        raise InfraError(f"{path}: terraform fmt failed: {first_error(proc.stderr + proc.stdout)}")
    return [line for line in proc.stdout.splitlines() if line.strip()]
