"""One real plan per env against the session's emulator, shared by every test in this folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from infra.project import Project
from infra.terraform import Progress, Terraform
from infra.workspace import prepare


@dataclass
class Plan:
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
    work = Project(terraform_dir=project.terraform_dir, state_dir=tmp_path_factory.mktemp("plans"))
    result = {}
    for env in project.envs:
        ws = prepare(work, env, emulator)
        tf = Terraform(toolchain, ws, Progress(quiet=True))
        tf.init()
        tf.plan()
        result[env] = Plan(env, project.tiers["tiers"][env], json.loads(ws.plan_json.read_text()))
    return result


def pytest_generate_tests(metafunc):
    if "env" in metafunc.fixturenames:
        metafunc.parametrize("env", Project.discover().envs)


@pytest.fixture
def plan(plans, env) -> Plan:
    return plans[env]
