"""`infra pr-comment`: one pull-request comment per marker, edited in place on every later run.

The body starts with a hidden marker (`<!-- infra:NAME -->`); the comment that starts with it is
updated, else one is created, so a plan or gate report never piles up as a new comment per push.
Talks to GitHub's REST API (GITHUB_API_URL, default https://api.github.com) with GITHUB_TOKEN; the
repository and the pull request come from GITHUB_REPOSITORY and the event (GITHUB_EVENT_PATH).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from core import reading
from core.errors import InfraError

MARKER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")
# GitHub refuses comment bodies over 65536 characters.
MAX_BODY = 65536


@dataclass
class Posted:
    action: str  # "created" or "updated"
    url: str


def marker_line(name: str) -> str:
    if not MARKER.match(name):
        raise InfraError(f"marker '{name}' must be letters, digits, -, _ or . (at most 64)")
    return f"<!-- infra:{name} -->"


def pull_request_number(event_path: str | None) -> int:
    if not event_path:
        raise InfraError("GITHUB_EVENT_PATH is not set: not running in a GitHub Actions job")
    event = reading.read_json(event_path, "GitHub event (GITHUB_EVENT_PATH)")
    if not isinstance(event, dict):
        raise InfraError(f"{event_path}: the GitHub event is not a JSON object")
    number = (event.get("pull_request") or {}).get("number") or (event.get("issue") or {}).get("number")
    if not isinstance(number, int):
        raise InfraError("the event is not a pull request (no pull_request.number)")
    return number


class GitHub:
    def __init__(self, api: str, token: str, repository: str):
        if not token:
            raise InfraError("GITHUB_TOKEN is not set")
        if not re.fullmatch(r"[\w.\-]+/[\w.\-]+", repository or ""):
            raise InfraError(f"GITHUB_REPOSITORY '{repository}' is not owner/name")
        self.api, self.token, self.repository = api.rstrip("/"), token, repository

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[object, dict]:
        request = urllib.request.Request(
            f"{self.api}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null"), dict(response.headers)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:200]
            raise InfraError(f"GitHub {method} {path}: HTTP {exc.code} {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise InfraError(f"GitHub {method} {path}: {getattr(exc, 'reason', exc)}") from None

    def comments(self, number: int) -> list[dict]:
        found, page = [], 1
        while True:
            batch, _ = self.call("GET", f"/repos/{self.repository}/issues/{number}/comments?per_page=100&page={page}")
            if not isinstance(batch, list):
                raise InfraError("GitHub answered the comment list with something else than a list")
            found += batch
            if len(batch) < 100:
                return found
            page += 1


def post(github: GitHub, number: int, marker: str, body: str) -> Posted:
    head = marker_line(marker)
    text = f"{head}\n{body}"
    if len(text) > MAX_BODY:
        note = "\n\n… (cut: the full report is in the run's artifacts)"
        text = text[: MAX_BODY - len(note)] + note
    mine = next((c for c in github.comments(number) if str(c.get("body", "")).startswith(head)), None)
    if mine:
        answer, _ = github.call("PATCH", f"/repos/{github.repository}/issues/comments/{mine['id']}", {"body": text})
        return Posted("updated", str((answer or {}).get("html_url", "")))
    answer, _ = github.call("POST", f"/repos/{github.repository}/issues/{number}/comments", {"body": text})
    return Posted("created", str((answer or {}).get("html_url", "")))


def from_environment(marker: str, body_file: Path) -> Posted:
    body = reading.read_text(body_file, "comment body", kind="data")
    marker_line(marker)
    number = pull_request_number(os.environ.get("GITHUB_EVENT_PATH"))
    github = GitHub(
        os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        os.environ.get("GITHUB_TOKEN", ""),
        os.environ.get("GITHUB_REPOSITORY", ""),
    )
    return post(github, number, marker, body)
