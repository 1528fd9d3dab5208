"""The scripts the workflows call (scripts/ci), run for real with bash: their refusals and clean skips.
What they drive (terraform, infra, docker, npm) is tested elsewhere; here, that they stop on bad
input before doing anything, and skip cleanly in a repository without an application."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from core.project import REPO_ROOT
from core.tiers import load_tiers

SCRIPTS = REPO_ROOT / "scripts" / "ci"


def run(script: str, cwd, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(["bash", str(SCRIPTS / script), *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(("env", "args", "message"), [
    ({}, ("plan",), "ENVIRONMENT is not set"),
    ({"ENVIRONMENT": "qa"}, ("plan",), "unknown environment 'qa'"),
    ({"ENVIRONMENT": "dev"}, ("plan",), "TF_STATE_BUCKET is not set"),
])
def test_terraform_script_refuses_a_bad_environment(tmp_path, env, args, message):
    proc = run("terraform.sh", tmp_path, *args, **env)
    assert proc.returncode != 0 and message in proc.stderr


def test_terraform_script_never_applies_without_the_reviewed_plan_file(tmp_path):
    (tmp_path / "terraform" / "envs" / "dev").mkdir(parents=True)
    (tmp_path / ".venv").symlink_to(REPO_ROOT / ".venv")
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "terraform").write_text("#!/bin/sh\necho \"terraform $*\" >> \"$LOG\"\n")
    (stub / "terraform").chmod(0o755)
    log = tmp_path / "calls.log"
    env = {"ENVIRONMENT": "dev", "LOG": str(log), "PATH": f"{stub}:{os.environ['PATH']}",
           "TF_STATE_BUCKET": "rupaya-terraform-state-123456789012"}
    proc = run("terraform.sh", tmp_path, "apply", **env)
    assert proc.returncode == 2 and "no reviewed plan at terraform/envs/dev/plan.fingerprint" in proc.stderr
    assert "apply" not in log.read_text()  # init ran, apply never did
    log.write_text("")
    usage = run("terraform.sh", tmp_path, "destroy", **env)
    assert usage.returncode == 2 and "usage: terraform.sh plan|apply|outputs" in usage.stderr
    assert log.read_text() == ""  # refused before terraform ran at all


def test_terraform_script_reports_missing_operator_inputs_before_terraform_runs(tmp_path):
    """The committed prod root has no alarm_email, domain or zone (no placeholders): one line, exit 2,
    before init; with them given as TF_VAR_*, the script goes on to terraform."""
    (tmp_path / "terraform" / "envs" / "prod").mkdir(parents=True)
    (tmp_path / ".venv").symlink_to(REPO_ROOT / ".venv")
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "terraform").write_text("#!/bin/sh\necho \"terraform $*\" >> \"$LOG\"\nexit 3\n")
    (stub / "terraform").chmod(0o755)
    log = tmp_path / "calls.log"
    env = {"ENVIRONMENT": "prod", "LOG": str(log), "PATH": f"{stub}:{os.environ['PATH']}",
           "TF_STATE_BUCKET": "rupaya-terraform-state-123456789012"}
    proc = run("terraform.sh", tmp_path, "plan", **env)
    assert proc.returncode == 2 and not log.exists(), proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "prod: operator inputs missing: alarm_email; domain_name and hosted_zone_id, or certificate_arn" in line
    given = run("terraform.sh", tmp_path, "plan", **env, TF_VAR_alarm_email="oncall@acme-corp.com",
                TF_VAR_certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc")
    assert given.returncode == 3 and "terraform -chdir=terraform/envs/prod init" in log.read_text(), given.stderr


def _plan(address: str, after: dict) -> str:
    change = {"address": address, "mode": "managed", "type": "aws_s3_bucket", "name": "b",
              "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": {},
                         "before_sensitive": False, "after_sensitive": {"secret": True}}}
    return json.dumps({"format_version": "1.2", "resource_changes": [change]})


def test_apply_applies_only_the_reviewed_changes(tmp_path):
    """plan hands on a redacted plan and a fingerprint; apply plans again and applies only when that plan
    makes exactly the fingerprinted changes. terraform is a stand-in that answers `show -json` with the
    JSON in $SHOW; `infra plan-review` is the real one."""
    root = tmp_path / "terraform" / "envs" / "dev"
    root.mkdir(parents=True)
    (tmp_path / ".venv").symlink_to(REPO_ROOT / ".venv")
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "terraform").write_text('#!/bin/sh\necho "terraform $*" >> "$LOG"\n'
                                    'case "$*" in *"show -json"*) cat "$SHOW";; esac\n')
    (stub / "terraform").chmod(0o755)
    log, show = tmp_path / "calls.log", tmp_path / "show.json"
    env = {"ENVIRONMENT": "dev", "LOG": str(log), "SHOW": str(show), "PATH": f"{stub}:{os.environ['PATH']}",
           "TF_STATE_BUCKET": "rupaya-terraform-state-123456789012"}
    show.write_text(_plan("aws_s3_bucket.b", {"bucket": "b", "secret": "hunter2"}))
    planned = run("terraform.sh", tmp_path, "plan", **env)
    assert "init -input=false -backend-config=bucket=rupaya-terraform-state-123456789012" in log.read_text()
    assert planned.returncode == 0, planned.stderr
    assert "-lock=false" in log.read_text()  # the read-only plan role cannot write a lock
    redacted = (root / "plan.redacted.json").read_text()
    assert "hunter2" not in redacted and "(sensitive)" in redacted
    fingerprint = (root / "plan.fingerprint").read_text()
    assert "hunter2" not in fingerprint

    log.write_text("")
    # A sensitive value is not in the fingerprint (a hash of it would let anyone holding the artifact
    # test guesses); the reviewer never saw it either. Everything else is.
    show.write_text(_plan("aws_s3_bucket.b", {"bucket": "b", "secret": "another"}))
    same = run("terraform.sh", tmp_path, "plan", **env)
    assert same.returncode == 0 and (root / "plan.fingerprint").read_text() == fingerprint, same.stderr

    log.write_text("")
    show.write_text(_plan("aws_s3_bucket.b", {"bucket": "b-renamed", "secret": "hunter2"}))  # another run applied
    stale = run("terraform.sh", tmp_path, "apply", **env)
    assert stale.returncode == 1 and "no longer the reviewed one" in stale.stderr
    assert "apply -input=false" not in log.read_text()  # planned again under the lock, applied nothing
    assert "-lock-timeout=5m -out=apply.tfplan" in log.read_text()

    show.write_text(_plan("aws_s3_bucket.b", {"bucket": "b", "secret": "hunter2"}))
    applied = run("terraform.sh", tmp_path, "apply", **env)
    assert applied.returncode == 0, applied.stderr
    assert "apply -input=false -lock-timeout=5m apply.tfplan" in log.read_text()


@pytest.mark.parametrize(("roles", "message"), [
    ("", "has no plan role for prod"),
    ('{"dev": "arn:aws:iam::1:role/p"}', "has no plan role for prod"),
    ("{x", "is not JSON"),
    ('{"prod": "not-an-arn"}', "has no plan role for prod"),
])
def test_plan_role_script_refuses_a_missing_or_malformed_variable(tmp_path, roles, message):
    proc = run("plan-role.sh", tmp_path, ENVIRONMENT="prod", PLAN_ROLES=roles)
    assert proc.returncode == 1 and message in proc.stderr


def test_plan_role_script_writes_the_env_role(tmp_path):
    out = tmp_path / "github_output"
    proc = run("plan-role.sh", tmp_path, ENVIRONMENT="prod", GITHUB_OUTPUT=str(out),
               PLAN_ROLES='{"prod": "arn:aws:iam::123456789012:role/rupaya-plan-prod"}')
    assert proc.returncode == 0 and out.read_text() == "arn=arn:aws:iam::123456789012:role/rupaya-plan-prod\n"


def test_superseded_script_warns_in_the_annotations_and_the_summary(tmp_path):
    summary = tmp_path / "summary.md"
    proc = run("superseded.sh", tmp_path, ENVIRONMENT="prod", RESULT="cancelled", GITHUB_STEP_SUMMARY=str(summary))
    assert proc.returncode == 0 and proc.stdout.startswith("::warning title=Deployment superseded::")
    assert "Deployment to prod superseded" in summary.read_text()


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


def test_build_script_builds_for_the_platforms_the_tiers_run_on(tmp_path):
    (tmp_path / ".venv").symlink_to(REPO_ROOT / ".venv")
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "Dockerfile").write_text("FROM scratch\n")
    outputs = {"platform": {"value": {"ecr_repository_url": "1.dkr.ecr/x", "ecr_repository_name": "x"}}}
    (tmp_path / "x.json").write_text(json.dumps(outputs))
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "aws").write_text("#!/bin/sh\necho None\n")  # the tag is not in the registry yet
    (stub / "docker").write_text(
        "#!/bin/sh\necho \"docker $*\" >> \"$LOG\"\n"
        "echo '{\"containerimage.digest\": \"sha256:abc\"}' > /tmp/build-metadata.json\n")
    for tool in ("aws", "docker"):
        (stub / tool).chmod(0o755)
    log, out = tmp_path / "log", tmp_path / "github_output"
    proc = run("build-image.sh", tmp_path, BACKEND="backend", OUTPUTS="x.json", GITHUB_SHA="a" * 40,
               GITHUB_OUTPUT=str(out), LOG=str(log), PATH=f"{stub}:{os.environ['PATH']}")
    assert proc.returncode == 0, proc.stderr
    tiers = load_tiers(REPO_ROOT / "terraform" / "tiers.yaml")
    arches = {tier["service"]["cpu_architecture"] for tier in tiers["tiers"].values()}
    expected = ",".join(sorted({"ARM64": "linux/arm64", "X86_64": "linux/amd64"}[a] for a in arches))
    assert f"--platform {expected} " in log.read_text()
    assert out.read_text() == "digest=sha256:abc\n"
