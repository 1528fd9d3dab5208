"""Break one policy in a copy of the Terraform tree: `infra policy` must exit 1, name the rule and the
resource in its JSON, and say how to fix it in its text. Each break is checked twice: on the HCL
alone, and on the real plan JSON of the broken copy (planned against the emulator).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from terraform_tree import copy_terraform

from core.project import Project
from infra.cli import main
from infra.terraform import Progress, StepFailed, Terraform
from infra.workspace import prepare
from policy.rules import rule_index

pytestmark = [pytest.mark.terraform, pytest.mark.emulator]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found; the break no longer applies to this tree"
    path.write_text(text.replace(old, new, 1))


def set_tier(tree: Path, env: str, dotted: str, value: object) -> None:
    """Set one value of a tier in the copy's tiers.yaml; None removes the key."""
    tiers_file = tree / "tiers.yaml"
    data = yaml.safe_load(tiers_file.read_text())
    node = data["tiers"][env]
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node[key]
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    tiers_file.write_text(yaml.safe_dump(data, sort_keys=False))


def append(path: Path, hcl: str) -> None:
    path.write_text(path.read_text() + "\n" + hcl)


@dataclass
class Break:
    name: str
    env: str
    rule: str
    resource: str  # a regex the finding's resource address must match
    apply: Callable[[Path], None]
    # Terraform's own variable validation refuses some breaks at plan time: then there is no plan
    # JSON to check, and the test asserts that refusal instead (the HCL policy caught it earlier).
    plan_refused: str | None = None


def public_database(tree: Path) -> None:
    edit(tree / "modules/database/main.tf", "publicly_accessible     = false", "publicly_accessible     = true")


def unencrypted_cache(tree: Path) -> None:
    edit(tree / "modules/cache/main.tf", "at_rest_encryption_enabled = true", "at_rest_encryption_enabled = false")


def postgres_open_to_the_internet(tree: Path) -> None:
    append(tree / "modules/database/main.tf", """
resource "aws_vpc_security_group_ingress_rule" "anywhere" {
  security_group_id = aws_security_group.this.id
  description       = "PostgreSQL from anywhere"
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_ipv4         = "0.0.0.0/0"
}
""")


def aurora_t3_micro(tree: Path) -> None:
    set_tier(tree, "dev", "database.instance_class", "db.t3.micro")
    set_tier(tree, "dev", "database.allowed_instance_classes", ["db.t3.micro"])
    set_tier(tree, "dev", "database.serverless", None)  # a provisioned class has no serverless range


def fargate_512_512(tree: Path) -> None:
    set_tier(tree, "dev", "service.memory", 512)


def prod_logs_one_day(tree: Path) -> None:
    set_tier(tree, "prod", "logs.retention_days", 1)


def star_iam_action(tree: Path) -> None:
    append(tree / "modules/service/main.tf", """
resource "aws_iam_role_policy" "everything" {
  name = "everything"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
""")


def wildcard_oidc_sub(tree: Path) -> None:
    # Every deploy role, staging's and prod's included, admits any ref, as dev's does by design.
    edit(tree / "bootstrap/main.tf", 'env => e.takes_pull_requests ? ["*"] : distinct(concat(',
         'env => true ? ["*"] : distinct(concat(')


def service_outside_the_platform(tree: Path) -> None:
    # The tried case of the AWS review: a service declared in the env root, beside the platform module,
    # with fewer tasks than prod's minimum and nothing to scale it.
    append(tree / "envs/prod/main.tf", """
resource "aws_ecs_service" "worker" {
  name            = "rupaya-prod-worker"
  cluster         = module.platform.ecs_cluster_name
  task_definition = module.platform.task_definition_family
  desired_count   = 1
  launch_type     = "FARGATE"
}
""")


def floor_zero_beside_a_running_service(tree: Path) -> None:
    # A floor of 0 is the waiting shape only while the service wants no task (modules/service); beside
    # a service that starts tasks it lets autoscaling take prod down to none.
    edit(tree / "modules/service/main.tf", "desired_count = 0", "desired_count = var.min_tasks")
    edit(tree / "modules/service/main.tf", "aws_ecs_service.this.desired_count > 0 ? var.min_tasks : 0", "0")


