"""The HCL evaluator (policy.hcl): expressions, roots and modules, errors, and the real env roots.

The strongest checks are elsewhere: tests/policy/test_hcl_console.py compares expressions with
`terraform console`, test_hcl_policy_document.py compares policy documents with the AWS provider,
and test_plan_cross_check (below) compares every known value with each env's real plan.
"""

from __future__ import annotations

import contextlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.errors import InputError
from core.project import REPO_ROOT
from policy.hcl import evaluate_expression, load_root, load_root_result
from policy.model import PolicyInputError, Resource, Unknown, has_unknown

TIERS = yaml.safe_load((REPO_ROOT / "terraform" / "tiers.yaml").read_text())["tiers"]
ENVS = sorted(TIERS)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def by_address(resources: list[Resource]) -> dict[str, Resource]:
    return {r.address: r for r in resources}


def load(tmp_path: Path, files: dict[str, str], **kwargs: Any) -> dict[str, Resource]:
    write(tmp_path, files)
    return by_address(load_root(tmp_path / "root", "test", repo_root=tmp_path, **kwargs))


# --- expressions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr,expected",
    [
        ("1 + 2 * 3", 7),
        ("0.1 + 0.2 == 0.3", True),  # Terraform's numbers are decimals, not floats
        ('"${1 + 1}"', 2),  # a lone interpolation keeps its type
        ('"a${1 + 1}"', "a2"),
        ("x.y[1]", 20),
        ("x.y.1", 20),  # legacy index syntax
        ("x.list[*].n", [1, 2]),
        ("x.list.*.n", [1, 2]),
        ("[for k, v in x.map : v if k != \"b\"]", [1]),
        ("{for k, v in x.map : v => k...}", {"1": ["a"], "2": ["b"]}),
        ("x.map[\"a\"]", 1),
        ('{(x.key) = 1, "b" = 2, c = 3}', {"dyn": 1, "b": 2, "c": 3}),
        ("coalesce(x.none, \"d\")", "d"),
        ("lookup(x.map, \"z\", 0)", 0),
        ("try(x.map.z, \"fallback\")", "fallback"),
        ("can(x.map.z)", False),
    ],
)
def test_expressions(expr, expected):
    symbols = {"x": {"y": [10, 20], "list": [{"n": 1}, {"n": 2}], "map": {"a": 1, "b": 2}, "key": "dyn",
                     "none": None}}
    result = evaluate_expression(expr, symbols)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    "expr",
    ["u", "u.attr", "u[0]", "[u, 1][0]", "upper(u)", "u + 1", "u ? 1 : 2", '"${u}-x"', "[for x in u : x]",
     "length(u)", "jsonencode(u)", "!u", "-u", "u == 1", "keys(u)", "one(u)", "element([u], 0) == 1"],
)
def test_unknown_propagates(expr):
    result = evaluate_expression(expr, {"u": Unknown("aws_x.y.arn")})
    assert isinstance(result, Unknown), f"{expr} gave {result!r}"
    assert "aws_x.y.arn" in result.reason


def test_unknown_elements_are_kept_in_known_structures():
    u = Unknown("aws_x.y.arn")
    assert evaluate_expression("length([u, 1])", {"u": u}) == 2
    assert evaluate_expression("concat([u], [1])", {"u": u})[1] == 1
    assert evaluate_expression("m == null", {"m": {"a": u}}) is False  # a known map holding unknowns
    assert evaluate_expression("u ? 1 : 1", {"u": u}) == 1  # both branches equal: the condition does not matter
    assert evaluate_expression("false && u", {"u": u}) is False
    assert evaluate_expression("u || true", {"u": u}) is True
    encoded = evaluate_expression('jsonencode({Action = "s3:GetObject", Resource = u})', {"u": u})
    assert isinstance(encoded, Unknown) and encoded.reason.startswith("jsonencode")
    assert encoded.partial["Action"] == "s3:GetObject" and isinstance(encoded.partial["Resource"], Unknown)


@pytest.mark.parametrize(
    "expr,reason",
    [("[1][5]", "out of range"), ('{a = 1}.b', "attribute"), ("null.a", "null"), ("1 + true", "number"),
     ('"a" * 2', "decimal"), ("1 / 0", "zero"), ('regex("x", "y")', "did not match"), ("toset([1])[0]", "set"),
     ('upper(["a"])', "string"), ("[for x in null : x]", "null")],
)
def test_evaluation_errors_become_unknown(expr, reason):
    result = evaluate_expression(expr)
    assert isinstance(result, Unknown), result
    assert reason in result.reason


