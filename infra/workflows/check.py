"""`infra workflows check`: the linters and the CI trust rules on a .github/ folder, in one verdict.

actionlint, yamllint and shellcheck must be clean. zizmor (auditor persona: every audit) and the
project's trust rules (trust.py) give findings that must each be mended or suppressed, with a reason
and an expiry, in the one suppressions file (policy/suppressions.yaml, env `workflows`): zizmor's as
`zizmor/<audit>`, the rules' as RPY-CI-00N, each for `<workflow file>:<job>` (`*` and `?` match).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.errors import InfraError
from infra.workflows import lint, trust
from policy.model import Finding, Level, Severity, Source
from policy.scanners import suppressions as supp

ENV = "workflows"  # the env name suppressions use for the workflows' findings
_SEVERITY = {"informational": Severity.LOW, "low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH}


@dataclass
class CheckResult:
    linters: dict[str, list[str]] = field(default_factory=dict)  # linter -> its lines (empty: clean)
    findings: list[Finding] = field(default_factory=list)  # zizmor's and the trust rules', suppressions applied

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def passed(self) -> bool:
        return not self.blocking and not any(self.linters.values())


def _finding(rule: str, title: str, severity: Severity, resource: str, message: str, line: int | None,
             file: str) -> Finding:
    return Finding(rule=rule, title=title, family="ci", severity=severity, level=Level.HARD, env=ENV,
                   resource=resource, message=message, remediation="Mend the workflow, or suppress the finding "
                   "in policy/suppressions.yaml (env workflows) with a reason and an expiry.",
                   file=f".github/workflows/{file}" if file else None, line=line, source=Source.HCL)


def zizmor_findings(repo: Path) -> list[Finding]:
    found = []
    for item in lint.zizmor_audit(repo):
        ident = str(item.get("ident", "unknown"))
        primary = next((loc for loc in item.get("locations") or [] if loc.get("symbolic", {}).get("kind") == "Primary"),
                       (item.get("locations") or [{}])[0])
        symbolic, concrete = primary.get("symbolic") or {}, primary.get("concrete") or {}
        path = str(((symbolic.get("key") or {}).get("Local") or {}).get("verbatim_path", ""))
        route = [r.get("Key") for r in (symbolic.get("route") or {}).get("route", []) if isinstance(r, dict)]
        job = route[1] if len(route) > 1 and route[0] == "jobs" else "(workflow)"
        row = ((concrete.get("location") or {}).get("start_point") or {}).get("row")
        name = Path(path).name
        severity = _SEVERITY.get(str((item.get("determinations") or {}).get("severity", "")).lower(), Severity.MEDIUM)
        found.append(_finding(f"zizmor/{ident}", f"zizmor: {item.get('desc', ident)}", severity, f"{name}:{job}",
                              f"{item.get('desc', ident)} ({symbolic.get('annotation', '')})".replace(" ()", ""),
                              row + 1 if isinstance(row, int) else None, name))
    return found


def trust_findings(repo: Path, delivery: dict[str, dict]) -> list[Finding]:
    return [_finding(t.rule, f"CI trust: {t.rule}", Severity.CRITICAL, f"{t.file}:{t.job}", t.message, None, t.file)
            for t in trust.check(repo, delivery)]


def run(github_dir: Path, delivery: dict[str, dict], suppressions_file: Path | None = None,
        today: date | None = None) -> CheckResult:
    """Everything `infra workflows check` reports on `github_dir` (a .github folder)."""
    github_dir = Path(github_dir)
    if github_dir.name != ".github" or not (github_dir / "workflows").is_dir():
        raise InfraError(f"{github_dir}: not a .github folder with a workflows/ folder in it")
    repo = github_dir.parent
    result = CheckResult({name: linter(repo) for name, linter in lint.LINTERS.items()})
    raw = [*zizmor_findings(repo), *trust_findings(repo, delivery)]
    entries = supp.load(suppressions_file)
    ran = {(ENV, "zizmor", Source.HCL.value), (ENV, "policy", Source.HCL.value)}
    result.findings = supp.apply(raw, entries, today or date.today(), env=ENV, ran=ran)
    return result
