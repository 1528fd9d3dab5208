"""Cost rule: the env's estimated monthly cost stays within its tier's budget."""

from __future__ import annotations

from collections.abc import Iterable

from policy import cost
from policy.model import Finding, Level, Severity
from policy.rules.base import Context, Rule


class Budget(Rule):
    id = "RPY-COST-001"
    slug = "budget"
    title = "Estimated monthly cost is within the tier's budget at full scale-out"
    family = "cost"
    severity = Severity.MEDIUM
    rationale = ("The seed's budgets per tier, held at the top of the task range: a tier that fits its budget "
                 "only while it is idle does not fit it.")
    remediation = "Size down (the tier's choices and trade-offs are in terraform/tiers.yaml), or agree a new " \
        "budget_usd_month with the team and change it there."

    def check_stack(self, ctx: Context) -> Iterable[Finding]:
        if not ctx.tier:
            return
        estimate = cost.estimate(ctx.resources, ctx.tier)
        verdict = cost.budget_verdict(estimate, ctx.tier, production=ctx.production)
        budget = ctx.tier["budget_usd_month"]
        anchor = f"{ctx.env} (cost estimate)"
        span = f"${verdict.low:,.2f}-${verdict.high:,.2f}/month"
        note = f"; {verdict.note}" if verdict.note else ""
        if "over" in (verdict.at_min, verdict.at_max):
            where = "at the autoscaling minimum" if verdict.at_min == "over" else "at full scale-out"
            yield self.fail(
                ctx, anchor, f"estimated {span} (min-max tasks) is over the budget ${budget['min']:,}-"
                f"${budget['max']:,} {where}{note}", actual=span, expected=f"<= ${budget['max']:,}",
            )
        if not estimate.complete:
            yield self._finding(ctx, anchor, "cost estimate incomplete: " + "; ".join(estimate.notes),
                                None, None, None, Level.ADVISORY, "unknown")


RULES = [Budget]
