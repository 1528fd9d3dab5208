"""Third-party IaC scanners (checkov, trivy) on env roots and plan JSONs, as policy Findings.

    findings = scan(root_dir, plan_json, env, repo_root)          # both scanners, both inputs (parallel)
    findings = checkov_scan(root_dir, plan_json, env, repo_root)  # or one scanner at a time
    findings = suppressions.apply(findings, suppressions.load(), today, env=env)

Every failed check is a Finding with family "security", level hard-mandatory and rule = the check
id: checkov's ("CKV_AWS_16") or trivy's in its AVD form ("AVD-AWS-0080"; trivy 0.76 itself prints
"AWS-0080", and suppressions accept both). The title names the scanner ("checkov: ...",
"trivy: ..."). A plan finding whose only inputs are unknown in the plan (a KMS key ARN created in
the same apply) has status "unknown" instead of "fail": not decidable yet, so not blocking.

The one place a check may be waived is policy/suppressions.yaml: inline `#checkov:skip=`,
`#trivy:ignore:` and `#tfsec:ignore:` comments are reported themselves (rule "inline-suppression").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from policy.model import Finding, Level, Severity, Source
from policy.scanners import checkov, trivy
from policy.scanners._tools import ScanTiming, find_tool, module_files, rel_to, scan_timings

SCANNERS = ("checkov", "trivy")
INLINE_RULE = "inline-suppression"
_INLINE_SCANNER = {"chec": "checkov", "triv": "trivy", "tfse": "trivy"}
_INLINE = re.compile(r"(#|//)\s*(checkov:skip\s*=|trivy:ignore:|tfsec:ignore:)\s*([^\s:,]*)")


def checkov_scan(root_dir: Path, plan_json: Path | None, env: str, repo_root: Path) -> list[Finding]:
    """checkov on the env root and, when given, its plan JSON; plus `#checkov:skip` comments."""
    root_dir, repo_root = Path(root_dir).resolve(), Path(repo_root).resolve()
    findings = inline_suppressions(root_dir, env, repo_root, scanner="checkov")
    findings += checkov.scan_root(root_dir, env, repo_root)
    if plan_json is not None:
        findings += checkov.scan_plan(Path(plan_json), env, repo_root, root_dir)
    return findings


def trivy_scan(root_dir: Path, plan_json: Path | None, env: str, repo_root: Path) -> list[Finding]:
    """trivy on the env root and, when given, its plan JSON; plus `#trivy:ignore` / `#tfsec:ignore` comments."""
    root_dir, repo_root = Path(root_dir).resolve(), Path(repo_root).resolve()
    findings = inline_suppressions(root_dir, env, repo_root, scanner="trivy")
    findings += trivy.scan_root(root_dir, env, repo_root)
    if plan_json is not None:
        findings += trivy.scan_plan(Path(plan_json), env, repo_root)
    return findings


def scan(
    root_dir: Path,
    plan_json: Path | None,
    env: str,
    repo_root: Path,
    *,
    scanners: Iterable[str] = SCANNERS,
    jobs: int = 2,
) -> list[Finding]:
    """Both scanners on the env root and, when given, on its plan JSON (inline suppressions too).

    The scanner runs are independent processes, `jobs` at a time; each appends a ScanTiming to
    scan_timings.
    """
    root_dir, repo_root = Path(root_dir).resolve(), Path(repo_root).resolve()
    chosen = list(scanners)
    for name in chosen:
        if name not in SCANNERS:
            raise ValueError(f"unknown scanner {name!r}")
        find_tool(name)  # a missing tool fails before anything runs
    runs = [functools.partial(inline_suppressions, root_dir, env, repo_root, scanner=name) for name in chosen]
    if "checkov" in chosen:
        runs.append(functools.partial(checkov.scan_root, root_dir, env, repo_root))
        if plan_json is not None:
            runs.append(functools.partial(checkov.scan_plan, Path(plan_json), env, repo_root, root_dir))
    if "trivy" in chosen:
        runs.append(functools.partial(trivy.scan_root, root_dir, env, repo_root))
        if plan_json is not None:
            runs.append(functools.partial(trivy.scan_plan, Path(plan_json), env, repo_root))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run) for run in runs]
        return [finding for future in futures for finding in future.result()]


def ran_from(timings: Iterable[ScanTiming]) -> set[tuple[str, str, str]]:
    """(env, scanner, source) of each run: what a suppression could have matched (see suppressions.apply)."""
    return {(t.env, t.scanner, t.source) for t in timings}


def inline_suppressions(root_dir: Path, env: str, repo_root: Path, scanner: str | None = None) -> list[Finding]:
    """A hard finding for each scanner-suppression comment (of `scanner`, or of any) in the root or its
    local modules: such comments have no expiry and bypass policy/suppressions.yaml."""
    findings = []
    for tf in module_files(root_dir):
        for number, text in enumerate(tf.read_text(errors="replace").splitlines(), start=1):
            match = _INLINE.search(text)
            if not match or (scanner is not None and _INLINE_SCANNER[match.group(2)[:4]] != scanner):
                continue
            check = match.group(3) or "?"
            findings.append(Finding(
                rule=INLINE_RULE,
                title="scanner suppression comment outside policy/suppressions.yaml",
                family="security",
                severity=Severity.HIGH,
                level=Level.HARD,
                env=env,
                resource=f"{rel_to(tf, repo_root)}:{number}",
                message=f"inline '{match.group(2).rstrip('=: ')}' of {check}: it has no expiry and bypasses the "
                "suppressions file",
                remediation="Remove the comment; fix the resource or add an entry with a reason and an expiry "
                "date to policy/suppressions.yaml.",
                actual=text.strip(),
                file=rel_to(tf, repo_root),
                line=number,
                source=Source.HCL,
            ))
    return findings


__all__ = [
    "SCANNERS", "ScanTiming", "checkov_scan", "find_tool", "inline_suppressions", "module_files", "ran_from", "scan",
    "scan_timings", "trivy_scan",
]
