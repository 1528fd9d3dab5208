"""`aws_iam_policy_document` rendering against the AWS provider itself.

A scratch root holds the same data sources the evaluator renders; `terraform plan` (offline: the
provider is told to skip credentials and account look-ups) gives the provider's JSON for each.
"""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

from policy.hcl import load_root

pytestmark = pytest.mark.terraform

PROVIDER = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.100, < 6.0" }
  }
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
}
"""

DOCUMENTS = """
data "aws_iam_policy_document" "lists" {
  statement {
    sid       = "Sorted"
    actions   = ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "s3:GetObject"]
    resources = ["arn:aws:s3:::a/*", "arn:aws:s3:::c/*", "arn:aws:s3:::b/*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]
    }
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "x:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "x:sub"
      values   = ["a", "c", "b"]
    }
    condition {
      test     = "StringLike"
      variable = "x:sub"
      values   = ["c<&>"]
    }
  }
  statement {
    effect        = "Deny"
    not_actions   = ["iam:*"]
    not_resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
  statement {
    actions = ["a:b"]
    not_principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}

data "aws_iam_policy_document" "source" {
  source_policy_documents = [data.aws_iam_policy_document.lists.json]
  policy_id               = "pid"
  statement {
    sid     = "Sorted"
    actions = ["x:y"]
  }
  statement {
    sid     = "Two"
    actions = ["x:z"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "override" {
  override_policy_documents = [
    data.aws_iam_policy_document.source.json,
    jsonencode({ Statement = [
      { Sid = "Two", Effect = "Allow", Action = "q:q", Resource = "*" },
      { Effect = "Allow", Action = ["r:r", "a:a"], Resource = "*", Principal = { Service = "z", AWS = "y" } },
    ] }),
  ]
  statement {
    sid     = "Two"
    actions = ["keep:me"]
  }
  statement {
    actions = ["s:s"]
  }
}

data "aws_iam_policy_document" "dynamic" {
  dynamic "statement" {
    for_each = { read = ["s3:GetObject"], write = ["s3:PutObject", "s3:DeleteObject"] }
    content {
      sid       = title(statement.key)
      actions   = statement.value
      resources = ["arn:aws:s3:::bucket/${statement.key}/*"]
    }
  }
}

data "aws_iam_policy_document" "empty" {}
"""

NAMES = ["lists", "source", "override", "dynamic", "empty"]


@pytest.fixture(scope="module")
def provider_json(toolchain, tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("policy-documents")
    outputs = "".join(
        f'output "{n}" {{\n  value = data.aws_iam_policy_document.{n}.json\n}}\n'
        f'output "{n}_min" {{\n  value = data.aws_iam_policy_document.{n}.minified_json\n}}\n' for n in NAMES
    )
    (root / "main.tf").write_text(textwrap.dedent(PROVIDER) + DOCUMENTS + outputs)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([toolchain.terraform, *args, "-no-color", "-input=false"], cwd=root,
                              env=toolchain.env(), capture_output=True, text=True, timeout=600, check=False)

    proc = run("init", "-backend=false")
    assert proc.returncode == 0, proc.stderr
    proc = run("plan", "-out=plan.bin", "-refresh=false")
    assert proc.returncode == 0, proc.stderr
    shown = subprocess.run([toolchain.terraform, "show", "-json", "plan.bin"], cwd=root, env=toolchain.env(),
                           capture_output=True, text=True, timeout=600, check=True)
    plan = json.loads(shown.stdout)
    return {name: out["value"] for name, out in plan["planned_values"]["outputs"].items()}


@pytest.fixture(scope="module")
def ours(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("policy-documents-hcl")
    (root / "main.tf").write_text(DOCUMENTS)
    return {r.address.split(".")[-1]: r.values for r in load_root(root, "test", repo_root=root)}


@pytest.mark.parametrize("name", NAMES)
def test_policy_json_is_the_providers(provider_json, ours, name):
    assert ours[name]["json"] == provider_json[name]
    assert ours[name]["minified_json"] == provider_json[f"{name}_min"]
