"""The unified deployment's delivery steps end to end, as the workflow runs them, with automatic rollback.

build (push by digest) -> promote -> migrate (a real PostgreSQL) -> deploy -> health, first with a
healthy release, then with one whose health check fails: the failure triggers `infra rollback`,
which must leave the service on the previous revision, healthy again, and the summary must say so.
The stand-in service is healthy unless ECS runs the bad image, so health follows what was deployed.
dev runs in make test (promoting into a second env that has only its registry); staging, promoted
from dev and deployed for real, runs in make test-integration.
"""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from cli_run import infra
from delivery_helpers import current_revision, registry_env, reset_service, running_image
from ecr_images import push

pytestmark = [pytest.mark.terraform, pytest.mark.emulator, pytest.mark.postgres]

MIGRATIONS = {
    "0001_create_accounts.sql": "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);",
    "0002_add_balance.sql": "ALTER TABLE accounts ADD COLUMN balance numeric NOT NULL DEFAULT 0;",
}
SECOND_RELEASE = {"0003_add_currency.sql": "ALTER TABLE accounts ADD COLUMN currency char(3) NOT NULL DEFAULT 'INR';"}


def pytest_generate_tests(metafunc):
    if "pipeline" in metafunc.fixturenames:
        metafunc.parametrize("pipeline", [
            pytest.param(("dev", None), id="dev"),
            pytest.param(("staging", "dev"), id="staging-from-dev", marks=pytest.mark.integration),
        ], indirect=True)


class Pipeline:
    """One env's delivery steps, run the way the reusable deploy workflow runs them."""

    def __init__(self, live, source, tmp_path, database_url):
        self.live, self.source, self.tmp = live, source, tmp_path
        self.database_url = database_url
        self.outputs = self._outputs_file(live)
        self.source_outputs = self._outputs_file(source) if source else None
        self.migrations = tmp_path / "migrations"
        self.migrations.mkdir()
        self.on_deploy = None  # a test's hook, run after each deploy and rollback

    def _outputs_file(self, stack):
        path = self.tmp / f"{stack.env}-outputs.json"
        path.write_text(stack.stack.tf.run("output-json", ["output", "-json"]).stdout)
        return path

    def build(self, seed: str) -> str:
        """CI's build job: push once, tagged with the commit, into the first env's registry."""
        first = self.source or self.live
        return push(first.client("ecr"), first.outputs["ecr_repository_name"], f"sha-{seed[:12]}", seed)

    def run(self, command: str, *args: str, record, env: str | None = None):
        extra = () if command == "summary" else ("--outputs", str(self.outputs), "--aws-endpoint",
                                                 self.live.aws.endpoint)
        return infra(*command.split(), "--env", env or self.live.env, "--record", str(record), *extra, *args)

    def promote(self, digest: str, record):
        if self.source is None:  # dev: promote into a registry-only env, as dev -> staging does
            target = registry_env(self.live.client("ecr"), "staging", f"rupaya-backend-e2e-{uuid.uuid4().hex[:6]}",
                                  self.tmp / "registry-env.json")
            proc = infra("promote", "--from", "dev", "--to", "staging", "--digest", digest,
                         "--from-outputs", str(self.outputs), "--outputs", str(target),
                         "--aws-endpoint", self.live.aws.endpoint, "--record", str(self.tmp / "promote-record.json"))
            return proc, f"{self.live.outputs['ecr_repository_url']}@{digest}"
        proc = infra("promote", "--from", self.source.env, "--to", self.live.env, "--digest", digest,
                     "--from-outputs", str(self.source_outputs), "--outputs", str(self.outputs),
                     # Each applied env has an emulator of its own, as envs have accounts of their own.
                     "--from-aws-endpoint", self.source.aws.endpoint, "--aws-endpoint", self.live.aws.endpoint,
                     "--record", str(record))
        return proc, f"{self.live.outputs['ecr_repository_url']}@{digest}"

    def release(self, digest: str, migrations: dict[str, str], record, health_url: str) -> dict[str, object]:
        """promote -> migrate -> deploy -> health; on a failure after the deploy, rollback. Exit codes by step."""
        codes: dict[str, object] = {}
        proc, image = self.promote(digest, record)
        codes["promote"] = proc.returncode
        assert proc.returncode == 0, proc.stderr
        for name, sql in migrations.items():
            (self.migrations / name).write_text(sql)
        steps = [
            ("migrate", ("--migrations", str(self.migrations), "--database-url", self.database_url)),
            ("deploy", ("--image", image, "--poll", "0.2")),
            # A generous ceiling: the stand-in answers at once, so only a hang reaches it.
            ("health", ("--url", health_url, "--deadline", "10", "--backoff", "0.2")),
        ]
        for step, args in steps:
            proc = self.run(step, *args, record=record)
            codes[step] = proc.returncode
            if step == "deploy":
                self.deployed()
            if proc.returncode != 0:
                codes[f"{step}-error"] = proc.stderr.strip().splitlines()[-1]
                if step != "migrate":  # the workflow's rollback job: any failure after the deploy began
                    rollback = self.run("rollback", "--poll", "0.2", record=record)
                    codes["rollback"] = rollback.returncode
                    self.deployed()
                break
        return codes

    def deployed(self) -> None:
        """Called whenever what the service runs may have changed (deploy, rollback): the test's hook."""
        if self.on_deploy is not None:
            self.on_deploy()


