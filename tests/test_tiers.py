"""The tier table: its schema, its own consistency, and the docs generated from it."""

from __future__ import annotations

import copy

import pytest

from core.errors import InfraError
from core.project import REPO_ROOT
from core.tiers import check_tiers, node_count
from infra import docs


def test_committed_tier_file_is_valid(project):
    assert project.envs == ["dev", "staging", "prod"]


def test_prod_cache_is_three_nodes_in_cluster_mode(project):
    prod = project.tiers["tiers"]["prod"]["cache"]
    assert (node_count(prod), prod["cluster_mode"], prod["multi_az"]) == (3, True, True)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("dev", "network", "nat_gateways"), "two", "'two' is not one of"),
        (("dev", "database", "instances"), 0, "0 is less than the minimum of 1"),
        (("staging", "cache", "replicas_per_shard"), 0, "multi_az needs replicas_per_shard >= 1"),
        (("prod", "budget_usd_month", "min"), 5000, "budget_usd_month: min > max"),
        (("prod", "logs", "surprise"), 1, "Additional properties are not allowed"),
    ],
)
def test_inconsistent_tiers_are_rejected(project, path, value, message):
    data = copy.deepcopy(project.tiers)
    node = data["tiers"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(InfraError, match=message):
        check_tiers(data)


def test_production_tiers_must_be_tiers(project):
    data = copy.deepcopy(project.tiers)
    data["policy"]["production_tiers"] = ["prod", "production"]
    with pytest.raises(InfraError, match=r"policy\.production_tiers: production is not a tier"):
        check_tiers(data)


def test_the_tier_table_and_rule_list_are_generated_from_their_sources(project):
    fresh = docs.generated_pages(REPO_ROOT, project.tiers)
    assert {p.name for p in fresh} == {"TIERS.md", "POLICY.md"}
    stale = [p.name for p, text in fresh.items() if p.read_text() != text]
    assert not stale, f"generated blocks are stale in {stale}: run `infra docs --write`"
