"""The one suppressions file (policy/suppressions.yaml): load it, check it, apply it to findings.

Entries waive findings of the scanners (checkov, trivy) and of the project's own rules alike; each
carries a reason and an expiry date. The matching rules are documented in the file's header.

    entries = load()                                   # PolicyInputError "file:line: ..." when malformed
    findings = apply(findings, entries, date.today(), env="dev")

apply() keeps every finding. One that a live entry matches gets `suppressed` = the entry's reason
and keeps its level; a suppressed finding does not block (Finding.blocking), whatever its level:
the file is the reviewed, expiring way to waive even a hard-mandatory finding. apply() adds a
hard-mandatory finding "suppression-expired" for every expired entry (an expired entry suppresses
nothing) and an advisory "suppression-stale" for every entry that matched nothing in what was
scanned.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from core import reading
from core.project import REPO_ROOT
from policy.model import Finding, Level, PolicyInputError, Severity, Source
from policy.scanners._tools import scan_timings

DEFAULT_PATH = REPO_ROOT / "policy" / "suppressions.yaml"
SCANNER_NAMES = ("checkov", "trivy", "zizmor", "policy")  # "policy": the project's own rules
SOURCES = tuple(s.value for s in Source)
EXPIRED_RULE = "suppression-expired"
STALE_RULE = "suppression-stale"
FAMILY = "suppressions"

_REQUIRED = ("id", "resources", "reason", "expires")
_ALLOWED = (*_REQUIRED, "envs", "scanner", "source")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
# module.a.module.b["x"].aws_s3_bucket.logs[0] -> segments: module.a / module.b["x"] / aws_s3_bucket.logs[0]
_SEGMENT = re.compile(r'module\.[^.\[]+(?:\[(?:"[^"]*"|[^\]]*)\])?')
_INDEX = re.compile(r'\[(?:"[^"]*"|[^\]]*)\]')


@dataclass(frozen=True)
class Suppression:
    id: str
    resources: tuple[str, ...]
    reason: str
    expires: date
    envs: tuple[str, ...] | None = None
    scanner: str | None = None
    source: str | None = None
    file: str = "policy/suppressions.yaml"
    line: int | None = None
    index: int = 0  # 1-based position in the file

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else f"{self.file} entry #{self.index}"

    @property
    def implied_scanner(self) -> str:
        return self.scanner or scanner_of_rule(self.id)

    def expired(self, today: date) -> bool:
        """Valid through its expiry date; expired from the day after."""
        return self.expires < today

    def covers(self, env: str, scanner: str, source: str) -> bool:
        """Could this entry match findings of that scanner's run on that input of that env?"""
        return (
            (self.envs is None or env in self.envs)
            and self.implied_scanner == scanner
            and (self.source is None or self.source == source)
        )

    def matches(self, finding: Finding) -> bool:
        return (
            same_rule(self.id, finding.rule)
            and self.covers(finding.env, scanner_of(finding), str(finding.source))
            and any(resource_matches(pattern, finding.resource) for pattern in self.resources)
        )


# --------------------------------------------------------------------------- matching


def scanner_of_rule(rule: str) -> str:
    """checkov for CKV_/CKV2_ ids, trivy for AWS-/AVD- ids, zizmor for zizmor/<audit>, policy for everything else."""
    if rule.startswith(("CKV_", "CKV2_")):
        return "checkov"
    if rule.startswith("zizmor/"):
        return "zizmor"
    if re.match(r"^(AVD-)?[A-Z]{2,6}-\d{4}\Z", rule):
        return "trivy"
    return "policy"


def scanner_of(finding: Finding) -> str:
    """Which scanner made a finding: the title says so for checkov and trivy."""
    for name in ("checkov", "trivy", "zizmor"):
        if finding.title.startswith(f"{name}: "):
            return name
    return "policy"


def same_rule(pattern_id: str, rule: str) -> bool:
    """Equal ids; trivy's "AVD-AWS-0089" and "AWS-0089" are the same check."""
    return pattern_id.removeprefix("AVD-") == rule.removeprefix("AVD-")


def address_forms(address: str) -> list[str]:
    """The forms of an address a pattern may match: every module-boundary suffix, with and
    without instance keys. "module.a.module.b.aws_x.y[0]" gives "module.a.module.b.aws_x.y[0]",
    "module.b.aws_x.y[0]", "aws_x.y[0]" and the same three without "[0]"."""
    rest, modules = address, []
    while True:
        match = _SEGMENT.match(rest)
        if not match or not rest[match.end():].startswith("."):
            break
        modules.append(match.group(0))
        rest = rest[match.end() + 1:]
    forms = [".".join([*modules[i:], rest]) for i in range(len(modules) + 1)]
    forms += [_INDEX.sub("", form) for form in forms]
    return list(dict.fromkeys(forms))


