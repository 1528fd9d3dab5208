"""The AWS catalog: Fargate sizes, Aurora PostgreSQL classes, ElastiCache memory, burstable classes."""

from __future__ import annotations

import pytest
import yaml

from core.errors import InputError
from core.project import REPO_ROOT
from policy import catalog
from policy.model import PolicyInputError, Unknown

# The published Fargate (Linux) matrix, written out here independently of the YAML.
PUBLISHED_FARGATE = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}


# -- Fargate ---------------------------------------------------------------------------------


def test_fargate_matrix_is_the_published_one():
    assert catalog.fargate_cpu_options() == sorted(PUBLISHED_FARGATE)
    for cpu, memory in PUBLISHED_FARGATE.items():
        assert catalog.fargate_memory_options(cpu) == memory


@pytest.mark.parametrize("cpu,memory", [(c, m) for c, ms in PUBLISHED_FARGATE.items() for m in ms])
def test_every_published_pair_is_valid(cpu, memory):
    assert catalog.is_valid_fargate(cpu, memory)
    assert catalog.is_valid_fargate(str(cpu), str(memory))  # plans carry them as strings


@pytest.mark.parametrize("cpu", sorted(PUBLISHED_FARGATE))
def test_neighbours_of_the_matrix_are_invalid(cpu):
    allowed = PUBLISHED_FARGATE[cpu]
    step = allowed[1] - allowed[0]
    for memory in (allowed[0] - step, allowed[-1] + step, allowed[0] + 1, allowed[0] - 1, allowed[-1] + 512):
        if memory not in allowed:
            assert not catalog.is_valid_fargate(cpu, memory), (cpu, memory)


@pytest.mark.parametrize(
    "cpu,memory",
    [(512, 512), (256, 3072), (256, 4096), (1024, 1024), (1024, 9216), (2048, 2048), (4096, 31744),
     (8192, 18432), (8192, 65536), (16384, 36864), (16384, 131072), (128, 512), (768, 2048), (32768, 65536)],
)
def test_known_invalid_pairs(cpu, memory):
    assert not catalog.is_valid_fargate(cpu, memory)


@pytest.mark.parametrize("value", [None, Unknown("x"), "", "1 vCPU", "512.5", True, 512.5, [512]])
def test_fargate_odd_inputs_are_simply_invalid(value):
    assert catalog.fargate_memory_options(value) == []
    assert not catalog.is_valid_fargate(value, 1024)
    assert not catalog.is_valid_fargate(512, value)


def test_cpu_options_for_a_memory_value():
    assert catalog.fargate_cpu_options_for_memory(1024) == [256, 512]
    assert catalog.fargate_cpu_options_for_memory("4096") == [512, 1024, 2048]
    assert catalog.fargate_cpu_options_for_memory(16384) == [2048, 4096, 8192]
    assert catalog.fargate_cpu_options_for_memory(100) == []


# -- Aurora PostgreSQL -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", ["db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small", "db.m5.large",
                                 "db.m6g.large", "db.m6i.xlarge", "db.m7g.large", "db.t3.xlarge", "db.r4.large"])
def test_rds_classes_aurora_postgresql_does_not_offer(cls):
    assert not catalog.is_valid_aurora_postgres_class(cls)
    assert not catalog.is_valid_aurora_postgres_class(cls, "16.6")
    assert catalog.aurora_class_status(cls) == "rds_only"
    assert catalog.db_class(cls)["aurora_postgresql"] is False


@pytest.mark.parametrize("cls", ["db.t3.medium", "db.t3.large", "db.t4g.medium", "db.t4g.large", "db.r5.large",
                                 "db.r6g.large", "db.r6g.4xlarge", "db.r6i.xlarge", "db.r7g.large",
                                 "db.r8g.2xlarge", "db.x2g.large"])