BREAKS = [
    Break("public database", "dev", "RPY-SEC-007", r"module\.database\.aws_rds_cluster_instance\.this\[0\]",
          public_database),
    Break("unencrypted cache", "staging", "RPY-SEC-002", r"module\.cache\.aws_elasticache_replication_group\.this",
          unencrypted_cache),
    Break("0.0.0.0/0 on 5432", "prod", "RPY-SEC-008", r"aws_vpc_security_group_ingress_rule\.anywhere",
          postgres_open_to_the_internet),
    Break("db.t3.micro on Aurora", "dev", "RPY-SIZ-001", r"aws_rds_cluster_instance\.this\[0\]", aurora_t3_micro,
          plan_refused="instance_class"),
    Break("512/512 Fargate pair", "dev", "RPY-SIZ-006", r"aws_ecs_task_definition\.this", fargate_512_512,
          plan_refused="memory"),
    Break("prod log retention of 1 day", "prod", "RPY-SIZ-009", r"aws_cloudwatch_log_group\.", prod_logs_one_day),
    Break("* IAM action", "staging", "RPY-SEC-018", r"aws_iam_role_policy\.everything", star_iam_action),
    Break("ECS service outside the platform module", "prod", "RPY-SIZ-012", r"^aws_ecs_service\.worker$",
          service_outside_the_platform),
    Break("autoscaling floor 0 beside a running service", "prod", "RPY-SIZ-008",
          r"module\.service\.aws_appautoscaling_target\.this", floor_zero_beside_a_running_service),
    Break("wildcard OIDC sub", "bootstrap", "RPY-SEC-019", r"aws_iam_role\.this", wildcard_oidc_sub),
]


def run_policy(capsys, tree: Path, env: str, *extra: str) -> tuple[int, str]:
    code = main(["-q", "--terraform-dir", str(tree), "policy", "--env", env, "--no-scanners", *extra])
    return code, capsys.readouterr().out


def findings_of(output: str, rule: str) -> list[dict]:
    report = json.loads(output)
    return [f for f in report["findings"] if f["rule"] == rule and f["blocking"]]


def test_the_unbroken_tree_passes(capsys, terraform_copy):
    for env in ("bootstrap", "dev", "staging", "prod"):
        code, out = run_policy(capsys, terraform_copy, env, "--format", "json")
        blocking = [f"{f['rule']} {f['resource']}: {f['message']}" for f in json.loads(out)["findings"]
                    if f["blocking"]]
        assert (code, blocking) == (0, []), env


@pytest.mark.parametrize("brk", BREAKS, ids=[b.name for b in BREAKS])
def test_break_is_caught_in_hcl(capsys, terraform_copy, brk):
    brk.apply(terraform_copy)
    code, out = run_policy(capsys, terraform_copy, brk.env, "--format", "json")
    assert code == 1
    hits = findings_of(out, brk.rule)
    assert hits, f"{brk.rule} did not fire; findings: {[f['rule'] for f in json.loads(out)['findings']]}"
    assert any(re.search(brk.resource, f["resource"]) for f in hits), [f["resource"] for f in hits]
    assert all(f["source"] == "hcl" for f in hits)
    assert any(f["file"] and f["line"] for f in hits), "HCL findings carry file and line"

    code, text = run_policy(capsys, terraform_copy, brk.env, "--format", "text")
    assert code == 1
    assert rule_index()[brk.rule].remediation.split(" (")[0][:40] in text or "fix" in text.lower()


def initialised(tree: Path, env: str, toolchain, endpoint: str) -> Terraform:
    """Terraform on `env` of `tree`, initialised against the endpoint, in a state dir beside the tree."""
    tf = Terraform(toolchain, prepare(Project(terraform_dir=tree, state_dir=tree.parent / "state"), env, endpoint),
                   Progress(quiet=True))
    tf.init()
    return tf


@pytest.fixture(scope="module")
def broken_plans(tmp_path_factory, toolchain, emulator) -> Callable[[str], tuple[Path, Path]]:
    """env -> one copy of the tree with every break of that env that Terraform plans, and its plan JSON.

    One plan an env, not one a break (a plan takes 10-15 s): the breaks of an env touch different files
    and lines, and each test looks for its own rule on its own resource, so one break cannot pass for
    another."""
    made: dict[str, tuple[Path, Path]] = {}

    def plan_of(env: str) -> tuple[Path, Path]:
        if env not in made:
            tree = copy_terraform(tmp_path_factory.mktemp(f"broken-{env}") / "terraform")
            for brk in BREAKS:
                if brk.env == env and not brk.plan_refused:
                    brk.apply(tree)
            tf = initialised(tree, env, toolchain, emulator)
            tf.plan()
            made[env] = tree, tf.ws.plan_json
        return made[env]

    return plan_of


@pytest.mark.parametrize("brk", BREAKS, ids=[b.name for b in BREAKS])
def test_break_is_caught_in_the_plan(capsys, terraform_copy, brk, toolchain, emulator, broken_plans):
    if brk.plan_refused:  # Terraform refuses the plan: a copy of its own, planned alone
        brk.apply(terraform_copy)
        tf = initialised(terraform_copy, brk.env, toolchain, emulator)
        with pytest.raises(StepFailed, match=r"(?i)invalid value for variable") as refused:
            tf.plan()
        assert brk.plan_refused in refused.value.log.read_text()
        return
    tree, plan_json = broken_plans(brk.env)
    code, out = run_policy(capsys, tree, brk.env, "--plan", str(plan_json), "--format", "json")
    assert code == 1
    hits = [f for f in findings_of(out, brk.rule) if f["source"] == "plan"]
    assert hits, f"{brk.rule} did not fire on the plan"
    assert any(re.search(brk.resource, f["resource"]) for f in hits)