def test_unknown_function_is_unknown_not_an_error():
    result = evaluate_expression('provider::aws::arn_parse("arn:aws:s3:::b")')
    assert isinstance(result, Unknown) and "provider::aws::arn_parse" in result.reason
    assert isinstance(evaluate_expression("uuid()"), Unknown)
    assert isinstance(evaluate_expression("timestamp()"), Unknown)


def test_file_functions_resolve_against_the_root(tmp_path):
    write(tmp_path, {"data/a.txt": "hello", "t.tpl": "%{ for n in names ~}\n- ${upper(n)}\n%{ endfor ~}\n"})
    assert evaluate_expression('file("data/a.txt")', cwd=tmp_path) == "hello"
    assert evaluate_expression('fileexists("data/nope")', cwd=tmp_path) is False
    assert evaluate_expression('templatefile("t.tpl", {names = ["a", "b"]})', cwd=tmp_path) == "- A\n- B\n"
    assert isinstance(evaluate_expression('file("missing")', cwd=tmp_path), Unknown)


# --- roots and modules -------------------------------------------------------------------------

MODULE_FILES = {
    "root/main.tf": """
        variable "name" { type = string }
        variable "port" {
          type    = number
          default = 8080
        }
        variable "settings" {
          type = object({
            size    = optional(number, 2)
            enabled = optional(bool, true)
            label   = string
          })
        }
        variable "required" { type = string }

        locals {
          prefix = "${var.name}-${terraform.workspace}"
          rules = {
            http  = { port = 80, cidr = "0.0.0.0/0" }
            https = { port = 443, cidr = "0.0.0.0/0" }
          }
        }

        resource "aws_security_group" "web" {
          name        = local.prefix
          description = "web"
          count       = 1
          depends_on  = [aws_vpc.main]

          ingress {
            from_port   = var.port
            to_port     = var.port
            protocol    = "tcp"
            cidr_blocks = ["10.0.0.0/8"]
          }
          ingress {
            from_port = 22
            to_port   = 22
            protocol  = "tcp"
          }
          dynamic "egress" {
            for_each = local.rules
            iterator = rule
            content {
              from_port   = rule.value.port
              description = "to ${rule.key}"
            }
          }
          lifecycle {
            create_before_destroy = true
          }
        }

        resource "aws_vpc" "main" {
          cidr_block = "10.0.0.0/16"
          tags       = { Name = local.prefix, Size = tostring(var.settings.size), Enabled = var.settings.enabled }
        }

        resource "aws_subnet" "private" {
          count      = 2
          vpc_id     = aws_vpc.main.id
          cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
          tags       = { Required = var.required }
        }

        resource "aws_vpc_security_group_ingress_rule" "rule" {
          for_each          = local.rules
          security_group_id = aws_security_group.web[0].id
          from_port         = each.value.port
          cidr_ipv4         = each.value.cidr
          description       = "${each.key} on ${aws_security_group.web[0].name}"
        }

        module "app" {
          source     = "./modules/app"
          name       = local.prefix
          subnet_ids = aws_subnet.private[*].id
          first_cidr = aws_subnet.private[0].cidr_block
        }

        module "per_env" {
          source   = "./modules/app"
          for_each = toset(["dev", "prod"])
          name     = "${local.prefix}-${each.key}"
        }

        module "counted" {
          source = "./modules/app"
          count  = 1
          name   = "c${count.index}"
        }

        resource "aws_ssm_parameter" "from_module" {
          name  = module.app.role_name
          value = module.app.role_arn
          type  = module.per_env["prod"].role_name
        }
    """,
    "root/terraform.tfvars": """
        name     = "shop"
        settings = { label = "x" }
    """,
    "root/b.auto.tfvars": 'port = "9090"\n',
    "root/a.auto.tfvars": "port = 7070\nundeclared = 1\n",
    "root/modules/app/main.tf": """
        variable "name" { type = string }
        variable "subnet_ids" {
          type    = list(string)
          default = []
        }
        variable "first_cidr" {
          type    = string
          default = null
        }

        data "aws_iam_policy_document" "assume" {
          statement {
            actions = ["sts:AssumeRole"]
            principals {
              type        = "Service"
              identifiers = ["ecs-tasks.amazonaws.com"]
            }
          }
        }

        resource "aws_iam_role" "this" {
          name               = var.name
          assume_role_policy = data.aws_iam_policy_document.assume.json
          description        = var.first_cidr
        }

        resource "aws_iam_role_policy" "this" {
          role = aws_iam_role.this.id
          policy = jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Effect = "Allow", Action = "ec2:Describe*", Resource = var.subnet_ids }]
          })
        }

        output "role_name" { value = aws_iam_role.this.name }
        output "role_arn" { value = aws_iam_role.this.arn }
    """,
}


