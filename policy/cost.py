"""Monthly cost estimate of an env from its resources and the price table in the repository.

`estimate(resources, tier)` prices a list of `Resource` (from a plan JSON, see policy/plan.py)
with policy/data/prices.yaml: on-demand us-east-1 list prices, each group with its source and
date. Sizing comes only from the resources (instance classes, node types and counts, task sizes,
autoscaling bounds); what no plan can know (GB of logs, NAT traffic, Aurora storage, LCUs) comes
from the `usage:` section of the price file, defaults overridden per env.

Fargate services are estimated twice, at their autoscaling minimum and maximum, so an estimate has
two totals. A class with no price, or a size the plan leaves unknown, is a line item saying so and
makes the estimate incomplete (a lower bound); it never raises.

`budget_verdict(estimate, tier)` compares both totals with the tier's `budget_usd_month` and works
out, from the catalog and the price table, what the cheapest valid Aurora PostgreSQL configuration
costs, so the output can say when a budget is impossible rather than bend the numbers.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from core import reading
from policy import catalog
from policy.model import PolicyInputError, Resource, Unknown, acu, module_of, serverless_scaling

PRICES_FILE = Path(__file__).parent / "data" / "prices.yaml"

USAGE_KEYS: dict[str, type] = {
    "aurora_storage_gb": float,
    "aurora_io_million_requests": float,
    "nat_gb_processed": float,
    "alb_lcu": float,
    "log_ingest_gb": float,
    "log_ingest_gb_by_name": dict,
    "log_retention_never_months": float,
    "ecr_storage_gb": float,
    "s3_storage_gb": float,
    "aurora_active_hours": float,
    "aurora_average_acu": float,
    "vpc_endpoint_gb_processed": float,
}

# Resource types that cost money but this estimate does not price: their presence makes it incomplete.
NOT_MODELLED = {
    "aws_db_instance": "RDS DB instance",
    "aws_instance": "EC2 instance",
    "aws_eks_cluster": "EKS cluster",
    "aws_eks_node_group": "EKS node group",
    "aws_opensearch_domain": "OpenSearch domain",
    "aws_elasticsearch_domain": "Elasticsearch domain",
    "aws_msk_cluster": "MSK cluster",
    "aws_ec2_transit_gateway": "transit gateway",
    "aws_globalaccelerator_accelerator": "Global Accelerator",
    "aws_wafv2_web_acl": "WAF web ACL",
    "aws_route53_zone": "Route 53 hosted zone",
    "aws_cloudfront_distribution": "CloudFront distribution",
}


# --------------------------------------------------------------------------------------------
# The price table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    usd: float
    confirmed: bool
    group: str
    key: str


def _fail(path: Path | str, where: str, problem: str) -> PolicyInputError:
    return PolicyInputError(f"{path}: {where}: {problem}")


def _nonneg(value: Any, path: Path | str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _fail(path, where, f"expected a non-negative number, got {value!r}")
    return float(value)


def _check_usage(block: Any, path: Path | str, where: str) -> dict[str, Any]:
    if not isinstance(block, dict):
        raise _fail(path, where, "expected a mapping")
    out: dict[str, Any] = {}
    for key, value in block.items():
        if key not in USAGE_KEYS:
            raise _fail(path, f"{where}.{key}", f"unknown usage key (known: {', '.join(sorted(USAGE_KEYS))})")
        if USAGE_KEYS[key] is dict:
            if not isinstance(value, dict):
                raise _fail(path, f"{where}.{key}", "expected a mapping of name fragment to GB")
            out[key] = {str(k): _nonneg(v, path, f"{where}.{key}.{k}") for k, v in value.items()}
        else:
            out[key] = _nonneg(value, path, f"{where}.{key}")
    return out


def load_prices(path: Path | str = PRICES_FILE) -> dict[str, Any]:
    """Read and check a price file; malformed -> PolicyInputError of one line naming the key."""
    raw = reading.read_yaml(path, "price table")
    if not isinstance(raw, dict):
        raise _fail(path, "(top level)", "expected a mapping")
    if raw.get("schema_version") != 1:
        raise _fail(path, "schema_version", f"expected 1, got {raw.get('schema_version')!r}")
    if raw.get("currency") != "USD":
        raise _fail(path, "currency", "expected USD")
    if not isinstance(raw.get("region"), str):
        raise _fail(path, "region", "expected a region name")
    assumptions = raw.get("assumptions")
    if not isinstance(assumptions, dict):
        raise _fail(path, "assumptions", "expected a mapping")
    hours = _nonneg(assumptions.get("hours_per_month"), path, "assumptions.hours_per_month")
    if not 672 <= hours <= 744:
        raise _fail(path, "assumptions.hours_per_month", f"{hours} is not the length of a month in hours")

    groups = raw.get("groups")
    if not isinstance(groups, dict) or not groups:
        raise _fail(path, "groups", "expected a mapping of price groups")
    prices: dict[str, dict[str, Price]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for name, group in groups.items():
        where = f"groups.{name}"
        if not isinstance(group, dict):
            raise _fail(path, where, "expected a mapping")
        source = group.get("source")
        if not isinstance(source, str) or not source.startswith("https://"):
            raise _fail(path, f"{where}.source", "expected an https:// URL")
        as_of = group.get("as_of")
        if not isinstance(as_of, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
            raise _fail(path, f"{where}.as_of", f"expected a YYYY-MM-DD date string, got {as_of!r}")
        default_confirmed = group.get("confirmed", True)
        if not isinstance(default_confirmed, bool):
            raise _fail(path, f"{where}.confirmed", "expected true or false")
        items = group.get("prices")
        if not isinstance(items, dict) or not items:
            raise _fail(path, f"{where}.prices", "expected a mapping of prices")
        prices[name] = {}
        for key, item in items.items():
            iwhere = f"{where}.prices.{key}"
            if isinstance(item, dict):
                usd = _nonneg(item.get("usd"), path, f"{iwhere}.usd")
                confirmed = item.get("confirmed", default_confirmed)
                if not isinstance(confirmed, bool):
                    raise _fail(path, f"{iwhere}.confirmed", "expected true or false")
            else:
                usd, confirmed = _nonneg(item, path, iwhere), default_confirmed
            prices[name][str(key)] = Price(usd, confirmed, name, str(key))
        meta[name] = {"source": source, "as_of": as_of, "confirmed": default_confirmed}

    usage = raw.get("usage")
    if not isinstance(usage, dict):
        raise _fail(path, "usage", "expected a mapping with defaults and tiers")
    defaults = _check_usage(usage.get("defaults"), path, "usage.defaults")
    missing = sorted(set(USAGE_KEYS) - set(defaults))
    if missing:
        raise _fail(path, "usage.defaults", f"missing {missing[0]}")
    tiers_usage = usage.get("tiers", {}) or {}
    if not isinstance(tiers_usage, dict):
        raise _fail(path, "usage.tiers", "expected a mapping of env to overrides")
    overrides = {str(env): _check_usage(block or {}, path, f"usage.tiers.{env}") for env, block in tiers_usage.items()}

    return {
        "hours": hours,
        "region": raw["region"],
        "prices": prices,
        "meta": meta,
        "usage_defaults": defaults,
        "usage_tiers": overrides,
    }


@cache
def price_table() -> dict[str, Any]:
    """The shipped price table, read once."""
    return load_prices(PRICES_FILE)


def price(group: str, key: str, table: dict[str, Any] | None = None) -> Price | None:
    table = table or price_table()
    return table["prices"].get(group, {}).get(key)


def usage_for(env: str, table: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The usage assumed for `env`: the price table's defaults, its tier overrides, then `overrides`
    (from `infra cost --usage FILE`, see load_usage)."""
    table = table or price_table()
    return {**table["usage_defaults"], **table["usage_tiers"].get(env, {}), **(overrides or {})}


