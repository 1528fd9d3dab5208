"""The JSON report: a stable, versioned document; policy/schemas/report.schema.json documents it.

Findings are listed env by env (in the order the envs were given), each env's findings in the
order of `common.sort_key` (blocking first, then severity, rule, resource, ...); keys are sorted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from policy.model import EnvResult
from policy.reports.common import (
    counts,
    finding_json,
    ordered,
    overall_verdict,
    plain,
    plan_counts,
    verdict,
)

SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "report.schema.json"


def document(results: Sequence[EnvResult]) -> dict[str, Any]:
    envs = [
        {
            "env": result.env,
            "verdict": verdict(result),
            "plan": _plan(result),
            "cost_total": result.cost_total,
            "cost_rows": plain(result.cost_rows) if result.cost_rows is not None else None,
            "counts": counts(result),
            "steps": {str(k): str(v) for k, v in result.steps.items()} if result.steps is not None else None,
        }
        for result in results
    ]
    findings = [finding_json(f) for result in results for f in ordered(result.findings)]
    return {
        "schema_version": SCHEMA_VERSION,
        "verdict": overall_verdict(results),
        "envs": envs,
        "findings": findings,
    }


def _plan(result: EnvResult) -> dict[str, int] | None:
    numbers = plan_counts(result.plan)
    return None if numbers is None else dict(zip(("add", "change", "destroy"), numbers, strict=True))


def render(results: Sequence[EnvResult]) -> str:
    return json.dumps(document(results), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
