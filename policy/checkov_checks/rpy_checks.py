"""The project's rules as checkov checks: one check class per rule with per-resource logic.

checkov executes this file (`checkov --external-checks-dir policy/checkov_checks ...`); every class
made below registers itself with checkov's terraform resource registry, which checkov also runs on
plan JSONs (`--framework terraform_plan`). Ids map one to one: RPY-SEC-001 is CKV_RPY_SEC_001.
What the adapter does, which rules are exported and which are not (and why) is in
policy/checkov_adapter.py.

Runs in checkov's own virtualenv: it imports the repository's `policy` package from the checkout
this file is in, and from it only what needs no more than PyYAML (and jsonschema when present).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.append(_REPO)  # last: never shadows one of checkov's own modules

from checkov.common.models.enums import CheckCategories, CheckResult  # noqa: E402
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck  # noqa: E402

from policy import checkov_adapter as adapter  # noqa: E402
from policy.rules import Rule  # noqa: E402

try:  # severities let `--check HIGH` and the like select our checks too
    from checkov.common.bridgecrew.severities import Severities
except ImportError:  # pragma: no cover - an older checkov
    Severities = {}

_CATEGORIES = {"sizing": CheckCategories.CONVENTION, "security": CheckCategories.GENERAL_SECURITY}


class RuleCheck(BaseResourceCheck):
    """A checkov resource check that runs one project rule's check() (set `rule` in a subclass)."""

    rule: type[Rule]

    def __init__(self) -> None:
        super().__init__(
            name=adapter.check_name(self.rule),
            id=adapter.check_id(self.rule.id),
            categories=[_CATEGORIES.get(self.rule.family, CheckCategories.GENERAL_SECURITY)],
            supported_resources=list(self.rule.resource_types),
            guideline=self.rule.remediation or None,
        )
        self.severity = Severities.get(str(self.rule.severity).upper())
        self._scanned_file: str | None = None

    def run(self, scanned_file: str, entity_configuration: dict[str, Any], entity_name: str, entity_type: str,
            skip_info: Any) -> Any:
        self._scanned_file, self._entity_name = scanned_file, entity_name
        return super().run(scanned_file, entity_configuration, entity_name, entity_type, skip_info)

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        verdict = adapter.evaluate(self.rule, conf, self.entity_type, self._scanned_file, self.graph,
                                   name=getattr(self, "_entity_name", ""))
        self.details = verdict.details
        return CheckResult[verdict.result]


for _rule in adapter.exported_rules():
    _check = type(f"{_rule.__name__}Check", (RuleCheck,), {"rule": _rule, "__module__": __name__,
                                                             "__doc__": adapter.check_name(_rule)})
    _check()
