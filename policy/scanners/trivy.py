"""trivy `config` on an env root (HCL, local modules followed) and on a plan JSON, as Findings.

Offline and reproducible: trivy runs with an empty cache directory of its own and
`--skip-check-update`, so it always uses the checks embedded in the pinned binary (never a bundle a
developer's machine happened to download), with version checks and telemetry off, and with
`.trivyignore` files disabled (suppressions live in policy/suppressions.yaml only).

Env roots: trivy reads only Terraform files, so `file()` of anything else (the env roots'
`yamldecode(file(".../tiers.yaml"))`) would be unknown to it, and with it every tier-dependent
value. The root and the local modules it calls are therefore scanned from a temporary copy in which
each `file("<path>")` of an existing file is replaced by that file's content as a one-line string
literal (so line numbers stay the same); paths in the findings are mapped back to the real files.

Plan JSON: trivy's `terraformplan-json` scanner turns the plan into HCL and scans that. Two things
are prepared first, on a copy of the plan: unknown list elements (null in the JSON, e.g. a policy
document's resources that depend on ARNs not known yet) would be written as `<nil>` and make the
whole file unparsable, so they become "(known after apply)"; and count/for_each instances, which
trivy would all name alike, get distinct names so each finding maps back to its exact address.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from core import reading
from core.errors import InfraError
from policy.model import Finding, Level, Severity, Source
from policy.scanners._tools import (
    ScanTiming,
    after_unknown_by_address,
    is_unknown_at,
    last_line,
    module_files,
    record,
    rel_to,
    run_tool,
)

NAME = "trivy"
TITLE_PREFIX = "trivy: "
UNKNOWN_PLACEHOLDER = "(known after apply)"
_SEVERITY = {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH, "CRITICAL": Severity.CRITICAL}
_FILE_CALL = re.compile(r'\bfile\(\s*"([^"]*)"\s*\)')
_RESOURCE_HEADER = re.compile(r'^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"')
# The one ERROR trivy always logs offline: it is how it says it uses its embedded checks.
_EXPECTED_ERRORS = ("Falling back to embedded checks",)
# trivy names no evaluated attribute, unlike checkov. For these checks, the failure whose message is
# given has one input, the attribute listed; when a plan does not know that attribute yet (a KMS key
# ARN created in the same apply), the finding has decided nothing and gets status "unknown" (not
# blocking). Other failures of the same check (AVD-AWS-0079 also says "storage encryption not
# enabled") stay failures. The HCL scan of the same root still judges the attribute as written.
PLAN_INPUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "AVD-AWS-0017": ("Log group is not encrypted", ("kms_key_id",)),
    "AVD-AWS-0033": ("does not use a customer managed KMS key", ("encryption_configuration/*/kms_key",)),
    "AVD-AWS-0078": ("does not use a customer-managed KMS key", ("performance_insights_kms_key_id",)),
    "AVD-AWS-0079": ("does not specify a customer managed key", ("kms_key_id",)),
    "AVD-AWS-0095": ("Topic does not have encryption enabled", ("kms_master_key_id",)),
    "AVD-AWS-0098": ("explicitly uses the default key", ("kms_key_id",)),
}


def _common(cache_dir: str) -> list[str]:
    return [
        "config", "--format", "json", "--cache-dir", cache_dir, "--skip-check-update", "--skip-version-check",
        "--disable-telemetry", "--ignorefile", "", "--exit-code", "0",
    ]


def scan_root(root_dir: Path, env: str, repo_root: Path) -> list[Finding]:
    """trivy on the Terraform root `root_dir` (with its terraform.tfvars when there is one)."""
    root_dir = Path(root_dir).resolve()
    if not root_dir.is_dir():
        raise InfraError(f"{root_dir}: not a directory (trivy needs a Terraform root)")
    with tempfile.TemporaryDirectory(prefix="trivy-") as tmp:
        copy_root = inline_file_calls(root_dir, Path(tmp) / "tree")
        (Path(tmp) / "cache").mkdir()
        args = [*_common(str(Path(tmp) / "cache")), "--misconfig-scanners", "terraform", "--skip-dirs", "**/.terraform"]
        if (copy_root / "terraform.tfvars").is_file():
            args += ["--tf-vars", str(copy_root / "terraform.tfvars")]
        report, seconds = _run([*args, str(copy_root)], root_dir)
    findings = []
    for result in report.get("Results") or []:
        # Targets are relative to the scanned root ("main.tf", "../../modules/x/main.tf").
        target = Path(os.path.normpath(root_dir / str(result.get("Target") or ".")))
        for item in result.get("Misconfigurations") or []:
            if item.get("Status") != "FAIL":
                continue
            file = target if target.suffix == ".tf" else None
            findings.append(_finding(item, env, Source.HCL, _hcl_address(item, file), file, repo_root))
    record(ScanTiming(env, NAME, "hcl", rel_to(root_dir, repo_root), seconds, len(findings)))
    return findings


def scan_plan(plan_json: Path, env: str, repo_root: Path) -> list[Finding]:
    """trivy on a plan JSON (`terraform show -json`)."""
    plan_json = Path(plan_json).resolve()
    if not plan_json.exists():
        raise InfraError(f"{plan_json}: no such plan JSON (run `infra plan --env {env}` first)")
    plan = reading.read_json(plan_json, "plan JSON")
    if not isinstance(plan, dict) or "planned_values" not in plan:
        raise InfraError(f"{plan_json}: not a Terraform plan JSON (no planned_values)")
    prepared, names = prepare_plan(plan)
    with tempfile.TemporaryDirectory(prefix="trivy-plan-") as tmp:
        (Path(tmp) / "cache").mkdir()
        (Path(tmp) / "plan").mkdir()
        (Path(tmp) / "plan" / "tfplan.json").write_text(json.dumps(prepared))
        args = [*_common(str(Path(tmp) / "cache")), "--misconfig-scanners", "terraformplan-json"]
        report, seconds = _run([*args, str(Path(tmp) / "plan")], plan_json)
    unknown = after_unknown_by_address(plan_json)
    findings = []
    for result in report.get("Results") or []:
        for item in result.get("Misconfigurations") or []:
            if item.get("Status") != "FAIL":
                continue
            trivy_name = str((item.get("CauseMetadata") or {}).get("Resource") or "")
            address = names.get(trivy_name.removeprefix("data."), trivy_name)
            finding = _finding(item, env, Source.PLAN, address, None, repo_root)
            finding.file = rel_to(plan_json, repo_root)
            finding.line = None  # a line of trivy's generated HCL would mean nothing to anyone
            said, plan_inputs = PLAN_INPUTS.get(finding.rule, ("", ()))
            after_unknown = unknown.get(address)
            if (plan_inputs and after_unknown and said in str(item.get("Message"))
                    and all(is_unknown_at(after_unknown, key) for key in plan_inputs)):
                finding.status = "unknown"
                finding.message += f"; not decidable at plan: {', '.join(plan_inputs)} known only after apply"
            findings.append(finding)
    record(ScanTiming(env, NAME, "plan", rel_to(plan_json, repo_root), seconds, len(findings)))
    return findings


def inline_file_calls(root_dir: Path, dest: Path) -> Path:
    """Copy the root and its local modules under dest with file("...") calls inlined; the copy's root."""
    files = module_files(root_dir)
    base = Path(os.path.commonpath([root_dir, *(f.parent for f in files)]))
    for tf in files:
        target = dest / tf.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_FILE_CALL.sub(lambda m, d=tf.parent: _inline(m, d, root_dir), tf.read_text()))
    for extra in root_dir.glob("*.tfvars"):
        shutil.copy2(extra, dest / root_dir.relative_to(base) / extra.name)
    return dest / root_dir.relative_to(base)


