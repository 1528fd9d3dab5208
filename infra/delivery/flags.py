"""`infra flags`: the env's feature flags on AWS AppConfig (the seed's workflow 15).

The flag document lives in the hosted configuration profile Terraform made (module feature_flags).
A change reads the latest version, edits it, checks the result against the project's schema (the
same file AppConfig validates with) and the rules a schema cannot state, and only then writes a
new hosted version and starts a deployment with the env's strategy. A bad name, percentage or
weight set is refused before anything is written.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from core import reading
from core.errors import InfraError
from infra.delivery.target import Target

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}\Z")
VARIANT = re.compile(r"^[a-z][a-z0-9_-]{0,30}\Z")
EMPTY = {"schema_version": 1, "flags": {}}


def schema_path(terraform_dir: Path) -> Path:
    return terraform_dir / "modules" / "feature_flags" / "flags.schema.json"


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise InfraError(
            f"flag name {name!r} must be lowercase letters, digits, - or _, start with a letter, at most 63 long"
        )
    return name


def parse_percent(text: str) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise InfraError(f"--percent {text!r} is not a whole number from 0 to 100") from None
    if not 0 <= value <= 100:
        raise InfraError(f"--percent {value} is outside 0-100")
    return value


def parse_variants(text: str) -> dict[str, int]:
    """'a:50,b:50' -> {'a': 50, 'b': 50}: at least two distinct names, integer weights summing to 100."""
    variants: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        name, sep, weight = part.partition(":")
        name = name.strip()
        if not sep or not VARIANT.match(name):
            raise InfraError(f"variant '{part}' is not name:weight (name: lowercase letters, digits, - or _)")
        if name in variants:
            raise InfraError(f"variant '{name}' is given twice")
        try:
            variants[name] = int(weight)
        except ValueError:
            raise InfraError(f"variant '{name}': weight '{weight.strip()}' is not a whole number") from None
        if not 0 <= variants[name] <= 100:
            raise InfraError(f"variant '{name}': weight {variants[name]} is outside 0-100")
    if len(variants) < 2:
        raise InfraError("an A/B test needs at least two variants, e.g. a:50,b:50")
    total = sum(variants.values())
    if total != 100:
        raise InfraError(f"variant weights sum to {total}, not 100")
    return variants


def validate(document: dict, schema: dict) -> None:
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "(document)"
        raise InfraError(f"the flag document would be invalid at {where}: {errors[0].message}")
    for name, flag in document["flags"].items():
        if "variants" in flag and sum(flag["variants"].values()) != 100:
            raise InfraError(f"flag {name}: variant weights sum to {sum(flag['variants'].values())}, not 100")


@dataclass
class Written:
    version: int
    deployment: int
    state: str


class Flags:
    def __init__(self, target: Target, schema_file: Path):
        self.target = target
        self.client = target.aws.client("appconfig")
        self.app = target.out("flags_application_id")
        self.profile = target.out("flags_profile_id")
        self.environment = target.out("flags_environment_id")
        self.strategy = target.out("flags_deployment_strategy_id")
        self.schema = reading.read_json(schema_file, "flag schema", kind="config")

    def latest_version(self) -> int | None:
        versions = self.client.list_hosted_configuration_versions(
            ApplicationId=self.app, ConfigurationProfileId=self.profile
        ).get("Items", [])
        return max((v["VersionNumber"] for v in versions), default=None)

    def read(self) -> tuple[dict, int | None]:
        version = self.latest_version()
        if version is None:
            return copy.deepcopy(EMPTY), None
        answer = self.client.get_hosted_configuration_version(
            ApplicationId=self.app, ConfigurationProfileId=self.profile, VersionNumber=version
        )
        try:
            return json.loads(answer["Content"].read()), version
        except json.JSONDecodeError:
            raise InfraError(f"hosted version {version} of the flags is not JSON; fix it in AppConfig first") from None

    def change(self, edit, description: str) -> Written:
        """Apply `edit(flags_dict)` to the latest document, validate, write a version, deploy it."""
        document, version = self.read()
        updated = copy.deepcopy(document)
        edit(updated["flags"])
        validate(updated, self.schema)
        created = self.client.create_hosted_configuration_version(
            ApplicationId=self.app,
            ConfigurationProfileId=self.profile,
            Content=json.dumps(updated, indent=2).encode(),  # variants keep the order they were given in
            ContentType="application/json",
            Description=description[:1024],
            **({"LatestVersionNumber": version} if version is not None else {}),
        )
        number = created["VersionNumber"]
        deployment = self.client.start_deployment(
            ApplicationId=self.app,
            EnvironmentId=self.environment,
            DeploymentStrategyId=self.strategy,
            ConfigurationProfileId=self.profile,
            ConfigurationVersion=str(number),
            Description=description[:1024],
        )
        return Written(number, deployment["DeploymentNumber"], deployment.get("State", ""))


def switch(flags: dict, name: str, on: bool) -> None:
    """On or off for everyone: a canary share or variants the flag had are dropped."""
    flags[name] = {"enabled": on}


def canary(flags: dict, name: str, percent: int) -> None:
    flags[name] = {"enabled": percent > 0, "rollout_percent": percent}


def ab(flags: dict, name: str, variants: dict[str, int]) -> None:
    flags[name] = {"enabled": True, "variants": variants}