@pytest.fixture
def sample(tmp_path) -> dict[str, Resource]:
    return load(tmp_path, MODULE_FILES)


def test_addresses_as_a_plan_names_them(sample):
    assert set(sample) == {
        "aws_security_group.web[0]", "aws_vpc.main", "aws_subnet.private[0]", "aws_subnet.private[1]",
        'aws_vpc_security_group_ingress_rule.rule["http"]', 'aws_vpc_security_group_ingress_rule.rule["https"]',
        "aws_ssm_parameter.from_module",
        "module.app.data.aws_iam_policy_document.assume", "module.app.aws_iam_role.this",
        "module.app.aws_iam_role_policy.this",
        *(f'module.per_env["{e}"].{a}' for e in ("dev", "prod") for a in (
            "data.aws_iam_policy_document.assume", "aws_iam_role.this", "aws_iam_role_policy.this")),
        *(f"module.counted[0].{a}" for a in (
            "data.aws_iam_policy_document.assume", "aws_iam_role.this", "aws_iam_role_policy.this")),
    }
    doc = sample["module.app.data.aws_iam_policy_document.assume"]
    assert (doc.mode, doc.type) == ("data", "aws_iam_policy_document")
    assert sample["aws_vpc.main"].mode == "managed"


def test_blocks_dynamic_blocks_and_meta_arguments(sample):
    sg = sample["aws_security_group.web[0]"]
    assert sg.values["name"] == "shop-default"
    # tfvars precedence: terraform.tfvars, then *.auto.tfvars in lexical order; "9090" becomes a number.
    assert sg.values["ingress"] == [
        {"from_port": 9090, "to_port": 9090, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"]},
        {"from_port": 22, "to_port": 22, "protocol": "tcp"},
    ]
    assert sg.values["egress"] == [{"from_port": 80, "description": "to http"},
                                   {"from_port": 443, "description": "to https"}]
    for meta in ("count", "depends_on", "lifecycle"):
        assert meta not in sg.values
    lines = textwrap.dedent(MODULE_FILES["root/main.tf"]).splitlines()
    assert sg.file == "root/main.tf"
    assert sg.line == lines.index('resource "aws_security_group" "web" {') + 1
    assert sg.blocks("ingress")[1]["from_port"] == 22


def test_variables_locals_and_types(sample):
    vpc = sample["aws_vpc.main"].values
    assert vpc["tags"] == {"Name": "shop-default", "Size": "2", "Enabled": True}  # optional() defaults
    missing = sample["aws_subnet.private[0]"].values["tags"]["Required"]
    assert isinstance(missing, Unknown) and missing.reason == "var.required has no value"


def test_references_configured_values_known_computed_unknown(sample):
    subnet = sample["aws_subnet.private[1]"].values
    assert subnet["cidr_block"] == "10.0.1.0/24"  # from aws_vpc.main.cidr_block, a configured argument
    assert isinstance(subnet["vpc_id"], Unknown) and subnet["vpc_id"].reason == "aws_vpc.main.id"
    rule = sample['aws_vpc_security_group_ingress_rule.rule["https"]'].values
    assert rule["from_port"] == 443 and rule["cidr_ipv4"] == "0.0.0.0/0"
    assert rule["description"] == "https on shop-default"
    assert isinstance(rule["security_group_id"], Unknown)


def test_module_inputs_and_outputs(sample):
    role = sample["module.app.aws_iam_role.this"].values
    assert role["name"] == "shop-default"
    assert role["description"] == "10.0.0.0/24"
    assert json.loads(role["assume_role_policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": "ecs-tasks.amazonaws.com"}}],
    }
    policy = sample["module.app.aws_iam_role_policy.this"].values["policy"]
    assert isinstance(policy, Unknown)  # the subnet IDs are not known before the plan
    assert policy.partial["Statement"][0]["Action"] == "ec2:Describe*"
    assert [isinstance(s, Unknown) for s in policy.partial["Statement"][0]["Resource"]] == [True, True]
    param = sample["aws_ssm_parameter.from_module"].values
    assert param["name"] == "shop-default" and param["type"] == "shop-default-prod"
    assert isinstance(param["value"], Unknown) and "aws_iam_role.this.arn" in param["value"].reason
    assert sample['module.per_env["dev"].aws_iam_role.this'].values["name"] == "shop-default-dev"
    assert sample["module.counted[0].aws_iam_role.this"].values["name"] == "c0"


