"""The operator's inputs: values no default can supply (the API's domain and hosted zone, who receives
the alarms, the GitHub repository), required of each root by its tier and reported together, in one
line, before any plan (`infra inputs`), instead of one Terraform error at a time, or an AWS error late.

Terraform enforces the same requirements (the roots' variables and the platform module's validations
read the same tier keys: `load_balancer.https`, `alarms.subscriber_required`); this is the early,
complete report. Against an emulator, `stand_ins` supplies values for what is missing (a hosted zone
made in the emulator, addresses under `.internal`) in a file of the work copy only; the policy's
reading of the HCL takes the same values, so both judge the configuration the emulator plans.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from core.aws import AwsSession
from core.errors import InputError
from core.project import BOOTSTRAP, Project
from policy.hcl.tfvars import check_tfvars
from policy.model import PolicyInputError

# The emulator's stand-in domain: `.internal` is reserved for private use (ICANN, 2024), so no real
# zone or mailbox can be reached through it.
EMULATOR_DOMAIN = "internal"
EMULATOR_INPUTS_NAME = "infra_emulator_inputs.auto.tfvars.json"


@dataclass(frozen=True)
class Need:
    """One input the root needs: any one of `choices`, each a set of variables set together.
    `null_ok`: an explicit null satisfies it (a required variable the tier lets be empty)."""

    choices: tuple[tuple[str, ...], ...]
    null_ok: bool = False

    def describe(self) -> str:
        return ", or ".join(" and ".join(choice) for choice in self.choices)


def needs(project: Project, root: str) -> list[Need]:
    """What `root` requires of its operator, from its tier in tiers.yaml."""
    if root == BOOTSTRAP:
        return [Need((("github_repository",),))]
    tier = project.tiers["tiers"][project.check_env(root)]
    result = [Need((("alarm_email",),), null_ok=not tier["alarms"]["subscriber_required"])]
    if tier["load_balancer"]["https"]:
        result.append(Need((("domain_name", "hosted_zone_id"), ("certificate_arn",))))
    return result


def given_values(root_dir: Path, environ: os._Environ | dict | None = None) -> dict:
    """The values Terraform would read for the root's variables, each later source winning, as in
    Terraform: TF_VAR_<name>, terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars and
    *.auto.tfvars.json together in file-name order."""
    environ = os.environ if environ is None else environ
    values = {name[len("TF_VAR_"):]: value for name, value in environ.items() if name.startswith("TF_VAR_")}
    values.update(check_tfvars(root_dir, skip=[EMULATOR_INPUTS_NAME]))
    return values


def _set(values: dict, name: str, null_ok: bool) -> bool:
    if name not in values:
        return False
    return null_ok or values[name] not in (None, "")


def missing(project: Project, root: str, environ: dict | None = None) -> list[Need]:
    values = given_values(project.root_dir(root), environ)
    return [need for need in needs(project, root)
            if not any(all(_set(values, name, need.null_ok) for name in choice) for choice in need.choices)]


def check_inputs(project: Project, root: str, environ: dict | None = None) -> None:
    """One line naming every missing input of `root` (exit 2), or nothing."""
    gaps = missing(project, root, environ)
    if gaps:
        where = project.root_dir(root) / "terraform.tfvars"
        raise PolicyInputError(f"{root}: operator inputs missing: {'; '.join(g.describe() for g in gaps)} "
                         f"(set them in {where} or as TF_VAR_<name>; README: Using it against real AWS)")


def _zone_of(domain: str) -> str:
    labels = domain.rstrip(".").split(".")
    return ".".join(labels[1:]) if len(labels) > 2 else ".".join(labels)


def ensure_zone(endpoint: str, zone: str) -> str:
    """The ID of the emulator's public hosted zone `zone`, created when missing."""
    route53 = AwsSession(endpoint).client("route53")
    for hz in route53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]:
        if hz["Name"].rstrip(".") == zone and not hz.get("Config", {}).get("PrivateZone"):
            return hz["Id"].rsplit("/", 1)[-1]
    created = route53.create_hosted_zone(Name=zone, CallerReference=f"infra-emulator-{zone}")
    return created["HostedZone"]["Id"].rsplit("/", 1)[-1]


# The hosted zone of the stand-ins when no emulator is at hand to make one (the policy's HCL pass):
# an ID of the right shape, which only an emulator or AWS could look up.
STAND_IN_ZONE_ID = "ZSTANDIN0000000000000"


def stand_ins(project: Project, root: str, endpoint: str | None = None) -> dict:
    """Values for what the operator has not set: valid against the emulator at `endpoint`, or, with
    none, of the right shape for the policy's reading of the HCL. Certificates and zones cannot be the
    operator's own in an emulator: an https tier always gets a zone made there (for the operator's
    domain when given) and a certificate requested in it."""
    try:
        values = given_values(project.root_dir(root))
    except InputError:
        return {}  # a malformed tfvars file: whoever reads the root next reports it, in its own words
    name_of_project = str(values.get("project") or "rupaya")
    stand_in = f"{root}.{name_of_project}.{EMULATOR_DOMAIN}"
    result: dict = {}
    for need in needs(project, root):
        if any(all(_set(values, n, need.null_ok) for n in choice) for choice in need.choices):
            continue
        for name in need.choices[0]:
            if name == "github_repository":
                result[name] = f"{name_of_project}-emulator/{name_of_project}"
            elif name == "alarm_email":
                result[name] = f"alarms@{stand_in}"
            elif name in ("domain_name", "hosted_zone_id") and endpoint is None:
                result.update(domain_name=values.get("domain_name") or f"api.{stand_in}",
                              hosted_zone_id=values.get("hosted_zone_id") or STAND_IN_ZONE_ID)
    https = root != BOOTSTRAP and project.tiers["tiers"][root]["load_balancer"]["https"]
    if endpoint is not None and (https or values.get("hosted_zone_id")):
        domain = values.get("domain_name") or f"api.{stand_in}"
        result.update(domain_name=domain, hosted_zone_id=ensure_zone(endpoint, _zone_of(domain)),
                      certificate_arn=None)
    return result


def write_emulator_inputs(project: Project, root: str, root_dir: Path, endpoint: str) -> None:
    """Write (or remove) the work copy's stand-in inputs file, which wins over the committed tfvars."""
    path = root_dir / EMULATOR_INPUTS_NAME
    inputs = stand_ins(project, root, endpoint)
    if inputs:
        path.write_text(json.dumps(inputs, indent=2, sort_keys=True) + "\n")
    else:
        path.unlink(missing_ok=True)
