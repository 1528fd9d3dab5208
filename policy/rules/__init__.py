"""The project's rules, one class each, grouped by family: sizing, security (IAM in its own module), cost."""

from __future__ import annotations

from policy.rules.base import Context, Rule
from policy.rules.cost import RULES as COST_RULES
from policy.rules.iam import RULES as IAM_RULES
from policy.rules.security import RULES as SECURITY_RULES
from policy.rules.sizing import RULES as SIZING_RULES

ALL_RULES: tuple[type[Rule], ...] = (*SIZING_RULES, *SECURITY_RULES, *IAM_RULES, *COST_RULES)


def rule_index() -> dict[str, type[Rule]]:
    index = {rule.id: rule for rule in ALL_RULES}
    assert len(index) == len(ALL_RULES), "two rules share an id"
    return index


__all__ = ["ALL_RULES", "Context", "Rule", "rule_index"]
