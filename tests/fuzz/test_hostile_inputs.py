"""Every file and string an `infra` entry point reads, fuzzed: the exit code is 0, 1 or 2, nothing
escapes as a traceback, exit 2 is one line, and nothing hangs (pytest-timeout's ceiling).

The default run tries INFRA_FUZZ_EXAMPLES cases per entry point (25); `make fuzz` runs 2,000 each.
A failing case that hypothesis finds belongs in tests/fuzz/corpus/ (see test_corpus.py), where it
is replayed on every run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hostile import ARG, assert_kept, hostile_bytes, run, special_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from terraform_tree import copy_terraform  # tests/terraform_tree.py

from core.errors import InputError
from core.project import REPO_ROOT
from policy.scanners import suppressions

EXAMPLES = int(os.environ.get("INFRA_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])

pytestmark = pytest.mark.timeout(max(600, EXAMPLES * 6))

DEV = REPO_ROOT / "terraform" / "envs" / "dev"


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the Terraform tree (and a repository marker) the fuzz may break and restore."""
    repo = tmp_path_factory.mktemp("fuzz-tree")
    copy_terraform(repo / "terraform")
    (repo / ".git").mkdir()
    return repo / "terraform"


def _seed(path: Path) -> bytes:
    return path.read_bytes() if path.is_file() else b"{}"


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# A small plan in the shape `terraform show -json` gives, for the mutations to start from.
PLAN_SEED = json.dumps({
    "format_version": "1.2", "terraform_version": "1.11.0",
    "planned_values": {"root_module": {"child_modules": [{"address": "module.platform", "resources": [{
        "address": "module.platform.aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
        "values": {"bucket": "rupaya-dev-logs", "tags": {"Environment": "dev"}}}]}]}},
    "resource_changes": [{"address": "module.platform.aws_s3_bucket.logs", "module_address": "module.platform",
                          "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
                          "change": {"actions": ["create"], "before": None, "after": {"bucket": "rupaya-dev-logs"},
                                     "after_unknown": {"arn": True}, "after_sensitive": {}}}],
    "configuration": {"root_module": {}},
}, indent=1).encode()


@FUZZ
@given(data=st.data())
def test_plan_json(work, data):
    source = data.draw(st.one_of(hostile_bytes(PLAN_SEED).map(lambda b: ("bytes", b)),
                                 special_path(work).map(lambda p: ("path", p))))
    path = _write(work / "plan.json", source[1]) if source[0] == "bytes" else source[1]
    command = data.draw(st.sampled_from([
        ("cost", "--env", "dev", "--plan", path),
        ("plan-review", "redact", "--plan", path, "--redacted", str(work / "r.json"),
         "--fingerprint", str(work / "f.txt")),
    ]))
    assert_kept(run(*command))


@FUZZ
@given(data=st.data())
def test_plan_json_through_the_policy(work, data):
    source = data.draw(hostile_bytes(PLAN_SEED))
    assert_kept(run("policy", "--env", "dev", "--no-scanners", "--plan", _write(work / "plan.json", source)))


@FUZZ
@given(content=hostile_bytes(b'{"env": "dev", "started_at": "2026-01-01T00:00:00Z", "steps": []}'))
def test_deployment_record(work, content):
    assert_kept(run("summary", "--env", "dev", "--record", _write(work / "record.json", content)))


@FUZZ
@given(content=hostile_bytes((REPO_ROOT / "terraform" / "tiers.yaml").read_bytes()[:4000], yaml=True))
def test_tiers_file(tree, content):
    tiers = tree / "tiers.yaml"
    original = tiers.read_bytes()
    try:
        tiers.write_bytes(content)
        assert_kept(run("--terraform-dir", str(tree), "tiers"))
    finally:
        tiers.write_bytes(original)


@FUZZ
@given(content=hostile_bytes((REPO_ROOT / "policy" / "suppressions.yaml").read_bytes(), yaml=True))
def test_suppressions_file(work, content):
    """The suppressions file has no CLI path of its own (it is the repository's); its reader is the entry."""
    path = work / "suppressions.yaml"
    path.write_bytes(content)
    try:
        suppressions.load(path, repo_root=work)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc)


