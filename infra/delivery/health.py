"""`infra health`: is the env's service up? Three answers, all required where they exist.

1. The health endpoint answers 2xx: polled with retries, an exponential backoff (capped) and an
   overall deadline. The URL is the service's through its load balancer (Terraform outputs
   `service_url` and `health_check_path`), or `--url`.
2. ECS runs the desired count of tasks.
3. The target group has at least one healthy target, when it reports targets at all (an emulator
   does not register any).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

from core.errors import InfraError
from infra.delivery.target import Target


@dataclass
class Probe:
    name: str
    ok: bool
    detail: str


@dataclass
class Health:
    url: str
    probes: list[Probe] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.probes)

    def reason(self) -> str:
        return "; ".join(f"{p.name}: {p.detail}" for p in self.probes if not p.ok)


def health_url(target: Target, url: str | None) -> str:
    url = url or urljoin(target.out("service_url").rstrip("/") + "/", target.out("health_check_path").lstrip("/"))
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InfraError(f"health URL '{url}' is not an http(s) URL")
    return url


def poll_http(
    url: str,
    *,
    deadline: float,
    attempt_timeout: float,
    backoff: float,
    max_backoff: float,
    say: Callable[[str], None],
    sleep=time.sleep,
    clock=time.monotonic,
) -> Probe:
    """GET until a 2xx answer or the deadline; the probe's detail is the last answer or error."""
    end = clock() + deadline
    wait, attempt, last = backoff, 0, "no attempt"
    while True:
        attempt += 1
        try:
            with urllib.request.urlopen(url, timeout=min(attempt_timeout, max(end - clock(), 0.1))) as resp:
                if 200 <= resp.status < 300:
                    return Probe("http", True, f"{resp.status} after {attempt} attempt(s)")
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        remaining = end - clock()
        if remaining <= 0:
            return Probe("http", False, f"{url}: {last} (gave up after {attempt} attempt(s), {deadline:.0f}s deadline)")
        say(f"   {url}: {last}; retrying in {min(wait, remaining):.1f}s")
        sleep(min(wait, remaining))
        wait = min(wait * 2, max_backoff)


def ecs_probe(target: Target) -> Probe:
    ecs = target.aws.client("ecs")
    services = ecs.describe_services(cluster=target.out("ecs_cluster_name"), services=[target.out("ecs_service_name")])
    if not services["services"]:
        return Probe("ecs", False, f"service {target.out('ecs_service_name')} not found")
    svc = services["services"][0]
    running, desired = svc.get("runningCount", 0), svc.get("desiredCount", 0)
    ok = svc.get("status") == "ACTIVE" and desired > 0 and running >= desired
    return Probe("ecs", ok, f"{running}/{desired} tasks running ({svc.get('status')})")


def target_group_probe(target: Target) -> Probe | None:
    arn = target.outputs.get("target_group_arn")
    if not arn:
        return None
    states = [
        d["TargetHealth"]["State"]
        for d in target.aws.client("elbv2").describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    ]
    if not states:
        return None  # no targets registered (an emulator registers none): nothing to judge
    healthy = states.count("healthy")
    return Probe("targets", healthy > 0, f"{healthy}/{len(states)} targets healthy")


def check(
    target: Target,
    url: str | None,
    *,
    deadline: float,
    attempt_timeout: float = 5.0,
    backoff: float = 1.0,
    max_backoff: float = 10.0,
    say: Callable[[str], None] = print,
) -> Health:
    resolved = health_url(target, url)
    result = Health(resolved)
    result.probes.append(
        poll_http(
            resolved,
            deadline=deadline,
            attempt_timeout=attempt_timeout,
            backoff=backoff,
            max_backoff=max_backoff,
            say=say,
        )
    )
    result.probes.append(ecs_probe(target))
    tg = target_group_probe(target)
    if tg is not None:
        result.probes.append(tg)
    return result
