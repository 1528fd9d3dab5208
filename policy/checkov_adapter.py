"""The project's rules as checkov checks: what policy/checkov_checks/rpy_checks.py registers.

`checkov --external-checks-dir policy/checkov_checks` runs every project rule that judges one
resource at a time (a `check()` and `resource_types`) as a checkov custom check, on Terraform
directories (framework `terraform`) and on plan JSONs (framework `terraform_plan`; checkov runs
its terraform resource checks on plans too). This module has no checkov import: it turns what
checkov hands a check into a `policy.model.Resource` and a `Context`, runs the rule's `check()`
and says PASSED, FAILED or UNKNOWN (the names of checkov's `CheckResult`).

Check ids: `CKV_` + the rule id with "-" as "_": RPY-SEC-001 is CKV_RPY_SEC_001 (checkov accepts any
id; the CKV_ prefix and underscores keep checkov's inline `checkov:skip=` comments, `--check
CKV_RPY_*` and `--skip-check` working). The check's name starts with the rule id:
"RPY-SEC-001: Aurora storage is encrypted with a customer KMS key".

Exported: every rule with per-resource logic, RPY-SIZ-001, 002, 004-010 and RPY-SEC-001, 002,
004-008, 010-013, 017-022 (on a directory the IAM rules see one resource, not the role's
policies; on a plan, the whole plan). Not exported, because they judge several resources of a stack at once
(`check_stack` only) and a checkov resource check sees one resource:
  RPY-SIZ-003  Aurora instance count (counts the cluster's instances)
  RPY-SIZ-011  NAT gateways (counts the stack's NAT gateways)
  RPY-SIZ-012  ECS services scaled (a service and the scaling target that points at it)
  RPY-SEC-003  S3 encryption (a bucket and the encryption configuration that points at it)
  RPY-SEC-009  production HTTPS (the load balancer and all its listeners)
  RPY-SEC-014  S3 public access block (a bucket and its public access block)
  RPY-SEC-015  S3 versioning (a bucket and its versioning resource)
  RPY-SEC-016  S3 TLS-only policy (a bucket and its bucket policy)
  RPY-COST-001 budget (the cost estimate of the whole env)
`infra policy` / `infra gate` run all of them.

Which env a resource belongs to, in this order:
  1. $RPY_CHECKOV_ENV, when set;
  2. the scanned file's path: terraform/envs/<env>/..., terraform/bootstrap/..., or a plan JSON named
     <env>.plan.json;
  3. for a directory scan, the env root among the files checkov parsed (checkov -d terraform/envs/prod:
     the modules it follows are prod's); for a plan, its `environment` variable;
  4. none: a module scanned on its own (checkov -d terraform/modules/database).
With no env there is no tier: sizing rules say UNKNOWN, security rules run as for a non-production
env. A production-only rule says UNKNOWN outside production tiers (it does not apply) and when the
env is not known. The tier table is the tiers.yaml of the Terraform tree the files are in (or of
this repository).

On a directory, checkov hands the check the resource's attributes as written, with what it could
not resolve left as text ("var.kms_key_arn", "aws_kms_key.this.arn", "${var.name}-db"): such a value
becomes `Unknown(<the references in it>)`, as the project's own HCL evaluator would make it, and a
rule that needs it says UNKNOWN; so does a rule whose failure rests on such a value (its finding's
`actual` holds an Unknown). checkov does not evaluate `yamldecode(file("tiers.yaml"))`, so most
tier-dependent values stay unknown before the plan. On a plan, the resource is read from the plan
JSON by policy.plan (values unknown until apply are `Unknown`, not missing) and the rule sees the
whole plan, as in `infra policy --plan` (without the HCL's partial values of unknown policies).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from core.project import REPO_ROOT
from policy.model import Finding, Resource, Source, Unknown, has_unknown
from policy.rules import ALL_RULES, Context, Rule

DEFAULT_TERRAFORM_DIR = REPO_ROOT / "terraform"
ENV_VAR = "RPY_CHECKOV_ENV"
BOOTSTRAP = "bootstrap"

PASSED, FAILED, UNKNOWN = "PASSED", "FAILED", "UNKNOWN"

# checkov's own keys (besides "__*"), anywhere in a resource's configuration.
_CHECKOV_KEYS = {"references_", "start_line", "end_line"}
# Terraform's meta-arguments: keys of the resource itself, never of the values in it.
_META_ARGUMENTS = {
    "count", "for_each", "depends_on", "provider", "lifecycle", "dynamic", "provisioner", "connection",
}
_BLOCK_NAME = re.compile(r"^[a-z_][a-z0-9_]*\Z")


# --------------------------------------------------------------------------------------------
# Which rules, under which ids
# --------------------------------------------------------------------------------------------


def check_id(rule_id: str) -> str:
    """RPY-SEC-001 -> CKV_RPY_SEC_001."""
    return "CKV_" + rule_id.replace("-", "_")


def rule_id(ckv_id: str) -> str:
    """CKV_RPY_SEC_001 -> RPY-SEC-001."""
    if not ckv_id.startswith("CKV_"):
        raise ValueError(f"{ckv_id}: not a check id of this adapter")
    return ckv_id.removeprefix("CKV_").replace("_", "-")


def check_name(rule: type[Rule]) -> str:
    return f"{rule.id}: {rule.title}"


def is_exported(rule: type[Rule]) -> bool:
    """A rule with per-resource logic: resource types and its own check()."""
    return bool(rule.resource_types) and rule.check is not Rule.check


def exported_rules() -> list[type[Rule]]:
    return [rule for rule in ALL_RULES if is_exported(rule)]


def not_exported_rules() -> list[type[Rule]]:
    return [rule for rule in ALL_RULES if not is_exported(rule)]


# --------------------------------------------------------------------------------------------
# checkov's configuration -> Resource
# --------------------------------------------------------------------------------------------

# What checkov leaves of an expression it could not resolve: a reference, an interpolation, a
# function call or a conditional. A reference inside a longer string is what is left of
# "arn:${data.aws_partition.current.partition}:..." once checkov dropped the ${ }.
_REFERENCE = re.compile(
    r"(?<![\w.\-/])(?:(?:var|local|module|data|each|count|path|self|terraform)\.[A-Za-z_][\w-]*"
    r"|[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?\.[A-Za-z_][\w-]*)"
    r"(?:\[[^\]]*\]|\.[A-Za-z_][\w-]*|\.\d+)*"
)
_CALL = re.compile(r"^[a-z][a-z0-9_]*\(.*\)\Z", re.DOTALL)
_CONDITIONAL = re.compile(r"\S\s+\?\s+.+\s+:\s+\S", re.DOTALL)


def unresolved(text: str) -> Unknown | None:
    """`Unknown(<references>)` when `text` is an expression checkov left unresolved, else None."""
    refs = list(dict.fromkeys(m.group(0) for m in _REFERENCE.finditer(text)))
    if "${" in text or refs or _CALL.match(text) or _CONDITIONAL.search(text):
        return Unknown(", ".join(refs) if refs else text)
    return None


def _value(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            doc = json.loads(value)  # a policy document as JSON text: judge its parts
        except json.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            return _value(doc)
    if isinstance(value, str):
        unknown = unresolved(value)
        return value if unknown is None else unknown
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items() if not _is_checkovs(k)}
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def _is_checkovs(key: Any) -> bool:
    return not isinstance(key, str) or key.startswith("__") or key in _CHECKOV_KEYS


def _is_block(value: Any) -> bool:
    """A nested block: a dict of snake_case names whose every value is checkov's list (of one item
    per attribute). A map-valued attribute (tags, a policy document: "Statement") has plain values
    or names Terraform's blocks never have."""
    fields = {k: v for k, v in value.items() if not _is_checkovs(k)} if isinstance(value, dict) else None
    return bool(fields) and all(_BLOCK_NAME.match(k) and isinstance(v, list) for k, v in fields.items())


