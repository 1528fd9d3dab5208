"""AWS facts for the sizing and cost rules, from policy/data/aws_catalog.yaml.

The YAML is read once and shape-checked; a malformed file is a `PolicyInputError` of one line that
names the file and the key. Everything here answers from that file: which DB instance classes
Aurora PostgreSQL offers (by engine version), the nearest one it does offer when a class is not,
how much memory an ElastiCache node has, which t-classes are burstable, which Fargate task sizes
exist.

Class names are AWS's own (`db.r6g.large`, `cache.t3.micro`). A class the catalog does not know
is not guessed at: `memory_gib` and `cache_node` return None for it, and the Aurora checks say it
is not offered (`aurora_class_status` tells "not offered" apart from "not catalogued").
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from core import reading
from policy.model import PolicyInputError, Unknown

CATALOG_FILE = Path(__file__).parent / "data" / "aws_catalog.yaml"

_CLASS_RE = re.compile(r"^(?P<family>(?:db|cache)\.[a-z][a-z0-9-]*)\.(?P<size>[a-z0-9]+)\Z")
_VERSION_RE = re.compile(r"^(?P<major>[0-9]+)(?:\.(?P<minor>[0-9]+))?(?:\.[0-9]+)*\Z")


# --------------------------------------------------------------------------------------------
# Loading and shape checks
# --------------------------------------------------------------------------------------------


def _fail(path: Path | str, where: str, problem: str) -> PolicyInputError:
    return PolicyInputError(f"{path}: {where}: {problem}")


def _mapping(value: Any, path: Path | str, where: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(path, where, f"expected a mapping, got {type(value).__name__}")
    return value


def _number(value: Any, path: Path | str, where: str, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, where, f"expected a number, got {value!r}")
    if positive and value <= 0:
        raise _fail(path, where, f"expected a positive number, got {value!r}")
    return value


def _text(value: Any, path: Path | str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, where, f"expected a non-empty string, got {value!r}")
    return value


def _check_section_meta(section: dict, path: Path | str, name: str) -> None:
    _text(section.get("source"), path, f"{name}.source")
    if not str(section.get("source")).startswith("https://"):
        raise _fail(path, f"{name}.source", "expected an https:// URL")
    checked = section.get("checked")
    if not isinstance(checked, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", checked):
        raise _fail(path, f"{name}.checked", f"expected a YYYY-MM-DD date string, got {checked!r}")


def _check_families(section: dict, path: Path | str, name: str, prefix: str, db_like: bool) -> dict[str, dict]:
    """Families -> {class name: facts}, with every size checked."""
    families = _mapping(section.get("families"), path, f"{name}.families")
    classes: dict[str, dict] = {}
    for family, spec in families.items():
        where = f"{name}.families.{family}"
        if not isinstance(family, str) or not re.fullmatch(rf"{prefix}\.[a-z][a-z0-9-]*", family):
            raise _fail(path, where, f"family name must look like {prefix}.<family>")
        spec = _mapping(spec, path, where)
        if not isinstance(spec.get("burstable"), bool):
            raise _fail(path, f"{where}.burstable", "expected true or false")
        if spec.get("architecture") not in ("x86_64", "arm64"):
            raise _fail(path, f"{where}.architecture", "expected x86_64 or arm64")
        generation = spec.get("generation")
        if isinstance(generation, bool) or not isinstance(generation, int) or generation < 1:
            raise _fail(path, f"{where}.generation", f"expected a positive integer, got {generation!r}")
        if db_like and spec.get("category") not in ("burstable", "general", "memory"):
            raise _fail(path, f"{where}.category", "expected burstable, general or memory")
        sizes = _mapping(spec.get("sizes"), path, f"{where}.sizes")
        if not sizes:
            raise _fail(path, f"{where}.sizes", "no sizes")
        for size, facts in sizes.items():
            swhere = f"{where}.sizes.{size}"
            facts = _mapping(facts, path, swhere)
            cls = f"{family}.{size}"
            classes[cls] = {
                "class": cls,
                "family": family,
                "size": str(size),
                "vcpu": int(_number(facts.get("vcpu"), path, f"{swhere}.vcpu")),
                "memory_gib": float(_number(facts.get("memory_gib"), path, f"{swhere}.memory_gib")),
                "burstable": spec["burstable"],
                "architecture": spec["architecture"],
                "generation": generation,
                "category": spec.get("category", "burstable" if spec["burstable"] else "memory"),
                "confirmed": facts.get("confirmed", True) is not False,
            }
    return classes


def _check_versions(versions: Any, path: Path | str, where: str) -> dict[int, tuple[int, int] | None]:
    """{"16": "16.1", "15": "all"} -> {16: (16, 1), 15: None} (None = every minor)."""
    versions = _mapping(versions, path, where)
    if not versions:
        raise _fail(path, where, "no engine versions")
    out: dict[int, tuple[int, int] | None] = {}
    for major, minimum in versions.items():
        if not (str(major).isascii() and str(major).isdigit()):
            raise _fail(path, f"{where}.{major}", "major version must be a number")
        if minimum == "all":
            out[int(major)] = None
            continue
        parsed = _parse_version(minimum)
        if parsed is None or parsed[0] != int(major) or parsed[1] is None:
            raise _fail(path, f"{where}.{major}", f"expected 'all' or '{major}.<minor>', got {minimum!r}")
        out[int(major)] = (parsed[0], parsed[1])
    return out


def _check_fargate(section: Any, path: Path | str) -> dict[int, list[int]]:
    section = _mapping(section, path, "fargate")
    _check_section_meta(section, path, "fargate")
    linux = _mapping(section.get("linux"), path, "fargate.linux")
    matrix: dict[int, list[int]] = {}
    for cpu, spec in linux.items():
        where = f"fargate.linux.{cpu}"
        if not (str(cpu).isascii() and str(cpu).isdigit()):
            raise _fail(path, where, "cpu must be a whole number of CPU units")
        spec = _mapping(spec, path, where)
        if "memory" in spec:
            values = spec["memory"]
            if not isinstance(values, list) or not values:
                raise _fail(path, f"{where}.memory", "expected a non-empty list of MiB values")
            memory = [int(_number(v, path, f"{where}.memory")) for v in values]
        else:
            low = int(_number(spec.get("min"), path, f"{where}.min"))
            high = int(_number(spec.get("max"), path, f"{where}.max"))
            step = int(_number(spec.get("step"), path, f"{where}.step"))
            if high < low or (high - low) % step:
                raise _fail(path, where, f"max {high} is not min {low} plus a whole number of steps of {step}")
            memory = list(range(low, high + 1, step))
        matrix[int(cpu)] = sorted(set(memory))
    if not matrix:
        raise _fail(path, "fargate.linux", "no cpu values")
    return matrix


def load_catalog(path: Path | str = CATALOG_FILE) -> dict[str, Any]:
    """Read and check a catalog file; the result is the indexed form the helpers below use."""
    raw = reading.read_yaml(path, "AWS catalog")
    raw = _mapping(raw, path, "(top level)")
    if raw.get("schema_version") != 1:
        raise _fail(path, "schema_version", f"expected 1, got {raw.get('schema_version')!r}")

    aurora = _mapping(raw.get("aurora_postgresql"), path, "aurora_postgresql")
    _check_section_meta(aurora, path, "aurora_postgresql")
    aurora_classes = _check_families(aurora, path, "aurora_postgresql", "db", db_like=True)
    families = aurora["families"]
    for cls, facts in aurora_classes.items():
        family = facts["family"]
        facts["versions"] = _check_versions(
            families[family].get("versions"), path, f"aurora_postgresql.families.{family}.versions"
        )
        facts["versions_confirmed"] = families[family].get("versions_confirmed", True) is not False
        aurora_classes[cls] = facts
    not_catalogued = aurora.get("not_catalogued", [])
    if not isinstance(not_catalogued, list) or not all(isinstance(x, str) for x in not_catalogued):
        raise _fail(path, "aurora_postgresql.not_catalogued", "expected a list of class or family names")

    serverless = _mapping(raw.get("aurora_postgresql_serverless_v2"), path, "aurora_postgresql_serverless_v2")
    _check_section_meta(serverless, path, "aurora_postgresql_serverless_v2")
    serverless_facts = {
        "versions": _check_versions(serverless.get("versions"), path, "aurora_postgresql_serverless_v2.versions"),
        "min_zero_versions": _check_versions(
            serverless.get("min_zero_versions"), path, "aurora_postgresql_serverless_v2.min_zero_versions"),
        "max_acu": _number(serverless.get("max_acu"), path, "aurora_postgresql_serverless_v2.max_acu"),
        "gib_per_acu": _number(serverless.get("gib_per_acu"), path, "aurora_postgresql_serverless_v2.gib_per_acu"),
    }

    rds = _mapping(raw.get("rds_not_aurora_postgresql"), path, "rds_not_aurora_postgresql")
    _check_section_meta(rds, path, "rds_not_aurora_postgresql")
    rds_classes = _check_families(rds, path, "rds_not_aurora_postgresql", "db", db_like=True)
    both = sorted(set(aurora_classes) & set(rds_classes))
    if both:
        raise _fail(path, "rds_not_aurora_postgresql", f"{both[0]} is also listed as offered by Aurora PostgreSQL")

    cache_section = _mapping(raw.get("elasticache"), path, "elasticache")
    _check_section_meta(cache_section, path, "elasticache")
    cache_classes = _check_families(cache_section, path, "elasticache", "cache", db_like=False)

    return {
        "aurora": aurora_classes,
        "aurora_not_catalogued": list(not_catalogued),
        "aurora_serverless_v2": serverless_facts,
        "rds_only": rds_classes,
        "cache": cache_classes,
        "fargate": _check_fargate(raw.get("fargate"), path),
        "sources": {
            name: {k: raw[name].get(k) for k in ("source", "checked")}
            for name in ("aurora_postgresql", "aurora_postgresql_serverless_v2", "rds_not_aurora_postgresql",
                         "elasticache", "fargate")
        },
    }


@cache
def catalog() -> dict[str, Any]:
    """The shipped catalog, read once."""
    return load_catalog(CATALOG_FILE)


# --------------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------------


def _parse_version(version: Any) -> tuple[int, int | None] | None:
    if version is None or isinstance(version, Unknown | bool):
        return None
    if isinstance(version, int):
        return (version, None)
    if isinstance(version, float):
        version = repr(version)
    if not isinstance(version, str):
        return None
    match = _VERSION_RE.match(version.strip())
    if not match:
        return None
    minor = match.group("minor")
    return (int(match.group("major")), int(minor) if minor is not None else None)


def _supports(versions: dict[int, tuple[int, int] | None], engine_version: Any) -> bool:
    """Does a family's version table allow this engine version?

    No version (None, Unknown, unparseable) asks only whether the class is offered at all. A major
    the catalog does not cover at all (a release newer than the catalog) is not held against the
    class either: the catalog cannot know, and saying "not offered" would be a guess.
    """
    parsed = _parse_version(engine_version)
    if parsed is None:
        return True
    major, minor = parsed
    known_majors = {m for f in catalog()["aurora"].values() for m in f["versions"]}
    if major not in known_majors:
        return True
    if major not in versions:
        return False
    minimum = versions[major]
    if minimum is None or minor is None:
        return True
    return minor >= minimum[1]


def aurora_engine_majors() -> list[int]:
    """PostgreSQL major versions the catalog's Aurora tables cover (others are not judged)."""
    return sorted({m for f in catalog()["aurora"].values() for m in f["versions"]})


