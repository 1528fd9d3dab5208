"""Live policy covers what the rules read: no emulator needed (tests/policy/test_live_policy.py applies one)."""

from __future__ import annotations

import inspect
import re

from policy import cost, live
from policy.rules import ALL_RULES, Rule


def test_every_type_a_rule_reads_is_read_live():
    missing = sorted(live.read_types() - set(live.TYPES))
    assert not missing, f"types some rule reads that policy/live.py does not read: {missing}"


def test_every_service_has_a_reader():
    assert set(live.TYPES.values()) == set(live.SERVICES)


def test_stack_rules_declare_what_they_read():
    """A rule that looks at the whole stack reads more than its resource_types: live.EXTRA_READS says what,
    so an unserved service is reported against the right rules."""
    stack_rules = [rule.id for rule in ALL_RULES if rule.check_stack is not Rule.check_stack]
    assert stack_rules
    assert not [r for r in stack_rules if r not in live.EXTRA_READS]


def test_cost_rule_reads_every_type_the_estimate_prices():
    source = inspect.getsource(cost._Estimator)
    priced = set(re.findall(r'"(aws_[a-z0-9_]+)": self\.', source)) | set(re.findall(r'of_type\("(aws_[a-z0-9_]+)"\)',
                                                                                      source))
    assert priced, "could not find the estimate's handlers"
    priced = {live.ALIASES.get(t, t) for t in priced}
    assert not sorted(priced - set(live.EXTRA_READS["RPY-COST-001"]))
