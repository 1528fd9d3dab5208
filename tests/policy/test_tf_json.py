"""`.tf.json` files are configuration like `.tf` files: read, evaluated and checked, never skipped.

The whole tree written as JSON (by python-hcl2, an independent parser, and accepted by `terraform
validate`) evaluates to the same resources as the `.tf` tree; a violation written only in JSON
fails the policy; a malformed or unreadable configuration file is one line and exit 2.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_run import assert_one_line_error, infra
from hcl_to_json import convert_tree
from terraform_tree import copy_terraform  # tests/terraform_tree.py

from core.project import REPO_ROOT
from policy.hcl import load_root_result, provider_blocks
from policy.model import Unknown

ENVS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def json_tree(tmp_path_factory) -> Path:
    """A copy of the repository's terraform/ with every `.tf` file replaced by its `.tf.json`."""
    repo = tmp_path_factory.mktemp("json-tree")
    copy_terraform(repo / "terraform")
    assert convert_tree(repo / "terraform") > 40
    assert not list((repo / "terraform").rglob("*.tf"))
    return repo


def _comparable(value):
    if isinstance(value, Unknown):
        return "<unknown>"  # its reason names file positions, which differ between the two syntaxes
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@pytest.mark.parametrize("env", ENVS)
def test_the_tree_written_as_json_evaluates_to_the_same_resources(json_tree, env):
    native = load_root_result(REPO_ROOT / "terraform" / "envs" / env, env, repo_root=REPO_ROOT)
    written = load_root_result(json_tree / "terraform" / "envs" / env, env, repo_root=json_tree)
    assert len(native.resources) > 100
    assert {r.address: (r.type, _comparable(r.values)) for r in written.resources} == \
           {r.address: (r.type, _comparable(r.values)) for r in native.resources}
    assert all(r.file.endswith(".tf.json") and r.line > 1 for r in written.resources)
    assert written.notes == native.notes


@pytest.mark.terraform
def test_terraform_accepts_the_json_tree(json_tree, toolchain, tmp_path):
    """The comparison above means something only if the JSON is configuration Terraform accepts."""
    root = json_tree / "terraform" / "envs" / "dev"
    env = toolchain.env()
    init = subprocess.run([toolchain.terraform, "init", "-backend=false", "-input=false", "-no-color"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=600)
    assert init.returncode == 0, init.stderr
    validate = subprocess.run([toolchain.terraform, "validate", "-json", "-no-color"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=600)
    assert json.loads(validate.stdout)["valid"] is True, validate.stdout


EVIL = {
    "//": "an attacker's file: the same resources in main.tf give blocking findings",
    "resource": {
        "aws_security_group": {"ssh": {
            "name": "evil-ssh", "vpc_id": "${module.platform.vpc_id}",
            "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                         "description": "ssh", "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                         "security_groups": [], "self": False}],
        }},
        "aws_s3_bucket": [{"loot": {"bucket": "evil-loot-${var.environment}"}}],
    },
}


@pytest.fixture
def tree(tmp_path) -> Path:
    copy_terraform(tmp_path / "terraform")
    (tmp_path / ".git").mkdir()
    return tmp_path / "terraform"


def test_a_violation_written_only_in_json_fails_the_policy(tree):
    (tree / "envs" / "dev" / "evil.tf.json").write_text(json.dumps(EVIL, indent=2))
    proc = infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    blocking = [f for f in json.loads(proc.stdout)["findings"] if f["blocking"]]
    where = {(f["rule"], f["resource"], f["file"]) for f in blocking}
    assert ("RPY-SEC-008", "aws_security_group.ssh", "terraform/envs/dev/evil.tf.json") in where
    assert ("RPY-SEC-003", "aws_s3_bucket.loot", "terraform/envs/dev/evil.tf.json") in where