# --------------------------------------------------------------------------------------------
# Aurora PostgreSQL
# --------------------------------------------------------------------------------------------


def _public(facts: dict) -> dict:
    out = {k: v for k, v in facts.items() if k != "versions"}
    if "versions" in facts:
        out["versions"] = {
            str(major): ("all" if minimum is None else f"{minimum[0]}.{minimum[1]}")
            for major, minimum in sorted(facts["versions"].items())
        }
    return out


def aurora_postgres_classes(engine_version: Any = None) -> dict[str, dict]:
    """Class name -> facts (vcpu, memory_gib, burstable, family, architecture, generation, category,
    versions) for every provisioned class Aurora PostgreSQL offers for that engine version."""
    return {
        cls: _public(facts)
        for cls, facts in sorted(catalog()["aurora"].items())
        if _supports(facts["versions"], engine_version)
    }


SERVERLESS_CLASS = "db.serverless"


def is_valid_aurora_postgres_class(cls: Any, engine_version: Any = None) -> bool:
    if not isinstance(cls, str):
        return False
    if cls == SERVERLESS_CLASS:
        return _supports(catalog()["aurora_serverless_v2"]["versions"], engine_version)
    facts = catalog()["aurora"].get(cls)
    return facts is not None and _supports(facts["versions"], engine_version)


