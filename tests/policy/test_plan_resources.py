"""policy.plan.resources_from_plan: a plan JSON into Resources, unknowns marked, nothing but
PolicyInputError raised whatever the input."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.model import PolicyInputError, Resource, Source, Unknown, has_unknown, is_unknown
from policy.plan import resources_from_plan, summary


def plan_json(root: dict, changes: list[dict] | None = None, prior: dict | None = None) -> dict:
    data = {"format_version": "1.2", "planned_values": {"root_module": root}, "resource_changes": changes or []}
    if prior is not None:
        data["prior_state"] = {"values": {"root_module": prior}}
    return data


def rc(address: str, after_unknown: dict, mode: str = "managed") -> dict:
    return {"address": address, "mode": mode, "change": {"actions": ["create"], "after_unknown": after_unknown}}


SAMPLE = plan_json(
    root={
        "resources": [
            {"address": "aws_vpc.this", "mode": "managed", "type": "aws_vpc", "name": "this",
             "values": {"cidr_block": "10.0.0.0/16", "tags": {"Name": "x"}}},
        ],
        "child_modules": [
            {
                "address": "module.db",
                "resources": [
                    {"address": "module.db.aws_rds_cluster_instance.this[0]", "mode": "managed",
                     "type": "aws_rds_cluster_instance", "name": "this", "index": 0,
                     "values": {"instance_class": "db.t3.medium", "endpoint": None,
                                "blocks": [{"a": 1, "b": None}, {"a": 2}]}},
                    {"address": "module.db.data.aws_vpc.this", "mode": "data", "type": "aws_vpc", "name": "this",
                     "values": {"id": None}},
                ],
                "child_modules": [
                    {"address": "module.db.module.deep", "resources": [
                        {"address": "module.db.module.deep.aws_kms_key.k", "mode": "managed", "type": "aws_kms_key",
                         "name": "k", "values": {"multi_region": True}},
                    ]},
                ],
            }
        ],
    },
    changes=[
        rc("aws_vpc.this", {"id": True, "tags": {}, "arn": True}),
        rc("module.db.aws_rds_cluster_instance.this[0]",
           {"endpoint": True, "blocks": [{"b": True}, {}], "tags_all": {"k": True}, "list": [False, True]}),
        rc("module.db.data.aws_vpc.this", {"id": True}, mode="data"),
    ],
    prior={
        "resources": [
            {"address": "data.aws_region.current", "mode": "data", "type": "aws_region", "name": "current",
             "values": {"name": "us-east-1"}},
            {"address": "aws_vpc.old", "mode": "managed", "type": "aws_vpc", "name": "old", "values": {}},
        ],
    },
)


def test_walks_every_module_and_includes_data_sources():
    resources = resources_from_plan(copy.deepcopy(SAMPLE), "dev")
    by_address = {r.address: r for r in resources}
    assert list(by_address) == [
        "aws_vpc.this", "module.db.aws_rds_cluster_instance.this[0]", "module.db.data.aws_vpc.this",
        "module.db.module.deep.aws_kms_key.k", "data.aws_region.current",
    ]  # planned first, then data sources read during the plan; never the prior state's managed resources
    assert all(r.env == "dev" and r.source is Source.PLAN for r in resources)
    assert by_address["module.db.data.aws_vpc.this"].mode == "data"
    assert by_address["data.aws_region.current"].values == {"name": "us-east-1"}
    assert by_address["module.db.module.deep.aws_kms_key.k"].values == {"multi_region": True}


def test_unknown_attributes_are_unknown_with_their_path():
    by_address = {r.address: r for r in resources_from_plan(copy.deepcopy(SAMPLE), "dev")}
    vpc = by_address["aws_vpc.this"]
    assert vpc.values["id"] == Unknown() and vpc.values["id"].reason == "aws_vpc.this.id"
    assert vpc.values["tags"] == {"Name": "x"}  # after_unknown {} leaves a known value alone
    db = by_address["module.db.aws_rds_cluster_instance.this[0]"]
    assert is_unknown(db.values["endpoint"])
    assert db.values["endpoint"].reason == "module.db.aws_rds_cluster_instance.this[0].endpoint"
    assert db.values["instance_class"] == "db.t3.medium"
    assert db.values["blocks"][0]["a"] == 1 and is_unknown(db.values["blocks"][0]["b"])
    assert db.values["blocks"][0]["b"].reason.endswith(".blocks.0.b")
    assert db.values["blocks"][1] == {"a": 2}
    assert is_unknown(db.values["tags_all"]["k"])
    assert db.values["list"][0] is None and is_unknown(db.values["list"][1])
    assert is_unknown(db.get("blocks.0.b")) and has_unknown(db.values)
    assert is_unknown(by_address["module.db.data.aws_vpc.this"].values["id"])


def test_input_is_not_modified():
    data = copy.deepcopy(SAMPLE)
    resources_from_plan(data, "dev")
    assert data == SAMPLE


@pytest.mark.parametrize(
    "bad,needle",
    [
        (None, "(top level)"),
        ([], "(top level)"),
        ("{}", "(top level)"),
        ({}, "planned_values"),
        ({"planned_values": None}, "planned_values"),
        ({"planned_values": []}, "planned_values"),
        ({"planned_values": {}}, "root_module"),
        ({"planned_values": {"root_module": None}}, "root_module"),
        ({"planned_values": {"root_module": {"resources": {}}}}, "resources"),
        ({"planned_values": {"root_module": {"resources": [1]}}}, "resources[0]"),
        ({"planned_values": {"root_module": {"resources": [{"type": "aws_vpc"}]}}}, "address"),
        ({"planned_values": {"root_module": {"resources": [{"address": "a.b"}]}}}, "type"),
        ({"planned_values": {"root_module": {"resources": [{"address": "a.b", "type": "a", "mode": "x"}]}}}, "mode"),
        ({"planned_values": {"root_module": {"resources": [{"address": "a.b", "type": "a", "values": []}]}}}, "values"),
        ({"planned_values": {"root_module": {"child_modules": {}}}}, "child_modules"),
        ({"planned_values": {"root_module": {"child_modules": [[]]}}}, "child_modules[0]"),
        ({"planned_values": {"root_module": {}}, "resource_changes": {}}, "resource_changes"),
        ({"planned_values": {"root_module": {}}, "resource_changes": [{"change": {}}]}, "address"),
        ({"planned_values": {"root_module": {}}, "resource_changes": [{"address": "a", "change": []}]}, "change"),
        ({"planned_values": {"root_module": {}},
          "resource_changes": [{"address": "a", "change": {"after_unknown": True}}]}, "after_unknown"),
        ({"planned_values": {"root_module": {}}, "prior_state": []}, "prior_state"),
        ({"planned_values": {"root_module": {}}, "prior_state": {"values": 3}}, "prior_state.values"),
    ],
)
def test_malformed_plan_json_is_one_line_policy_input_error(bad, needle):
    with pytest.raises(PolicyInputError) as info:
        resources_from_plan(bad, "dev")
    assert "\n" not in str(info.value) and needle in str(info.value)


def test_env_must_be_named():
    with pytest.raises(PolicyInputError):
        resources_from_plan(copy.deepcopy(SAMPLE), "")


# -- Fuzz ------------------------------------------------------------------------------------

json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_value = st.recursive(
    json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3), max_leaves=10
)
maybe = lambda s: s | json_value  # noqa: E731 - a valid part, or anything at all

resource = st.fixed_dictionaries(
    {"address": maybe(st.sampled_from(["a.b", "module.m.a.b", "data.x.y"])),
     "type": maybe(st.sampled_from(["aws_vpc", "aws_lb"]))},
    optional={"mode": maybe(st.sampled_from(["managed", "data"])), "values": maybe(st.dictionaries(
        st.sampled_from(["id", "tags", "subnets", "x"]), json_value, max_size=3))},
)
module = st.recursive(
    st.fixed_dictionaries({}, optional={"resources": maybe(st.lists(resource, max_size=3))}),
    lambda c: st.fixed_dictionaries(
        {},
        optional={"resources": maybe(st.lists(resource, max_size=3)), "child_modules": maybe(st.lists(c, max_size=2))},
    ),
    max_leaves=4,
)
change = st.fixed_dictionaries(
    {"address": maybe(st.sampled_from(["a.b", "module.m.a.b", "data.x.y"]))},
    optional={"change": maybe(st.fixed_dictionaries({}, optional={"after_unknown": maybe(st.dictionaries(
        st.sampled_from(["id", "tags", "subnets", "x"]), json_value, max_size=3))}))},
)
plan = st.fixed_dictionaries(
    {"planned_values": maybe(st.fixed_dictionaries({}, optional={"root_module": maybe(module)}))},
    optional={"resource_changes": maybe(st.lists(change, max_size=4)),
              "prior_state": maybe(st.fixed_dictionaries({}, optional={"values": maybe(
                  st.fixed_dictionaries({}, optional={"root_module": maybe(module)}))}))},
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(plan, json_value))
def test_fuzz_never_anything_but_policy_input_error(data):
    try:
        resources = resources_from_plan(data, "dev")
    except PolicyInputError as exc:
        assert "\n" not in str(exc)
        return
    for r in resources:
        assert isinstance(r.address, str) and isinstance(r.values, dict) and r.mode in ("managed", "data")
        json.dumps(r.values, default=repr)


# -- A real plan -------------------------------------------------------------------------------


def test_real_plans(plans):
    for env, plan in plans.items():
        resources = resources_from_plan(plan.data, env)
        managed = [r for r in resources if r.mode == "managed"]
        assert len(managed) == len(plan.changes)  # every planned resource instance, once
        assert {r.address for r in managed} == {c["address"] for c in plan.changes}
        assert any(r.mode == "data" for r in resources)
        (instance, *_) = [r for r in resources if r.type == "aws_rds_cluster_instance"]
        assert instance.values["instance_class"] == plan.tier["database"]["instance_class"]
        assert is_unknown(instance.values["arn"]) and instance.values["arn"].reason == f"{instance.address}.arn"


# -- summary -----------------------------------------------------------------------------------


def test_summary_counts_like_terraform():
    def change(actions, mode="managed"):
        return {"address": "a.b", "mode": mode, "change": {"actions": actions}}

    doc = {"resource_changes": [change(["create"]), change(["create"]), change(["update"]), change(["delete"]),
                                change(["delete", "create"]), change(["create", "delete"]), change(["no-op"]),
                                change(["read"], mode="data")]}
    assert summary(doc) == {"add": 4, "change": 1, "destroy": 3}
    assert summary({"planned_values": {}}) == {"add": 0, "change": 0, "destroy": 0}


@pytest.mark.parametrize("bad", [None, [], {"resource_changes": {}}, {"resource_changes": [1]},
                                 {"resource_changes": [{"change": {"actions": "create"}}]},
                                 {"resource_changes": [{"change": None}]}])
def test_summary_of_malformed_plan(bad):
    with pytest.raises(PolicyInputError) as info:
        summary(bad)
    assert "\n" not in str(info.value)


def test_summary_of_real_plans(plans):
    for plan in plans.values():
        assert summary(plan.data) == {"add": len(plan.changes), "change": 0, "destroy": 0}


@pytest.mark.parametrize("value", [5, "text", True, None, [1, "x"]])
def test_a_value_that_is_not_a_block_has_no_blocks(value):
    """A hostile `network_configuration = 5` (or a plan's odd value) reads as no block, never a crash."""
    resource = Resource(address="aws_ecs_service.s", type="aws_ecs_service", values={"network_configuration": value},
                        env="dev", source=Source.PLAN)
    assert resource.blocks("network_configuration") == []
