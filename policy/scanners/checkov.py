"""checkov on an env root (HCL, local modules followed) and on a plan JSON, as Findings.

checkov runs from its own virtualenv, always with `--skip-download` (no Prisma Cloud platform
calls) and with its PyPI update check off, so it never touches the network. Without the platform,
checkov reports no severity: every failed check is Severity.MEDIUM unless checkov gives one.

Env roots: `-d <root> --var-file terraform.tfvars`; local modules are followed. checkov does not
evaluate `yamldecode(file(...))`, so tier-dependent values are judged on the plan. Plan JSON:
`-f <plan> --framework terraform_plan`, with the root as `--repo-root-for-plan-enrichment` so
findings point at the .tf line. A plan finding of a resource check whose evaluated attributes are
all unknown in the plan (`after_unknown`: a KMS key ARN created in the same apply) has status
"unknown": it has decided nothing. The HCL scan of the same root still judges the attribute as
written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import InfraError
from policy.model import Finding, Level, Severity, Source
from policy.scanners._tools import (
    ScanTiming,
    after_unknown_by_address,
    is_unknown_at,
    last_line,
    record,
    rel_to,
    run_tool,
)

NAME = "checkov"
TITLE_PREFIX = "checkov: "
REMEDIATION = (
    "Fix the resource; if the check is wrong for this stack, add an entry with a reason and an expiry "
    "date to policy/suppressions.yaml."
)
_SEVERITY = {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH, "CRITICAL": Severity.CRITICAL}

# Flags common to every run: offline, JSON on stdout, exit 0 on failed checks (so a non-zero exit
# means checkov itself failed).
_COMMON = ["--skip-download", "--download-external-modules", "false", "-o", "json", "--compact", "--soft-fail"]


def scan_root(root_dir: Path, env: str, repo_root: Path) -> list[Finding]:
    """checkov on the Terraform root `root_dir` (with its terraform.tfvars when there is one)."""
    root_dir = Path(root_dir).resolve()
    if not root_dir.is_dir():
        raise InfraError(f"{root_dir}: not a directory (checkov needs a Terraform root)")
    args = ["-d", str(root_dir), "--framework", "terraform", *_COMMON]
    if (root_dir / "terraform.tfvars").is_file():
        args += ["--var-file", str(root_dir / "terraform.tfvars")]
    reports, seconds = _run(args, root_dir)
    findings = [
        _finding(check, env, Source.HCL, repo_root, root_dir, None) for report in reports for check in _failed(report)
    ]
    record(ScanTiming(env, NAME, "hcl", rel_to(root_dir, repo_root), seconds, len(findings)))
    return findings


def scan_plan(plan_json: Path, env: str, repo_root: Path, root_dir: Path | None = None) -> list[Finding]:
    """checkov on a plan JSON (`terraform show -json`); root_dir maps resources back to .tf lines."""
    plan_json = Path(plan_json).resolve()
    if not plan_json.is_file():
        raise InfraError(f"{plan_json}: no such plan JSON (run `infra plan --env {env}` first)")
    args = ["-f", str(plan_json), "--framework", "terraform_plan", *_COMMON]
    if root_dir is not None:
        args += ["--repo-root-for-plan-enrichment", str(Path(root_dir).resolve())]
    reports, seconds = _run(args, plan_json.parent)
    unknown = after_unknown_by_address(plan_json)
    enrich = Path(root_dir).resolve() if root_dir else None
    findings = []
    for report in reports:
        for check in _failed(report):
            finding = _finding(check, env, Source.PLAN, repo_root, enrich, plan_json)
            undecided = undecidable_keys(check, unknown.get(finding.resource))
            if undecided:
                finding.status = "unknown"
                finding.message += f"; not decidable at plan: {', '.join(undecided)} known only after apply"
            findings.append(finding)
    record(ScanTiming(env, NAME, "plan", rel_to(plan_json, repo_root), seconds, len(findings)))
    return findings


def undecidable_keys(check: dict[str, Any], after_unknown: Any) -> list[str]:
    """The evaluated attributes when every one of them is unknown in the plan, else [].

    A create plan does not know values computed by other resources (a KMS key ARN, say); a resource
    check that failed only on such values has not decided anything. Graph checks (CKV2_*) look at
    connections, not at one resource's attributes, and are never treated so.
    """
    if str(check.get("check_id", "")).startswith("CKV2_") or not after_unknown:
        return []
    keys = [k for k in _evaluated(check) if k != "resource_type"]
    if keys and all(is_unknown_at(after_unknown, k) for k in keys):
        return keys
    return []


def _run(args: list[str], target: Path) -> tuple[list[dict[str, Any]], float]:
    proc, seconds = run_tool(NAME, args)
    if proc.returncode != 0:
        detail = last_line(proc.stderr or proc.stdout)
        raise InfraError(f"checkov failed on {target} (exit {proc.returncode}): {detail}")
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise InfraError(f"checkov on {target}: output is not JSON: {last_line(proc.stdout or proc.stderr)}") from None
    # One framework: one report (a dict); nothing to scan: a bare summary dict; several: a list.
    reports = data if isinstance(data, list) else [data]
    for report in reports:
        if not isinstance(report, dict):
            raise InfraError(f"checkov on {target}: unexpected JSON output ({type(report).__name__})")
        summary = report.get("summary", report)
        errors = (report.get("results") or {}).get("parsing_errors") or []
        if errors or summary.get("parsing_errors"):
            files = ", ".join(str(e) for e in errors) or f"{summary.get('parsing_errors')} file(s)"
            raise InfraError(f"checkov could not parse {files}")
    return [r for r in reports if "results" in r], seconds


def _failed(report: dict[str, Any]) -> list[dict[str, Any]]:
    return list((report.get("results") or {}).get("failed_checks") or [])


def _finding(
    check: dict[str, Any], env: str, source: Source, repo_root: Path, root_dir: Path | None, plan_json: Path | None
) -> Finding:
    file, line = _location(check, root_dir, plan_json, repo_root)
    name = check.get("check_name") or check["check_id"]
    severity = _SEVERITY.get(str(check.get("severity") or "").upper(), Severity.MEDIUM)
    remediation = REMEDIATION if not check.get("guideline") else f"{check['guideline']} — {REMEDIATION}"
    return Finding(
        rule=check["check_id"],
        title=TITLE_PREFIX + name,
        family="security",
        severity=severity,
        level=Level.HARD,
        env=env,
        resource=check.get("resource_address") or check.get("resource") or "",
        message=f"{name} (checkov {check['check_id']}, evaluated: {', '.join(_evaluated(check)) or 'resource'})",
        remediation=remediation,
        file=file,
        line=line,
        source=source,
    )


def _evaluated(check: dict[str, Any]) -> list[str]:
    keys = (check.get("check_result") or {}).get("evaluated_keys") or []
    return [str(k) for k in keys]


def _location(
    check: dict[str, Any], root_dir: Path | None, plan_json: Path | None, repo_root: Path
) -> tuple[str | None, int | None]:
    lines = check.get("file_line_range") or [0, 0]
    line = int(lines[0]) if lines and lines[0] else None
    file_path = str(check.get("file_path") or "")
    if plan_json is not None:
        # Enriched plan findings carry the .tf path relative to the enrichment root; the others
        # point at the plan JSON itself ("/<name>.plan.json", lines [0, 0]).
        if root_dir is not None and file_path and not file_path.lstrip("/").endswith(plan_json.name):
            return rel_to(root_dir / file_path.lstrip("/"), repo_root), line
        return rel_to(plan_json, repo_root), None
    abs_path = check.get("file_abs_path")
    if abs_path:
        return rel_to(Path(abs_path), repo_root), line
    if root_dir is not None and file_path:
        return rel_to(root_dir / file_path.lstrip("/"), repo_root), line
    return None, line
