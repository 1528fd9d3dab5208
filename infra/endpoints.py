"""Which AWS endpoint a command talks to: one the user set, the running emulator, or a new one.

The user sets one as the AWS tools do (core.endpoint_settings: `--aws-endpoint URL`, then
INFRA_AWS_ENDPOINT, then AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL / the shared config file,
then LOCALSTACK_HOST), for example a LocalStack they already run. Without any, infra uses the
emulator started by `infra emulator start`, or starts one for the length of the command.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from core.endpoint_settings import PROJECT_ENV, configured_endpoint
from core.errors import InfraError
from core.project import Project
from infra.emulator import manager
from infra.terraform import Progress

ENDPOINT_ENV = PROJECT_ENV


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
    chosen = configured_endpoint(url)
    if chosen is not None:
        check_reachable(chosen)
        yield chosen
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