def load_usage(path: Path | str) -> dict[str, Any]:
    """A usage file: a YAML mapping of usage keys (those of the price table's `usage:` section) to
    values, applied over the env's own. Malformed or unknown keys -> PolicyInputError of one line."""
    raw = reading.read_yaml(path, "usage file")
    if raw is None:
        return {}
    return _check_usage(raw, path, "(top level)")


# --------------------------------------------------------------------------------------------
# The estimate
# --------------------------------------------------------------------------------------------


@dataclass
class LineItem:
    address: str
    description: str
    quantity: float | None  # a month's quantity at the minimum, in `unit`
    unit: str
    unit_price: float | None  # None: no price
    monthly_min: float
    monthly_max: float
    priced: bool = True
    confirmed: bool = True  # the unit price is marked confirmed in prices.yaml
    quantity_max: float | None = None  # when it differs at the maximum (scaled tasks)

    def quantity_text(self) -> str:
        """"730", or "730-1,460" when the quantity differs at the maximum; "-" when unknown."""
        if self.quantity is None:
            return "-"
        if self.quantity_max is not None and self.quantity_max != self.quantity:
            return f"{_num(self.quantity)}-{_num(self.quantity_max)}"
        return _num(self.quantity)

    def unit_price_text(self) -> str:
        """"$0.082", "$0.411 *" for a price marked unconfirmed, or "no price"."""
        if self.unit_price is None:
            return "no price"
        return usd(self.unit_price, unit=True) + ("" if self.confirmed else " *")


@dataclass
class CostEstimate:
    env: str
    items: list[LineItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    complete: bool = True
    hours_per_month: float = 730.0
    region: str = "us-east-1"

    COLUMNS = ("Resource", "Item", "Quantity", "Unit", "Unit price", "Monthly (min)", "Monthly (max)")

    @property
    def total_min(self) -> float:
        return round(sum(i.monthly_min for i in self.items), 2)

    @property
    def total_max(self) -> float:
        return round(sum(i.monthly_max for i in self.items), 2)

    @property
    def unconfirmed_min(self) -> float:
        """How much of the minimum total rests on prices marked unconfirmed."""
        return round(sum(i.monthly_min for i in self.items if not i.confirmed), 2)

    def rows(self, total: bool = True) -> list[tuple[str, ...]]:
        """One tuple of strings per line item (columns as in COLUMNS), then the total."""
        rows = []
        for item in self.items:
            rows.append(
                (item.address, item.description, item.quantity_text(), item.unit, item.unit_price_text(),
                 usd(item.monthly_min), usd(item.monthly_max))
            )
        if total:
            label = "TOTAL" if self.complete else "TOTAL (incomplete: a lower bound)"
            rows.append(("", label, "", "", "", usd(self.total_min), usd(self.total_max)))
        return rows

    def total_text(self) -> str:
        """"$161.62-$179.64/month" (min-max tasks), or one figure when they agree; "+" when incomplete."""
        span = usd(self.total_min) + (f"-{usd(self.total_max)}" if self.total_max != self.total_min else "")
        return f"{span}{'' if self.complete else '+'}/month"

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "region": self.region,
            "hours_per_month": self.hours_per_month,
            "total_min": self.total_min,
            "total_max": self.total_max,
            "unconfirmed_min": self.unconfirmed_min,
            "complete": self.complete,
            "notes": list(self.notes),
            "items": [asdict(i) for i in self.items],
        }


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def usd(value: float, unit: bool = False) -> str:
    """"$1,234.56" (a monthly figure), or a unit price to four places without trailing zeros."""
    if unit:
        return f"${value:.4f}".rstrip("0").rstrip(".") if value else "$0"
    return f"${value:,.2f}"