def test_explicit_tfvars_replace_the_default_files(tmp_path):
    write(tmp_path, MODULE_FILES)
    extra = write(tmp_path, {"other.tfvars": 'name = "other"\nsettings = { label = "y", size = 5 }\n'}) / "other.tfvars"
    res = by_address(load_root(tmp_path / "root", "test", tfvars=[extra], repo_root=tmp_path))
    assert res["aws_vpc.main"].values["tags"]["Size"] == "5"
    assert res["aws_security_group.web[0]"].values["ingress"][0]["from_port"] == 8080  # the default


def test_unknown_count_is_one_instance_and_a_note(tmp_path):
    write(tmp_path, {"root/main.tf": """
        data "aws_availability_zones" "all" {}
        resource "aws_subnet" "s" {
          count      = length(data.aws_availability_zones.all.names)
          cidr_block = "10.0.${count.index}.0/24"
        }
        module "remote" {
          source = "terraform-aws-modules/vpc/aws"
        }
        resource "aws_route53_record" "r" {
          name = module.remote.vpc_id
        }
    """})
    result = load_root_result(tmp_path / "root", "test", repo_root=tmp_path)
    res = by_address(result.resources)
    assert isinstance(res["aws_subnet.s[*]"].values["cidr_block"], Unknown)
    assert isinstance(res["aws_route53_record.r"].values["name"], Unknown)
    assert any("aws_subnet.s" in n for n in result.notes)
    assert any("terraform-aws-modules/vpc/aws" in n for n in result.notes)


def test_unknown_dynamic_blocks_nullable_and_json_files(tmp_path):
    result = load_root_result(write(tmp_path, {
        "root/main.tf": """
            variable "ports" {
              type     = list(number)
              default  = [443]
              nullable = false
            }
            data "aws_vpc" "v" {
              id = "vpc-1"
            }
            resource "aws_security_group" "s" {
              vpc_id = data.aws_vpc.v.id
              dynamic "ingress" {
                for_each = data.aws_vpc.v.cidr_block_associations
                content {
                  cidr_blocks = [ingress.value.cidr_block]
                }
              }
              dynamic "egress" {
                for_each = var.ports
                content {
                  from_port = egress.value
                  to_port   = egress.key
                }
              }
            }
        """,
        "root/terraform.tfvars": "ports = null\n",
        "root/extra.tf.json": '{"resource": {"aws_s3_bucket": {"j": {"bucket": "${data.aws_vpc.v.id}-b"}}}}',
    }) / "root", "test", repo_root=tmp_path)
    bucket, sg = sorted((r for r in result.resources if r.mode == "managed"), key=lambda r: r.type)
    assert sg.values["vpc_id"] == "vpc-1"  # a data source's configured argument is known
    assert isinstance(sg.values["ingress"], Unknown)
    assert sg.values["egress"] == [{"from_port": 443, "to_port": 0}]  # null for a non-nullable variable: default
    assert bucket.values["bucket"] == "vpc-1-b" and bucket.file.endswith("extra.tf.json")  # JSON files count too
    assert not result.notes


def test_override_files_are_merged(tmp_path):
    res = load(tmp_path, {
        "root/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "a"\n  tags = { x = "1" }\n}\n',
        "root/main_override.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\nprovider "aws" {}\n',
    })
    assert res["aws_s3_bucket.b"].values == {"bucket": "b", "tags": {"x": "1"}}


def test_policy_document_with_unknowns_keeps_the_known_parts(tmp_path):
    res = load(tmp_path, {"root/main.tf": """
        resource "aws_iam_openid_connect_provider" "gh" {
          url = "https://token.actions.githubusercontent.com"
        }
        data "aws_iam_policy_document" "trust" {
          statement {
            actions = ["sts:AssumeRoleWithWebIdentity"]
            principals {
              type        = "Federated"
              identifiers = [aws_iam_openid_connect_provider.gh.arn]
            }
            condition {
              test     = "StringEquals"
              variable = "token.actions.githubusercontent.com:sub"
              values   = ["repo:o/r:environment:prod"]
            }
          }
        }
        resource "aws_iam_role" "r" {
          assume_role_policy = data.aws_iam_policy_document.trust.json
        }
    """})
    trust = res["aws_iam_role.r"].values["assume_role_policy"]
    # The reason names the reference (what rules follow); the partial keeps the known parts.
    assert isinstance(trust, Unknown) and trust.reason == "data.aws_iam_policy_document.trust.json"
    statement = trust.partial["Statement"][0]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {"StringEquals": {"token.actions.githubusercontent.com:sub":
                                                       "repo:o/r:environment:prod"}}
    assert isinstance(statement["Principal"]["Federated"], Unknown)