def serverless_v2() -> dict[str, Any]:
    """Aurora Serverless v2 facts: max_acu, gib_per_acu, and `versions` / `min_zero_versions` as
    {major: "minimum minor"} (the versions that offer it, and those that accept a 0-ACU minimum)."""
    facts = catalog()["aurora_serverless_v2"]
    return _public({"versions": facts["versions"], "max_acu": facts["max_acu"], "gib_per_acu": facts["gib_per_acu"]}
                   ) | {"min_zero_versions": _public({"versions": facts["min_zero_versions"]})["versions"]}


def serverless_min_zero_supported(engine_version: Any) -> bool:
    """Does this Aurora PostgreSQL version accept a Serverless v2 minimum of 0 ACUs (auto-pause)?
    An unknown or unparseable version is not held against it (see _supports)."""
    return _supports(catalog()["aurora_serverless_v2"]["min_zero_versions"], engine_version)


def aurora_class_status(cls: Any, engine_version: Any = None) -> str:
    """One of:
    "valid"           offered by Aurora PostgreSQL (for that engine version, when given);
    "version"         offered, but not for that engine version;
    "rds_only"        a real RDS class that Aurora PostgreSQL does not offer (db.t3.micro);
    "not_catalogued"  a class or family the catalog leaves out on purpose (db.r6gd...);
    "unknown"         not an RDS class this catalog knows at all.
    """
    if not isinstance(cls, str):
        return "unknown"
    data = catalog()
    if cls == SERVERLESS_CLASS:
        return "valid" if is_valid_aurora_postgres_class(cls, engine_version) else "version"
    if cls in data["aurora"]:
        return "valid" if _supports(data["aurora"][cls]["versions"], engine_version) else "version"
    if cls in data["rds_only"]:
        return "rds_only"
    match = _CLASS_RE.match(cls)
    family = match.group("family") if match else None
    if cls in data["aurora_not_catalogued"] or (family and family in data["aurora_not_catalogued"]):
        return "not_catalogued"
    return "unknown"


