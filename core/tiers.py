"""The tier table (terraform/tiers.yaml): loaded once, checked against its schema and its own logic.

The same file is read by Terraform (yamldecode), so what is checked here is what Terraform would
otherwise only discover late, in a plan, or never.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema

from core import reading
from core.errors import InfraError

SCHEMA_FILE = Path(__file__).parent / "schemas" / "tiers.schema.json"


@cache
def tiers_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


def load_tiers(path: Path) -> dict:
    """Read and check the tier file; any problem is an InfraError naming the file and the key."""
    data = reading.read_yaml(path, "tier file")
    check_tiers(data, path)
    return data


def check_tiers(data: object, path: Path | str = "tiers.yaml") -> None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(tiers_schema()).iter_errors(data))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InfraError(f"{path}: {where}: {error.message}")
    for env, tier in data["tiers"].items():
        svc, cache_, budget = tier["service"], tier["cache"], tier["budget_usd_month"]
        if svc["min_tasks"] > svc["max_tasks"]:
            raise InfraError(
                f"{path}: tiers.{env}.service: min_tasks {svc['min_tasks']} > max_tasks {svc['max_tasks']}"
            )
        if cache_["multi_az"] and cache_["replicas_per_shard"] < 1:
            raise InfraError(f"{path}: tiers.{env}.cache: multi_az needs replicas_per_shard >= 1")
        if budget["min"] > budget["max"]:
            raise InfraError(f"{path}: tiers.{env}.budget_usd_month: min > max")
        _check_serverless(tier["database"], f"{path}: tiers.{env}.database")
    unknown = sorted(set(data["policy"]["production_tiers"]) - set(data["tiers"]))
    if unknown:
        raise InfraError(f"{path}: policy.production_tiers: {', '.join(unknown)} is not a tier")


def _check_serverless(database: dict, where: str) -> None:
    """db.serverless and a `serverless` range go together, and the range is a range."""
    serverless, cls = database.get("serverless"), database["instance_class"]
    if cls == "db.serverless" and serverless is None:
        raise InfraError(f"{where}: instance_class db.serverless needs serverless: {{min_acu, max_acu}}")
    if serverless is None:
        return
    if cls != "db.serverless":
        raise InfraError(f"{where}: serverless applies to instance_class db.serverless only, not {cls}")
    if serverless["min_acu"] > serverless["max_acu"]:
        raise InfraError(f"{where}.serverless: min_acu {serverless['min_acu']} > max_acu {serverless['max_acu']}")
    if "seconds_until_auto_pause" in serverless and serverless["min_acu"] != 0:
        raise InfraError(f"{where}.serverless: seconds_until_auto_pause needs min_acu 0 (only then does it pause)")


def node_count(cache_tier: dict) -> int:
    """Nodes in a replication group: shards x (primary + replicas)."""
    return cache_tier["shards"] * (1 + cache_tier["replicas_per_shard"])


def nat_count(network_tier: dict) -> int:
    """NAT gateways a tier's network has: none, one shared by every AZ, or one per AZ."""
    return {"none": 0, "single": 1, "per_az": network_tier["az_count"]}[network_tier["nat_gateways"]]


# Fargate's runtimePlatform.cpuArchitecture as Docker's platform name.
_DOCKER_ARCH = {"X86_64": "amd64", "ARM64": "arm64"}


def image_platforms(tiers: dict) -> list[str]:
    """The ``--platform`` values an image needs to run in every tier (one image is promoted to all)."""
    return sorted({f"linux/{_DOCKER_ARCH[tier['service']['cpu_architecture']]}" for tier in tiers["tiers"].values()})