def test_a_json_override_file_changes_what_is_checked(tree):
    """`*_override.tf.json` merges into the resource as Terraform merges it."""
    (tree / "envs" / "dev" / "evil.tf.json").write_text(json.dumps(EVIL))
    override = {"resource": {"aws_security_group": {"ssh": {"ingress": []}}}}
    (tree / "envs" / "dev" / "evil_override.tf.json").write_text(json.dumps(override))
    proc = infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners", "--format", "json")
    ids = {(f["rule"], f["resource"]) for f in json.loads(proc.stdout)["findings"] if f["blocking"]}
    assert ("RPY-SEC-008", "aws_security_group.ssh") not in ids and ("RPY-SEC-003", "aws_s3_bucket.loot") in ids


@pytest.mark.parametrize(("content", "needle"), [
    ("{not json", "evil.tf.json:1:2: expected a property name"),
    ("[]", "evil.tf.json:1:1: a .tf.json file must hold a JSON object, not an array"),
    ('{"resource": {"aws_s3_bucket": {"x": "oops"}}}',
     'evil.tf.json:1:38: a "resource" block must be a JSON object, not a string'),
    ('{"resources": {}}', 'evil.tf.json:1:2: unsupported block type "resources"'),
    ('{"resource": {"aws_s3_bucket": {"x": {"bucket": "a",\n "bucket": "b"}}}}',
     'evil.tf.json:2:2: attribute "bucket"'),
    ('{"locals": {"a": "${"}}', "evil.tf.json:1:1: unclosed ${"),
    ('{"variable": {"v": {"type": "list(("}}}', "expected an expression"),
    ('{"locals": {"a": 1}} x', "extra data after the JSON document"),
    ('{"locals": {"a": NaN}}', "expected a JSON value"),
    ('{"locals": {"a": "\\ud800"}}', "lone surrogate"),
    ('{"locals": {"a": ' + "[" * 400, "nested deeper than 256 levels"),
])
def test_a_malformed_json_file_is_one_line_and_exit_2(tree, content, needle):
    (tree / "envs" / "dev" / "evil.tf.json").write_text(content)
    assert_one_line_error(infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners"), needle)


@pytest.mark.parametrize("name", ["loop.tf", "loop.tf.json"])
def test_an_unreadable_configuration_file_is_an_error_not_skipped(tree, name):
    link = tree / "envs" / "dev" / name
    link.symlink_to(link)  # a link to itself: a loop, as `ln -s loop.tf loop.tf` makes
    assert_one_line_error(infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners"),
                          f"terraform/envs/dev/{name}: cannot read")


def test_editor_backups_and_hidden_files_are_not_configuration(tree):
    """Terraform ignores `.x.tf`, `x.tf~` and `#x.tf#`; so does the policy (no error on their junk)."""
    for name in (".hidden.tf", "main.tf~", "#main.tf#"):
        (tree / "envs" / "dev" / name).write_text("this is not HCL {{{")
    proc = infra("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr


@pytest.mark.terraform
def test_the_block_shapes_are_the_pinned_providers_own(toolchain, tmp_path):
    """policy/data/aws_block_shapes.json is what `terraform providers schema -json` gives today."""
    versions = (REPO_ROOT / "terraform" / "envs" / "dev" / "versions.tf").read_text()
    (tmp_path / "versions.tf").write_text(versions)
    env = toolchain.env()
    init = subprocess.run([toolchain.terraform, "init", "-backend=false", "-input=false", "-no-color"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert init.returncode == 0, init.stderr
    schema = subprocess.run([toolchain.terraform, "providers", "schema", "-json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600, check=True)
    expected = provider_blocks.dump(provider_blocks.build(json.loads(schema.stdout)))
    assert provider_blocks.DATA.read_text() == expected, "regenerate: see policy/hcl/provider_blocks.py"


def test_block_shapes_tell_blocks_from_object_arguments():
    listener = provider_blocks.shape_of("resource", "aws_lb_listener")
    assert "default_action" in listener and "forward" in listener["default_action"]
    assert "tags" not in listener  # an argument of map type, written as a JSON object too
    assert "ingress" not in provider_blocks.shape_of("resource", "aws_security_group")  # attribute-as-blocks
    assert "default_tags" in provider_blocks.shape_of("provider", "aws")
    assert provider_blocks.shape_of("resource", "random_id") is None