def _attributes(conf: dict[str, Any], top: bool = True) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in conf.items():
        if _is_checkovs(key) or (top and key in _META_ARGUMENTS):
            continue
        if isinstance(raw, list) and raw and all(_is_block(item) for item in raw):
            values[key] = [_attributes(item, top=False) for item in raw]  # blocks stay a list of dicts
        elif isinstance(raw, list) and len(raw) == 1:
            values[key] = _value(raw[0])
        else:
            values[key] = _value(raw)
    return values


def resource_from_conf(
    conf: dict[str, Any], entity_type: str, env: str | None, *, name: str = "", file: str | None = None,
) -> Resource:
    """checkov's configuration of one resource as the rules see a resource."""
    address = conf.get("__address__") or f"{entity_type}.{name}"
    line = conf.get("__start_line__")
    return Resource(
        address=str(address), type=entity_type, values=_attributes(conf), env=env or "unknown", source=Source.HCL,
        file=file, line=line if isinstance(line, int) else None,
    )


# --------------------------------------------------------------------------------------------
# Where a resource is: env and Terraform tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    env: str | None
    terraform_dir: Path


def _parts(path: str | os.PathLike[str]) -> tuple[str, ...]:
    return PurePosixPath(str(path).replace("\\", "/")).parts


def env_root_of(path: str | os.PathLike[str]) -> tuple[str, Path | None] | None:
    """(env, the Terraform tree) for a path inside <tree>/envs/<env>/ or <tree>/bootstrap/.

    The tree is None unless the path is absolute and the tree has a tiers.yaml: checkov's
    `scanned_file` starts with "/" but is relative to the scanned directory.
    """
    parts = _parts(path)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "envs" and i + 1 < len(parts) - 1 and parts[i + 1] not in ("..", "."):
            env = parts[i + 1]
        elif parts[i] == BOOTSTRAP and (i == 0 or parts[i - 1] in ("terraform", "/")):
            env = BOOTSTRAP
        else:
            continue
        tree = Path(*parts[:i]) if i > 1 else None
        return env, tree if tree is not None and (tree / "tiers.yaml").is_file() else None
    return None


