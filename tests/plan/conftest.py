"""The plan suite: each test runs once per env on that env's plan (the `plans` fixture is in
tests/conftest.py, shared with the policy suite)."""

from __future__ import annotations

import pytest

from core.project import Project


def pytest_generate_tests(metafunc):
    if "env" in metafunc.fixturenames:
        metafunc.parametrize("env", Project.discover().envs)


@pytest.fixture
def plan(plans, env):
    return plans[env]