# --- input errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,message",
    [
        ('resource "a" "b" {\n  x = \n}\n', r"^root/main\.tf:2:7: expected an expression"),
        ('resource "a" "b" {\n  x = 1\n', r"^root/main\.tf:\d+:\d+: unexpected end of file"),
        ('locals {\n  a = "\\q"\n}\n', r"^root/main\.tf:2:\d+: invalid escape sequence"),
        ('resource "a" "b" {\n  x = var.nope\n}\n', r'^root/main\.tf:2:7: reference to undeclared input variable'),
        ('resource "a" "b" {\n  x = local.nope\n}\n', r'^root/main\.tf:2:7: reference to undeclared local value'),
        ('resource "a" "b" {\n  x = module.nope.y\n}\n', r'^root/main\.tf:2:7: reference to undeclared module'),
        ('resource "a" "b" {\n  x = aws_nope.y.id\n}\n', r"undeclared resource"),
        ('locals {\n  a = local.b\n  b = local.c\n  c = local.a\n}\nresource "x" "y" {\n  v = local.a\n}\n',
         r"cycle: local\.a -> local\.b -> local\.c -> local\.a"),
        ('resource "a" "b" {\n  x = 1\n  x = 2\n}\n', r"defined twice"),
        ('resource "a" {\n}\n', r'needs 2 label'),
        ('bogus "a" {\n}\n', r'unsupported block type "bogus"'),
        ('x = 1\n', r'unsupported argument "x"'),
        ('resource "a" "b" {\n  x = count.index\n}\n', r'"count" can only be used'),
    ],
)
def test_input_errors_are_one_line_with_a_location(tmp_path, text, message):
    import re

    write(tmp_path, {"root/main.tf": text})
    with pytest.raises(PolicyInputError) as info:
        load_root(tmp_path / "root", "test", repo_root=tmp_path)
    assert "\n" not in str(info.value)
    assert re.search(message, str(info.value)), str(info.value)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("terraform.tfvars", 'a = "x\n', r"terraform\.tfvars:1:"),
        ("terraform.tfvars", "a = var.b\n", r"variables are not allowed"),
        ("terraform.tfvars", 'a = upper("x")\n', r"functions may not be called"),
        ("terraform.tfvars", 'block {\n}\n', r"blocks are not allowed"),
        ("x.auto.tfvars.json", "{not json", r"x\.auto\.tfvars\.json:1:1:"),
        ("main.tf", b"\xff\xfe", r"not UTF-8"),
    ],
)
def test_bad_tfvars_and_encodings(tmp_path, name, content, message):
    import re

    root = tmp_path / "root"
    root.mkdir()
    (root / "vars.tf").write_text('variable "a" {\n  default = 1\n}\n')
    (root / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as info:
        load_root(root, "test", repo_root=tmp_path)
    assert re.search(message, str(info.value)), str(info.value)


def test_missing_root_is_an_input_error(tmp_path):
    with pytest.raises(PolicyInputError):
        load_root(tmp_path / "nope", "test")


# --- the real env roots ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def envs() -> dict[str, dict[str, Resource]]:
    return {env: by_address(load_root(REPO_ROOT / "terraform" / "envs" / env, env)) for env in ENVS}


def of_type(resources: dict[str, Resource], rtype: str) -> list[Resource]:
    return [r for r in resources.values() if r.type == rtype and r.mode == "managed"]


@pytest.mark.parametrize("env", ENVS)
def test_env_database_follows_the_tier(envs, env):
    db = TIERS[env]["database"]
    instances = of_type(envs[env], "aws_rds_cluster_instance")
    assert len(instances) == db["instances"]
    assert {i.values["instance_class"] for i in instances} == {db["instance_class"]}
    assert sorted(i.address.rsplit("[", 1)[1] for i in instances) == [f"{n}]" for n in range(db["instances"])]
    (cluster,) = of_type(envs[env], "aws_rds_cluster")
    assert cluster.values["engine_version"] == db["engine_version"]
    assert cluster.values["backup_retention_period"] == db["backup_retention_days"]
    assert cluster.values["deletion_protection"] is db["deletion_protection"]
    assert cluster.file == "terraform/modules/database/main.tf" and cluster.line > 0


@pytest.mark.parametrize("env", ENVS)
def test_env_security_group_rules(envs, env):
    https = TIERS[env]["load_balancer"]["https"]
    alb = {r.address.split('"')[1]: r.values for r in of_type(envs[env], "aws_vpc_security_group_ingress_rule")
           if ".module.load_balancer." in r.address}
    assert set(alb) == {"http_ipv4", "http_ipv6"} | ({"https_ipv4", "https_ipv6"} if https else set())
    assert alb["http_ipv4"]["cidr_ipv4"] == "0.0.0.0/0" and alb["http_ipv6"]["cidr_ipv6"] == "::/0"
    assert {v["from_port"] for v in alb.values()} == ({80, 443} if https else {80})
    db_rules = [r.values for r in of_type(envs[env], "aws_vpc_security_group_ingress_rule")
                if ".module.database." in r.address]
    assert [(v["from_port"], v["to_port"], v["ip_protocol"]) for v in db_rules] == [(5432, 5432, "tcp")]
    source = db_rules[0]["referenced_security_group_id"]
    assert isinstance(source, Unknown) and source.reason == "module.platform.module.service.aws_security_group.this.id"


@pytest.mark.parametrize("env", ENVS)
def test_env_task_definition_container_secrets(envs, env):
    (task,) = of_type(envs[env], "aws_ecs_task_definition")
    svc = TIERS[env]["service"]
    assert (task.values["cpu"], task.values["memory"]) == (str(svc["cpu"]), str(svc["memory"]))
    defs = task.values["container_definitions"]
    assert isinstance(defs, Unknown)  # the image URL and secret ARNs come from the plan
    (container,) = defs.partial
    assert container["essential"] is True
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    # Redis and Aurora: IAM sign-in as the application's own users, no secret for either.
    assert set(secrets) == {"JWT_SECRET"}
    assert all(isinstance(v, Unknown) for v in secrets.values())
    plain = {e["name"]: e["value"] for e in container["environment"]}
    assert plain["APP_ENV"] == env and "REDIS_USER" in plain
    assert (plain["DB_USERNAME"], plain["DB_IAM_AUTH"]) == ("app", "true")
    assert (plain["APPCONFIG_APPLICATION"], plain["APPCONFIG_ENVIRONMENT"]) == (f"rupaya-{env}", env)
    assert not any(e["name"] in secrets for e in container["environment"])


@pytest.mark.parametrize("env", ENVS)
def test_env_task_role_reads_the_flags_and_connects_as_the_apps_own_users(envs, env):
    (policy,) = [r for r in of_type(envs[env], "aws_iam_role_policy")
                 if r.address.endswith("module.service.aws_iam_role_policy.task[0]")]
    document = policy.values["policy"]
    parsed = document.partial if isinstance(document, Unknown) else json.loads(document)
    statements = {s["Sid"]: s for s in parsed["Statement"]}
    assert statements["ReadFeatureFlags"]["Action"] == ["appconfig:StartConfigurationSession",
                                                        "appconfig:GetLatestConfiguration"]
    assert statements["ConnectToAurora"]["Action"] == ["rds-db:connect"]
    assert statements["ConnectToRedis"]["Action"] == ["elasticache:Connect"]


def test_bootstrap_oidc_trust_policy(tmp_path):
    # github_repository is the operator's input (never committed): given here as an operator would.
    repo = "acme-corp/payments.api"
    operator = tmp_path / "operator.tfvars"
    operator.write_text(f'github_repository = "{repo}"\n')
    bootstrap = REPO_ROOT / "terraform" / "bootstrap"
    resources = by_address(load_root(bootstrap, "bootstrap", tfvars=[bootstrap / "terraform.tfvars", operator]))
    roles = {k: r for k, r in resources.items() if r.type == "aws_iam_role" and ".github_oidc." in k}
    assert roles, "no OIDC roles"
    workflow = f"job_workflow_ref:{repo}/.github/workflows/deploy-pipeline.yml"
    expected = {  # the subjects of the claim template repo, context, ref, job_workflow_ref
        "rupaya-deploy-prod": [f"repo:{repo}:environment:prod:ref:refs/heads/main:{workflow}@refs/heads/main",
                               f"repo:{repo}:environment:prod:ref:refs/tags/v*:{workflow}@refs/tags/v*"],
        "rupaya-deploy-staging": [f"repo:{repo}:environment:staging:ref:refs/heads/release/*:{workflow}"
                                  "@refs/heads/release/*"],
        "rupaya-deploy-dev": [f"repo:{repo}:environment:dev:ref:*:{workflow}@*"],
        "rupaya-plan-prod": [f"repo:{repo}:pull_request:ref:refs/pull/*:{workflow}@refs/pull/*",
                             f"repo:{repo}:ref:refs/*:ref:refs/*:{workflow}@refs/*"],
    }
    for address, role in roles.items():
        name = address.split('"')[1]
        trust = role.values["assume_role_policy"]
        assert isinstance(trust, Unknown)  # the OIDC provider ARN is only known at plan
        (statement,) = trust.partial["Statement"]
        assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        audience = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
        assert statement["Condition"]["StringEquals"] == audience
        subjects = statement["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"]
        assert all(s.startswith(f"repo:{repo}:") for s in subjects)
        forged = statement["Condition"]["StringNotLike"]["token.actions.githubusercontent.com:sub"]
        assert "*:job_workflow_ref:*:job_workflow_ref:*" in forged  # a claim spelled out in a name is refused
        for subject in expected.get(name, []):
            assert subject in subjects, (name, subject, subjects)
        assert isinstance(statement["Principal"]["Federated"], Unknown)
    assert set(expected) <= {a.split('"')[1] for a in roles}


def test_three_envs_parse_each_file_once_and_nothing_again(monkeypatch):
    """Parsing is cached by (path, mtime, size) and the envs share every module file. This was a wall-clock
    bound (3 envs under 5 s cold, 1 s warm) until it failed on a loaded machine (7.0 s with three test
    lanes on two cores); the times are benchmarks/policy_bench.py's, the sharing is asserted here."""
    from policy.hcl import clear_cache
    from policy.hcl import parse as hcl_parse

    parsed: list[str] = []
    real = hcl_parse._parse_text
    monkeypatch.setattr(hcl_parse, "_parse_text", lambda text, shown: (parsed.append(shown), real(text, shown))[1])
    clear_cache()
    for env in ENVS:
        load_root(REPO_ROOT / "terraform" / "envs" / env, env)
    assert parsed, "nothing was parsed"
    again = sorted({f for f in parsed if parsed.count(f) > 1})
    assert not again, f"parsed more than once: {again}"
    assert sum("modules/" in f for f in parsed) >= 10, "the module files were not read"
    first = len(parsed)
    for env in ENVS:
        load_root(REPO_ROOT / "terraform" / "envs" / env, env)
    assert len(parsed) == first, f"parsed again with nothing changed: {parsed[first:]}"


# --- the real plans: every value the evaluator knows must be the plan's ------------------------


def _walk_plan(module: dict[str, Any], out: dict[str, dict[str, Any]]) -> None:
    for res in module.get("resources", []):
        out[res["address"]] = res
    for child in module.get("child_modules", []):
        _walk_plan(child, out)


def _plan_root(tmp_path_factory, env: str) -> Path:
    """The copy of the env root the plan was made from (files may change while the session runs)."""
    base = tmp_path_factory.getbasetemp()
    for candidate in sorted(base.glob(f"plans*/work/emulator/terraform/envs/{env}")):
        return candidate
    return REPO_ROOT / "terraform" / "envs" / env


JSON_ATTRIBUTES = ("policy", "assume_role_policy", "container_definitions")


class Comparison:
    """Recursive comparison of the evaluator's values with a plan's, with Terraform's normalisations."""

    def __init__(self) -> None:
        self.mismatches: list[str] = []
        self.leaves = 0
        self.partials = 0

    def compare(self, path: str, ours: Any, theirs: Any, unknown: Any) -> None:
        if unknown is True:
            return  # unknown in the plan: nothing to compare
        if isinstance(ours, Unknown):
            # The known parts of a structured value (jsonencode, policy documents) against the plan's.
            if ours.partial is not None and isinstance(theirs, str):
                try:
                    decoded = json.loads(theirs)
                except ValueError:
                    return
                self.partials += 1
                self.compare(path + "(json)", ours.partial, decoded, None)
            return
        if ours in ({}, []) and theirs is None:
            return  # the provider plans an empty map or list (tags = {}) as null
        if isinstance(ours, dict):
            if not isinstance(theirs, dict):
                self.mismatches.append(f"{path}: ours {ours!r}, plan {theirs!r}")
                return
            for key, value in ours.items():
                sub_unknown = unknown.get(key) if isinstance(unknown, dict) else None
                if key not in theirs:
                    if sub_unknown is None and not has_unknown(value):
                        self.mismatches.append(f"{path}.{key}: ours {value!r}, not in the plan")
                    continue
                self.compare(f"{path}.{key}", value, theirs[key], sub_unknown)
            return
        if isinstance(ours, list):
            if not isinstance(theirs, list) or len(ours) != len(theirs):
                self.mismatches.append(f"{path}: ours {ours!r}, plan {theirs!r}")
                return
            unknowns = unknown if isinstance(unknown, list) else [None] * len(ours)
            probe = Comparison()
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
                probe.compare(f"{path}[{i}]", a, b, unknowns[i] if i < len(unknowns) else None)
            if not probe.mismatches:
                self.leaves += probe.leaves
                self.partials += probe.partials
                return
            # Set-typed attributes and blocks come back from the provider in its own order.
            remaining = list(range(len(theirs)))
            for i, a in enumerate(ours):
                for j in remaining:
                    trial = Comparison()
                    trial.compare(f"{path}[{i}]", a, theirs[j], unknowns[j] if j < len(unknowns) else None)
                    if not trial.mismatches:
                        self.leaves += trial.leaves
                        remaining.remove(j)
                        break
                else:
                    self.mismatches.append(f"{path}[{i}]: ours {a!r} matches no element of the plan's {theirs!r}")
            return
        self.leaves += 1
        if isinstance(ours, str) and isinstance(theirs, str):
            if ours != theirs and path.rsplit(".", 1)[-1] in JSON_ATTRIBUTES and _same_json(ours, theirs):
                return  # the provider normalises policy JSON
        elif isinstance(theirs, str) and (isinstance(ours, bool | int | float)):
            # Terraform converts a bool or number to the schema's string type.
            ours = ("true" if ours else "false") if isinstance(ours, bool) else json.dumps(ours)
        elif isinstance(ours, str) and isinstance(theirs, int | float) and not isinstance(theirs, bool):
            with contextlib.suppress(ValueError):
                ours = json.loads(ours)  # and a string to the schema's number type
        if ours != theirs or isinstance(ours, bool) != isinstance(theirs, bool):
            self.mismatches.append(f"{path}: ours {ours!r}, plan {theirs!r}")


def test_comparison_finds_differences():
    """The cross-check's comparison itself: what it forgives (Terraform's normalisations), what it does not."""
    same = Comparison()
    same.compare("r", {"a": 1, "b": ["x"], "n": [{"k": True}], "tags": {}, "u": Unknown("x"), "port": 80, "s": "1",
                       "set": [{"n": 1}, {"n": 2}], "gone": "v", "policy": '{"a": 1, "b": 2}'},
                 {"a": 1, "b": ["x"], "n": [{"k": True, "extra": 1}], "tags": None, "u": "anything", "port": "80",
                  "s": 1, "set": [{"n": 2}, {"n": 1}], "policy": '{"b":2,"a":1}'}, {"gone": True})
    assert not same.mismatches and same.leaves == 8
    for ours, theirs in [({"a": 1}, {"a": 2}), ({"a": [1, 2]}, {"a": [1]}), ({"a": True}, {"a": 1}), ({"a": "x"}, {}),
                         ({"a": [{"n": 1}, {"n": 2}]}, {"a": [{"n": 2}, {"n": 3}]}), ({"a": None}, {"a": "x"}),
                         ({"a": {"b": 1}}, {"a": [{"b": 1}]}), ({"d": '{"a": 1}'}, {"d": '{"a":1}'})]:
        check = Comparison()
        check.compare("r", ours, theirs, {})
        assert check.mismatches, (ours, theirs)
    partial = Comparison()
    document = Unknown("x", partial={"A": "s3:*", "R": Unknown("arn")})
    partial.compare("r", {"p": document}, {"p": '{"A":"s3:Get","R":"a"}'}, {})
    assert partial.partials == 1 and partial.mismatches


def _same_json(a: str, b: str) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def _plan_data_sources(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    _walk_plan((plan.get("prior_state") or {}).get("values", {}).get("root_module", {}), found)
    return {a: r for a, r in found.items() if r["mode"] == "data"}


@pytest.mark.emulator
@pytest.mark.terraform
@pytest.mark.parametrize("env", ENVS)
def test_plan_cross_check(plans, tmp_path_factory, env):
    """Same resource addresses as the real plan, and every value known to both is the same."""
    plan = plans[env].data
    planned: dict[str, dict[str, Any]] = {}
    _walk_plan(plan["planned_values"]["root_module"], planned)
    read_during_plan = _plan_data_sources(plan)
    ours = by_address(load_root(_plan_root(tmp_path_factory, env), env))

    managed = {a for a, r in planned.items() if r["mode"] == "managed"}
    assert {a for a, r in ours.items() if r.mode == "managed"} == managed
    data = {a for a, r in planned.items() if r["mode"] == "data"} | set(read_during_plan)
    assert {a for a, r in ours.items() if r.mode == "data"} == data

    after_unknown = {c["address"]: c["change"].get("after_unknown", {}) for c in plan["resource_changes"]}
    check = Comparison()
    for address in sorted(managed | data):
        source = planned.get(address) or read_during_plan[address]
        check.compare(address, ours[address].values, source.get("values", {}), after_unknown.get(address, {}))
    assert not check.mismatches, "\n".join(check.mismatches)
    # Not vacuous: most of the configuration is known before the plan.
    assert check.leaves >= 200, f"only {check.leaves} values compared"
    assert check.partials >= 3, f"only {check.partials} partial JSON documents compared"