def env_of_plan_file(path: str | os.PathLike[str], known: Iterable[str]) -> str | None:
    """dev for .../dev.plan.json (or dev.json, dev.tfplan.json) when dev is a tier or bootstrap."""
    stem = PurePosixPath(str(path).replace("\\", "/")).name.split(".", 1)[0]
    return stem if stem in {*known, BOOTSTRAP} else None


def terraform_dir_above(path: str | os.PathLike[str]) -> Path | None:
    """The nearest Terraform tree of this project (a folder with tiers.yaml) at or above path."""
    start = Path(path)
    for folder in [start, *start.parents]:
        for candidate in (folder, folder / "terraform"):
            if (candidate / "tiers.yaml").is_file():
                return candidate
    return None


_graph_roots: dict[int, tuple[Any, set[tuple[str, Path | None]]]] = {}


def graph_env_roots(graph: Any) -> set[tuple[str, Path | None]]:
    """The env roots among the files of checkov's graph of a directory scan (checkov -d <root>).

    checkov hands a check only the file path relative to the scanned directory, which says nothing
    for a module the root calls ("/../../modules/database/main.tf"); its graph has every parsed
    file's absolute path. Best effort: a graph of another shape gives no roots.
    """
    if graph is None:
        return set()
    cached = _graph_roots.get(id(graph))
    if cached is not None and cached[0] is graph:
        return cached[1]
    roots: set[tuple[str, Path | None]] = set()
    try:
        nodes = graph.nodes()
        for node in nodes:
            attrs = node[1] if isinstance(node, tuple) and len(node) == 2 else node
            path = attrs.get("file_path_") if isinstance(attrs, dict) else getattr(attrs, "path", None)
            found = env_root_of(path) if isinstance(path, str) else None
            if found is not None:
                roots.add(found)
    except Exception:  # another graph library or layout: no roots, never a failed scan
        roots = set()
    _graph_roots[id(graph)] = (graph, roots)
    return roots


def locate(scanned_file: str | None, conf: dict[str, Any], graph: Any = None) -> Where:
    """The env and the Terraform tree of one resource checkov is checking."""
    override = os.environ.get(ENV_VAR, "").strip() or None
    plan_file = _plan_file(conf)
    if plan_file is not None:
        env, tree = _plan_location(plan_file)
        return Where(override or env, tree)
    roots = graph_env_roots(graph)
    trees = {tree for _, tree in roots if tree is not None}
    tree = next(iter(trees)) if len(trees) == 1 else DEFAULT_TERRAFORM_DIR
    env = (env_root_of(scanned_file) or (None, None))[0] if scanned_file else None
    if env is None and len({e for e, _ in roots}) == 1:
        env = next(iter(roots))[0]
    return Where(override or env, tree)


@functools.lru_cache(maxsize=64)
def _plan_location(plan_file: str) -> tuple[str | None, Path]:
    env, tree = env_root_of(plan_file) or (None, None)
    tree = tree or terraform_dir_above(Path(plan_file).parent) or DEFAULT_TERRAFORM_DIR
    if env is None:
        known = tiers_doc(tree)["tiers"]
        env = env_of_plan_file(plan_file, known) or _plan_environment(plan_file, known)
    return env, tree


def _plan_file(conf: dict[str, Any]) -> str | None:
    """The plan JSON a terraform_plan resource came from (checkov's `__file__`), else None."""
    if "__change_actions__" not in conf and "__file__" not in conf:
        return None
    raw = conf.get("__file__")
    value = raw[0] if isinstance(raw, list) and raw else raw
    return value if isinstance(value, str) and value else None


def _plan_environment(plan_file: str, tiers: dict[str, Any]) -> str | None:
    doc = _plan_doc(plan_file)
    value = ((doc.get("variables") or {}).get("environment") or {}).get("value") if isinstance(doc, dict) else None
    return value if isinstance(value, str) and value in tiers else None


# --------------------------------------------------------------------------------------------
# Cached inputs: the tier table, the workflows, plan JSONs
# --------------------------------------------------------------------------------------------

_tiers: dict[Path, dict[str, Any]] = {}
_workflows: dict[Path, set[str] | None] = {}
_plans: dict[tuple[str, float], Any] = {}
_plan_resources: dict[tuple[str, float, str], tuple[list[Resource], dict[str, Resource]]] = {}