def test_classes_aurora_postgresql_16_offers(cls):
    assert catalog.is_valid_aurora_postgres_class(cls, "16.6")
    assert catalog.aurora_class_status(cls, "16.6") == "valid"
    assert cls in catalog.aurora_postgres_classes("16.6")


def test_every_family_is_offered_up_to_4xlarge_where_it_has_those_sizes():
    classes = catalog.aurora_postgres_classes("16.6")
    for family in ("db.r5", "db.r6g", "db.r6i", "db.r7g", "db.r8g"):
        for size in ("large", "xlarge", "2xlarge", "4xlarge"):
            assert f"{family}.{size}" in classes


def test_engine_version_matters_within_a_major():
    # db.r8g came to Aurora PostgreSQL 16 with 16.4.
    assert not catalog.is_valid_aurora_postgres_class("db.r8g.large", "16.2")
    assert catalog.is_valid_aurora_postgres_class("db.r8g.large", "16.4")
    assert catalog.aurora_class_status("db.r8g.large", "16.2") == "version"
    assert catalog.is_valid_aurora_postgres_class("db.r8g.large")  # no version: offered at all
    assert "db.r8g.large" not in catalog.aurora_postgres_classes("16.2")
    assert catalog.is_valid_aurora_postgres_class("db.r5.large", "13.1")  # r5: every version


@pytest.mark.parametrize("version", [None, Unknown("engine_version"), "not-a-version", "", 16])
def test_versions_the_catalog_cannot_judge_do_not_invalidate_a_class(version):
    assert catalog.is_valid_aurora_postgres_class("db.r6g.large", version)


def test_a_major_newer_than_the_catalog_is_not_held_against_a_class():
    newest = max(catalog.aurora_engine_majors())
    assert catalog.is_valid_aurora_postgres_class("db.r6g.large", f"{newest + 1}.1")


@pytest.mark.parametrize(
    "cls,nearest",
    [
        ("db.t3.micro", "db.t3.medium"),
        ("db.t3.small", "db.t3.medium"),
        ("db.t4g.micro", "db.t4g.medium"),
        ("db.t4g.small", "db.t4g.medium"),
        ("db.m5.large", "db.r5.large"),  # Aurora has no general-purpose class: the r of the same generation
        ("db.m6g.large", "db.r6g.large"),
        ("db.m6i.large", "db.r6i.large"),
        ("db.m5.4xlarge", "db.r5.2xlarge"),  # 64 GiB
        ("db.t3.xlarge", "db.r5.large"),  # 16 GiB: more than any Aurora t3 has
        ("db.r4.large", "db.r5.large"),
        ("db.t2.micro", "db.t3.medium"),
        ("db.r6g.large", "db.r6g.large"),  # valid: itself
    ],
)
def test_nearest_aurora_postgresql_class(cls, nearest):
    assert catalog.nearest_aurora_postgres_class(cls, "16.6") == nearest


def test_nearest_is_always_a_valid_class_whatever_the_input():
    for cls in ["db.foo.bar", "db.r5.96xlarge", "nonsense", "", None, Unknown("c"), 3, "db.t3.nano"]:
        nearest = catalog.nearest_aurora_postgres_class(cls, "16.6")
        assert catalog.is_valid_aurora_postgres_class(nearest, "16.6"), (cls, nearest)


def test_nearest_respects_the_engine_version():
    # db.r8g is not offered on 16.2, so a db.r8g request gets a class that is.
    nearest = catalog.nearest_aurora_postgres_class("db.r8g.large", "16.2")
    assert nearest != "db.r8g.large" and catalog.is_valid_aurora_postgres_class(nearest, "16.2")
    assert catalog.memory_gib(nearest) == 16


def test_status_of_deliberately_uncatalogued_and_unknown_classes():
    assert catalog.aurora_class_status("db.serverless") == "valid"
    assert catalog.aurora_class_status("db.serverless", "13.5") == "version"  # Serverless v2 from 13.6
    assert catalog.aurora_class_status("db.r6gd.xlarge") == "not_catalogued"
    assert catalog.aurora_class_status("db.q9.huge") == "unknown"
    assert catalog.aurora_class_status(None) == "unknown"


