"""The gate's reports: every format renders realistic and hostile input, and stays valid and stable."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from dataclasses import replace

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.model import EnvResult, Finding, Level, Severity, Source, Unknown
from policy.reports import FORMATS, json_report, markdown, render, sarif
from policy.reports.common import category, slugify


# -- rule classes as the reports see them (the real ones live in policy.rules) ------------------
class RdsEncryption:
    id = "RPY-SEC-001"
    slug = "rds-encryption"
    title = "Aurora storage is encrypted with a customer KMS key"
    family = "security"
    severity = Severity.HIGH
    level = Level.HARD
    rationale = "Unencrypted storage exposes customer data in snapshots and backups."
    remediation = "Set storage_encrypted = true and kms_key_id to the platform's customer key."


class DatabasesPrivate:
    id = "RPY-SEC-007"
    title = "Databases are not publicly accessible"
    family = "security"
    severity = Severity.CRITICAL
    level = Level.HARD
    rationale = "A public database endpoint is one leaked password away from a breach."
    remediation = "Set publicly_accessible = false."


class LogGroupKeys:
    id = "RPY-SEC-004"
    title = "CloudWatch log groups are encrypted with a customer KMS key"
    family = "security"
    severity = Severity.MEDIUM
    level = Level.HARD
    rationale = "Logs hold request data."
    remediation = "Set kms_key_id on the log group."


class NoProdClassesBelowProd:
    id = "RPY-SIZ-010"
    title = "No prod-sized classes below prod, no burstable classes in prod"
    family = "sizing"
    severity = Severity.MEDIUM
    level = Level.SOFT
    rationale = "Oversized non-prod tiers cost money; burstable prod classes run out of credits."
    remediation = "Use the tier's class from terraform/tiers.yaml."


class CostBudget:
    id = "RPY-COST-001"
    title = "Estimated monthly cost is within the tier's budget"
    family = "cost"
    severity = Severity.LOW
    level = Level.ADVISORY
    rationale = "Budgets are agreed per tier."
    remediation = "Shrink the tier or raise its budget."


class NeverFails:
    id = "RPY-SEC-015"
    title = "S3 buckets are versioned"
    family = "security"
    severity = Severity.MEDIUM
    level = Level.HARD
    rationale = "Versioning undoes accidental deletes."
    remediation = "Enable versioning."


RULES = (RdsEncryption, DatabasesPrivate, LogGroupKeys, NoProdClassesBelowProd, CostBudget, NeverFails)
DB = "module.platform.module.database.aws_rds_cluster.this"
DB_FILE = "terraform/modules/database/main.tf"


def finding(rule=RdsEncryption, **kw) -> Finding:
    base = dict(
        rule=rule.id, title=rule.title, family=rule.family, severity=rule.severity, level=rule.level,
        env="prod", resource=DB, message="storage_encrypted is false; it must be true",
        remediation=rule.remediation, actual=False, expected=True, file=DB_FILE, line=12, source=Source.HCL,
    )
    base.update(kw)
    return Finding(**base)


def sample_results() -> list[EnvResult]:
    prod = [
        finding(),  # hard, blocking
        finding(DatabasesPrivate, resource="module.platform.module.database.aws_rds_cluster_instance.this[0]",
                message="publicly_accessible is true", actual=True, expected=False, line=40,
                overridden="someone tried to waive a hard rule"),  # hard + run-time override: still blocking
        finding(NoProdClassesBelowProd, resource="module.platform.module.cache.aws_elasticache_replication_group.this",
                message="cache.t4g.medium is burstable", actual="cache.t4g.medium", expected="not burstable",
                file="terraform/modules/cache/main.tf", line=5,
                overridden="approved in CHG-123 | until <Q3> & then resized"),  # soft + override
        finding(CostBudget, resource="prod", message="estimate €1 234|€1 567 `per month` exceeds <budget> & ünïcödé",
                actual={"low": 1234, "high": 1567}, expected={"max": 1000}, file=None, line=None),  # advisory
        finding(LogGroupKeys, resource="module.platform.aws_cloudwatch_log_group.app", status="unknown",
                level=Level.ADVISORY, message="kms_key_id is unknown until plan; this rule cannot decide yet",
                actual=Unknown("aws_kms_key.logs.arn"), expected=None, file=None, line=None),
        Finding(rule="CKV_AWS_16", title="Ensure all data stored in the RDS is securely encrypted at rest",
                family="security", severity=Severity.HIGH, level=Level.HARD, env="prod", resource=DB,
                message="checkov: RDS not encrypted", remediation="See the checkov docs for CKV_AWS_16.",
                file=DB_FILE, line=3),
        Finding(rule="AVD-AWS-0080", title="RDS encryption has not been enabled at a DB Instance level.",
                family="security", severity=Severity.LOW, level=Level.ADVISORY, env="prod", resource=DB,
                message="trivy: instance storage not encrypted", remediation="Enable encryption.",
                file=DB_FILE, line=3, suppressed="covered by RPY-SEC-001"),
    ]
    dev = [
        finding(CostBudget, env="dev", resource="dev", message="estimate above budget", actual=None, expected=None,
                file=None, line=None),
        finding(LogGroupKeys, env="dev", resource="module.platform.aws_cloudwatch_log_group.app", status="unknown",
                level=Level.ADVISORY, message="kms_key_id is unknown until plan", actual=Unknown(), expected=None),
    ]
    boot = [
        Finding(rule="RPY-SEC-014", title="S3 buckets block all public access", family="security",
                severity=Severity.HIGH, level=Level.HARD, env="bootstrap", resource="aws_s3_bucket.state",
                message="no public access block", remediation="Add aws_s3_bucket_public_access_block."),
    ]
    return [
        EnvResult("dev", dev, plan={"add": 40, "change": 0, "destroy": 0}, cost_total="$80-$95/month",
                  steps={"hcl": "ok", "plan": "ok", "scanners": "skipped: checkov not installed"},
                  timings={"hcl": 0.25, "plan": 3.5}),
        EnvResult("staging", [], plan=None, steps={"hcl": "ok"}),
        EnvResult("prod", prod, plan={"add": 3, "change": 1, "destroy": 2}, cost_total="$1,234-$1,567/month",
                  steps={"hcl": "ok", "plan": "ok", "scanners": "ok"}),
        EnvResult("bootstrap", boot, plan=None, steps={"hcl": "ok", "plan": "failed: terraform exited 1 <&>"}),
    ]


@pytest.fixture(scope="module")
def report_validator():
    schema = json.loads(json_report.SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(sarif.SCHEMA_FILE.read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    return jsonschema.Draft4Validator(schema)


def assert_valid(validator, doc) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


# -- dispatch -----------------------------------------------------------------------------------
def test_every_format_renders_and_unknown_ones_are_refused():
    results = sample_results()
    for fmt in FORMATS:
        assert render(results, fmt, rules=RULES).strip()
    with pytest.raises(ValueError, match="unknown report format 'html'"):
        render(results, "html")


def test_categories():
    by_rule = {(f.env, f.rule): category(f) for r in sample_results() for f in r.findings}
    assert by_rule[("prod", "RPY-SEC-001")] == "blocking"
    assert by_rule[("prod", "RPY-SEC-007")] == "blocking"  # a hard rule cannot be waived
    assert by_rule[("prod", "RPY-SIZ-010")] == "overridden"
    assert by_rule[("prod", "RPY-COST-001")] == "advisory"
    assert by_rule[("prod", "RPY-SEC-004")] == "unknown"
    assert by_rule[("prod", "AVD-AWS-0080")] == "advisory"


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_deterministic_and_independent_of_input_order(fmt):
    first = render(sample_results(), fmt, rules=RULES)
    assert render(sample_results(), fmt, rules=RULES) == first
    shuffled = sample_results()
    for result in shuffled:
        random.Random(7).shuffle(result.findings)
    assert render(shuffled, fmt, rules=RULES) == first


# -- JSON ---------------------------------------------------------------------------------------
def test_json_validates_against_its_schema(report_validator):
    doc = json.loads(render(sample_results(), "json"))
    assert_valid(report_validator, doc)
    assert doc["schema_version"] == 1
    assert doc["verdict"] == "fail"
    assert [(e["env"], e["verdict"]) for e in doc["envs"]] == [
        ("dev", "pass"), ("staging", "pass"), ("prod", "fail"), ("bootstrap", "fail")]
    prod = doc["envs"][2]
    assert prod["plan"] == {"add": 3, "change": 1, "destroy": 2}
    assert prod["cost_total"] == "$1,234-$1,567/month"
    assert prod["counts"] == {"blocking": 3, "overridden": 1, "advisory": 2, "unknown": 1}
    assert doc["envs"][1]["plan"] is None
    assert doc["envs"][3]["steps"]["plan"].startswith("failed")
    assert len(doc["findings"]) == sum(len(r.findings) for r in sample_results())
    for item in doc["findings"]:
        for key in ("rule", "severity", "level", "env", "resource", "file", "line", "actual", "expected", "message"):
            assert key in item


def test_json_findings_are_ordered_env_by_env_blocking_first():
    doc = json.loads(render(sample_results(), "json"))
    envs = [f["env"] for f in doc["findings"]]
    assert envs == sorted(envs, key=["dev", "prod", "bootstrap"].index)
    prod = [f for f in doc["findings"] if f["env"] == "prod"]
    assert [f["rule"] for f in prod[:3]] == ["RPY-SEC-007", "CKV_AWS_16", "RPY-SEC-001"]  # critical, then by id
    assert all(f["blocking"] for f in prod[:3]) and not any(f["blocking"] for f in prod[3:])
    assert prod[-1]["status"] == "unknown"
    assert prod[-1]["actual"] == "(unknown until plan: aws_kms_key.logs.arn)"
    assert any("ünïcödé" in f["message"] for f in prod)


def test_report_schema_documents_every_field():
    schema = json.loads(json_report.SCHEMA_FILE.read_text())
    undocumented = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    undocumented.append(f"{path}.{name}")
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(schema, "$")
    assert not undocumented
    assert set(schema["$defs"]["finding"]["required"]) == set(finding().to_json())


# -- SARIF --------------------------------------------------------------------------------------
def test_sarif_validates_against_the_sarif_2_1_0_schema(sarif_validator):
    doc = json.loads(render(sample_results(), "sarif", rules=RULES))
    assert_valid(sarif_validator, doc)
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1


def test_sarif_rules_levels_locations_and_suppressions():
    run = json.loads(render(sample_results(), "sarif", rules=RULES))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "rupaya-policy"
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) >= {r.id for r in RULES} | {"CKV_AWS_16", "AVD-AWS-0080", "RPY-SEC-014"}
    ours = rules["RPY-SEC-001"]
    assert ours["shortDescription"]["text"] == RdsEncryption.title
    assert ours["fullDescription"]["text"] == RdsEncryption.rationale
    assert ours["help"]["text"] == RdsEncryption.remediation
    assert ours["properties"]["family"] == "security" and ours["properties"]["level"] == "hard-mandatory"
    assert ours["properties"]["security-severity"] == "8.0"
    assert "security" in ours["properties"]["tags"]
    assert rules["RPY-COST-001"]["defaultConfiguration"]["level"] == "note"
    scanner = rules["CKV_AWS_16"]
    assert scanner["shortDescription"]["text"].startswith("Ensure all data")
    assert scanner["help"]["text"] == "See the checkov docs for CKV_AWS_16."

    results = run["results"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    by_key = {(r["properties"]["env"], r["ruleId"]): r for r in results}
    blocking = by_key[("prod", "RPY-SEC-001")]
    assert blocking["level"] == "error"
    assert blocking["message"]["text"].endswith("Fix: " + RdsEncryption.remediation)
    physical = blocking["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == DB_FILE
    assert physical["region"]["startLine"] == 12
    assert blocking["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == DB
    assert blocking["properties"]["actual"] is False and blocking["properties"]["expected"] is True
    assert "suppressions" not in blocking

    hard_waived = by_key[("prod", "RPY-SEC-007")]
    assert hard_waived["level"] == "error" and "suppressions" not in hard_waived
    assert "someone tried" not in json.dumps(hard_waived)
    overridden = by_key[("prod", "RPY-SIZ-010")]
    assert overridden["level"] == "warning"
    assert overridden["suppressions"] == [
        {"kind": "external", "status": "accepted",
         "justification": "overridden: approved in CHG-123 | until <Q3> & then resized"}]
    assert by_key[("prod", "RPY-COST-001")]["level"] == "note"
    assert by_key[("prod", "AVD-AWS-0080")]["level"] == "note"
    assert by_key[("prod", "AVD-AWS-0080")]["suppressions"][0]["justification"] == "covered by RPY-SEC-001"
    unknown = by_key[("prod", "RPY-SEC-004")]
    assert unknown["level"] == "note" and unknown["properties"]["status"] == "unknown"
    # No file: the env root's main.tf, line 1.
    assert unknown["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "terraform/envs/prod/main.tf"
    boot = by_key[("bootstrap", "RPY-SEC-014")]["locations"][0]["physicalLocation"]
    assert boot["artifactLocation"]["uri"] == "terraform/bootstrap/main.tf"
    assert boot["region"]["startLine"] == 1

    fingerprints = [r["partialFingerprints"]["rupayaFinding/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "terraform exited 1" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_sarif_fingerprints_ignore_lines_and_messages():
    def fingerprint(f: Finding) -> str:
        doc = sarif.document([EnvResult("prod", [f])])
        return doc["runs"][0]["results"][0]["partialFingerprints"]["rupayaFinding/v1"]

    assert fingerprint(finding()) == fingerprint(finding(line=99, message="other words"))
    assert fingerprint(finding()) != fingerprint(finding(env="dev"))
    assert fingerprint(finding()) != fingerprint(finding(resource="aws_rds_cluster.other"))


def test_sarif_uris_are_relative_with_forward_slashes():
    odd = finding(file="terraform\\modules\\my db\\main.tf", line=0)
    doc = sarif.document([EnvResult("prod", [odd])])
    physical = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "terraform/modules/my%20db/main.tf"
    assert physical["region"]["startLine"] == 1


# -- JUnit --------------------------------------------------------------------------------------
def junit_cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml.encode("utf-8"))
    return {case.get("name"): case for case in root.iter("testcase")}


def test_junit_has_a_suite_per_env_and_a_testcase_per_rule():
    xml = render(sample_results(), "junit", rules=RULES)
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root.findall("testsuite")] == ["dev", "staging", "prod", "bootstrap"]
    cases = junit_cases(xml)
    failed = cases["prod / security / rds-encryption"]
    assert failed.get("classname") == "prod.security"
    failure = failed.find("failure")
    assert failure.get("type") == "hard-mandatory"
    assert failure.get("message").startswith("RPY-SEC-001: storage_encrypted is false")
    assert "fix: Set storage_encrypted = true" in failure.text
    assert cases["prod / security / databases-not-publicly-accessible"].find("failure") is not None
    # Scanner checks are named by their id, one testcase each.
    assert cases["prod / security / ckv-aws-16"].find("failure") is not None
    advisory_scanner = cases["prod / security / avd-aws-0080"]
    assert advisory_scanner.find("failure") is None
    assert "suppressed: covered by RPY-SEC-001" in advisory_scanner.find("system-out").text
    overridden = cases["prod / sizing / no-prod-sized-classes-below-prod-no-burstable"]
    assert overridden.find("failure") is None
    assert "approved in CHG-123 | until <Q3> & then resized" in overridden.find("system-out").text
    assert cases["prod / security / cloudwatch-log-groups-encrypted-customer-kms-key"].find("skipped") is not None
    passing = cases["staging / security / s3-buckets-versioned"]
    assert list(passing) == []
    assert cases["bootstrap / steps / plan"].find("failure").get("type") == "step"
    assert cases["dev / steps / scanners"].find("skipped") is not None
    assert cases["dev / steps / plan"].get("time") == "3.500"

    prod = root.find("testsuite[@name='prod']")
    assert prod.get("failures") == "3"  # RPY-SEC-001, RPY-SEC-007, CKV_AWS_16
    assert prod.get("skipped") == "1"
    assert int(prod.get("tests")) == len(prod.findall("testcase")) == 3 + len(RULES) + 2
    assert root.get("failures") == str(sum(int(s.get("failures")) for s in root.findall("testsuite")))


def test_junit_per_env_rules_and_no_rules():
    results = sample_results()
    cases = junit_cases(render(results, "junit", rules={"prod": RULES, "bootstrap": (RdsEncryption,)}))
    assert "bootstrap / security / rds-encryption" in cases
    assert "staging / security / rds-encryption" not in cases
    cases = junit_cases(render(results, "junit"))  # without rules: only rules with findings
    assert "prod / security / rds-encryption" not in cases
    assert "prod / security / aurora-storage-encrypted-customer-kms-key" in cases


def test_slugs_are_readable():
    assert slugify("Aurora storage is encrypted with a customer KMS key") == "aurora-storage-encrypted-customer-kms-key"
    assert slugify("Aurora cluster has the tier's instance count") == "aurora-cluster-tier-instance-count"
    assert slugify("Databases are not publicly accessible") == "databases-not-publicly-accessible"


# -- Markdown -----------------------------------------------------------------------------------
def test_markdown_pr_comment():
    md = render(sample_results(), "markdown")
    assert md.startswith(markdown.MARKER + "\n")
    assert "| env | verdict | plan | blocking | advisory | cost |" in md
    assert "| dev | ✅ pass | +40 ~0 -0 | 0 | 1 | $80-$95/month |" in md
    assert "| staging | ✅ pass | not planned | 0 | 0 | — |" in md
    assert "| prod | ❌ fail | +3 ~1 -2 | 3 | 2 | $1,234-$1,567/month |" in md
    assert "| bootstrap | ❌ fail | not planned | 1 | 0 | — |" in md
    assert "<details open>\n<summary><b>prod</b>" in md
    assert "<details>\n<summary><b>staging</b>" in md
    assert "3 to add, 1 to change, 2 to destroy" in md
    assert "**Fix:** Set storage\\_encrypted = true" in md
    assert "_Overridden:_ approved in CHG-123 \\| until \\<Q3\\> \\& then resized" in md
    assert "estimate €1 234\\|€1 567 \\`per month\\` exceeds \\<budget\\> \\& ünïcödé" in md
    assert "**Unknown until plan:** 1 check cannot decide yet (`RPY-SEC-004`)" in md
    assert "terraform exited 1 \\<\\&\\>" in md
    assert md.count("<details") == md.count("</details>") == 4
    assert "more finding" not in md


def test_markdown_cells_escape_pipes_and_backticks():
    assert markdown.cell("a|b`c") == "a\\|b\\`c"
    weird = EnvResult("pr|od`", [], cost_total="$1|2")
    md = markdown.render([weird])
    assert "| pr\\|od\\` | ✅ pass | not planned | 0 | 0 | $1\\|2 |" in md
    assert markdown.code("a`b") == "`` a`b ``"
    assert markdown.escape("--- looks like a rule") == "\\--- looks like a rule"
    assert markdown.escape("1. looks like a list") == "1\\. looks like a list"
    assert markdown.escape("line\nbreaks  collapse") == "line breaks collapse"


def test_markdown_truncates_under_the_comment_limit():
    many = [
        finding(resource=f"module.platform.aws_rds_cluster.db{i}", message="x" * 400 + f" #{i}", line=i + 1)
        for i in range(600)
    ]
    results = [
        EnvResult("prod", many, plan={"add": 1, "change": 0, "destroy": 0}),
        EnvResult("dev", [finding(env="dev")]),
    ]
    md = markdown.render(results)
    assert len(md) <= markdown.DEFAULT_LIMIT < markdown.GITHUB_LIMIT
    shown = md.count("- **RPY-SEC-001**")
    assert 0 < shown < 601
    assert f"… {601 - shown} more findings, see the SARIF/JSON artifact." in md
    assert md.count("<details") == md.count("</details>") == 2
    small = markdown.render(results, limit=5_000)
    assert len(small) <= 5_000 and "more findings, see the SARIF/JSON artifact" in small


# -- text ---------------------------------------------------------------------------------------
def test_text_report():
    out = render(sample_results(), "text")
    assert "\x1b" not in out
    assert "prod: FAIL: 3 blocking, 1 soft-overridden, 2 advisory, 1 unknown; plan +3 ~1 -2" in out
    assert "staging: PASS: 0 blocking, 0 soft-overridden, 0 advisory, 0 unknown; no plan" in out
    assert f"RPY-SEC-001 high hard-mandatory {DB} ({DB_FILE}:12)" in out
    assert "actual: false expected: true" in out
    assert "fix: Set storage_encrypted = true" in out
    assert "overridden: approved in CHG-123" in out
    assert "someone tried" not in out
    assert "step plan: failed: terraform exited 1" in out
    assert "Unknown until plan" in out and "RPY-SEC-004 module.platform.aws_cloudwatch_log_group.app" in out
    prod = out[out.index("prod: FAIL"):out.index("bootstrap: FAIL")]
    assert prod.index("Blocking:") < prod.index("Overridden") < prod.index("Advisory:") < prod.index("Unknown")
    assert out.rstrip().endswith("policy: FAIL: 4 blocking findings in prod, bootstrap")
    clean = render([EnvResult("staging", [])], "text")
    assert clean.rstrip().endswith("policy: PASS (1 env)")


# -- the real rules, when they import ---------------------------------------------------------------
def test_real_rule_catalogue_renders(sarif_validator):
    rules_mod = pytest.importorskip("policy.rules")
    all_rules = rules_mod.ALL_RULES
    results = sample_results()
    assert_valid(sarif_validator, json.loads(render(results, "sarif", rules=all_rules)))
    cases = junit_cases(render(results, "junit", rules=all_rules))
    names = [n for n in cases if n.startswith("prod / ")]
    assert len(names) == len(set(names))
    assert all(n == n.lower() or n.startswith("prod / steps") for n in names)


# -- hostile input ------------------------------------------------------------------------------
values = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.builds(
    Unknown, st.text(max_size=10)) | st.lists(st.text(max_size=5), max_size=3) | st.dictionaries(
    st.text(max_size=5), st.integers(), max_size=3)

findings = st.builds(
    Finding,
    rule=st.text(), title=st.text(), family=st.text(max_size=12), severity=st.sampled_from(list(Severity)),
    level=st.sampled_from(list(Level)), env=st.text(max_size=10), resource=st.text(), message=st.text(),
    remediation=st.text(), actual=values, expected=values, file=st.none() | st.text(),
    line=st.none() | st.integers(min_value=1, max_value=10**7), source=st.sampled_from(list(Source)),
    status=st.sampled_from(["fail", "unknown"]), suppressed=st.none() | st.text(),
)
env_results = st.builds(
    EnvResult, env=st.text(max_size=12), findings=st.lists(findings, max_size=6),
    plan=st.none() | st.fixed_dictionaries(
        {"add": st.integers(0, 999), "change": st.integers(0, 999), "destroy": st.integers(0, 999)}),
    cost_total=st.none() | st.text(max_size=30),
    steps=st.none() | st.dictionaries(st.text(max_size=8), st.sampled_from(["ok", "skipped", "failed: x<&>"]),
                                      max_size=3),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results=st.lists(env_results, min_size=1, max_size=3))
def test_random_findings_never_break_a_renderer(results, report_validator, sarif_validator):
    for fmt in FORMATS:
        render(results, fmt)
    assert_valid(report_validator, json.loads(render(results, "json")))
    sarif_doc = json.loads(render(results, "sarif"))
    assert_valid(sarif_validator, sarif_doc)
    for result in sarif_doc["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert " " not in uri and "\\" not in uri
    root = ET.fromstring(render(results, "junit").encode("utf-8"))
    assert len(root.findall("testsuite")) == len(results)
    assert len(markdown.render(results, limit=8_000)) <= 8_000
    assert render(results, "markdown").startswith(markdown.MARKER)


def test_unicode_and_control_characters_survive_xml():
    nasty = finding(message="nul\x00 bell\x07 <tag> & \"quotes\" \U0001f525 ü", suppressed=None)
    root = ET.fromstring(render([EnvResult("prod", [nasty])], "junit").encode("utf-8"))
    failure = next(root.iter("failure"))
    assert "nul\\x00 bell\\x07 <tag> & \"quotes\" \U0001f525 ü" in failure.get("message")


def test_finding_env_differs_from_result_env_is_kept():
    moved = replace(finding(), env="staging")
    doc = json.loads(render([EnvResult("prod", [moved])], "json"))
    assert doc["findings"][0]["env"] == "staging"