@FUZZ
@given(content=hostile_bytes((DEV / "terraform.tfvars").read_bytes()))
def test_tfvars(tree, content):
    tfvars = tree / "envs" / "dev" / "terraform.tfvars"
    original = tfvars.read_bytes()
    try:
        tfvars.write_bytes(content)
        assert_kept(run("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners"))
    finally:
        tfvars.write_bytes(original)


TF_JSON_SEED = b"""{"resource": {"aws_s3_bucket": {"b": {"bucket": "${var.project}-x", "tags": {"a": "b"},
 "lifecycle": {"prevent_destroy": true}}}, "aws_lb_listener": {"l": {"load_balancer_arn": "x", "port": 80,
 "default_action": [{"type": "forward", "forward": {"target_group": [{"arn": "y"}]}}]}}},
 "variable": {"v": {"type": "list(string)", "default": ["a"]}}, "locals": {"l": "${var.v[0]}"}}"""


@FUZZ
@given(content=hostile_bytes(TF_JSON_SEED))
def test_tf_json_file(tree, content):
    extra = tree / "envs" / "dev" / "fuzz.tf.json"
    try:
        extra.write_bytes(content)
        assert_kept(run("--terraform-dir", str(tree), "policy", "--env", "dev", "--no-scanners"))
    finally:
        extra.unlink(missing_ok=True)


@FUZZ
@given(event=st.one_of(st.sampled_from(["push", "pull_request", "workflow_dispatch", "create"]), ARG),
       ref=ARG, base=ARG, pairs=st.lists(st.tuples(ARG, ARG), max_size=2))
def test_detect_env(event, ref, base, pairs):
    inputs = [arg for name, value in pairs for arg in ("--input", f"{name}={value}")]
    assert_kept(run("detect-env", "--event", event, "--ref", ref, "--base-ref", base, *inputs))


@FUZZ
@given(event=st.sampled_from(["push", "pull_request", "workflow_dispatch", "create"]), ref=ARG, base=ARG,
       changed=st.lists(ARG, max_size=3))
def test_workflows_which(event, ref, base, changed):
    args = [arg for path in changed for arg in ("--changed", path)]
    assert_kept(run("workflows", "which", "--event", event, "--ref", ref, "--base", base, *args))


@FUZZ
@given(url=st.one_of(ARG, st.builds(lambda a, b: f"postgresql://{a}@127.0.0.1:1/{b}", ARG, ARG),
                     st.sampled_from(["postgresql://", "postgresql://[::1", "host=", "port=x", "a b c",
                                      "postgresql://u:p@127.0.0.1:99999999/d", "postgresql://127.0.0.1:1/d?sslmode=nope",
                                      "postgresql://.", "postgresql://" + "a" * 64 + "/d"])))
def test_database_url(work, url):
    migrations = work / "migrations"
    migrations.mkdir(exist_ok=True)
    assert_kept(run("migrate", "--env", "dev", "--database-url", url, "--migrations", str(migrations)))


@FUZZ
@given(sql=hostile_bytes(b"CREATE TABLE t (id int);\n"), name=st.sampled_from(["0001_a.sql", "0002_b.sql"]))
def test_migration_files(work, sql, name):
    migrations = work / "migrations-files"
    shutil.rmtree(migrations, ignore_errors=True)
    migrations.mkdir()
    (migrations / name).write_bytes(sql)
    assert_kept(run("migrate", "--env", "dev", "--database-url", "postgresql://u@127.0.0.1:1/d", "--dry-run",
                    "--migrations", str(migrations)))


@FUZZ
@given(name=ARG, outputs=hostile_bytes(b'{"environment": {"value": "dev"}}'))
def test_flag_names_and_outputs(work, name, outputs):
    path = _write(work / "outputs.json", outputs)
    assert_kept(run("flags", "enable", name, "--env", "dev", "--outputs", path, "--aws-endpoint",
                    "http://127.0.0.1:1"))