def db_class(cls: Any) -> dict | None:
    """Facts for any DB class the catalog knows, with `aurora_postgresql` saying whether Aurora
    PostgreSQL offers it; None when unknown."""
    if not isinstance(cls, str):
        return None
    data = catalog()
    if cls in data["aurora"]:
        return {**_public(data["aurora"][cls]), "aurora_postgresql": True}
    if cls in data["rds_only"]:
        return {**_public(data["rds_only"][cls]), "aurora_postgresql": False}
    return None


def nearest_aurora_postgres_class(cls: Any, engine_version: Any = None) -> str:
    """The Aurora PostgreSQL class to suggest instead of `cls`.

    A valid class is its own nearest. Otherwise, in this order, the first rule that finds
    candidates wins, and among them the one with the least memory that still holds what `cls` has
    (then the closest generation, then fewer vCPUs, then the name):

    1. the same family (db.t3.micro, db.t3.small -> db.t3.medium; db.t4g.micro -> db.t4g.medium);
    2. the same processor architecture and the same burstable-or-not kind: a general-purpose
       db.m* class, which Aurora does not offer at all, maps to the memory-optimised class of the
       same architecture and generation (db.m5.large -> db.r5.large, db.m6g.large -> db.r6g.large);
    3. the same architecture, any kind (db.t3.xlarge, 16 GiB -> db.r5.large);
    4. any class at all.

    When no class has that much memory, the one with the most memory of the first rule that has
    any candidate is returned. A class the catalog does not know counts as 0 GiB of its family (its
    smallest Aurora size) or, for an unknown family, of any family: the smallest Aurora class.
    """
    valid = {c: f for c, f in catalog()["aurora"].items() if _supports(f["versions"], engine_version)}
    if isinstance(cls, str) and cls in valid:
        return cls
    want = db_class(cls) if isinstance(cls, str) else None
    family = want["family"] if want else None
    if want is None and isinstance(cls, str) and (match := _CLASS_RE.match(cls)):
        family = match.group("family")
    memory = want["memory_gib"] if want else 0.0
    generation = want["generation"] if want else 0

    def closeness(f: dict) -> tuple:
        return (f["memory_gib"], abs(f["generation"] - generation), f["vcpu"], f["class"])

    pool = list(valid.values())
    if not pool:
        raise PolicyInputError("the AWS catalog offers no Aurora PostgreSQL class for that engine version")
    rules = [[f for f in pool if f["family"] == family]]
    if want:
        rules.append(
            [f for f in pool if f["architecture"] == want["architecture"] and f["burstable"] == want["burstable"]]
        )
        rules.append([f for f in pool if f["architecture"] == want["architecture"]])
    rules.append(pool)
    for candidates in rules:
        big_enough = [f for f in candidates if f["memory_gib"] >= memory]
        if big_enough:
            return min(big_enough, key=closeness)["class"]
    # Nothing holds that much memory: the biggest class of the closest rule that has any.
    first = next(candidates for candidates in rules if candidates)
    return max(first, key=lambda f: (f["memory_gib"], -abs(f["generation"] - generation), f["class"]))["class"]


