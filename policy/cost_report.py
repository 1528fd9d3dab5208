"""`infra cost` output: text that fits 100 columns, JSON for machines, Markdown for a PR comment.

Every format puts the total first (at the autoscaling minimum and maximum) with the tier's budget,
then the line items grouped by the module that creates them, with short addresses. No number is
ever cut: a description too long for its column wraps onto the next line instead.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from policy.cost import BudgetVerdict, CostEstimate, LineItem, usd

FORMATS = ("text", "json", "markdown")
WIDTH = 100  # the text table's width, whatever the terminal (a narrower one wraps whole lines)

_MODULE = re.compile(r"module\.([^.\[]+)(?:\[[^\]]*\])?\.")


@dataclass(frozen=True)
class Placed:
    """A line item with the module that creates it and its address inside that module."""

    module: str
    address: str
    item: LineItem


def place(item: LineItem) -> Placed:
    """`module.platform.module.database.aws_rds_cluster.this` -> ("database", "aws_rds_cluster.this"):
    the innermost module names the concern; a resource of the root itself is in "(root)"."""
    modules = _MODULE.findall(item.address)
    short = _MODULE.sub("", item.address)
    return Placed(modules[-1] if modules else "(root)", short, item)


def grouped(estimate: CostEstimate) -> list[tuple[str, list[Placed]]]:
    """The line items by module, the costliest module (at the maximum) first, items in plan order."""
    groups: dict[str, list[Placed]] = {}
    for item in estimate.items:
        placed = place(item)
        groups.setdefault(placed.module, []).append(placed)
    return sorted(groups.items(), key=lambda kv: (-sum(p.item.monthly_max for p in kv[1]), kv[0]))


def _span(low: float, high: float) -> str:
    return usd(low) if low == high else f"{usd(low)}-{usd(high)}"


def headline(estimate: CostEstimate, verdict: BudgetVerdict) -> str:
    """"dev: $161.62-$179.64 a month (min-max tasks), budget $50-$75: over" in one line."""
    incomplete = "" if estimate.complete else " (incomplete: a lower bound)"
    budget = f"${verdict.budget_min:,.0f}-${verdict.budget_max:,.0f}"
    return (f"{estimate.env}: {_span(estimate.total_min, estimate.total_max)} a month (min-max tasks)"
            f"{incomplete}, budget {budget}: {verdict.status}")


def _how(item: LineItem) -> str:
    """Quantity, unit and unit price of an item, short: "730 instance-hours x $0.082"."""
    if item.quantity is None:
        return item.unit
    if item.unit_price is None:
        return f"{item.quantity_text()} {item.unit}, no price"
    return f"{item.quantity_text()} {item.unit} x {item.unit_price_text()}"


def render_text(estimate: CostEstimate, verdict: BudgetVerdict, width: int = WIDTH) -> str:
    """Plain text within `width` columns (at least 72): headline, then module subtotals and items."""
    width = max(width, 72)
    money = 12  # "$12,345.67" fits with room
    # 38 after the indent (aws_elasticache_replication_group.this) and at least 30 for the item.
    name = min(40, width - 2 * (money + 1) - 31)
    what = width - 2 * (money + 1) - name - 1
    lines = textwrap.wrap(headline(estimate, verdict), width, break_on_hyphens=False)
    if verdict.status != "within":
        lines += textwrap.wrap(verdict.message, width, break_on_hyphens=False)
    lines.append("")
    lines.append(f"{'module / resource':<{name}} {'item':<{what}} {'min':>{money}} {'max':>{money}}")
    for module, items in grouped(estimate):
        low = sum(p.item.monthly_min for p in items)
        high = sum(p.item.monthly_max for p in items)
        lines.append(f"{module:<{name + 1 + what}} {usd(low):>{money}} {usd(high):>{money}}")
        for placed in items:
            left = textwrap.wrap(placed.address, name - 2, break_on_hyphens=False) or [""]
            right = textwrap.wrap(f"{placed.item.description}; {_how(placed.item)}", what,
                                  break_on_hyphens=False) or [""]
            for i in range(max(len(left), len(right))):
                cell_l = ("  " + left[i]) if i < len(left) else ""
                cell_r = right[i] if i < len(right) else ""
                figures = (f" {usd(placed.item.monthly_min):>{money}} {usd(placed.item.monthly_max):>{money}}"
                           if i == 0 else "")
                lines.append(f"{cell_l:<{name}} {cell_r:<{what}}{figures}".rstrip())
    lines.append("")
    lines += [f"note: {line}" for note in [*estimate.notes, *verdict.notes]
              for line in textwrap.wrap(note, width - 6, subsequent_indent="  ")]
    lines.append("* = price not confirmed in policy/data/prices.yaml; us-east-1 on-demand list prices")
    return "\n".join(lines) + "\n"


def to_json(estimate: CostEstimate, verdict: BudgetVerdict, usage: dict[str, Any]) -> dict[str, Any]:
    """The estimate for machines: totals at min and max tasks, the budget, usage assumed, items."""
    return {
        "env": estimate.env,
        "currency": "USD",
        "region": estimate.region,
        "total_usd_month": {"min": estimate.total_min, "max": estimate.total_max},
        "budget_usd_month": {"min": verdict.budget_min, "max": verdict.budget_max},
        "budget_status": verdict.status,
        "complete": estimate.complete,
        "unconfirmed_usd_month_min": estimate.unconfirmed_min,
        "hours_per_month": estimate.hours_per_month,
        "usage": usage,
        "modules": [
            {"module": module,
             "usd_month": {"min": round(sum(p.item.monthly_min for p in items), 2),
                           "max": round(sum(p.item.monthly_max for p in items), 2)},
             "items": [{**estimate_item(p.item), "short_address": p.address} for p in items]}
            for module, items in grouped(estimate)
        ],
        "notes": [*estimate.notes, *verdict.notes],
        "message": verdict.message,
    }


def estimate_item(item: LineItem) -> dict[str, Any]:
    return {
        "address": item.address, "description": item.description, "quantity": item.quantity,
        "quantity_max": item.quantity_max, "unit": item.unit, "unit_price": item.unit_price,
        "confirmed": item.confirmed, "priced": item.priced,
        "usd_month": {"min": item.monthly_min, "max": item.monthly_max},
    }


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(estimate: CostEstimate, verdict: BudgetVerdict) -> str:
    """A PR-comment section: the headline, then a table of modules with their items folded under."""
    lines = [f"**{_md(headline(estimate, verdict))}**", ""]
    if verdict.status != "within":
        lines += [_md(verdict.message), ""]
    lines += ["| module / resource | item | min | max |", "|---|---|---:|---:|"]
    for module, items in grouped(estimate):
        low = sum(p.item.monthly_min for p in items)
        high = sum(p.item.monthly_max for p in items)
        lines.append(f"| **{_md(module)}** | | **{usd(low)}** | **{usd(high)}** |")
        for placed in items:
            lines.append(f"| `{_md(placed.address)}` | {_md(placed.item.description)}; {_md(_how(placed.item))} "
                         f"| {usd(placed.item.monthly_min)} | {usd(placed.item.monthly_max)} |")
    notes = [*estimate.notes, *verdict.notes]
    if notes:
        lines += ["", *[f"- {_md(note)}" for note in notes]]
    lines += ["", "\\* price not confirmed in `policy/data/prices.yaml`; us-east-1 on-demand list prices"]
    return "\n".join(lines) + "\n"


def render(fmt: str, estimate: CostEstimate, verdict: BudgetVerdict, usage: dict[str, Any],
           width: int = WIDTH) -> str:
    if fmt == "json":
        return json.dumps(to_json(estimate, verdict, usage), indent=2) + "\n"
    if fmt == "markdown":
        return render_markdown(estimate, verdict)
    if fmt == "text":
        return render_text(estimate, verdict, width)
    raise ValueError(f"unknown cost format {fmt!r} (known: {', '.join(FORMATS)})")


# ---- the pull request's cost against its base branch ----------------------------------------------

Priced = tuple[CostEstimate, BudgetVerdict]


def _signed(value: float) -> str:
    return f"+{usd(value)}" if value > 0 else f"-{usd(-value)}"


def _change(base: float, head: float) -> str:
    """"+$12.30 (+18%)", "-$4.00 (-2%)" or "0": the difference of two monthly figures."""
    delta = round(head - base, 2)
    if delta == 0:
        return "0"
    return _signed(delta) + (f" ({delta / base:+.0%})" if base else "")


def _by_resource(estimate: CostEstimate) -> dict[str, tuple[str, float, float]]:
    """Each resource's short address and monthly min and max, all its line items summed."""
    totals: dict[str, tuple[str, float, float]] = {}
    for item in estimate.items:
        placed = place(item)
        _, low, high = totals.get(item.address, ("", 0.0, 0.0))
        totals[item.address] = (f"{placed.module}: {placed.address}", low + item.monthly_min, high + item.monthly_max)
    return totals


