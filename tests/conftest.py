"""Fixtures every suite can use: the project, the toolchain, one emulator and one plan per env for the session."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ecr_images import push
from terraform_tree import copy_terraform

from core.aws import AwsSession
from core.endpoint_settings import configured_endpoint
from core.project import BOOTSTRAP, REPO_ROOT, Project
from infra.emulator import manager
from infra.endpoints import ENDPOINT_ENV, check_reachable
from infra.stack import Stack, applied
from infra.terraform import Progress, Terraform
from infra.toolchain import load_toolchain
from infra.workspace import prepare

# On GitHub Actions `infra policy` and `infra gate` choose the github format by themselves; the suite
# asserts what a terminal gets unless a test asks for that format (tests/policy/test_github_annotations.py).
os.environ.pop("GITHUB_ACTIONS", None)

# Terraform and its AWS provider are Go programs that build the provider's whole schema (some 1,500
# resource types) in every process: with Go's default GOGC=100 much of that is garbage collection.
# At 400 a `terraform test` of a module takes 30% less CPU and a plan 18% less, for about 0.1 GiB more
# memory a process (measured on the network module and dev's plan). The suite is CPU-bound on two cores.
# A GOGC the caller set wins.
os.environ.setdefault("GOGC", "400")

# A test that uses any of these applies a whole env: it belongs to the `apply` lane (see the Makefile).
APPLYING_FIXTURES = {"live", "live_stacks", "terraform_env"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if APPLYING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.apply)
    # A test that destroys a shared `live` stack runs after every test that uses it.
    last = [item for item in items if item.get_closest_marker("destroys_live")]
    if last:
        items[:] = [item for item in items if not item.get_closest_marker("destroys_live")] + last


def pytest_addoption(parser):
    parser.addoption(
        "--real-aws",
        action="store_true",
        help="apply the live suites to AWS itself with the environment's credentials (make test-aws; "
        "tests/aws_lane.py checks the credentials first)",
    )
    parser.addoption(
        "--aws-endpoint",
        default=os.environ.get(ENDPOINT_ENV),
        help=f"AWS-compatible endpoint for the apply and LocalStack suites instead of the embedded emulator "
        f"(env: {ENDPOINT_ENV}), e.g. a LocalStack you already run",
    )


@pytest.fixture(scope="session")
def project() -> Project:
    return Project.discover(REPO_ROOT / "terraform")


@pytest.fixture(scope="session")
def toolchain(project):
    return load_toolchain(project.state_dir)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> str:
    """The patched moto server on a free loopback port for the whole session; always stopped."""
    with manager.running(state_dir=tmp_path_factory.mktemp("emulator")) as info:
        yield info.endpoint


@pytest.fixture(scope="session")
def aws_endpoint(request) -> str:
    """The endpoint the apply suites use: the one the user set (--aws-endpoint, INFRA_AWS_ENDPOINT,
    AWS_ENDPOINT_URL..., LOCALSTACK_HOST: core.endpoint_settings), checked to answer; else the emulator."""
    url = configured_endpoint(request.config.getoption("--aws-endpoint"))
    if url is not None:
        check_reachable(url)
        return url
    return request.getfixturevalue("emulator")


@pytest.fixture
def terraform_copy(tmp_path) -> Path:
    """A private copy of the Terraform tree that a test may break."""
    return copy_terraform(tmp_path / "terraform")


@dataclass
class Plan:
    """One env's real plan (terraform show -json) beside its row of tiers.yaml."""

    env: str
    tier: dict
    data: dict
    changes: list[dict] = field(init=False)

    def __post_init__(self):
        self.changes = [c for c in self.data["resource_changes"] if c["mode"] == "managed"]

    def of_type(self, rtype: str) -> list[dict]:
        return [c["change"]["after"] for c in self.changes if c["type"] == rtype]

    def one(self, rtype: str) -> dict:
        found = self.of_type(rtype)
        assert len(found) == 1, f"{self.env}: expected one {rtype}, found {len(found)}"
        return found[0]

    def unknown(self, rtype: str) -> list[dict]:
        return [c["change"]["after_unknown"] for c in self.changes if c["type"] == rtype]


@pytest.fixture(scope="session")
def plans(project, toolchain, emulator, tmp_path_factory) -> dict[str, Plan]:
    """One real plan per env against the session's emulator, made once and shared by every suite."""
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path_factory.mktemp("plans"))
    result = {}
    for env in project.envs:
        ws = prepare(work, env, emulator)
        tf = Terraform(toolchain, ws, Progress(quiet=True))
        tf.init()
        tf.plan()
        result[env] = Plan(env, project.tiers["tiers"][env], json.loads(ws.plan_json.read_text()))
    return result


