"""Fixtures every suite can use: the project, the toolchain, one emulator and one plan per env for the session."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infra.emulator import manager
from infra.project import REPO_ROOT, Project
from infra.terraform import Progress, Terraform
from infra.toolchain import load_toolchain
from infra.workspace import prepare


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


@pytest.fixture
def terraform_copy(tmp_path) -> Path:
    """A private copy of the Terraform tree that a test may break."""
    dst = tmp_path / "terraform"
    shutil.copytree(REPO_ROOT / "terraform", dst, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    return dst


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