def glob_regex(pattern: str) -> re.Pattern:
    """`*` is any run of characters (dots and brackets included), `?` one character; the rest is literal."""
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern)
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


def resource_matches(pattern: str, address: str) -> bool:
    regex = glob_regex(pattern)
    return any(regex.match(form) for form in address_forms(address))


# --------------------------------------------------------------------------- loading


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date is our error (with its line)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(path: Path | None = None, repo_root: Path | None = None) -> list[Suppression]:
    """Read and check the suppressions file; every problem is a PolicyInputError naming file:line."""
    path = Path(path) if path is not None else DEFAULT_PATH
    shown = _display(path, repo_root or REPO_ROOT)
    if not path.exists() and not path.is_symlink():
        raise PolicyInputError(f"{shown}: suppressions file not found")
    text = reading.read_text(path, "suppressions file", name=shown)
    root = reading.compose_yaml(text, shown, "suppressions file", _Loader)
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise PolicyInputError(f"{shown}:{root.start_mark.line + 1}: expected a mapping with a 'suppressions' list")
    top = {key.value: (key, value) for key, value in root.value}
    unknown = sorted(set(top) - {"schema_version", "suppressions"})
    if unknown:
        key = top[unknown[0]][0]
        raise PolicyInputError(
            f"{shown}:{key.start_mark.line + 1}: unknown top-level key '{unknown[0]}' "
            "(allowed: schema_version, suppressions)"
        )
    if "schema_version" in top:
        node = top["schema_version"][1]
        if node.value != "1":
            raise PolicyInputError(f"{shown}:{node.start_mark.line + 1}: schema_version must be 1")
    if "suppressions" not in top:
        raise PolicyInputError(f"{shown}:{root.start_mark.line + 1}: no 'suppressions' list")
    entries_node = top["suppressions"][1]
    if isinstance(entries_node, yaml.ScalarNode) and entries_node.tag.endswith(":null"):
        return []
    if not isinstance(entries_node, yaml.SequenceNode):
        raise PolicyInputError(f"{shown}:{entries_node.start_mark.line + 1}: 'suppressions' must be a list")
    return [_entry(node, i, shown) for i, node in enumerate(entries_node.value, start=1)]


def _display(path: Path, repo_root: Path) -> str:
    try:
        return path.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _entry(node: yaml.Node, index: int, shown: str) -> Suppression:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise PolicyInputError(f"{shown}:{line}: suppression #{index} must be a mapping of {', '.join(_REQUIRED)}, ...")
    fields: dict[str, tuple[Any, int]] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        key_line = key_node.start_mark.line + 1
        if key not in _ALLOWED:
            raise PolicyInputError(
                f"{shown}:{key_line}: suppression #{index}: unknown key '{key}' (allowed: {', '.join(_ALLOWED)})"
            )
        if key in fields:
            raise PolicyInputError(f"{shown}:{key_line}: suppression #{index}: '{key}' given twice")
        try:
            fields[key] = (_Loader("").construct_document(value_node), key_line)
        except (ValueError, OverflowError) as exc:  # an integer of more digits than Python converts
            raise PolicyInputError(f"{shown}:{value_node.start_mark.line + 1}: '{key}' cannot be read: "
                                   f"{str(exc)[:80]}") from None
    given_id = fields.get("id", (None, 0))[0]
    what = f"suppression #{index} ({given_id})" if isinstance(given_id, str) else f"suppression #{index}"
    for key in _REQUIRED:
        if key not in fields:
            raise PolicyInputError(f"{shown}:{line}: {what}: '{key}' is required")

    def bad(key: str, problem: str) -> PolicyInputError:
        return PolicyInputError(f"{shown}:{fields[key][1]}: {what}: {problem}")

    rule_id = fields["id"][0]
    if not isinstance(rule_id, str) or not rule_id.strip() or rule_id != rule_id.strip():
        raise bad("id", "'id' must be a check or rule id, e.g. CKV_AWS_18, AWS-0089 or RPY-SEC-001")
    reason = fields["reason"][0]
    if not isinstance(reason, str) or not reason.strip():
        raise bad("reason", "'reason' must say, in words, why the finding does not apply")
    expires_raw = fields["expires"][0]
    expires = _iso_date(expires_raw)
    if expires is None:
        raise bad("expires", f"'expires' must be an ISO date (YYYY-MM-DD), not {expires_raw!r}")
    resources = _strings(fields["resources"][0])
    if not resources:
        raise bad("resources", "'resources' must be a non-empty list of address patterns (use ['*'] for all)")
    envs = None
    if "envs" in fields:
        envs = _strings(fields["envs"][0])
        if not envs:
            raise bad("envs", "'envs' must be a non-empty list of env names (leave it out for every env)")
    scanner = fields.get("scanner", (None,))[0]
    if "scanner" in fields and scanner not in SCANNER_NAMES:
        raise bad("scanner", f"'scanner' must be one of {', '.join(SCANNER_NAMES)}")
    if scanner is not None and scanner != scanner_of_rule(rule_id) and scanner_of_rule(rule_id) != "policy":
        raise bad("scanner", f"'{rule_id}' is a {scanner_of_rule(rule_id)} check, not a {scanner} one")
    source = fields.get("source", (None,))[0]
    if "source" in fields and source not in SOURCES:
        raise bad("source", f"'source' must be one of {', '.join(SOURCES)}")
    return Suppression(
        id=rule_id, resources=tuple(resources), reason=" ".join(reason.split()), expires=expires,
        envs=tuple(envs) if envs else None, scanner=scanner, source=source, file=shown, line=line, index=index,
    )


