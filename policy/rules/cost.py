"""Cost rule: the env's estimated monthly cost stays within its tier's budget."""

from __future__ import annotations

from collections.abc import Iterable

from policy import cost
from policy.model import Finding, Level, Severity
from policy.rules.base import Context, Rule


class Budget(Rule):
    id = "RPY-COST-001"
    slug = "budget"
    title = "Estimated monthly cost is within the tier's budget"
    family = "cost"
    severity = Severity.MEDIUM
    level = Level.SOFT
    rationale = "The seed's budgets per tier; an overrun needs a person to accept it, with a reason."
    remediation = "Size down, or raise budget_usd_month in terraform/tiers.yaml with the team's agreement."

    def check_stack(self, ctx: Context) -> Iterable[Finding]:
        if not ctx.tier:
            return
        estimate = cost.estimate(ctx.resources, ctx.tier)
        verdict = cost.budget_verdict(estimate, ctx.tier, production=ctx.production)
        budget = ctx.tier["budget_usd_month"]
        anchor = f"{ctx.env} (cost estimate)"
        span = f"${verdict.low:,.0f}-${verdict.high:,.0f}/month"
        note = f"; {verdict.note}" if verdict.note else ""
        if verdict.at_min == "over":
            # What the env costs at rest is the budget's subject: soft-mandatory.
            yield self.fail(
                ctx, anchor, f"estimated {span} exceeds the budget ${budget['min']:,}-${budget['max']:,}{note}",
                actual=span, expected=f"<= ${budget['max']:,}",
            )
        elif verdict.at_max == "over":
            # Full scale-out is transient; report it, do not block on it.
            yield self.fail(
                ctx, anchor, f"at full scale-out the estimate reaches ${verdict.high:,.0f}/month, over the "
                f"budget's ${budget['max']:,}{note}", actual=span, expected=f"<= ${budget['max']:,}",
                level=Level.ADVISORY,
            )
        if not estimate.complete:
            yield self._finding(ctx, anchor, "cost estimate incomplete: " + "; ".join(estimate.notes),
                                None, None, None, Level.ADVISORY, "unknown")


RULES = [Budget]