def test_hardware_figures():
    classes = catalog.aurora_postgres_classes()
    assert (classes["db.t3.medium"]["vcpu"], classes["db.t3.medium"]["memory_gib"]) == (2, 4)
    assert (classes["db.r6g.large"]["vcpu"], classes["db.r6g.large"]["memory_gib"]) == (2, 16)
    assert classes["db.r6g.large"]["architecture"] == "arm64"
    assert classes["db.r6i.large"]["architecture"] == "x86_64"
    assert classes["db.x2g.large"]["memory_gib"] == 32
    assert catalog.memory_gib("db.t3.micro") == 1  # an RDS-only class still has its figures


# -- ElastiCache, burstable, memory ------------------------------------------------------------


@pytest.mark.parametrize(
    "node,memory",
    [("cache.t3.micro", 0.5), ("cache.t3.small", 1.37), ("cache.t3.medium", 3.09), ("cache.t4g.micro", 0.5),
     ("cache.r6g.large", 13.07), ("cache.r6g.xlarge", 26.32), ("cache.m6g.large", 6.38), ("cache.r7g.xlarge", 26.32)],
)
def test_cache_node_memory(node, memory):
    assert catalog.cache_node(node)["memory_gib"] == memory
    assert catalog.memory_gib(node) == memory


def test_the_seed_13gb_is_not_r6g_xlarge():
    # The seed's "13GB" for prod is cache.r6g.large; cache.r6g.xlarge has twice that.
    assert catalog.memory_gib("cache.r6g.xlarge") == 26.32
    assert catalog.memory_gib("cache.r6g.large") == 13.07


def test_unknown_classes_have_no_facts():
    assert catalog.cache_node("cache.z9.huge") is None
    assert catalog.memory_gib("cache.z9.huge") is None
    assert catalog.memory_gib("db.z9.huge") is None
    assert catalog.memory_gib(Unknown("x")) is None
    assert catalog.class_size_rank("db.z9.huge") is None


@pytest.mark.parametrize(
    "cls,burstable",
    [("db.t3.medium", True), ("db.t4g.large", True), ("db.t3.micro", True), ("db.t2.small", True),
     ("db.t4g.2xlarge", True), ("db.t5.large", True),  # uncatalogued T class: AWS naming decides
     ("cache.t3.micro", True), ("cache.t4g.small", True), ("cache.t2.micro", True),
     ("db.r6g.large", False), ("db.m5.large", False), ("db.x2g.large", False),
     ("cache.r6g.xlarge", False), ("cache.m7g.large", False), (None, False), (Unknown("c"), False)],
)
def test_burstable_detection(cls, burstable):
    assert catalog.is_burstable(cls) is burstable


def test_prod_sized_guard_helpers():
    tiers = yaml.safe_load((REPO_ROOT / "terraform" / "tiers.yaml").read_text())["tiers"]
    prod_db, prod_cache = tiers["prod"]["database"]["instance_class"], tiers["prod"]["cache"]["node_type"]
    for env in ("dev", "staging"):
        db = tiers[env]["database"]
        if db["instance_class"] == "db.serverless":  # sized by its maximum capacity, not a class
            largest = db["serverless"]["max_acu"] * catalog.serverless_v2()["gib_per_acu"]
            assert largest < catalog.memory_gib(prod_db)
        else:
            assert catalog.is_at_least(db["instance_class"], prod_db) is False
        assert catalog.is_at_least(tiers[env]["cache"]["node_type"], prod_cache) is False
    assert catalog.is_at_least(prod_db, prod_db) is True
    assert catalog.is_at_least("db.r6g.xlarge", prod_db) is True
    assert catalog.is_at_least("db.z9.huge", prod_db) is None
    assert catalog.class_size_rank("db.r6g.xlarge") > catalog.class_size_rank("db.r6g.large")