@pytest.fixture(scope="session")
def bootstrap_plan(project, toolchain, emulator, tmp_path_factory) -> Path:
    """The bootstrap root's plan JSON against the session's emulator, made once for the suites that read it."""
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path_factory.mktemp("bootstrap-plan"))
    ws = prepare(work, BOOTSTRAP, emulator)
    tf = Terraform(toolchain, ws, Progress(quiet=True))
    tf.init()
    tf.plan()
    return ws.plan_json


@dataclass
class AppliedEnv:
    """What `terraform_env` yields: the root's outputs, boto3 clients bound to the endpoint, the stack."""

    env: str
    outputs: dict
    aws: AwsSession
    stack: Stack
    first_release: FirstRelease | None = None  # set by `live_stacks`, which releases every env it applies

    def client(self, service: str):
        return self.aws.client(service)

    def service_and_target(self) -> dict:
        """The ECS service and its scaling target as AWS describes them now."""
        cluster, name = self.outputs["ecs_cluster_name"], self.outputs["ecs_service_name"]
        (service,) = self.client("ecs").describe_services(cluster=cluster, services=[name])["services"]
        (target,) = self.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{name}"])["ScalableTargets"]
        return {"service": service, "target": target}


@dataclass
class FirstRelease:
    """The env's first `infra deploy`: what the apply left, the image released, what the deploy left."""

    before: dict
    image: str
    after: dict


def release_first(live: AppliedEnv) -> FirstRelease:
    """Push an image (a manifest-only stand-in) into the env's registry and deploy it, as CI's first run does."""
    from infra.delivery.ecs import deploy
    from infra.delivery.target import Target

    before = live.service_and_target()
    digest = push(live.client("ecr"), live.outputs["ecr_repository_name"], "first-release", f"first-{live.env}")
    image = f"{live.outputs['ecr_repository_url']}@{digest}"
    deploy(Target(live.env, live.outputs, live.aws, "the live stack's outputs"), image,
           timeout=300, poll=0.2, say=lambda _line: None)
    return FirstRelease(before, image, live.service_and_target())


@pytest.fixture(scope="session")
def terraform_env(project, toolchain, request, tmp_path_factory):
    """`with terraform_env("dev") as live:` applies the root to an endpoint and always destroys it.

    The root is applied from a private work copy (its own state dir) to a private emulator, so no
    two stacks share names or leftovers (with --aws-endpoint, to that endpoint). On leaving the
    block it is destroyed, even when the apply or the test failed, and the account is searched for
    anything still tagged as the root's. A leftover, or a failed destroy, fails the test with the
    names and the path of the kept state file. `terraform_dir` applies a (broken) copy of the tree.
    """
    given = configured_endpoint(request.config.getoption("--aws-endpoint"))  # the one order (EMULATOR.md)
    real_aws = request.config.getoption("--real-aws")
    if real_aws and given:
        raise pytest.UsageError(f"--real-aws and an endpoint ({given.source}) are exclusive: AWS itself, or "
                                "another endpoint")

    @contextmanager
    def make(env: str, *, terraform_dir: Path | None = None, apply_extra: tuple[str, ...] = ()) -> Iterator[AppliedEnv]:
        work = Project(terraform_dir=terraform_dir or project.terraform_dir,
                       state_dir=tmp_path_factory.mktemp(f"stack-{env}"))
        with ExitStack() as cleanup:
            if real_aws:
                endpoint = None  # AWS itself: the caller's credentials; destroyed and inventoried all the same
            elif given:
                endpoint = given
                check_reachable(endpoint)
            else:
                endpoint = cleanup.enter_context(manager.running(state_dir=work.state_dir / "emulator")).endpoint
            stack = Stack(work, toolchain, env, endpoint, Progress())
            with applied(stack, apply_extra) as done:
                yield AppliedEnv(env, done.outputs(), done.aws, done)

    return make


@pytest.fixture(scope="session")
def live_stacks(terraform_env):
    """env -> AppliedEnv: each env applied and released (its first deploy) on first use, once for the
    session, destroyed at its end."""
    with ExitStack() as stacks:
        applied_envs: dict[str, AppliedEnv] = {}

        def get(env: str) -> AppliedEnv:
            if env not in applied_envs:
                live = stacks.enter_context(terraform_env(env))
                # The apply leaves the service waiting for its first release; the suites test a released env.
                if live.stack.endpoint is not None:  # AWS itself would need an image that really runs
                    live.first_release = release_first(live)
                applied_envs[env] = live
            return applied_envs[env]

        yield get


@pytest.fixture
def live(request, live_stacks) -> AppliedEnv:
    """An env applied for every test that asks for it, across modules; parametrize it indirectly with
    the env: `metafunc.parametrize("live", ["dev"], indirect=True)`. Each env has its own emulator,
    so envs may be up at the same time; all are destroyed, and checked for leftovers, at the end."""
    return live_stacks(request.param)