def _inline(match: re.Match, module_dir: Path, root_dir: Path) -> str:
    raw = match.group(1)
    path = Path(raw.replace("${path.module}", str(module_dir)).replace("${path.root}", str(root_dir)))
    if "${" in str(path):
        return match.group(0)
    path = path if path.is_absolute() else root_dir / path  # like Terraform: relative to the root
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return match.group(0)
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        .replace("\t", "\\t").replace("${", "$${").replace("%{", "%%{")
    )
    return f'"{escaped}"'


def _run(args: list[str], target: Path) -> tuple[dict[str, Any], float]:
    proc, seconds = run_tool(NAME, args)
    if proc.returncode != 0:
        detail = last_line(proc.stderr or proc.stdout)
        raise InfraError(f"trivy failed on {target} (exit {proc.returncode}): {detail}")
    for line in proc.stderr.splitlines():
        # A file trivy cannot parse is only logged, and then silently not scanned.
        if ("\tERROR\t" in line or "\tFATAL\t" in line) and not any(e in line for e in _EXPECTED_ERRORS):
            raise InfraError(f"trivy on {target}: {_log_message(line)}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise InfraError(f"trivy on {target}: output is not JSON: {last_line(proc.stdout or proc.stderr)}") from None
    if not isinstance(report, dict):
        raise InfraError(f"trivy on {target}: unexpected JSON output ({type(report).__name__})")
    return report, seconds


def _log_message(line: str) -> str:
    """'<time>\\tERROR\\t[terraform parser] Error parsing file\\tfile_path=.. err=".."' in one short line."""
    parts = line.split("\t")
    text = " ".join(p.strip() for p in parts[2:] if p.strip())
    return text[:400]


def _finding(
    item: dict[str, Any], env: str, source: Source, address: str, file: Path | None, repo_root: Path
) -> Finding:
    meta = item.get("CauseMetadata") or {}
    rule = avd_id(item)
    title = str(item.get("Title") or rule)
    resolution = str(item.get("Resolution") or "").strip()
    url = item.get("PrimaryURL")
    remediation = " ".join(
        part for part in (
            resolution.rstrip(".") + "." if resolution else "",
            f"See {url}." if url else "",
            "If the check is wrong for this stack, add an entry with a reason and an expiry date to "
            "policy/suppressions.yaml.",
        ) if part
    )
    return Finding(
        rule=rule,
        title=TITLE_PREFIX + title,
        family="security",
        severity=_SEVERITY.get(str(item.get("Severity") or "").upper(), Severity.MEDIUM),
        level=Level.HARD,
        env=env,
        resource=address,
        message=f"{item.get('Message') or title} (trivy {rule})",
        remediation=remediation,
        file=rel_to(file, repo_root) if file is not None else None,
        line=meta.get("StartLine") or None,
        source=source,
    )


def avd_id(item: dict[str, Any]) -> str:
    """The check id in its long-standing AVD form ("AVD-AWS-0089"); trivy 0.76 reports "AWS-0089"."""
    raw = str(item.get("AVDID") or item.get("ID") or "")
    return raw if raw.startswith("AVD-") or not raw else f"AVD-{raw}"


def _hcl_address(item: dict[str, Any], file: Path | None) -> str:
    """The resource address: trivy's chain of occurrences, innermost first, read outwards.

    When the innermost occurrence is a module call, the cause is inside a resource trivy did not
    name (one with count = 0, say); its `resource "type" "name"` header is found above the cause.
    """
    meta = item.get("CauseMetadata") or {}
    chain = [str(o.get("Resource")) for o in meta.get("Occurrences") or [] if o.get("Resource")]
    if not chain:
        chain = [str(meta.get("Resource") or "")]
    if chain[0].startswith("module.") and file is not None and meta.get("StartLine"):
        header = _enclosing_block(file, int(meta["StartLine"]))
        if header:
            chain.insert(0, header)
    return ".".join(reversed([c for c in chain if c]))


def _enclosing_block(file: Path, line: int) -> str | None:
    try:
        lines = file.read_text().splitlines()
    except OSError:
        return None
    for text in reversed(lines[: max(line, 1)]):
        match = _RESOURCE_HEADER.match(text)
        if match:
            kind, rtype, name = match.groups()
            return f"{rtype}.{name}" if kind == "resource" else f"data.{rtype}.{name}"
    return None


def prepare_plan(plan: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of the plan trivy can read, and trivy's resource names mapped to plan addresses."""
    prepared = _no_null_elements(plan)
    names: dict[str, str] = {}
    used: set[str] = set()

    def visit(module: dict[str, Any]) -> None:
        for res in module.get("resources") or []:
            address, rtype = str(res.get("address", "")), str(res.get("type", ""))
            name = str(res.get("name", ""))
            if "index" in res:
                name = _unique(f"{name}__{_ident(res['index'])}", used)
                res["name"] = name
            names[f"{rtype}.{_trivy_name(address, rtype, name)}"] = address
        for child in module.get("child_modules") or []:
            visit(child)

    visit((prepared.get("planned_values") or {}).get("root_module") or {})
    return prepared, names


def _trivy_name(address: str, rtype: str, name: str) -> str:
    """How trivy names a plan resource: name_<md5 of its module path> inside modules."""
    if not address.startswith("module."):
        return name
    module_path = address.split(f".{rtype}.")[0].removesuffix(".data")
    return f"{name}_{hashlib.md5(module_path.encode()).hexdigest()}"  # trivy's naming, not security


def _ident(index: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", str(index)) or "_"


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}_{n}"
    used.add(candidate)
    return candidate


def _no_null_elements(value: Any) -> Any:
    if isinstance(value, list):
        return [UNKNOWN_PLACEHOLDER if v is None else _no_null_elements(v) for v in value]
    if isinstance(value, dict):
        return {k: _no_null_elements(v) for k, v in value.items()}
    return value