def test_every_class_in_tiers_yaml_is_in_the_catalog():
    tiers = yaml.safe_load((REPO_ROOT / "terraform" / "tiers.yaml").read_text())["tiers"]
    for env, tier in tiers.items():
        db, cache_ = tier["database"], tier["cache"]
        for cls in {db["instance_class"], *db.get("allowed_instance_classes", [])}:
            assert catalog.is_valid_aurora_postgres_class(cls, db["engine_version"]), (env, cls)
        for node in {cache_["node_type"], *cache_.get("allowed_node_types", [])}:
            assert catalog.cache_node(node) is not None, (env, node)


# -- Loading ---------------------------------------------------------------------------------


def test_shipped_catalog_names_its_sources():
    for section in catalog.catalog()["sources"].values():
        assert section["source"].startswith("https://docs.aws.amazon.com/")
        assert section["checked"]


def _write(tmp_path, text):
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path


def _shipped():
    return yaml.safe_load(catalog.CATALOG_FILE.read_text())


@pytest.mark.parametrize(
    "mutate,needle",
    [
        (lambda d: d.pop("fargate"), "fargate"),
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d["aurora_postgresql"].pop("source"), "aurora_postgresql.source"),
        (lambda d: d["aurora_postgresql"].update(checked="yesterday"), "aurora_postgresql.checked"),
        (lambda d: d["elasticache"]["families"]["cache.r6g"]["sizes"]["xlarge"].update(memory_gib="26"), "memory_gib"),
        (lambda d: d["aurora_postgresql"]["families"]["db.t3"].update(burstable="yes"), "burstable"),
        (lambda d: d["aurora_postgresql"]["families"]["db.t3"].update(versions={"16": "15.2"}), "versions.16"),
        (lambda d: d["fargate"]["linux"]["512"].update(max=4000), "fargate.linux.512"),
        (lambda d: d["rds_not_aurora_postgresql"]["families"]["db.t3"]["sizes"].update(medium={"vcpu": 2,
                                                                                                "memory_gib": 4}),
         "also listed"),
        (lambda d: d["aurora_postgresql"]["families"].update({"rds.t3": d["aurora_postgresql"]["families"]["db.t3"]}),
         "family name"),
    ],
)
def test_malformed_catalog_is_one_line_policy_input_error(tmp_path, mutate, needle):
    data = _shipped()
    mutate(data)
    path = _write(tmp_path, yaml.safe_dump(data))
    with pytest.raises(PolicyInputError) as info:
        catalog.load_catalog(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and needle in message


@pytest.mark.parametrize("text", ["", "[]", "key: [unclosed", "just a string", "\t- bad"])
def test_unparseable_catalog_is_an_input_error(tmp_path, text):
    with pytest.raises(InputError) as info:
        catalog.load_catalog(_write(tmp_path, text))
    assert "\n" not in str(info.value)


def test_missing_catalog_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        catalog.load_catalog(tmp_path / "absent.yaml")


@pytest.mark.parametrize(("version", "zero"), [
    ("16.3", True), ("16.6", True), ("16.2", False), ("15.7", True), ("15.6", False), ("14.12", True),
    ("14.11", False), ("13.15", True), ("13.14", False), ("17.4", True), (None, True),
])
def test_a_zero_acu_minimum_needs_a_version_with_auto_pause(version, zero):
    assert catalog.serverless_min_zero_supported(version) is zero
    assert catalog.is_valid_aurora_postgres_class("db.serverless", version)


def test_serverless_facts_are_public_strings():
    facts = catalog.serverless_v2()
    assert facts["min_zero_versions"]["16"] == "16.3" and facts["versions"]["13"] == "13.6"
    assert facts["max_acu"] == 256