# --------------------------------------------------------------------------------------------
# ElastiCache, burstable classes, memory
# --------------------------------------------------------------------------------------------


def cache_node(node_type: Any) -> dict | None:
    """Facts (vcpu, memory_gib, burstable, family, architecture, generation, confirmed) for an
    ElastiCache node type; None when the catalog does not know it."""
    if not isinstance(node_type, str):
        return None
    facts = catalog()["cache"].get(node_type)
    return dict(facts) if facts else None


def memory_gib(cls: Any) -> float | None:
    """Memory of a db.* or cache.* class as AWS publishes it; None when unknown."""
    if not isinstance(cls, str):
        return None
    facts = cache_node(cls) if cls.startswith("cache.") else db_class(cls)
    return facts["memory_gib"] if facts else None


def is_burstable(cls: Any) -> bool:
    """True for burstable (T) classes: db.t2/t3/t4g.*, cache.t2/t3/t4g.*.

    The catalog answers for the classes it knows; for others the AWS naming rule decides (a T
    family is burstable), so an uncatalogued db.t4g.2xlarge is still burstable.
    """
    if not isinstance(cls, str):
        return False
    facts = cache_node(cls) if cls.startswith("cache.") else db_class(cls)
    if facts is not None:
        return bool(facts["burstable"])
    return bool(re.match(r"^(db|cache)\.t\d", cls))


def is_at_least(cls: Any, reference: Any) -> bool | None:
    """Does `cls` have at least the memory of `reference`? None when either is unknown.

    The sizing guard's "prod-sized" test: a class is prod-sized when it has at least the memory of
    the prod tier's class (read from tiers.yaml by the rule, never restated here).
    """
    have, ref = memory_gib(cls), memory_gib(reference)
    if have is None or ref is None:
        return None
    return have >= ref


def class_size_rank(cls: Any) -> tuple[float, int] | None:
    """A sort key for comparing class sizes across families: (memory GiB, vCPUs); None if unknown."""
    if not isinstance(cls, str):
        return None
    facts = cache_node(cls) if cls.startswith("cache.") else db_class(cls)
    return (facts["memory_gib"], facts["vcpu"]) if facts else None


# --------------------------------------------------------------------------------------------
# Fargate
# --------------------------------------------------------------------------------------------


def _units(value: Any) -> int | None:
    """A task cpu or memory value as a whole number ("512" in a plan, 512 in HCL); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def fargate_cpu_options() -> list[int]:
    return sorted(catalog()["fargate"])


def fargate_memory_options(cpu: Any) -> list[int]:
    """Memory values (MiB) Fargate allows with this task cpu (Linux); [] for a cpu it does not offer."""
    units = _units(cpu)
    return list(catalog()["fargate"].get(units, [])) if units is not None else []


def is_valid_fargate(cpu: Any, memory: Any) -> bool:
    mem = _units(memory)
    return mem is not None and mem in fargate_memory_options(cpu)


def fargate_cpu_options_for_memory(memory: Any) -> list[int]:
    """The cpu values with which this memory (MiB) is a valid Fargate pair."""
    mem = _units(memory)
    return [cpu for cpu, options in sorted(catalog()["fargate"].items()) if mem in options]


__all__ = [
    "CATALOG_FILE", "aurora_class_status", "aurora_engine_majors", "aurora_postgres_classes", "cache_node",
    "catalog", "class_size_rank", "db_class", "fargate_cpu_options", "fargate_cpu_options_for_memory",
    "fargate_memory_options", "is_at_least", "is_burstable", "is_valid_aurora_postgres_class", "is_valid_fargate",
    "load_catalog", "memory_gib", "nearest_aurora_postgres_class",
]