def tiers_doc(terraform_dir: Path) -> dict[str, Any]:
    """tiers.yaml of the tree, checked as infra does (its schema), read once per process."""
    if terraform_dir not in _tiers:
        try:
            from core.tiers import load_tiers  # jsonschema: present in checkov's virtualenv too
        except ImportError:  # pragma: no cover - a checkov installation without jsonschema
            import yaml

            def load_tiers(path: Path) -> dict[str, Any]:
                return yaml.safe_load(path.read_text())

        _tiers[terraform_dir] = load_tiers(terraform_dir / "tiers.yaml")
    return _tiers[terraform_dir]


def workflow_environments(terraform_dir: Path) -> set[str] | None:
    if terraform_dir not in _workflows:
        from policy.workflows import workflow_environments as read

        _workflows[terraform_dir] = read(terraform_dir.parent)
    return _workflows[terraform_dir]


def _plan_doc(plan_file: str) -> Any:
    key = (plan_file, os.path.getmtime(plan_file))
    if key not in _plans:
        _plans.clear()
        _plans[key] = json.loads(Path(plan_file).read_text())
    return _plans[key]


def plan_resources(plan_file: str, env: str) -> tuple[list[Resource], dict[str, Resource]]:
    """Every resource of a plan JSON as policy.plan reads it (unknown values are Unknown), by address."""
    from policy.plan import resources_from_plan

    key = (plan_file, os.path.getmtime(plan_file), env)
    if key not in _plan_resources:
        _plan_resources.clear()
        resources = resources_from_plan(_plan_doc(plan_file), env)
        _plan_resources[key] = (resources, {r.address: r for r in resources if r.mode == "managed"})
    return _plan_resources[key]


# --------------------------------------------------------------------------------------------
# One rule on one resource
# --------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    result: str  # PASSED, FAILED or UNKNOWN
    details: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def evaluate(
    rule: type[Rule], conf: dict[str, Any], entity_type: str, scanned_file: str | None = None, graph: Any = None,
    *, name: str = "",
) -> Verdict:
    """What checkov's check of `rule` says about one resource (checkov's `conf` of it)."""
    where = locate(scanned_file, conf, graph)
    tiers = tiers_doc(where.terraform_dir)
    plan_file = _plan_file(conf)
    resource: Resource | None = None
    stack: list[Resource] = []
    source = Source.HCL
    if plan_file is not None and os.path.isfile(plan_file):
        stack, by_address = plan_resources(plan_file, where.env or "unknown")
        resource = by_address.get(str(conf.get("__address__")))
        source = Source.PLAN
    if resource is None:
        resource = resource_from_conf(conf, entity_type, where.env, name=name, file=scanned_file)
        resource.source = source
        stack = [resource]
    return judge(rule, resource, where.env, tiers, source, stack, workflow_environments(where.terraform_dir))


def judge(
    rule: type[Rule], resource: Resource, env: str | None, tiers: dict[str, Any], source: Source,
    stack: list[Resource], workflow_envs: set[str] | None = None,
) -> Verdict:
    """Run `rule.check()` on `resource` the way engine.evaluate would, and sum it up for checkov."""
    tier = tiers["tiers"].get(env, {}) if env else {}
    if rule.family in ("sizing", "cost") and not tier:
        why = f"{env} is not a tier" if env else "the env is not known (a module outside an env root?)"
        return Verdict(UNKNOWN, [f"{rule.id} compares with the tier's sizes in tiers.yaml: {why}"])
    ctx = Context(
        env=env or "", tier=tier, policy=tiers.get("policy", {}), source=source, resources=stack,
        all_tiers=tiers["tiers"], workflow_environments=workflow_envs,
    )
    instance = rule()
    if not instance.applies(ctx):
        why = f"{env} is not a production tier" if env else "the env is not known"
        return Verdict(UNKNOWN, [f"{rule.id} applies to production tiers only: {why}"])
    try:
        findings = list(instance.check(resource, ctx))
    except TypeError as exc:
        if "Unknown" not in str(exc):
            raise
        # The rule met an unknown value where it expects a known one: it cannot decide.
        return Verdict(UNKNOWN, [f"{rule.id}: a value it needs is not known yet"])
    # A failure on a value that is (partly) unknown decided nothing: checkov leaves what it cannot
    # resolve as text, where the project's evaluator knows it (a value read from tiers.yaml).
    failed = [f for f in findings if f.status == "fail" and not has_unknown(f.actual)]
    if failed:
        return Verdict(FAILED, [f.message for f in failed], findings)
    if findings:
        return Verdict(UNKNOWN, [f.message if f.status != "fail" else f"{f.message} (judged on a value not known yet)"
                                 for f in findings], findings)
    return Verdict(PASSED, [], findings)
