"""Which AWS endpoint a command talks to: one the user names, the running emulator, or a new one.

`--aws-endpoint URL` (or INFRA_AWS_ENDPOINT) points infra at any AWS-compatible endpoint, for
example a LocalStack the user already runs. Without it, infra uses the emulator started by
`infra emulator start`, or starts one for the length of the command.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from core.errors import InfraError
from core.project import Project
from infra.emulator import manager
from infra.terraform import Progress

ENDPOINT_ENV = "INFRA_AWS_ENDPOINT"


def check_reachable(url: str, timeout: float = 5.0) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InfraError(f"AWS endpoint '{url}' is not an http(s) URL")
    try:
        urllib.request.urlopen(url, timeout=timeout).close()
    except urllib.error.HTTPError:
        return  # it answered; an HTTP error status is still an answer
    except (OSError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InfraError(
            f"AWS endpoint {url} is unreachable ({reason}); start one with `infra emulator start`"
        ) from None


@contextmanager
def aws_endpoint(project: Project, url: str | None, progress: Progress) -> Iterator[str]:
    url = url or os.environ.get(ENDPOINT_ENV)
    if url:
        url = url.rstrip("/")
        check_reachable(url)
        yield url
        return
    running = manager.status(project.state_dir)
    if running is not None:
        yield running.endpoint
        return
    with progress.step("emulator", "start (stopped again when this command ends)"):
        try:
            info = manager.start(state_dir=project.state_dir / "ephemeral")
        except manager.EmulatorError as exc:
            raise InfraError(f"cannot start the emulator: {exc}") from None
    try:
        yield info.endpoint
    finally:
        manager.stop(project.state_dir / "ephemeral")
