"""policy/suppressions.yaml: how an entry matches, expires and goes stale, and how a bad file is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.errors import InputError
from policy.model import Finding, Level, PolicyInputError, Severity, Source
from policy.scanners import suppressions as supp

TODAY = date(2027, 1, 15)
LB = "module.platform.module.load_balancer.aws_s3_bucket.logs[0]"


def finding(rule="CKV_AWS_18", resource=LB, env="prod", source=Source.PLAN, scanner="checkov",
            level=Level.HARD, status="fail") -> Finding:
    title = f"{scanner}: some check" if scanner in ("checkov", "trivy") else "a rule of ours"
    return Finding(rule=rule, title=title, family="security", severity=Severity.MEDIUM, level=level, env=env,
                   resource=resource, message="m", remediation="r", source=source, status=status)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suppressions.yaml"
    path.write_text(text)
    return path


def entries(tmp_path: Path, body: str) -> list[supp.Suppression]:
    return supp.load(write(tmp_path, "schema_version: 1\nsuppressions:\n" + body))


ONE = """\
  - id: CKV_AWS_18
    resources: [module.load_balancer.aws_s3_bucket.logs]
    reason: The bucket is the access-log sink.
    expires: 2027-06-30
"""


# --------------------------------------------------------------------------- matching


def test_address_forms_are_module_tails_with_and_without_instance_keys():
    forms = supp.address_forms('module.a.module.b["x"].aws_lb.this["k"]')
    assert forms == [
        'module.a.module.b["x"].aws_lb.this["k"]', 'module.b["x"].aws_lb.this["k"]', 'aws_lb.this["k"]',
        "module.a.module.b.aws_lb.this", "module.b.aws_lb.this", "aws_lb.this",
    ]
    assert supp.address_forms("aws_s3_bucket.state") == ["aws_s3_bucket.state"]


@pytest.mark.parametrize(("pattern", "matches"), [
    ("module.platform.module.load_balancer.aws_s3_bucket.logs[0]", True),  # the address itself
    ("module.load_balancer.aws_s3_bucket.logs", True),  # a module tail, instance key left out
    ("aws_s3_bucket.logs[0]", True),
    ("aws_s3_bucket.logs", True),
    ("*.aws_s3_bucket.*", True),
    ("module.load_balancer.aws_s3_bucket.logs[?]", True),
    ("*", True),
    ("load_balancer.aws_s3_bucket.logs", False),  # not a module boundary
    ("aws_s3_bucket.log", False),  # whole-form match, not a prefix
    ("module.load_balancer.aws_s3_bucket.logs[1]", False),
    ("module.platform.aws_s3_bucket.logs", False),  # a tail keeps every inner module
])
def test_resource_patterns(pattern, matches):
    assert supp.resource_matches(pattern, LB) is matches


def test_brackets_in_patterns_are_literal():
    address = 'module.platform.module.load_balancer.aws_vpc_security_group_ingress_rule.this["http_ipv4"]'
    assert supp.resource_matches('aws_vpc_security_group_ingress_rule.this["http_ipv4"]', address)
    assert not supp.resource_matches('aws_vpc_security_group_ingress_rule.this["https_ipv4"]', address)


def test_trivy_ids_match_with_or_without_the_avd_prefix(tmp_path):
    for spelling in ("AWS-0089", "AVD-AWS-0089"):
        [entry] = entries(tmp_path, ONE.replace("CKV_AWS_18", spelling))
        assert entry.implied_scanner == "trivy"
        assert entry.matches(finding(rule="AVD-AWS-0089", scanner="trivy"))
        assert entry.matches(finding(rule="AWS-0089", scanner="trivy"))
        assert not entry.matches(finding(rule="AVD-AWS-0089", scanner="checkov"))


def test_scanner_of_a_rule_id():
    assert supp.scanner_of_rule("CKV2_AWS_62") == "checkov"
    assert supp.scanner_of_rule("AVD-AWS-0104") == "trivy"
    assert supp.scanner_of_rule("RPY-SEC-001") == "policy"
    assert supp.scanner_of_rule("suppression-expired") == "policy"


# --------------------------------------------------------------------------- applying


def test_a_matching_entry_suppresses_a_hard_scanner_finding(tmp_path):
    found = finding()
    assert found.blocking
    [out] = supp.apply([found], entries(tmp_path, ONE), TODAY, env="prod")
    assert out.suppressed == "The bucket is the access-log sink."
    assert out.level is Level.HARD and not out.blocking  # the level stays what the check says
    assert found.suppressed is None  # the input is left alone


def test_envs_and_source_narrow_an_entry(tmp_path):
    scoped = ONE + "    envs: [dev, staging]\n    source: hcl\n"
    [entry] = entries(tmp_path, scoped)
    assert entry.matches(finding(env="dev", source=Source.HCL))
    assert not entry.matches(finding(env="prod", source=Source.HCL))
    assert not entry.matches(finding(env="dev", source=Source.PLAN))
    out = supp.apply([finding(env="dev", source=Source.PLAN)], [entry], TODAY, env="dev")
    assert out[0].blocking and not out[0].suppressed


def test_an_entry_matches_only_its_scanner(tmp_path):
    scanned = entries(tmp_path, ONE + "    scanner: checkov\n")
    assert scanned[0].matches(finding())
    assert not scanned[0].matches(finding(scanner="trivy"))


def test_an_expired_entry_suppresses_nothing_and_fails_the_gate(tmp_path):
    entry = entries(tmp_path, ONE.replace("2027-06-30", "2027-01-14"))
    out = supp.apply([finding()], entry, TODAY, env="prod")
    original, expired = out
    assert original.blocking and original.suppressed is None
    assert expired.rule == supp.EXPIRED_RULE and expired.level is Level.HARD and expired.blocking
    assert "CKV_AWS_18" in expired.resource and "2027-01-14" in expired.message
    assert expired.file.endswith("suppressions.yaml") and expired.line == 3


def test_an_entry_is_valid_through_its_expiry_day(tmp_path):
    entry = entries(tmp_path, ONE.replace("2027-06-30", TODAY.isoformat()))
    out = supp.apply([finding()], entry, TODAY, env="prod")
    assert [f.rule for f in out] == ["CKV_AWS_18"] and out[0].suppressed


def test_an_expired_entry_fails_even_when_it_matches_nothing(tmp_path):
    entry = entries(tmp_path, ONE.replace("2027-06-30", "2026-12-31"))
    out = supp.apply([], entry, TODAY, env="prod")
    assert [f.rule for f in out] == [supp.EXPIRED_RULE] and out[0].blocking


def test_an_entry_that_matched_nothing_it_covers_is_stale_and_advisory(tmp_path):
    entry = entries(tmp_path, ONE)
    out = supp.apply([finding(rule="CKV_AWS_144")], entry, TODAY, ran={("prod", "checkov", "plan")})
    stale = [f for f in out if f.rule == supp.STALE_RULE]
    assert len(stale) == 1 and stale[0].level is Level.ADVISORY and not stale[0].blocking
    assert "CKV_AWS_18" in stale[0].message


def test_an_entry_is_not_stale_where_its_scanner_or_env_did_not_run(tmp_path):
    entry = entries(tmp_path, ONE + "    envs: [prod]\n")
    assert supp.apply([], entry, TODAY, ran={("prod", "trivy", "plan"), ("prod", "policy", "hcl")}) == []
    assert supp.apply([], entry, TODAY, ran={("dev", "checkov", "plan")}) == []
    assert supp.apply([], entry, TODAY, env="dev") == []  # another env's entry: not judged in a dev run


def test_project_rules_are_suppressed_alike_and_keep_their_level(tmp_path):
    body = ONE.replace("CKV_AWS_18", "RPY-SEC-001").replace("module.load_balancer.aws_s3_bucket.logs", '"*"')
    soft = finding(rule="RPY-SEC-001", scanner="policy", level=Level.SOFT)
    hard = finding(rule="RPY-SEC-001", scanner="policy", level=Level.HARD)
    other = finding(rule="RPY-SEC-002", scanner="policy", level=Level.HARD)
    out_soft, out_hard, out_other = supp.apply([soft, hard, other], entries(tmp_path, body), TODAY, env="prod")
    assert out_soft.suppressed and not out_soft.blocking and out_soft.level is Level.SOFT
    assert out_hard.suppressed and not out_hard.blocking and out_hard.level is Level.HARD
    assert not out_other.suppressed and out_other.blocking


def test_unknown_findings_are_marked_too(tmp_path):
    [out] = supp.apply([finding(status="unknown")], entries(tmp_path, ONE), TODAY, env="prod")
    assert out.suppressed and not out.blocking


# --------------------------------------------------------------------------- loading


def test_the_repository_file_loads_and_every_entry_says_why():
    loaded = supp.load()
    assert loaded, "policy/suppressions.yaml holds no entries"
    for entry in loaded:
        assert len(entry.reason) >= 40, f"{entry.where}: give a specific reason"
        assert entry.line is not None and entry.file == "policy/suppressions.yaml"


def test_yaml_anchors_and_quoted_dates_are_fine(tmp_path):
    body = ONE.replace("reason: The", "reason: &why The").replace("2027-06-30", '"2027-06-30"')
    second_entry = ONE.replace("reason: The bucket is the access-log sink.", "reason: *why")
    body += second_entry.replace("CKV_AWS_18", "CKV_AWS_144")
    first, second = entries(tmp_path, body)
    assert second.reason == first.reason and first.expires == date(2027, 6, 30)


def test_an_empty_file_or_list_holds_no_entries(tmp_path):
    assert supp.load(write(tmp_path, "")) == []
    assert supp.load(write(tmp_path, "suppressions:\n")) == []
    assert supp.load(write(tmp_path, "suppressions: []\n")) == []


@pytest.mark.parametrize(("body", "line", "words"), [
    (ONE + "    owner: me\n", 7, "unknown key 'owner'"),
    (ONE.replace("    reason: The bucket is the access-log sink.\n", ""), 3, "'reason' is required"),
    (ONE.replace("The bucket is the access-log sink.", '""'), 5, "'reason' must say"),
    (ONE.replace("The bucket is the access-log sink.", "[a, b]"), 5, "'reason' must say"),
    (ONE.replace("    expires: 2027-06-30\n", ""), 3, "'expires' is required"),
    (ONE.replace("2027-06-30", "2027-13-01"), 6, "ISO date"),
    (ONE.replace("2027-06-30", "next summer"), 6, "ISO date"),
    (ONE.replace("2027-06-30", "30/06/2027"), 6, "ISO date"),
    (ONE.replace("[module.load_balancer.aws_s3_bucket.logs]", "module.load_balancer.aws_s3_bucket.logs"), 4,
     "'resources' must be a non-empty list"),
    (ONE.replace("[module.load_balancer.aws_s3_bucket.logs]", "[]"), 4, "'resources' must be a non-empty list"),
    (ONE + "    envs: []\n", 7, "'envs' must be a non-empty list"),
    (ONE + "    scanner: tfsec\n", 7, "'scanner' must be one of"),
    (ONE + "    scanner: trivy\n", 7, "is a checkov check"),
    (ONE + "    source: live-ish\n", 7, "'source' must be one of"),
    (ONE + "    reason: again\n", 7, "has the key 'reason' twice"),
    (ONE.replace("CKV_AWS_18", "''"), 3, "'id' must be"),
    ("  - just a string\n", 3, "must be a mapping"),
])
def test_malformed_entries_are_refused_with_file_and_line(tmp_path, body, line, words):
    with pytest.raises(InputError) as exc:
        entries(tmp_path, body)
    message = str(exc.value)
    assert f"suppressions.yaml:{line}: " in message and words in message, message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "words"), [
    ("suppressions:\n  - id: [\n", "not valid YAML"),
    ("- id: CKV_AWS_18\n", "expected a mapping"),
    ("suppresions: []\n", "unknown top-level key 'suppresions'"),
    ("schema_version: 2\nsuppressions: []\n", "schema_version must be 1"),
    ("schema_version: 1\n", "no 'suppressions' list"),
    ("suppressions: {id: CKV_AWS_18}\n", "'suppressions' must be a list"),
])
def test_malformed_files_are_refused(tmp_path, text, words):
    with pytest.raises(InputError, match=words) as exc:
        supp.load(write(tmp_path, text))
    assert "suppressions.yaml:" in str(exc.value)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(PolicyInputError, match="suppressions file not found"):
        supp.load(tmp_path / "nope.yaml")
