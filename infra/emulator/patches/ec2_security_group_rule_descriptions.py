"""EC2 security group rules that reference another group keep their Description.

moto 5.2.5: a rule's ``Description`` in the SecurityGroupRules API
(``SecurityGroupRules`` in the ``AuthorizeSecurityGroupIngress`` / ``...Egress``
response, ``DescribeSecurityGroupRules``) is read only from the CIDR range
(``SecurityGroupRule.description`` returns ``ip_range["Description"]``), so a
rule with a ``UserIdGroupPairs`` source comes back without one, although
``DescribeSecurityGroups`` shows it on the group pair.  ``ModifySecurityGroupRules``
writes a new description onto the (empty) CIDR range only, so
``DescribeSecurityGroups`` keeps showing the old one.

Terraform symptom: ``aws_vpc_security_group_ingress_rule`` /
``aws_vpc_security_group_egress_rule`` with ``referenced_security_group_id``
(the database, cache and service modules) read ``description`` back as empty,
so every plan after apply wants to update them in place.

Patch: a rule's description is the group pair's description for a rule that
references a group (the CIDR range's otherwise), and ``ModifySecurityGroupRules``
stores a new description on the group pair of such a rule.
"""

from __future__ import annotations

import functools
from typing import Any


def apply() -> None:
    from moto.ec2.models.security_groups import SecurityGroupBackend, SecurityGroupRule

    def description(self: SecurityGroupRule) -> str | None:
        if self.source_group:
            return self.source_group.get("Description")
        return self.ip_range.get("Description")

    SecurityGroupRule.description = property(description)

    modify = SecurityGroupBackend.modify_security_group_rules

    @functools.wraps(modify)
    def modify_security_group_rules(
        self: SecurityGroupBackend, group_id: str, rules: dict[str, dict[str, Any]]
    ) -> None:
        modify(self, group_id, rules)
        group = self.get_security_group_by_name_or_id(group_id)
        for rule_id, new_rule in rules.items():
            rule = group.get_rule(rule_id)
            if rule is not None and rule.source_group and new_rule.get("Description") is not None:
                rule.source_group["Description"] = new_rule["Description"]
                if set(rule.ip_range) == {"Description"}:  # moto put it on the CIDR range, which has none
                    rule.ip_range.clear()

    SecurityGroupBackend.modify_security_group_rules = modify_security_group_rules