@pytest.fixture
def pipeline(request, live_stacks, tmp_path, database_url):
    env, source = request.param
    pipe = Pipeline(live_stacks(env), live_stacks(source) if source else None, tmp_path, database_url)
    yield pipe
    reset_service(pipe.live)  # shared with the suites that compare the stack with Terraform's plan


def test_a_failing_release_is_rolled_back_to_the_previous_revision(pipeline, stand_in, tmp_path):
    live = pipeline.live
    good, bad = pipeline.build(uuid.uuid4().hex), pipeline.build(uuid.uuid4().hex)
    # The stand-in's answer follows what ECS runs, read between the steps (never inside a probe, where a
    # slow emulator call on a loaded machine would turn a 500 into a time-out).
    pipeline.on_deploy = lambda: setattr(stand_in, "status", 500 if running_image(live).endswith(bad) else 200)

    first = pipeline.release(good, MIGRATIONS, tmp_path / "release-1.json", stand_in.url)
    assert first == {"promote": 0, "migrate": 0, "deploy": 0, "health": 0}
    good_revision = current_revision(live)

    second = pipeline.release(bad, SECOND_RELEASE, tmp_path / "release-2.json", stand_in.url)
    assert second["deploy"] == 0 and second["health"] == 1 and second["rollback"] == 0, second
    assert "HTTP 500" in second["health-error"]
    assert current_revision(live) == good_revision  # back on the previous revision
    assert running_image(live).endswith(good)
    assert stand_in.status == 200
    healthy_again = pipeline.run("health", "--url", stand_in.url, "--deadline", "10", record=tmp_path / "after.json")
    assert healthy_again.returncode == 0, healthy_again.stderr
    # Migrations are not rolled back (expand/contract): the schema keeps the new column.
    with psycopg.connect(pipeline.database_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM infra_schema_history ORDER BY version")]
    assert versions == [1, 2, 3]

    summary_file = tmp_path / "step-summary.md"
    proc = pipeline.run("summary", "--output", str(summary_file), record=tmp_path / "release-2.json")
    assert proc.returncode == 0, proc.stderr
    summary = summary_file.read_text()
    bad_revision = json.loads((tmp_path / "release-2.json").read_text())["steps"]
    deploy = next(s for s in bad_revision if s["step"] == "deploy")
    assert f"Deployment to `{live.env}`: rolled back" in summary
    assert f"| rollback | `{deploy['to']}` → `{good_revision.rsplit('/', 1)[1]}` |" in summary
    assert f"| task definition | `{good_revision.rsplit('/', 1)[1]}` → `{deploy['to']}` |" in summary
    assert "| migrations | `0003_add_currency.sql` |" in summary
    assert "UNHEALTHY: http:" in summary and bad in summary
    assert "| duration |" in summary

    first_summary = pipeline.run("summary", record=tmp_path / "release-1.json")
    assert f"Deployment to `{live.env}`: succeeded" in first_summary.stdout
    assert "| health | healthy" in first_summary.stdout