def _iso_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        return []
    if not all(isinstance(v, str) and v.strip() for v in value):
        return []
    return [v.strip() for v in value]


# --------------------------------------------------------------------------- applying


def apply(
    findings: Iterable[Finding],
    suppressions: Iterable[Suppression],
    today: date,
    *,
    env: str | None = None,
    ran: Iterable[tuple[str, str, str]] | None = None,
) -> list[Finding]:
    """The findings with suppressions applied, plus one finding per expired or stale entry.

    `env`: the findings are one env's (the gate applies the file env by env); only entries that
    cover that env are then reported expired or stale. `ran` is what was scanned, as
    (env, scanner, source) triples, scanner "policy" for the project's own rules. By default it is
    worked out: the project's rules on both inputs of `env`, the scanner runs recorded for `env` in
    scanners.scan_timings, and whatever the findings themselves come from. An entry that matched
    nothing is reported stale only when it covers something that ran, so a run of one env or of
    some scanners does not call the other envs' or scanners' entries stale.
    """
    entries = list(suppressions)
    result: list[Finding] = []
    matched: set[int] = set()
    for finding in findings:
        hits = [e for e in entries if e.matches(finding)]
        matched.update(e.index for e in hits)
        live = [e for e in hits if not e.expired(today)]
        if live:
            finding = dataclasses.replace(finding, suppressed=live[0].reason)
        result.append(finding)
    if ran is not None:
        scanned = set(ran)
    else:
        scanned = {(f.env, scanner_of(f), str(f.source)) for f in result}
        if env is not None:
            scanned |= {(env, "policy", source) for source in (Source.HCL.value, Source.PLAN.value)}
            scanned |= {(t.env, t.scanner, t.source) for t in scan_timings if t.env == env}
    for entry in entries:
        if env is not None and entry.envs is not None and env not in entry.envs:
            continue
        if entry.expired(today):
            result.append(_expired(entry, today, env))
        elif entry.index not in matched and any(entry.covers(*triple) for triple in scanned):
            result.append(_stale(entry, env))
    return result


def _entry_env(entry: Suppression, env: str | None) -> str:
    return env or (",".join(entry.envs) if entry.envs else "all")


def _expired(entry: Suppression, today: date, env: str | None = None) -> Finding:
    return Finding(
        rule=EXPIRED_RULE,
        title="expired suppression",
        family=FAMILY,
        severity=Severity.HIGH,
        level=Level.HARD,
        env=_entry_env(entry, env),
        resource=f"suppression #{entry.index} ({entry.id})",
        message=f"the suppression of {entry.id} for {', '.join(entry.resources)} expired on "
        f"{entry.expires.isoformat()} (today is {today.isoformat()}); it no longer suppresses anything",
        remediation="Fix what it suppressed and delete the entry, or review it and set a new expiry date "
        "with an up-to-date reason.",
        actual=entry.expires.isoformat(),
        expected=f">= {today.isoformat()}",
        file=entry.file,
        line=entry.line,
    )


def _stale(entry: Suppression, env: str | None = None) -> Finding:
    return Finding(
        rule=STALE_RULE,
        title="stale suppression",
        family=FAMILY,
        severity=Severity.LOW,
        level=Level.ADVISORY,
        env=_entry_env(entry, env),
        resource=f"suppression #{entry.index} ({entry.id})",
        message=f"the suppression of {entry.id} for {', '.join(entry.resources)} matched no finding",
        remediation="Delete the entry (what it suppressed is gone), or correct its id, resources, envs or source.",
        file=entry.file,
        line=entry.line,
    )


__all__ = [
    "DEFAULT_PATH", "EXPIRED_RULE", "STALE_RULE", "Suppression", "address_forms", "apply", "load",
    "resource_matches", "scanner_of", "scanner_of_rule",
]