def _resource_changes(base: CostEstimate, head: CostEstimate) -> list[str]:
    """Table rows of the resources whose cost changes, the largest change (at max tasks) first."""
    before, after = _by_resource(base), _by_resource(head)
    changed = []
    for address in before.keys() | after.keys():
        name, low0, high0 = before.get(address, (after.get(address, ("", 0, 0))[0], 0.0, 0.0))
        _, low1, high1 = after.get(address, (name, 0.0, 0.0))
        if round(low1 - low0, 2) or round(high1 - high0, 2):
            old = _span(round(low0, 2), round(high0, 2)) if address in before else "(new)"
            new = _span(round(low1, 2), round(high1, 2)) if address in after else "(removed)"
            changed.append((-abs(high1 - high0), name, old, new, _change(high0, high1)))
    return [f"| `{_md(name)}` | {old} | {new} | {change} |" for _, name, old, new, change in sorted(changed)]


def render_diff_markdown(rows: list[tuple[str, Priced | None, Priced | None]], notes: Sequence[str] = (),
                         unpriced: Collection[str] = ()) -> str:
    """One PR-comment section, as Infracost's: every env's monthly estimate on the base branch and in
    the pull request, the change at the minimum and the maximum task count, the budget it is held to,
    and per env the resources whose cost changes. ``unpriced``: the envs whose base could not be
    priced (``notes`` says why); their change is unknown, not new."""
    lines = ["### Monthly cost: this pull request against its base branch", "",
             "| env | base branch | this pull request | change (min tasks) | change (max tasks) | budget |",
             "|---|---:|---:|---:|---:|---|"]
    details: list[str] = []
    for env, base, head in rows:
        old = _span(base[0].total_min, base[0].total_max) if base else "-"
        new = _span(head[0].total_min, head[0].total_max) if head else "(removed)"
        if base and head:
            at_min = _change(base[0].total_min, head[0].total_min)
            at_max = _change(base[0].total_max, head[0].total_max)
        elif env in unpriced:
            at_min = at_max = "-"
        else:
            at_min = at_max = "new" if head else "removed"
        verdict = (head or base)[1]  # type: ignore[index]  # at least one of them is there
        status = verdict.status if verdict.status == "within" else f"**{verdict.status}**"
        budget = f"${verdict.budget_min:,.0f}-${verdict.budget_max:,.0f}: {status}"
        lines.append(f"| {_md(env)} | {old} | {new} | {at_min} | {at_max} | {budget} |")
        if base and head:
            changes = _resource_changes(base[0], head[0])
            if changes:
                details += ["", f"<details><summary>{_md(env)}: {len(changes)} resource(s) change cost</summary>", "",
                            "| module: resource | base branch | this pull request | change (max tasks) |",
                            "|---|---:|---:|---:|", *changes, "", "</details>"]
    lines += details
    if notes:
        lines += ["", *[f"- {_md(note)}" for note in notes]]
    lines += ["", "`infra cost --env ENV` prices one env in full; the gate holds every env to its budget "
                  "(RPY-COST-001)."]
    return "\n".join(lines) + "\n"
