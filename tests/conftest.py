"""Fixtures every suite can use: the project, the toolchain, and one emulator for the session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.emulator import manager
from infra.project import REPO_ROOT, Project
from infra.toolchain import load_toolchain


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
