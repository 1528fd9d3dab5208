"""The price table and the monthly estimate: synthetic resources, then each env's real plan."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InputError
from core.project import REPO_ROOT
from core.tiers import nat_count
from policy import catalog, cost
from policy.model import PolicyInputError, Resource, Source, Unknown
from policy.plan import resources_from_plan

TIERS = yaml.safe_load((REPO_ROOT / "terraform" / "tiers.yaml").read_text())["tiers"]
HOURS = cost.price_table()["hours"]


def p(group: str, key: str) -> float:
    found = cost.price(group, key)
    assert found is not None, f"no price {group}.{key}"
    return found.usd


def res(address: str, rtype: str, env: str = "staging", **values) -> Resource:
    return Resource(address=address, type=rtype, values=values, env=env, source=Source.PLAN)


# -- The price table ---------------------------------------------------------------------------


def _tier_classes():
    for env, tier in TIERS.items():
        db, cache_ = tier["database"], tier["cache"]
        for cls in {db["instance_class"], *db.get("allowed_instance_classes", [])}:
            # db.serverless is priced by the ACU-hour, not by the instance
            yield (env, "aurora_serverless_v2", "acu_hour") if cls == catalog.SERVERLESS_CLASS else \
                (env, "aurora_postgresql_instance", cls)
        for node in {cache_["node_type"], *cache_.get("allowed_node_types", [])}:
            yield env, "elasticache_node", node


@pytest.mark.parametrize("env,group,cls", sorted(set(_tier_classes())))
def test_every_class_tiers_yaml_names_has_a_price(env, group, cls):
    assert cost.price(group, cls) is not None, f"{env}: {cls} has no price in {group}"


def test_every_priced_class_is_a_real_class():
    table = cost.price_table()
    for cls in table["prices"]["aurora_postgresql_instance"]:
        assert catalog.is_valid_aurora_postgres_class(cls), cls
    for node in table["prices"]["elasticache_node"]:
        assert catalog.cache_node(node) is not None, node


def test_every_price_group_has_a_source_and_date():
    for name, meta in cost.price_table()["meta"].items():
        assert meta["source"].startswith("https://aws.amazon.com/"), name
        assert len(meta["as_of"]) == 10, name


def test_the_prices_the_stack_needs_are_there():
    for group, key in [
        ("aurora_storage", "standard_gb_month"), ("aurora_storage", "io_per_million"), ("nat_gateway", "hour"),
        ("nat_gateway", "gb_processed"), ("load_balancer", "alb_hour"), ("load_balancer", "alb_lcu_hour"),
        ("fargate", "vcpu_hour"), ("fargate", "gb_hour"), ("cloudwatch", "logs_ingest_gb"),
        ("cloudwatch", "logs_storage_gb_month"), ("cloudwatch", "alarm_standard_metric_month"), ("kms", "key_month"),
        ("secrets_manager", "secret_month"), ("ecr", "storage_gb_month"), ("s3", "standard_gb_month"),
        ("public_ipv4", "address_hour"), ("vpc_flow_logs", "cloudwatch_ingest_gb"), ("sns", "topic_month"),
    ]:
        assert cost.price(group, key) is not None, (group, key)
    assert cost.price_table()["hours"] == 730


def test_usage_overrides_per_env_and_defaults_elsewhere():
    defaults = cost.price_table()["usage_defaults"]
    assert cost.usage_for("nowhere") == defaults
    prod = cost.usage_for("prod")
    overrides = cost.price_table()["usage_tiers"].get("prod", {})
    for key, value in overrides.items():
        assert prod[key] == value
    assert set(prod) == set(defaults)


def _shipped():
    return yaml.safe_load(cost.PRICES_FILE.read_text())


@pytest.mark.parametrize(
    "mutate,needle",
    [
        (lambda d: d.pop("groups"), "groups"),
        (lambda d: d.update(currency="EUR"), "currency"),
        (lambda d: d["assumptions"].update(hours_per_month=24), "hours_per_month"),
        (lambda d: d["groups"]["nat_gateway"].pop("source"), "groups.nat_gateway.source"),
        (lambda d: d["groups"]["nat_gateway"].update(as_of=20261130), "groups.nat_gateway.as_of"),
        (lambda d: d["groups"]["nat_gateway"]["prices"].update(hour="cheap"), "groups.nat_gateway.prices.hour"),
        (lambda d: d["groups"]["nat_gateway"]["prices"].update(hour=-1), "groups.nat_gateway.prices.hour"),
        (lambda d: d["groups"]["elasticache_node"]["prices"].update({"cache.t3.micro": {"usd": None}}), "usd"),
        (lambda d: d["usage"]["defaults"].pop("alb_lcu"), "alb_lcu"),
        (lambda d: d["usage"]["tiers"].update(dev={"instance_class": "db.t3.micro"}), "usage.tiers.dev.instance_class"),
        (lambda d: d["usage"]["defaults"].update(log_ingest_gb_by_name=3), "log_ingest_gb_by_name"),
    ],
)
def test_malformed_price_table_is_one_line_policy_input_error(tmp_path, mutate, needle):
    data = _shipped()
    mutate(data)
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as info:
        cost.load_prices(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and needle in message


@pytest.mark.parametrize("text", ["", "- a list", "groups: {unclosed", "42"])
def test_unparseable_price_table(tmp_path, text):
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        cost.load_prices(path)
    assert "\n" not in str(info.value)


def test_usage_is_not_sizing():
    # Sizing comes from the plan only: the price file's usage knows no class, count or task size.
    usage_keys = set(cost.price_table()["usage_defaults"])
    assert not usage_keys & {"instance_class", "instances", "node_type", "min_tasks", "max_tasks", "cpu", "memory"}


# -- A synthetic env ---------------------------------------------------------------------------


def synthetic(env: str = "staging", instance_class: str = "db.r6g.large") -> list[Resource]:
    return [
        res("aws_rds_cluster.db", "aws_rds_cluster", env, engine="aurora-postgresql", storage_type=None),
        res("aws_rds_cluster_instance.db[0]", "aws_rds_cluster_instance", env, instance_class=instance_class,
            engine="aurora-postgresql"),
        res("aws_rds_cluster_instance.db[1]", "aws_rds_cluster_instance", env, instance_class=instance_class,
            engine="aurora-postgresql"),
        res("aws_elasticache_replication_group.c", "aws_elasticache_replication_group", env,
            node_type="cache.r6g.xlarge", num_node_groups=1, replicas_per_node_group=2,
            num_cache_clusters=Unknown("c.num_cache_clusters")),
        res("aws_nat_gateway.a", "aws_nat_gateway", env),
        res("aws_eip.a", "aws_eip", env, domain="vpc"),
        res("aws_lb.web", "aws_lb", env, load_balancer_type="application", internal=False,
            subnets=["subnet-a", "subnet-b", "subnet-c"]),
        res("aws_ecs_task_definition.app", "aws_ecs_task_definition", env, family="app", cpu="1024", memory="2048",
            runtime_platform=[{"cpu_architecture": "X86_64", "operating_system_family": "LINUX"}]),
        res("aws_ecs_service.app", "aws_ecs_service", env, name="app", launch_type="FARGATE", desired_count=3,
            task_definition=Unknown("svc.task_definition")),
        res("aws_appautoscaling_target.app", "aws_appautoscaling_target", env, service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount", resource_id="service/main/app", min_capacity=3,
            max_capacity=10),
        res("aws_cloudwatch_log_group.flow", "aws_cloudwatch_log_group", env, name="/vpc/flow-logs",
            retention_in_days=30),
        res("aws_cloudwatch_log_group.app", "aws_cloudwatch_log_group", env, name="/ecs/app", retention_in_days=0),
        res("aws_cloudwatch_metric_alarm.cpu", "aws_cloudwatch_metric_alarm", env, period=60),
        res("aws_kms_key.k", "aws_kms_key", env, multi_region=False),
        res("aws_secretsmanager_secret.s", "aws_secretsmanager_secret", env),
        res("aws_ecr_repository.r", "aws_ecr_repository", env),
        res("aws_s3_bucket.b", "aws_s3_bucket", env),
        res("aws_sns_topic.t", "aws_sns_topic", env),
        res("aws_iam_role.free", "aws_iam_role", env),
        res("data.aws_region.current", "aws_region", env),
    ]


def items(estimate: cost.CostEstimate, address: str) -> list[cost.LineItem]:
    return [i for i in estimate.items if i.address == address]


def test_synthetic_estimate_line_items():
    usage = cost.usage_for("staging")
    e = cost.estimate(synthetic(), TIERS["staging"])
    assert e.complete and e.env == "staging"

    (instance,) = items(e, "aws_rds_cluster_instance.db[0]")
    assert instance.monthly_min == round(HOURS * p("aurora_postgresql_instance", "db.r6g.large"), 2)
    storage, io = items(e, "aws_rds_cluster.db")
    assert storage.monthly_min == round(usage["aurora_storage_gb"] * p("aurora_storage", "standard_gb_month"), 2)
    assert io.quantity == usage["aurora_io_million_requests"]

    (redis,) = items(e, "aws_elasticache_replication_group.c")
    assert redis.quantity == 3 * HOURS  # 1 shard x (1 primary + 2 replicas)
    assert "cache.r6g.xlarge x 3 nodes" in redis.description

    (fargate,) = items(e, "aws_ecs_service.app")
    per_task_hour = 1 * p("fargate", "vcpu_hour") + 2 * p("fargate", "gb_hour")
    assert fargate.quantity == 3 * HOURS and fargate.quantity_max == 10 * HOURS
    assert fargate.monthly_min == pytest.approx(3 * HOURS * per_task_hour, abs=0.05)
    assert fargate.monthly_max == pytest.approx(10 * HOURS * per_task_hour, abs=0.05)

    alb = items(e, "aws_lb.web")
    assert [i.unit for i in alb] == ["hours", "LCU-hours", "address-hours"]
    assert alb[2].quantity == 3 * HOURS  # one public IPv4 address per subnet

    flow = items(e, "aws_cloudwatch_log_group.flow")
    assert "flow" in flow[0].description.lower()
    assert flow[0].quantity == usage["log_ingest_gb_by_name"]["flow"]
    assert flow[1].quantity == pytest.approx(usage["log_ingest_gb_by_name"]["flow"])  # 30 days kept = one month
    never = items(e, "aws_cloudwatch_log_group.app")[1]
    assert "never expires" in never.description

    assert not items(e, "aws_iam_role.free") and not items(e, "data.aws_region.current")
    assert e.total_min == round(sum(i.monthly_min for i in e.items), 2)
    assert e.total_max - e.total_min == pytest.approx(fargate.monthly_max - fargate.monthly_min, abs=0.02)


def test_any_number_of_instances_and_classes():
    resources = [
        res(f"aws_rds_cluster_instance.db[{n}]", "aws_rds_cluster_instance", instance_class=cls)
        for n, cls in enumerate(["db.t3.medium", "db.t4g.large", "db.r7g.xlarge", "db.r6i.large", "db.r6i.large"])
    ]
    e = cost.estimate(resources, TIERS["staging"])
    assert len(e.items) == 5 and e.complete
    assert e.total_min == pytest.approx(
        HOURS * sum(p("aurora_postgresql_instance", r.values["instance_class"]) for r in resources), abs=0.03
    )


def test_a_class_without_a_price_is_a_line_item_not_a_crash():
    resources = [
        *synthetic(instance_class="db.r5.24xlarge"),
        res("aws_elasticache_cluster.memcache", "aws_elasticache_cluster", node_type="cache.m5.4xlarge",
            num_cache_nodes=2),
    ]
    e = cost.estimate(resources, TIERS["staging"])
    assert not e.complete
    missing = [i for i in e.items if not i.priced]
    assert {i.description for i in missing} == {"no price for db.r5.24xlarge", "no price for cache.m5.4xlarge"}
    assert all(i.monthly_min == 0 for i in missing)
    assert any("no price for db.r5.24xlarge" in n for n in e.notes)
    assert e.rows()[-1][1].startswith("TOTAL (incomplete")
    assert "no price" in next(r for r in e.rows() if r[0] == "aws_rds_cluster_instance.db[0]")[4]


def test_unknown_sizes_make_the_estimate_incomplete():
    resources = [
        res("aws_rds_cluster_instance.db", "aws_rds_cluster_instance", instance_class=Unknown("db.instance_class")),
        res("aws_elasticache_replication_group.c", "aws_elasticache_replication_group", node_type="cache.t3.micro",
            num_node_groups=Unknown("a"), num_cache_clusters=Unknown("b")),
        res("aws_ecs_task_definition.t", "aws_ecs_task_definition", cpu=Unknown("cpu"), memory="1024"),
        res("aws_ecs_service.s", "aws_ecs_service", name="s", launch_type="FARGATE", desired_count=1),
        res("aws_db_instance.legacy", "aws_db_instance", instance_class="db.t3.micro"),
    ]
    e = cost.estimate(resources, TIERS["dev"])
    assert not e.complete
    assert len([i for i in e.items if not i.priced]) == 4
    assert e.total_min == 0


def test_member_cache_clusters_are_not_counted_twice():
    resources = [
        res("aws_elasticache_replication_group.c", "aws_elasticache_replication_group", node_type="cache.t3.small",
            num_cache_clusters=2),
        res("aws_elasticache_cluster.member", "aws_elasticache_cluster", replication_group_id="c"),
    ]
    e = cost.estimate(resources, TIERS["staging"])
    assert len(e.items) == 1 and e.items[0].quantity == 2 * HOURS


def test_without_autoscaling_the_service_runs_its_desired_count():
    resources = [r for r in synthetic() if r.type != "aws_appautoscaling_target"]
    (fargate,) = items(cost.estimate(resources, TIERS["staging"]), "aws_ecs_service.app")
    assert fargate.quantity == 3 * HOURS and fargate.monthly_min == fargate.monthly_max


def test_rows_are_strings_of_the_columns():
    e = cost.estimate(synthetic(), TIERS["staging"])
    rows = e.rows()
    assert len(rows) == len(e.items) + 1
    assert all(len(r) == len(cost.CostEstimate.COLUMNS) and all(isinstance(c, str) for c in r) for r in rows)
    assert rows[-1][5] == f"${e.total_min:,.2f}" and rows[-1][6] == f"${e.total_max:,.2f}"
    assert e.to_json()["total_max"] == e.total_max


def test_bad_arguments_are_policy_input_errors():
    with pytest.raises(PolicyInputError):
        cost.estimate("not a list", TIERS["dev"])  # type: ignore[arg-type]
    with pytest.raises(PolicyInputError):
        cost.estimate([], None)  # type: ignore[arg-type]
    with pytest.raises(PolicyInputError, match="budget_usd_month"):
        cost.budget_verdict(cost.estimate([], TIERS["dev"]), {"database": {}})


def test_the_cost_diff_names_new_removed_and_unpriced_envs_and_marks_an_over_budget_one():
    from policy.cost_report import render_diff_markdown

    e = cost.estimate(synthetic(), TIERS["staging"])
    within = (e, cost.budget_verdict(e, with_budget(TIERS["staging"], 0, 1e6)))
    over = (e, cost.budget_verdict(e, with_budget(TIERS["staging"], 1, 2)))
    span = f"${e.total_min:,.2f}-${e.total_max:,.2f}" if e.total_min != e.total_max else f"${e.total_min:,.2f}"
    text = render_diff_markdown(
        [("qa", None, within), ("old", within, None), ("staging", within, over), ("dev", None, within)],
        notes=["dev: the base branch could not be priced: no | pipe breaks the table"], unpriced={"dev"})
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| env")}
    assert rows["qa"][:4] == ["-", span, "new", "new"]
    assert rows["old"][:4] == [span, "(removed)", "removed", "removed"]
    assert rows["staging"][:4] == [span, span, "0", "0"] and rows["staging"][4] == "$1-$2: **over** |"
    assert rows["dev"][:4] == ["-", span, "-", "-"], "a base that could not be priced is unknown, not new"
    assert "<details>" not in text, "no resource changes cost"
    assert "- dev: the base branch could not be priced: no \\| pipe breaks the table" in text


# -- Budget verdicts ---------------------------------------------------------------------------


def with_budget(tier: dict, low: float, high: float) -> dict:
    return {**tier, "budget_usd_month": {"min": low, "max": high}}


def test_budget_within_over_under():
    e = cost.estimate(synthetic(), TIERS["staging"])
    assert cost.budget_verdict(e, with_budget(TIERS["staging"], 0, 1e6)).status == "within"
    over = cost.budget_verdict(e, with_budget(TIERS["staging"], 1, 2))
    assert (over.at_min, over.at_max, over.status) == ("over", "over", "over")
    assert "over the budget" in over.message
    under = cost.budget_verdict(e, with_budget(TIERS["staging"], 1e6, 2e6))
    assert under.status == "under"
    # Over only when scaled out: the verdict says so.
    middle = (e.total_min + e.total_max) / 2
    scaled = cost.budget_verdict(e, with_budget(TIERS["staging"], 0, middle))
    assert (scaled.at_min, scaled.at_max, scaled.status) == ("within", "over", "over")
    assert scaled.message.endswith("at the autoscaling maximum")


def test_aurora_floor_is_computed_from_the_catalog_and_prices():
    tier = TIERS["dev"]
    floor = cost.cheapest_aurora(tier)
    valid = catalog.aurora_postgres_classes(tier["database"]["engine_version"])
    priced = {c: p("aurora_postgresql_instance", c) for c in valid if cost.price("aurora_postgresql_instance", c)}
    cheapest = min(priced, key=priced.get)
    assert floor.instance_class == cheapest and floor.instances == tier["database"]["instances"]
    assert floor.monthly_usd == round(priced[cheapest] * HOURS * floor.instances, 2)
    # Production tiers may not use burstable classes; their floor leaves them out.
    prod_floor = cost.cheapest_aurora(TIERS["prod"], exclude_burstable=True)
    assert not catalog.is_burstable(prod_floor.instance_class)


def test_an_impossible_budget_is_said_so():
    tier = with_budget(TIERS["dev"], 5, 10)
    verdict = cost.budget_verdict(cost.estimate(synthetic("dev", "db.t3.medium"), tier), tier)
    assert verdict.aurora_floor_exceeds_budget
    assert any("impossible with valid Aurora PostgreSQL classes" in n for n in verdict.notes)
    generous = with_budget(TIERS["dev"], 5, 1e6)
    verdict = cost.budget_verdict(cost.estimate(synthetic("dev", "db.t3.medium"), generous), generous)
    assert not verdict.aurora_floor_exceeds_budget and not verdict.notes


# -- Fuzz: no input crashes the estimate ---------------------------------------------------------

leaf = st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=True) | st.text(max_size=12) | \
    st.sampled_from(["db.r6g.large", "cache.t3.micro", "FARGATE", "application", "network", "512", "ecs", "-1",
                     "db.serverless", "FARGATE_SPOT", "ARM64", "Interface", "Gateway", "1e309", "nan"]) | \
    st.builds(Unknown, st.text(max_size=5))
# Nested keys include the ones the estimate reads inside blocks (capacity, weights, scaling bounds).
nested_key = st.text(max_size=6) | st.sampled_from(
    ["capacity_provider", "base", "weight", "min_capacity", "max_capacity", "assign_public_ip", "cpu_architecture"])
value = st.recursive(leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(nested_key, c, max_size=3),
                     max_leaves=8)
KNOWN_TYPES = ["aws_rds_cluster_instance", "aws_rds_cluster", "aws_elasticache_replication_group",
               "aws_elasticache_cluster", "aws_nat_gateway", "aws_eip", "aws_lb", "aws_ecs_service",
               "aws_ecs_task_definition", "aws_appautoscaling_target", "aws_cloudwatch_log_group",
               "aws_cloudwatch_metric_alarm", "aws_kms_key", "aws_secretsmanager_secret", "aws_ecr_repository",
               "aws_s3_bucket", "aws_sns_topic", "aws_subnet", "aws_db_instance", "aws_vpc_endpoint",
               "aws_ecs_cluster_capacity_providers"]
ATTRS = ["instance_class", "node_type", "num_node_groups", "replicas_per_node_group", "num_cache_clusters",
         "num_cache_nodes", "replication_group_id", "storage_type", "load_balancer_type", "internal", "subnets",
         "subnet_mapping", "launch_type", "capacity_provider_strategy", "task_definition", "name", "desired_count",
         "cpu", "memory", "runtime_platform", "family", "service_namespace", "resource_id", "min_capacity",
         "max_capacity", "retention_in_days", "metric_query", "period", "replica", "tags", "engine",
         "performance_insights_enabled", "performance_insights_retention_period", "multi_region",
         "serverlessv2_scaling_configuration", "network_configuration", "vpc_endpoint_type", "subnet_ids",
         "service_name", "default_capacity_provider_strategy"]
resource = st.builds(
    lambda t, vals: Resource(address=f"{t}.x", type=t, values=vals, env="dev", source=Source.PLAN),
    st.sampled_from(KNOWN_TYPES), st.dictionaries(st.sampled_from(ATTRS), value, max_size=8),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(resource, max_size=8))
def test_estimate_never_crashes(resources):
    e = cost.estimate(resources, TIERS["dev"])
    e.rows()
    cost.budget_verdict(e, TIERS["dev"]).message  # noqa: B018


# -- Each env's real plan ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def estimates(plans):
    out = {}
    for env, plan in plans.items():
        resources = resources_from_plan(plan.data, env)
        out[env] = (plan.tier, resources, cost.estimate(resources, plan.tier))
    return out


@pytest.mark.parametrize("env", sorted(TIERS))
def test_real_plan_is_fully_priced(estimates, env):
    _, _, e = estimates[env]
    assert e.complete, e.notes
    assert e.total_min > 0 and e.total_max >= e.total_min


@pytest.mark.parametrize("env", sorted(TIERS))
def test_real_plan_estimate_follows_the_tier(estimates, env):
    tier, _, e = estimates[env]
    db, svc, cache_ = tier["database"], tier["service"], tier["cache"]
    if db["instance_class"] == catalog.SERVERLESS_CLASS:
        aurora = [i for i in e.items if i.description.startswith("Aurora Serverless v2")]
        scaling = db["serverless"]
        assert all(f"({scaling['min_acu']}-{scaling['max_acu']};" in i.description for i in aurora)
    else:
        aurora = [i for i in e.items if i.description.startswith("Aurora instance")]
        assert all(db["instance_class"] in i.description for i in aurora)
    assert len(aurora) == db["instances"]

    # Every task is on Fargate or Fargate Spot: the two lines add up to the tier's task range, Spot
    # taking all but the on-demand base; on the tier's CPU architecture.
    fargate = {i.description.split(",")[0]: i for i in e.items if i.description.startswith("Fargate")}
    assert sum(i.quantity for i in fargate.values()) == svc["min_tasks"] * HOURS
    assert sum(i.quantity_max for i in fargate.values()) == svc["max_tasks"] * HOURS
    spot = svc.get("fargate_spot")
    on_demand = svc["max_tasks"] if spot is None else min(spot["on_demand_base"], svc["max_tasks"])
    assert (fargate["Fargate tasks"].quantity_max if "Fargate tasks" in fargate else 0) == on_demand * HOURS
    arch = {"ARM64": "Linux/ARM", "X86_64": "Linux/x86"}[svc["cpu_architecture"]]
    assert all(arch in i.description for i in fargate.values())

    (redis,) = [i for i in e.items if i.description.startswith("ElastiCache")]
    assert redis.quantity == cache_["shards"] * (1 + cache_["replicas_per_shard"]) * HOURS
    nat = [i for i in e.items if i.description == "NAT gateway"]
    assert len(nat) == nat_count(tier["network"])
    # Without NAT, each task has a public address of its own, priced by the hour.
    task_ips = [i for i in e.items if i.description.startswith("Public IPv4 address of each task")]
    assert len(task_ips) == (1 if nat_count(tier["network"]) == 0 else 0)


@pytest.mark.parametrize("env", sorted(TIERS))
def test_real_plan_budget_verdict_is_computed(estimates, env):
    tier, _, e = estimates[env]
    verdict = cost.budget_verdict(e, tier, production=(env == "prod"))
    assert verdict.status in ("within", "over", "under")
    floor = verdict.aurora_floor
    assert verdict.aurora_floor_exceeds_budget == (floor.monthly_usd > tier["budget_usd_month"]["max"])
    if verdict.status == "over":
        assert "over the budget" in verdict.message


@pytest.mark.parametrize("env", sorted(TIERS))
def test_every_tier_is_within_its_seed_budget_at_full_scale_out(estimates, env):
    tier, _, e = estimates[env]
    verdict = cost.budget_verdict(e, tier, production=(env == "prod"))
    assert e.complete, e.notes
    assert e.total_max <= tier["budget_usd_month"]["max"], (e.total_min, e.total_max)
    assert verdict.status == "within", verdict.message


# -- The price kinds of the cost-shaped tiers, on a fixed plan JSON ---------------------------------

FIXTURE_PLAN = REPO_ROOT / "tests" / "fixtures" / "cost" / "new_price_kinds.plan.json"


def test_new_price_kinds_on_a_fixed_plan_against_hand_computed_figures():
    """Every figure below is worked out by hand from the plan and the prices it names; the
    usage is given, so only the arithmetic and the price table are under test."""
    resources = resources_from_plan(json.loads(FIXTURE_PLAN.read_text()), "fixture")
    usage = {"aurora_active_hours": 220, "aurora_average_acu": 0.5, "vpc_endpoint_gb_processed": 10}
    e = cost.estimate(resources, {"service": {"min_tasks": 1}}, usage=usage)
    got = {(i.address, i.description.split(",")[0].split(" (")[0].split(" x ")[0]):
           (i.quantity, i.quantity_max, i.monthly_min, i.monthly_max) for i in e.items}

    # Serverless v2, minimum 0 ACUs: 220 running hours x 0.5 ACU = 110 ACU-hours x $0.12 = $13.20,
    # for each of the two instances.
    for n in (0, 1):
        assert got[(f"module.paused.aws_rds_cluster_instance.this[{n}]", "Aurora Serverless v2")] == \
            (110, None, 13.20, 13.20)
    # Minimum 1 ACU: never pauses, and the 0.5 average is raised to the floor: 730 x 1 x $0.12 = $87.60.
    assert got[("module.warm.aws_rds_cluster_instance.this[0]", "Aurora Serverless v2")] == (730, None, 87.60, 87.60)

    # ARM, 0.5 vCPU / 1 GB, 1-3 tasks, one on-demand as the base and the rest on Spot.
    # On-demand: 0.5 x $0.03238 + 1 x $0.00356 = $0.01975 a task-hour; 1 task x 730 h = $14.42 (both ends).
    assert got[("module.arm.aws_ecs_service.this", "Fargate tasks")] == (730, 730, 14.42, 14.42)
    # Spot: 0.5 x $0.00977 + 1 x $0.00107 = $0.005955; 0 tasks at the minimum, 2 x 730 h = $8.69 at the maximum.
    assert got[("module.arm.aws_ecs_service.this", "Fargate Spot tasks")] == (0, 1460, 0, 8.69)
    # A public IPv4 address per task: $0.005 x 730 h = $3.65 a task; 1 task, then 3 = $10.95.
    assert got[("module.arm.aws_ecs_service.this", "Public IPv4 address of each task")] == (730, 2190, 3.65, 10.95)

    # x86, 1 vCPU / 2 GB, 4 tasks at weights 1 (on-demand) : 3 (Spot), no base.
    # On-demand: $0.04048 + 2 x $0.004445 = $0.04937 x 730 h = $36.04.
    assert got[("module.x86.aws_ecs_service.this", "Fargate tasks")] == (730, 730, 36.04, 36.04)
    # Spot: $0.01221 + 2 x $0.00134 = $0.01489 x 3 x 730 h = $32.61; no public address.
    assert got[("module.x86.aws_ecs_service.this", "Fargate Spot tasks")] == (2190, 2190, 32.61, 32.61)
    assert ("module.x86.aws_ecs_service.this", "Public IPv4 address of each task") not in got

    # An interface endpoint in two subnets: 2 x 730 h x $0.01 = $14.60, and 10 GB x $0.01 = $0.10.
    assert got[("module.endpoints.aws_vpc_endpoint.ecr_api", "Interface endpoint")] == (1460, None, 14.60, 14.60)
    assert got[("module.endpoints.aws_vpc_endpoint.ecr_api", "Endpoint data processed")] == (10, None, 0.10, 0.10)
    # A gateway endpoint (S3) is free.
    assert got[("module.endpoints.aws_vpc_endpoint.s3", "Gateway endpoint")] == (1, None, 0, 0)
    assert e.complete, e.notes
    assert any("pause only while no client holds a connection" in n for n in e.notes)


@pytest.mark.parametrize(("tasks", "strategy", "split"), [
    (3, [], (3, 0)),  # a launch type: all on-demand
    (3, [{"capacity_provider": "FARGATE_SPOT", "weight": 1}], (0, 3)),
    (1, [{"capacity_provider": "FARGATE", "base": 2, "weight": 0}, {"capacity_provider": "FARGATE_SPOT", "weight": 1}],
     (1, 0)),  # fewer tasks than the base: all on the base's provider
    (5, [{"capacity_provider": "FARGATE", "base": 2, "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 2}],
     (3, 2)),  # 2 base, then 3 split 1:2
    (4, [{"capacity_provider": "FARGATE_SPOT", "base": 1, "weight": 0}, {"capacity_provider": "FARGATE", "weight": 0}],
     (0, 1)),  # weights of 0 after the base place nothing more
])
def test_tasks_split_between_on_demand_and_spot_as_ecs_places_them(tasks, strategy, split):
    assert cost._Estimator._split(tasks, strategy) == split


def test_a_service_without_strategy_or_launch_type_takes_its_clusters_default():
    resources = [
        res("aws_ecs_task_definition.t", "aws_ecs_task_definition", family="t", cpu="256", memory="512"),
        res("aws_ecs_service.s", "aws_ecs_service", name="s", desired_count=2),
        res("aws_ecs_cluster_capacity_providers.c", "aws_ecs_cluster_capacity_providers",
            default_capacity_provider_strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}]),
    ]
    items = cost.estimate(resources, TIERS["staging"]).items
    assert [i.description.split(",")[0] for i in items] == ["Fargate Spot tasks"]


def test_total_text_and_verdict_shorthands():
    e = cost.estimate(synthetic(), TIERS["staging"])
    assert e.total_text() == f"${e.total_min:,.2f}-${e.total_max:,.2f}/month"
    fixed = cost.estimate([r for r in synthetic() if r.type != "aws_ecs_service"], TIERS["staging"])
    assert fixed.total_text() == f"${fixed.total_min:,.2f}/month"
    unpriced = cost.estimate(synthetic(instance_class="db.r5.24xlarge"), TIERS["staging"])
    assert unpriced.total_text().endswith("+/month")
    tier = with_budget(TIERS["staging"], 1, 2)
    verdict = cost.budget_verdict(e, tier)
    assert (verdict.low, verdict.high) == (e.total_min, e.total_max)
    assert verdict.note == ("; ".join(verdict.notes) or None)
