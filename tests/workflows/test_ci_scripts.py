"""The scripts the workflows call (scripts/ci), run for real with bash: their refusals and clean skips.
What they drive (terraform, infra, docker, npm) is tested elsewhere; here, that they stop on bad
input before doing anything, and skip cleanly in a repository without an application."""

from __future__ import annotations

import os
import subprocess

import pytest

from infra.project import REPO_ROOT

SCRIPTS = REPO_ROOT / "scripts" / "ci"


def run(script: str, cwd, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(["bash", str(SCRIPTS / script), *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(("env", "args", "message"), [
    ({}, ("plan",), "ENVIRONMENT is not set"),
    ({"ENVIRONMENT": "qa"}, ("plan",), "unknown environment 'qa'"),
])
def test_terraform_script_refuses_a_bad_environment(tmp_path, env, args, message):
    proc = run("terraform.sh", tmp_path, *args, **env)
    assert proc.returncode != 0 and message in proc.stderr


def test_terraform_script_never_applies_without_the_reviewed_plan_file(tmp_path):
    (tmp_path / "terraform" / "envs" / "dev").mkdir(parents=True)
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "terraform").write_text("#!/bin/sh\necho \"terraform $*\" >> \"$LOG\"\n")
    (stub / "terraform").chmod(0o755)
    log = tmp_path / "calls.log"
    env = {"ENVIRONMENT": "dev", "LOG": str(log), "PATH": f"{stub}:{os.environ['PATH']}"}
    proc = run("terraform.sh", tmp_path, "apply", **env)
    assert proc.returncode == 2 and "no reviewed plan file" in proc.stderr
    assert "apply" not in log.read_text()  # init ran, apply never did
    log.write_text("")
    usage = run("terraform.sh", tmp_path, "destroy", **env)
    assert usage.returncode == 2 and "usage: terraform.sh plan|apply|outputs" in usage.stderr
    assert log.read_text() == ""  # refused before terraform ran at all


@pytest.mark.parametrize(("script", "env", "expected"), [
    ("backend-checks.sh", {"BACKEND": "backend"}, "no backend/package.json: no application checks here"),
    ("e2e.sh", {"BACKEND": "backend", "ENVIRONMENT": "dev"}, "no backend/package.json: no end-to-end tests here"),
])
def test_application_steps_skip_cleanly_without_an_application(tmp_path, script, env, expected):
    proc = run(script, tmp_path, **env)
    assert proc.returncode == 0 and expected in proc.stdout


def test_build_script_skips_without_a_dockerfile_and_says_so_in_its_output(tmp_path):
    out = tmp_path / "github_output"
    proc = run("build-image.sh", tmp_path, BACKEND="backend", OUTPUTS="x.json", GITHUB_SHA="a" * 40,
               GITHUB_OUTPUT=str(out))
    assert proc.returncode == 0 and "no backend/Dockerfile" in proc.stdout
    assert out.read_text() == "digest=\n"  # the deploy then skips: there is no image


@pytest.mark.parametrize(("env", "message"), [
    ({"ENVIRONMENT": "dev", "ACTION": "enable"}, "a flag name is needed"),
    ({"ENVIRONMENT": "dev", "ACTION": "canary", "FLAG": "x"}, "--percent is needed"),
    ({"ENVIRONMENT": "dev", "ACTION": "ab", "FLAG": "x"}, "variants are needed"),
    ({"ENVIRONMENT": "dev", "ACTION": "delete", "FLAG": "x"}, "unknown action 'delete'"),
])
def test_flags_script_refuses_incomplete_dispatch_inputs(tmp_path, env, message):
    proc = run("flags.sh", tmp_path, **env)
    assert proc.returncode != 0 and message in proc.stderr
