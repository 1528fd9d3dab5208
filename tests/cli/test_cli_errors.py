"""Every input a user can get wrong ends in one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import pytest
from cli_run import assert_one_line_error, closed_port, infra  # tests/cli_run.py


def test_unknown_env_names_the_valid_ones():
    assert_one_line_error(infra("plan", "--env", "qa"), "unknown environment 'qa'", "dev, staging, prod")


def test_gate_rejects_unknown_env():
    assert_one_line_error(infra("gate", "--env", "production"), "unknown environment 'production'")


def test_missing_terraform_binary(tmp_path):
    proc = infra("plan", "--env", "dev", env={"TERRAFORM": str(tmp_path / "no-terraform")})
    assert_one_line_error(proc, "terraform not found")


def test_terraform_too_old(tmp_path):
    fake = tmp_path / "terraform"
    fake.write_text("#!/bin/sh\necho 'Terraform v1.5.7'\n")
    fake.chmod(0o755)
    assert_one_line_error(infra("toolchain", env={"TERRAFORM": str(fake)}), "1.5.7 is too old")


def test_unreachable_endpoint():
    url = f"http://127.0.0.1:{closed_port()}"
    assert_one_line_error(infra("plan", "--env", "dev", "--aws-endpoint", url), f"AWS endpoint {url} is unreachable")


def test_endpoint_that_is_not_a_url():
    assert_one_line_error(infra("plan", "--env", "dev", "--aws-endpoint", "localhost:4566"), "not an http(s) URL")


def test_bad_provider_mirror_setting(tmp_path):
    assert_one_line_error(infra("toolchain", env={"TF_PROVIDER_MIRROR": str(tmp_path)}), "TF_PROVIDER_MIRROR")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('project = "rupaya"\nenvironment = \n', "terraform.tfvars:2:15: expected an expression"),
        ('project = "rupaya"\nenviron = "dev"\n', "environ: not declared as a variable"),
        ('resource "aws_s3_bucket" "x" {}\n', 'blocks are not allowed in a .tfvars file ("resource")'),
        ("\x00\xff\xfe", "holds a NUL character"),
    ],
    ids=["syntax", "undeclared-name", "block-in-tfvars", "binary"],
)
def test_malformed_tfvars(terraform_copy, text, needle):
    (terraform_copy / "envs" / "dev" / "terraform.tfvars").write_text(text)
    proc = infra("plan", "--env", "dev", env={"INFRA_TERRAFORM_DIR": str(terraform_copy)})
    assert_one_line_error(proc, needle)


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda s: s.replace("tiers:", "tiers: [", 1), "not valid YAML"),
        (lambda s: s.replace("cpu: 512", "cpu: lots", 1), "tiers.dev.service.cpu: 'lots' is not of type 'integer'"),
        (lambda s: s.replace("min_tasks: 3", "min_tasks: 12", 1), "min_tasks 12 > max_tasks 10"),
        (lambda s: s.replace("az_count: 2", "", 1), "'az_count' is a required property"),
        (lambda s: "", "(top level): None is not of type 'object'"),
    ],
    ids=["yaml-syntax", "wrong-type", "min-above-max", "missing-key", "empty"],
)
def test_malformed_tier_file(terraform_copy, edit, needle):
    tiers = terraform_copy / "tiers.yaml"
    tiers.write_text(edit(tiers.read_text()))
    proc = infra("gate", "--env", "dev", env={"INFRA_TERRAFORM_DIR": str(terraform_copy)})
    assert_one_line_error(proc, "tiers.yaml", needle)


def test_terraform_dir_without_tiers(tmp_path):
    assert_one_line_error(infra("--terraform-dir", str(tmp_path), "plan", "--env", "dev"), "no tiers.yaml")


def test_missing_env_root(terraform_copy):
    import shutil

    shutil.rmtree(terraform_copy / "envs" / "staging")
    proc = infra("plan", "--env", "staging", env={"INFRA_TERRAFORM_DIR": str(terraform_copy)})
    assert_one_line_error(proc, "Terraform root for 'staging' is missing")


def test_unknown_option_is_a_usage_error():
    proc = infra("plan", "--envv", "dev")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