def _known(value: Any) -> bool:
    return value is not None and not isinstance(value, Unknown)


def _int(value: Any) -> int | None:
    """A count, size or period as a non-negative whole number ("512" in a plan); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


class _Estimator:
    def __init__(self, resources: list[Resource], env: str, table: dict[str, Any], usage: dict[str, Any],
                 task_floor: int | None = None):
        self.resources = [r for r in resources if r.mode == "managed"]
        self.task_floor = task_floor  # the tier's min_tasks: what a service waiting for its first release runs after it
        self._by_type: dict[str, list[Resource]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)
        self._public_subnets: int | None = None
        self.env = env
        self.table = table
        self.usage = usage
        self.hours = table["hours"]
        self.result = CostEstimate(env=env, hours_per_month=self.hours, region=table["region"])

    # -- helpers ---------------------------------------------------------------------------
    def note(self, text: str, incomplete: bool = False) -> None:
        if text not in self.result.notes:
            self.result.notes.append(text)
        if incomplete:
            self.result.complete = False

    def add(self, r: Resource, description: str, quantity: float, unit: str, p: Price,
            quantity_max: float | None = None) -> None:
        q_max = quantity if quantity_max is None else quantity_max
        self.result.items.append(LineItem(
            address=r.address, description=description, quantity=round(quantity, 4), unit=unit,
            unit_price=p.usd, monthly_min=round(quantity * p.usd, 2), monthly_max=round(q_max * p.usd, 2),
            confirmed=p.confirmed, quantity_max=None if quantity_max is None else round(q_max, 4),
        ))

    def unpriced(self, r: Resource, description: str, quantity: float | None, unit: str, why: str) -> None:
        self.result.items.append(LineItem(
            address=r.address, description=description, quantity=quantity, unit=unit, unit_price=None,
            monthly_min=0.0, monthly_max=0.0, priced=False, confirmed=False,
        ))
        self.note(why, incomplete=True)

    def price(self, group: str, key: str) -> Price | None:
        return price(group, key, self.table)

    def of_type(self, rtype: str) -> list[Resource]:
        return list(self._by_type.get(rtype, ()))

    # -- per type ------------------------------------------------------------------------------
    def run(self) -> CostEstimate:
        handlers = {
            "aws_rds_cluster_instance": self.rds_cluster_instance,
            "aws_rds_cluster": self.rds_cluster,
            "aws_elasticache_replication_group": self.elasticache_group,
            "aws_elasticache_cluster": self.elasticache_cluster,
            "aws_nat_gateway": self.nat_gateway,
            "aws_eip": self.eip,
            "aws_lb": self.load_balancer,
            "aws_alb": self.load_balancer,
            "aws_ecs_service": self.ecs_service,
            "aws_vpc_endpoint": self.vpc_endpoint,
            "aws_cloudwatch_log_group": self.log_group,
            "aws_cloudwatch_metric_alarm": self.alarm,
            "aws_kms_key": self.kms_key,
            "aws_kms_replica_key": self.kms_key,
            "aws_secretsmanager_secret": self.secret,
            "aws_ecr_repository": self.ecr,
            "aws_s3_bucket": self.s3_bucket,
            "aws_sns_topic": self.sns_topic,
        }
        for r in self.resources:
            handler = handlers.get(r.type)
            if handler is not None:
                handler(r)
            elif r.type in NOT_MODELLED:
                self.unpriced(r, f"{NOT_MODELLED[r.type]}: not modelled", None, "-",
                              f"{r.type} is not priced by this estimate")
        unconfirmed = self.result.unconfirmed_min
        if unconfirmed:
            self.note(
                f"${unconfirmed:,.2f} of the ${self.result.total_min:,.2f} minimum rests on prices marked "
                "unconfirmed (*) in policy/data/prices.yaml"
            )
        return self.result

    def rds_cluster_instance(self, r: Resource) -> None:
        cls = r.get("instance_class")
        hours = self.hours
        if not _known(cls) or not isinstance(cls, str):
            self.unpriced(r, "DB instance (class unknown until apply)", hours, "instance-hours",
                          f"{r.address}: instance class not known at plan")
            return
        if cls == "db.serverless":
            self.aurora_serverless(r)
            return
        p = self.price("aurora_postgresql_instance", cls)
        if p is None:
            self.unpriced(r, f"no price for {cls}", hours, "instance-hours",
                          f"no price for {cls} in policy/data/prices.yaml (aurora_postgresql_instance)")
            return
        engine = r.get("engine")
        if _known(engine) and engine != "aurora-postgresql":
            self.note(f"{r.address}: engine {engine} priced with Aurora PostgreSQL instance prices")
        self.add(r, f"Aurora instance ({cls}, on-demand)", hours, "instance-hours", p)
        retention = _int(r.get("performance_insights_retention_period"))
        if r.get("performance_insights_enabled") is True and retention is not None and retention > 7:
            self.note(f"{r.address}: Performance Insights retention beyond 7 days is not priced", incomplete=True)

    def aurora_serverless(self, r: Resource) -> None:
        """One Serverless v2 instance: ACU-hours = the hours it runs x the ACUs it averages meanwhile.

        Only an instance whose minimum is 0 ACUs pauses (and bills no ACUs while paused), so the
        usage's active hours apply to it alone; any other runs every hour of the month. The
        average is clamped into the cluster's range, and a running instance has at least 0.5 ACU.
        """
        found = serverless_scaling(r, self.of_type("aws_rds_cluster"))
        cluster, scaling = found if found else (None, {})
        low, high = acu(scaling.get("min_capacity")), acu(scaling.get("max_capacity"))
        if cluster is None or low is None or high is None:
            self.unpriced(r, "Aurora Serverless v2 (scaling range unknown)", None, "ACU-hours",
                          f"{r.address}: no serverlessv2_scaling_configuration found on its cluster")
            return
        p = self.price("aurora_serverless_v2", "acu_hour")
        if p is None:
            self.unpriced(r, "Aurora Serverless v2 (no ACU price)", None, "ACU-hours",
                          "no price for aurora_serverless_v2.acu_hour in policy/data/prices.yaml")
            return
        acus = min(max(self.usage["aurora_average_acu"], low, 0.5), max(high, 0.5))
        if low == 0:
            hours = min(self.usage["aurora_active_hours"], self.hours)
            how = f"{_num(hours)} h running, paused the rest"
            self.note(f"{cluster.address}: its instances pause only while no client holds a connection "
                      "open; an application pool that keeps idle connections keeps them running every hour")
        else:
            hours, how = self.hours, "never pauses"
        self.add(r, f"Aurora Serverless v2, {_num(acus)} ACU on average ({_num(low)}-{_num(high)}; {how})",
                 hours * acus, "ACU-hours", p)

    def rds_cluster(self, r: Resource) -> None:
        storage_type = r.get("storage_type")
        gb = self.usage["aurora_storage_gb"]
        if storage_type == "aurora-iopt1":
            p = self.price("aurora_storage", "io_optimized_gb_month")
            if p:
                self.add(r, f"Storage, I/O-Optimized (assumed {_num(gb)} GB)", gb, "GB-months", p)
            self.note(f"{r.address}: Aurora I/O-Optimized instance premium is not modelled", incomplete=True)
            return
        storage = self.price("aurora_storage", "standard_gb_month")
        io = self.price("aurora_storage", "io_per_million")
        if storage:
            self.add(r, f"Storage (assumed {_num(gb)} GB)", gb, "GB-months", storage)
        millions = self.usage["aurora_io_million_requests"]
        if io:
            self.add(r, f"I/O requests (assumed {_num(millions)} million)", millions, "1M requests", io)

    def _cache_nodes(self, r: Resource, node_type: Any, nodes: int | None, what: str) -> None:
        if not _known(node_type) or not isinstance(node_type, str):
            self.unpriced(r, f"{what} (node type unknown until apply)", None, "node-hours",
                          f"{r.address}: node type not known at plan")
            return
        if nodes is None:
            self.unpriced(r, f"{what} {node_type} (node count unknown until apply)", None, "node-hours",
                          f"{r.address}: node count not known at plan")
            return
        p = self.price("elasticache_node", node_type)
        quantity = nodes * self.hours
        if p is None:
            self.unpriced(r, f"no price for {node_type}", quantity, "node-hours",
                          f"no price for {node_type} in policy/data/prices.yaml (elasticache_node)")
            return
        self.add(r, f"{what} {node_type} x {nodes} node{'s' if nodes != 1 else ''}", quantity, "node-hours", p)

    def elasticache_group(self, r: Resource) -> None:
        # Cluster mode sets num_node_groups (and replicas); otherwise num_cache_clusters. The one not
        # set is computed by the provider, so it is unknown at plan: use whichever is a number.
        shards = _int(r.get("num_node_groups"))
        clusters = _int(r.get("num_cache_clusters"))
        if shards is not None:
            replicas = r.get("replicas_per_node_group")
            replicas_n = 0 if replicas is None or isinstance(replicas, Unknown) else _int(replicas)
            nodes = None if replicas_n is None else shards * (1 + replicas_n)
            if isinstance(replicas, Unknown):
                self.note(f"{r.address}: replicas_per_node_group unknown at plan; counted as 0", incomplete=True)
        else:
            nodes = clusters
        self._cache_nodes(r, r.get("node_type"), nodes, "ElastiCache")

    def elasticache_cluster(self, r: Resource) -> None:
        if r.get("replication_group_id") is not None:
            return  # a member of a replication group, priced with the group
        self._cache_nodes(r, r.get("node_type"), _int(r.get("num_cache_nodes")), "ElastiCache cluster")

    def vpc_endpoint(self, r: Resource) -> None:
        kind = r.get("vpc_endpoint_type") if _known(r.get("vpc_endpoint_type")) else "Gateway"
        name = r.get("service_name") if isinstance(r.get("service_name"), str) else "?"
        parts = name.split(".")  # com.amazonaws.<region>.<service>, the service itself may hold dots
        service = ".".join(parts[3:]) if len(parts) > 3 and parts[0] == "com" else name
        if kind == "Gateway":
            p = self.price("vpc_endpoint", "gateway_month")
            if p:
                self.add(r, f"Gateway endpoint ({service}): no charge", 1, "endpoint-months", p)
            return
        if kind != "Interface":
            self.unpriced(r, f"{kind} endpoint: not modelled", None, "-", f"{r.address}: {kind} endpoints not priced")
            return
        subnets = r.get("subnet_ids")
        if not isinstance(subnets, list) or not subnets:
            self.unpriced(r, f"Interface endpoint ({service}), subnets unknown", None, "ENI-hours",
                          f"{r.address}: an interface endpoint is billed per subnet, and its subnets are unknown")
            return
        hour, gb = self.price("vpc_endpoint", "interface_hour"), self.price("vpc_endpoint", "interface_gb_processed")
        if hour:
            count = len(subnets)
            self.add(r, f"Interface endpoint ({service}) x {count} subnet{'s' if count != 1 else ''}",
                     count * self.hours, "ENI-hours", hour)
        processed = self.usage["vpc_endpoint_gb_processed"]
        if gb:
            self.add(r, f"Endpoint data processed (assumed {_num(processed)} GB)", processed, "GB", gb)

    def nat_gateway(self, r: Resource) -> None:
        hour, gb_price = self.price("nat_gateway", "hour"), self.price("nat_gateway", "gb_processed")
        if hour:
            self.add(r, "NAT gateway", self.hours, "hours", hour)
        gb = self.usage["nat_gb_processed"]
        if gb_price:
            self.add(r, f"NAT data processed (assumed {_num(gb)} GB)", gb, "GB", gb_price)

    def eip(self, r: Resource) -> None:
        p = self.price("public_ipv4", "address_hour")
        if p:
            self.add(r, "Public IPv4 address (Elastic IP)", self.hours, "address-hours", p)

    def _public_subnet_count(self, r: Resource) -> tuple[int, str]:
        subnets = r.get("subnets")
        if isinstance(subnets, list) and subnets and all(_known(s) for s in subnets):
            return len(subnets), "one per subnet"
        mappings = r.blocks("subnet_mapping")
        if mappings:
            return len(mappings), "one per subnet mapping"
        if self._public_subnets is None:  # counted once: a plan can hold many load balancers
            self._public_subnets = sum(
                1 for s in self.of_type("aws_subnet")
                if (isinstance(s.get("tags"), dict) and str(s.get("tags", {}).get("Tier", "")).lower() == "public")
                or ".public[" in s.address or s.address.endswith(".public"))
        if self._public_subnets:
            return self._public_subnets, "one per public subnet; the ALB's subnets are unknown at plan"
        self.note(f"{r.address}: subnets unknown; assumed 2 public IPv4 addresses (the ALB minimum of two AZs)")
        return 2, "assumed: two AZs"

    def load_balancer(self, r: Resource) -> None:
        kind = r.get("load_balancer_type") if _known(r.get("load_balancer_type")) else "application"
        if kind not in ("application", "network"):
            self.unpriced(r, f"{kind} load balancer: not modelled", None, "-",
                          f"{r.address}: {kind} load balancer not priced")
            return
        name = "ALB" if kind == "application" else "NLB"
        prefix = name.lower()
        hour, lcu = self.price("load_balancer", f"{prefix}_hour"), self.price("load_balancer", f"{prefix}_lcu_hour")
        if hour:
            self.add(r, f"{name} (application load balancer)" if name == "ALB" else name, self.hours, "hours", hour)
        lcus = self.usage["alb_lcu"]
        if lcu:
            self.add(r, f"{name} capacity units (assumed {_num(lcus)} on average)", lcus * self.hours, "LCU-hours", lcu)
        if r.get("internal") is not True:
            count, how = self._public_subnet_count(r)
            ip = self.price("public_ipv4", "address_hour")
            if ip:
                self.add(r, f"Public IPv4 addresses x {count} ({how})", count * self.hours, "address-hours", ip)

    def _task_definition(self, service: Resource) -> Resource | None:
        definitions = self.of_type("aws_ecs_task_definition")
        ref = service.get("task_definition")
        if isinstance(ref, str) and ref:
            family = ref.rsplit("/", 1)[-1].split(":", 1)[0]
            matches = [d for d in definitions if d.get("family") == family]
            if len(matches) == 1:
                return matches[0]
        if len(definitions) == 1:
            return definitions[0]
        same_module = [d for d in definitions if module_of(d.address) == module_of(service.address)]
        return same_module[0] if len(same_module) == 1 else None

    def _task_counts(self, service: Resource) -> tuple[int | None, int | None, str]:
        name = service.get("name")
        targets = [
            t for t in self.of_type("aws_appautoscaling_target")
            if t.get("service_namespace") == "ecs" and t.get("scalable_dimension") in (None, "ecs:service:DesiredCount")
        ]
        chosen = None
        if isinstance(name, str):
            ids = [(t, t.get("resource_id")) for t in targets]
            chosen = next((t for t, rid in ids if isinstance(rid, str) and rid.endswith(f"/{name}")), None)
        if chosen is None and len(targets) == 1 and len(self.of_type("aws_ecs_service")) == 1:
            chosen = targets[0]
        if chosen is not None:
            low, high = _int(chosen.get("min_capacity")), _int(chosen.get("max_capacity"))
            if low == 0 and _int(service.get("desired_count")) == 0 and self.task_floor and high is not None:
                # Waiting for its first release, which raises the floor to the tier's (modules/service).
                low = min(self.task_floor, high)
                return low, high, f"autoscaling {low}-{high} tasks from the first release"
            if low is not None and high is not None:
                return low, high, f"autoscaling {low}-{high} tasks"
        desired = _int(service.get("desired_count"))
        return desired, desired, f"desired_count {desired}"

    def _capacity_strategy(self, service: Resource) -> list[dict]:
        """The service's capacity provider strategy, else its cluster's default; [] for a launch type."""
        strategy = service.blocks("capacity_provider_strategy")
        if strategy or _known(service.get("launch_type")):
            return strategy
        associations = self.of_type("aws_ecs_cluster_capacity_providers")
        return associations[0].blocks("default_capacity_provider_strategy") if len(associations) == 1 else []

    @staticmethod
    def _split(tasks: int, strategy: list[dict]) -> tuple[float, float]:
        """(on-demand, Spot) tasks out of `tasks` under a Fargate strategy: the `base` first, on its
        provider, then the rest in proportion to the weights (ECS's own placement rule)."""
        if not strategy:
            return float(tasks), 0.0
        spot = [b for b in strategy if b.get("capacity_provider") == "FARGATE_SPOT"]
        demand = [b for b in strategy if b.get("capacity_provider") != "FARGATE_SPOT"]
        base_spot = sum(_int(b.get("base")) or 0 for b in spot)
        base_demand = sum(_int(b.get("base")) or 0 for b in demand)
        on_demand = min(tasks, base_demand)
        on_spot = min(tasks - on_demand, base_spot)
        rest = tasks - on_demand - on_spot
        w_spot = sum(_int(b.get("weight")) or 0 for b in spot)
        w_demand = sum(_int(b.get("weight")) or 0 for b in demand)
        if rest and w_spot + w_demand:
            on_spot += rest * w_spot / (w_spot + w_demand)
            on_demand += rest * w_demand / (w_spot + w_demand)
        return float(on_demand), float(on_spot)

    def ecs_service(self, r: Resource) -> None:
        launch = r.get("launch_type")
        strategy = self._capacity_strategy(r)
        providers = [b.get("capacity_provider") for b in strategy]
        if launch != "FARGATE" and not any(p in ("FARGATE", "FARGATE_SPOT") for p in providers):
            if _known(launch) and launch in ("EC2", "EXTERNAL"):
                return  # capacity is the instances', priced (or not) with them
            if not providers:
                self.note(f"{r.address}: launch type {launch!r}; priced as Fargate")
        definition = self._task_definition(r)
        if definition is None:
            self.unpriced(r, "Fargate tasks (task definition not found)", None, "task-hours",
                          f"{r.address}: cannot tell which task definition it runs")
            return
        cpu, memory = _int(definition.get("cpu")), _int(definition.get("memory"))
        if cpu is None or memory is None:
            self.unpriced(r, "Fargate tasks (task size unknown until apply)", None, "task-hours",
                          f"{definition.address}: task cpu/memory not known at plan")
            return
        low, high, how = self._task_counts(r)
        if low is None or high is None:
            self.unpriced(r, "Fargate tasks (task count unknown until apply)", None, "task-hours",
                          f"{r.address}: task count not known at plan")
            return
        if not catalog.is_valid_fargate(cpu, memory):
            self.note(f"{definition.address}: {cpu} CPU / {memory} MiB is not a valid Fargate size; priced as given")
        platform = definition.blocks("runtime_platform")
        arm = bool(platform) and platform[0].get("cpu_architecture") == "ARM64"
        arch = "Linux/ARM" if arm else "Linux/x86"
        vcpus, gbs = cpu / 1024, memory / 1024
        (demand_low, spot_low), (demand_high, spot_high) = self._split(low, strategy), self._split(high, strategy)
        for spot, at_low, at_high in ((False, demand_low, demand_high), (True, spot_low, spot_high)):
            if not at_low and not at_high:
                continue
            prefix = ("arm_" if arm else "") + ("spot_" if spot else "")
            vcpu_p, gb_p = self.price("fargate", f"{prefix}vcpu_hour"), self.price("fargate", f"{prefix}gb_hour")
            if vcpu_p is None or gb_p is None:
                self.unpriced(r, "Fargate tasks (no Fargate price)", None, "task-hours",
                              f"no fargate.{prefix}vcpu_hour / {prefix}gb_hour in prices.yaml")
                continue
            per_task_hour = Price(
                round(vcpus * vcpu_p.usd + gbs * gb_p.usd, 6), vcpu_p.confirmed and gb_p.confirmed, "fargate", "task"
            )
            kind = "Fargate Spot tasks" if spot else "Fargate tasks"
            self.add(
                r, f"{kind}, {_num(vcpus)} vCPU / {_num(gbs)} GB {arch} ({how})",
                at_low * self.hours, "task-hours", per_task_hour, quantity_max=at_high * self.hours,
            )
        network = r.blocks("network_configuration")
        if network and network[0].get("assign_public_ip") is True:
            ip = self.price("public_ipv4", "address_hour")
            if ip:
                self.add(r, f"Public IPv4 address of each task ({how})", low * self.hours, "address-hours", ip,
                         quantity_max=high * self.hours)

    def log_group(self, r: Resource) -> None:
        name = r.get("name")
        name_text = name if isinstance(name, str) else r.address
        gb = self.usage["log_ingest_gb"]
        flow = False
        for fragment, value in self.usage["log_ingest_gb_by_name"].items():
            if fragment.lower() in name_text.lower():
                gb, flow = value, fragment.lower() == "flow"
                break
        ingest = self.price("vpc_flow_logs", "cloudwatch_ingest_gb") if flow else None
        ingest = ingest or self.price("cloudwatch", "logs_ingest_gb")
        if ingest:
            what = "VPC flow logs ingested as vended logs" if flow else "Logs ingested"
            self.add(r, f"{what} (assumed {_num(gb)} GB)", gb, "GB", ingest)
        retention = _int(r.get("retention_in_days"))
        if retention:
            stored, how = gb * retention / 30, f"{retention} days kept"
        else:
            months = self.usage["log_retention_never_months"]
            stored, how = gb * months, f"never expires: {_num(months)} months assumed"
        storage = self.price("cloudwatch", "logs_storage_gb_month")
        if storage and stored:
            self.add(r, f"Logs stored ({how})", stored, "GB-months", storage)

    def alarm(self, r: Resource) -> None:
        queries = r.blocks("metric_query")
        metrics = max(1, sum(1 for q in queries if q.get("metric")))
        period = _int(r.get("period"))
        high = period is not None and period < 60
        p = self.price("cloudwatch", "alarm_high_resolution_metric_month" if high else "alarm_standard_metric_month")
        if p:
            label = "high-resolution" if high else "standard"
            self.add(r, f"CloudWatch alarm ({label}, {metrics} metric{'s' if metrics != 1 else ''})", metrics,
                     "alarm metric-months", p)

    def kms_key(self, r: Resource) -> None:
        p = self.price("kms", "key_month")
        if p:
            label = "KMS replica key" if r.type == "aws_kms_replica_key" else "KMS key"
            if r.get("multi_region") is True:
                label += " (multi-Region primary; each replica is billed as a key too)"
            self.add(r, label, 1, "key-months", p)

    def secret(self, r: Resource) -> None:
        p = self.price("secrets_manager", "secret_month")
        if p:
            count = 1 + len(r.blocks("replica"))
            self.add(r, "Secrets Manager secret" + (f" + {count - 1} replicas" if count > 1 else ""), count,
                     "secret-months", p)

    def ecr(self, r: Resource) -> None:
        p = self.price("ecr", "storage_gb_month")
        gb = self.usage["ecr_storage_gb"]
        if p:
            self.add(r, f"ECR image storage (assumed {_num(gb)} GB)", gb, "GB-months", p)

    def s3_bucket(self, r: Resource) -> None:
        p = self.price("s3", "standard_gb_month")
        gb = self.usage["s3_storage_gb"]
        if p:
            self.add(r, f"S3 Standard storage (assumed {_num(gb)} GB)", gb, "GB-months", p)

    def sns_topic(self, r: Resource) -> None:
        p = self.price("sns", "topic_month")
        if p:
            self.add(r, "SNS topic (alarm notifications within the free tier)", 1, "topic-months", p)


def estimate(resources: list[Resource], tier: dict, *, env: str | None = None,
             table: dict[str, Any] | None = None, usage: dict[str, Any] | None = None) -> CostEstimate:
    """The monthly estimate of `resources` (one env); `tier` is that env's entry of tiers.yaml.

    The env (for per-env usage overrides) is taken from the resources unless given; `usage`
    overrides the price table's usage for it (see load_usage).
    """
    if not isinstance(resources, list) or not all(isinstance(r, Resource) for r in resources):
        raise PolicyInputError("cost estimate: resources must be a list of Resource")
    if not isinstance(tier, dict):
        raise PolicyInputError("cost estimate: tier must be the env's mapping from tiers.yaml")
    table = table or price_table()
    envs = sorted({r.env for r in resources})
    name = env or (envs[0] if envs else "unknown")
    floor = (tier.get("service") or {}).get("min_tasks")
    estimator = _Estimator(resources, name, table, usage_for(name, table, usage),
                           floor if isinstance(floor, int) and not isinstance(floor, bool) else None)
    if len(envs) > 1:
        estimator.note(f"resources of several envs ({', '.join(envs)}) estimated together")
    return estimator.run()


# --------------------------------------------------------------------------------------------
# Budget
# --------------------------------------------------------------------------------------------


@dataclass
class AuroraFloor:
    """The cheapest valid Aurora PostgreSQL configuration for a tier: class x the tier's instances."""

    instance_class: str
    hourly_usd: float
    instances: int
    monthly_usd: float
    confirmed: bool


def cheapest_aurora(tier: dict, table: dict[str, Any] | None = None, *, exclude_burstable: bool = False
                    ) -> AuroraFloor | None:
    """From the catalog and the price table: the priced Aurora PostgreSQL class offered for the
    tier's engine version with the lowest hourly price, times the tier's instance count.

    `exclude_burstable` leaves out the T classes, which production tiers may not use."""
    table = table or price_table()
    database = tier.get("database") if isinstance(tier, dict) else None
    if not isinstance(database, dict):
        return None
    instances = _int(database.get("instances"))
    if instances is None:
        return None
    priced = [
        (p.usd, cls, p)
        for cls, facts in catalog.aurora_postgres_classes(database.get("engine_version")).items()
        if not (exclude_burstable and facts["burstable"])
        and (p := price("aurora_postgresql_instance", cls, table)) is not None
    ]
    if not priced:
        return None
    usd, cls, p = min(priced)
    hours = table["hours"]
    return AuroraFloor(cls, usd, instances, round(usd * hours * instances, 2), p.confirmed)


@dataclass
class BudgetVerdict:
    env: str
    budget_min: float
    budget_max: float
    total_min: float
    total_max: float
    at_min: str  # "within", "over" or "under", at the autoscaling minimum
    at_max: str  # the same at the maximum
    complete: bool
    aurora_floor: AuroraFloor | None
    aurora_floor_exceeds_budget: bool  # the cheapest valid Aurora configuration alone is over budget max
    floor_with_cheapest_aurora: float | None  # this estimate (at min) with every Aurora instance at that class
    notes: list[str] = field(default_factory=list)

    @property
    def low(self) -> float:
        """The estimate at the autoscaling minimum (total_min)."""
        return self.total_min

    @property
    def high(self) -> float:
        """The estimate at the autoscaling maximum (total_max)."""
        return self.total_max

    @property
    def note(self) -> str | None:
        """The notes as one line, or None."""
        return "; ".join(self.notes) or None

    @property
    def status(self) -> str:
        """The worse of the two: "over" if either total is over the budget, "under" if both are under."""
        if "over" in (self.at_min, self.at_max):
            return "over"
        if self.at_min == self.at_max == "under":
            return "under"
        return "within"

    @property
    def message(self) -> str:
        span = f"${self.total_min:,.2f}" + (f"-${self.total_max:,.2f}" if self.total_max != self.total_min else "")
        budget = f"${self.budget_min:,.0f}-${self.budget_max:,.0f}"
        text = {
            "over": f"{self.env}: estimated {span} a month (min-max tasks) is over the budget of {budget}",
            "under": f"{self.env}: estimated {span} a month is under the budget of {budget}",
            "within": f"{self.env}: estimated {span} a month is within the budget of {budget}",
        }[self.status]
        if self.status == "over" and self.at_min != "over":
            text += " at the autoscaling maximum"
        if not self.complete:
            text += " (incomplete estimate: a lower bound)"
        return text

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(status=self.status, message=self.message)
        return data


def _where(total: float, low: float, high: float) -> str:
    if total > high:
        return "over"
    if total < low:
        return "under"
    return "within"


def budget_verdict(estimate_: CostEstimate, tier: dict, table: dict[str, Any] | None = None, *,
                   production: bool = False) -> BudgetVerdict:
    """Both totals against the tier's budget_usd_month, and the Aurora floor.

    `production` (the tier is in tiers.yaml's policy.production_tiers) leaves burstable classes
    out of the floor, since a production tier may not use them.
    """
    table = table or price_table()
    budget = tier.get("budget_usd_month") if isinstance(tier, dict) else None
    if not isinstance(budget, dict) or not all(
        isinstance(budget.get(k), int | float) and not isinstance(budget.get(k), bool) for k in ("min", "max")
    ):
        raise PolicyInputError(f"{estimate_.env}: tier has no budget_usd_month {{min, max}}")
    low, high = float(budget["min"]), float(budget["max"])
    floor = cheapest_aurora(tier, table, exclude_burstable=production)
    verdict = BudgetVerdict(
        env=estimate_.env, budget_min=low, budget_max=high,
        total_min=estimate_.total_min, total_max=estimate_.total_max,
        at_min=_where(estimate_.total_min, low, high), at_max=_where(estimate_.total_max, low, high),
        complete=estimate_.complete, aurora_floor=floor,
        aurora_floor_exceeds_budget=bool(floor and floor.monthly_usd > high),
        floor_with_cheapest_aurora=None,
    )
    if floor is None:
        verdict.notes.append("no priced Aurora PostgreSQL class for this tier's engine version: no Aurora floor")
        return verdict
    hedge = "" if floor.confirmed else " (price marked unconfirmed)"
    if verdict.aurora_floor_exceeds_budget:
        verdict.notes.append(
            f"the budget is impossible with valid Aurora PostgreSQL classes: the cheapest, {floor.instance_class} "
            f"at ${floor.hourly_usd}/h{hedge} x {floor.instances} instance(s), alone costs "
            f"${floor.monthly_usd:,.2f} a month, over the budget max of ${high:,.0f}"
        )
    aurora_items = [i for i in estimate_.items if i.description.startswith("Aurora instance")]
    if aurora_items:
        rest = estimate_.total_min - sum(i.monthly_min for i in aurora_items)
        floor_total = round(rest + len(aurora_items) * floor.hourly_usd * table["hours"], 2)
        verdict.floor_with_cheapest_aurora = floor_total
        if not verdict.aurora_floor_exceeds_budget and floor_total > high:
            verdict.notes.append(
                f"Aurora alone fits the budget: the cheapest valid class, {floor.instance_class}{hedge}, costs "
                f"${floor.monthly_usd:,.2f} a month; but with it the rest of this plan still comes to "
                f"${floor_total:,.2f} a month, over the budget max of ${high:,.0f}"
            )
    return verdict


__all__ = [
    "NOT_MODELLED", "PRICES_FILE", "AuroraFloor", "BudgetVerdict", "CostEstimate", "LineItem", "Price",
    "budget_verdict", "cheapest_aurora", "estimate", "load_prices", "load_usage", "price", "price_table",
    "usage_for", "usd",
]
