"""The parts of delivery that need no AWS: the deployment record and its summary, outputs files,
the health poller's backoff, and the flag document's checks against the shipped schema."""

from __future__ import annotations

import json

import pytest
from cli_run import assert_one_line_error, closed_port, infra

from core.errors import InfraError, InputError
from core.project import REPO_ROOT
from infra.delivery import flags, health, summary, target
from infra.delivery.record import Record


def test_a_record_is_written_whole_and_refuses_another_envs_or_garbage(tmp_path):
    path = tmp_path / "deploy" / "record.json"
    record = Record.open(path, "dev")
    record.add("migrate", True, 0.0, applied=["0001_a.sql"])
    assert json.loads(path.read_text())["steps"][0]["applied"] == ["0001_a.sql"]
    assert [p.name for p in path.parent.iterdir()] == ["record.json"]  # no temporary file left
    with pytest.raises(InfraError, match="is for dev, not staging"):
        Record.open(path, "staging")
    path.write_text("{not json")
    with pytest.raises(InputError, match=r"record.json:1:2: the deployment record .* is not JSON"):
        Record.open(path, "dev")
    path.write_text('{"env": "dev"}')
    with pytest.raises(InfraError, match="not a deployment record"):
        Record.open(path, "dev")


def test_summary_of_a_failed_migration_and_of_nothing(tmp_path):
    empty = Record.open(tmp_path / "none.json", "prod")
    assert "nothing recorded" in summary.render(empty)
    record = Record.open(tmp_path / "r.json", "prod")
    record.add("migrate", False, 0.0, error="migration 0002_x.sql failed and was rolled back: boom")
    text = summary.render(record)
    assert "Deployment to `prod`: failed" in text
    assert "| migrations | FAILED: migration 0002_x.sql failed" in text


def test_summary_appends_to_the_github_step_summary_and_rejects_bad_records(tmp_path):
    record = tmp_path / "r.json"
    Record.open(record, "dev").add("health", True, 0.0, detail="http: 200 after 1 attempt(s)")
    step_summary = tmp_path / "summary.md"
    step_summary.write_text("earlier step\n")
    proc = infra("summary", "--env", "dev", "--record", str(record), env={"GITHUB_STEP_SUMMARY": str(step_summary)})
    assert proc.returncode == 0, proc.stderr
    text = step_summary.read_text()
    assert text.startswith("earlier step\n") and "Deployment to `dev`: succeeded" in text
    record.write_text("[]")
    assert_one_line_error(infra("summary", "--env", "dev", "--record", str(record)), "not a deployment record")
    assert_one_line_error(infra("summary", "--env", "qa"), "unknown environment 'qa'")


@pytest.mark.parametrize(("content", "message"), [
    ("", "not JSON"),
    ("[1, 2]", "not the output of `terraform output -json`"),
    ('{"a": 1}', "not the output of `terraform output -json`"),
    ("{}", "no outputs at all"),
])
def test_a_malformed_outputs_file_is_refused(tmp_path, content, message):
    path = tmp_path / "outputs.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        target.read_outputs_file(str(path))
    with pytest.raises(InputError, match="cannot read the outputs file"):
        target.read_outputs_file(str(tmp_path / "missing.json"))


def test_outputs_flatten_the_platform_object():
    raw = {"platform": {"value": {"ecs_service_name": "svc", "environment": "dev"}}, "extra": {"value": 1}}
    assert target.flatten(raw) == {"platform": raw["platform"]["value"], "ecs_service_name": "svc",
                                   "environment": "dev", "extra": 1}


def test_the_health_poller_backs_off_exponentially_up_to_its_cap_and_stops_at_the_deadline():
    now, waits = [0.0], []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    probe = health.poll_http(f"http://127.0.0.1:{closed_port()}/health", deadline=20, attempt_timeout=1,
                             backoff=1, max_backoff=4, say=lambda _: None, sleep=sleep, clock=lambda: now[0])
    assert not probe.ok and "gave up after" in probe.detail and "20s deadline" in probe.detail
    assert waits[:4] == [1, 2, 4, 4]  # doubling, capped
    assert sum(waits) == pytest.approx(20)  # never past the deadline


def test_the_flag_schema_rejects_what_the_cli_would_never_write():
    schema = json.loads(flags.schema_path(REPO_ROOT / "terraform").read_text())
    flags.validate({"schema_version": 1, "flags": {"a": {"enabled": True, "rollout_percent": 5}}}, schema)
    bad = [
        ({"schema_version": 1, "flags": {"a": {"enabled": True, "rollout_percent": 101}}}, "flags/a/rollout_percent"),
        ({"schema_version": 1, "flags": {"A": {"enabled": True}}}, "flags"),
        ({"schema_version": 1, "flags": {"a": {"enabled": "yes"}}}, "flags/a/enabled"),
        ({"schema_version": 2, "flags": {}}, "schema_version"),
        ({"schema_version": 1, "flags": {"a": {"enabled": True, "variants": {"x": 50, "y": 40}}}}, "sum to 90"),
    ]
    for document, where in bad:
        with pytest.raises(InfraError, match=where):
            flags.validate(document, schema)
