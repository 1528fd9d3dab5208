"""promote, deploy, rollback, health and flags against the dev stack the harness applied to the emulator.

The commands run as a workflow runs them: `infra ...` in a subprocess, reading the env from
`terraform output -json` (--outputs) and talking to the stack's endpoint. Every test asserts on
what AWS (the emulator) holds afterwards, and every bad input must fail in one line with nothing written.
"""

from __future__ import annotations

import json
import string
import uuid

import pytest
from cli_run import assert_one_line_error, infra
from delivery_helpers import current_revision, registry_env, reset_service, running_image, write
from ecr_images import push

from core.scope import tag_dict
from infra.deploy_revisions import PREVIOUS_TAG

pytestmark = [pytest.mark.terraform, pytest.mark.emulator]


def pytest_generate_tests(metafunc):
    if "live" in metafunc.fixturenames:
        metafunc.parametrize("live", ["dev"], indirect=True)


@pytest.fixture(autouse=True)
def service_as_first_released(live):
    """The stack is shared with the suites that compare it with Terraform's plan: leave it as released."""
    yield
    reset_service(live)


@pytest.fixture
def outputs_file(live, tmp_path):
    """The env's real `terraform output -json`, as a workflow would save it after its apply."""
    path = tmp_path / f"{live.env}-outputs.json"
    path.write_text(live.stack.tf.run("output-json", ["output", "-json"]).stdout)
    return path


@pytest.fixture
def cli(live, outputs_file, tmp_path):
    """Run `infra <command> --env <env> --outputs ... --aws-endpoint ...` with a record in tmp_path."""
    record = tmp_path / "record.json"

    def run(command: str, *args: str, env: str | None = None, outputs=None, with_record: bool = True):
        parts = command.split()
        common = ["--env", env or live.env, "--outputs", str(outputs or outputs_file),
                  "--aws-endpoint", live.aws.endpoint]
        if with_record:
            common += ["--record", str(record)]
        return infra(*parts, *common, *args)

    run.record = record
    return run


def revision_tags(live, arn: str) -> dict[str, str]:
    answer = live.client("ecs").describe_task_definition(taskDefinition=arn, include=["TAGS"])
    return tag_dict(answer.get("tags"), "key", "value")


def terraform_revision(live) -> str:
    """The revision Terraform registered (the one no deploy made)."""
    ecs = live.client("ecs")
    arns = ecs.list_task_definitions(familyPrefix=live.outputs["task_definition_family"])["taskDefinitionArns"]
    return next(a for a in arns if PREVIOUS_TAG not in revision_tags(live, a))


def new_image(live, seed: str | None = None) -> tuple[str, str]:
    """Push an image into the env's repository as CI's build would; (image reference, digest)."""
    seed = seed or uuid.uuid4().hex
    digest = push(live.client("ecr"), live.outputs["ecr_repository_name"], f"sha-{seed[:12]}", seed)
    return f"{live.outputs['ecr_repository_url']}@{digest}", digest


# --- promote -------------------------------------------------------------------------------------


@pytest.fixture
def staging_outputs(live, tmp_path):
    repository = f"rupaya-backend-staging-{uuid.uuid4().hex[:8]}"
    return registry_env(live.client("ecr"), "staging", repository, tmp_path / "staging-outputs.json")


def promote(live, *args: str, record=None) -> object:
    extra = ("--record", str(record)) if record else ()
    return infra("promote", *args, "--aws-endpoint", live.aws.endpoint, *extra)


def test_promote_copies_the_image_by_digest_with_its_tag_and_a_rerun_is_a_no_op(live, cli, outputs_file,
                                                                                  staging_outputs):
    _, digest = new_image(live)
    args = ("--from", "dev", "--to", "staging", "--digest", digest, "--from-outputs", str(outputs_file),
            "--outputs", str(staging_outputs))
    first = promote(live, *args, record=cli.record)
    assert first.returncode == 0, first.stderr
    assert f"{digest} copied to staging" in first.stdout
    ecr = live.client("ecr")
    repo = json.loads(staging_outputs.read_text())["ecr_repository_name"]["value"]
    source = ecr.describe_images(repositoryName=live.outputs["ecr_repository_name"],
                                 imageIds=[{"imageDigest": digest}])["imageDetails"][0]
    copied = ecr.describe_images(repositoryName=repo)["imageDetails"]
    # The same digest under the same tag: the very image CI built, nothing rebuilt.
    assert [(i["imageDigest"], i["imageTags"]) for i in copied] == [(digest, source["imageTags"])]

    again = promote(live, *args, record=cli.record)
    assert again.returncode == 0, again.stderr
    assert f"{digest} already in staging" in again.stdout
    assert len(ecr.describe_images(repositoryName=repo)["imageDetails"]) == 1
    steps = json.loads(cli.record.read_text())["steps"]
    assert [(s["step"], s["copied"]) for s in steps] == [("promote", True), ("promote", False)]


def test_promote_refuses_bad_digests_and_wrong_envs_and_writes_nothing(live, outputs_file, staging_outputs):
    files = ("--from-outputs", str(outputs_file), "--outputs", str(staging_outputs))
    missing = "sha256:" + "0" * 64
    assert_one_line_error(promote(live, "--from", "dev", "--to", "staging", "--digest", missing, *files),
                          f"{missing} is not in dev's repository")
    for bad in ("sha256:abc", "latest", "SHA256:" + "a" * 64):
        assert_one_line_error(promote(live, "--from", "dev", "--to", "staging", "--digest", bad, *files),
                              "is not sha256:<64")
    _, digest = new_image(live)
    assert_one_line_error(promote(live, "--from", "dev", "--to", "dev", "--digest", digest),
                          "--from and --to are both dev")
    assert_one_line_error(promote(live, "--from", "dev", "--to", "qa", "--digest", digest, *files),
                          "unknown environment 'qa'")
    swapped = ("--from-outputs", str(staging_outputs), "--outputs", str(outputs_file))
    assert_one_line_error(promote(live, "--from", "dev", "--to", "staging", "--digest", digest, *swapped),
                          "holds the outputs of `staging`, not of `dev`")
    repo = json.loads(staging_outputs.read_text())["ecr_repository_name"]["value"]
    assert live.client("ecr").describe_images(repositoryName=repo)["imageDetails"] == []


# --- deploy and rollback -------------------------------------------------------------------------


def test_deploy_changes_only_the_image_remembers_the_revision_and_rollback_walks_back(live, cli):
    ecs = live.client("ecs")
    start = current_revision(live)
    image_a, _ = new_image(live)
    image_b, digest_b = new_image(live)

    deployed = cli("deploy", "--image", image_a, "--poll", "0.2")
    assert deployed.returncode == 0, deployed.stderr
    rev_a = current_revision(live)
    assert rev_a != start and "is stable" in deployed.stdout
    before = ecs.describe_task_definition(taskDefinition=start)["taskDefinition"]
    after = ecs.describe_task_definition(taskDefinition=rev_a)["taskDefinition"]
    container = live.outputs["container_name"]
    (old,) = [c for c in before["containerDefinitions"] if c["name"] == container]
    (new,) = [c for c in after["containerDefinitions"] if c["name"] == container]
    assert new["image"] == image_a
    assert {**new, "image": None} == {**old, "image": None}  # secrets, env, ports, logs: all as they were
    for key in ("cpu", "memory", "taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities"):
        assert after.get(key) == before.get(key), key
    tags = revision_tags(live, rev_a)
    assert tags.pop(PREVIOUS_TAG) == start
    assert tags == revision_tags(live, terraform_revision(live))  # the stack's tags, so `infra down` finds it

    family = live.outputs["task_definition_family"]
    revisions = ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"]
    rerun = cli("deploy", "--image", image_a, "--poll", "0.2")
    assert rerun.returncode == 0 and "already runs" in rerun.stdout
    assert current_revision(live) == rev_a
    assert ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"] == revisions  # nothing registered

    by_digest = cli("deploy", "--digest", digest_b, "--poll", "0.2")  # the image in this env's repository
    assert by_digest.returncode == 0, by_digest.stderr
    rev_b = current_revision(live)
    assert running_image(live) == image_b
    back = cli("rollback", "--poll", "0.2")
    assert back.returncode == 0, back.stderr
    assert current_revision(live) == rev_a
    assert f"back from {rev_b.rsplit('/', 1)[1]} to {rev_a.rsplit('/', 1)[1]}" in back.stdout
    assert cli("rollback", "--poll", "0.2").returncode == 0
    assert current_revision(live) == start  # two rollbacks undo two deploys
    steps = [(s["step"], s.get("from"), s.get("to")) for s in json.loads(cli.record.read_text())["steps"]]
    assert steps[-2:] == [("rollback", rev_b.rsplit("/", 1)[1], rev_a.rsplit("/", 1)[1]),
                          ("rollback", rev_a.rsplit("/", 1)[1], start.rsplit("/", 1)[1])]


def test_rollback_with_nothing_to_go_back_to_says_so_and_changes_nothing(live, cli):
    """From the first release: before it was only Terraform's revision, whose image no build pushed."""
    ecs = live.client("ecs")
    first = live.first_release.after["service"]["taskDefinition"]
    assert revision_tags(live, first)[PREVIOUS_TAG] == "none"
    ecs.update_service(cluster=live.outputs["ecs_cluster_name"], service=live.outputs["ecs_service_name"],
                       taskDefinition=first)
    proc = cli("rollback", "--poll", "0.2")
    assert proc.returncode == 0, proc.stderr
    assert "nothing to roll back to" in proc.stdout
    assert current_revision(live) == first
    assert json.loads(cli.record.read_text())["steps"][-1]["detail"].startswith("nothing to roll back to")


def test_deploy_refuses_tags_foreign_repositories_and_missing_digests(live, cli, tmp_path):
    start = current_revision(live)
    url = live.outputs["ecr_repository_url"]
    assert_one_line_error(cli("deploy", "--image", f"{url}:latest"), "deploy by digest, never by tag")
    assert_one_line_error(cli("deploy"), "exactly one of --image and --digest")
    assert_one_line_error(cli("deploy", "--digest", "sha256:" + "1" * 64), "is not in dev's repository")
    assert_one_line_error(cli("deploy", "--image", f"{url}@sha256:{'1' * 64}"), "is not in dev's repository")
    foreign = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/other@sha256:{'2' * 64}"
    assert_one_line_error(cli("deploy", "--image", foreign), "is not dev's", "infra promote --to dev")
    image, _ = new_image(live)
    assert_one_line_error(cli("deploy", "--image", image, env="staging"), "outputs of `dev`, not of `staging`")
    assert_one_line_error(cli("deploy", "--image", image, env="qa"), "unknown environment 'qa'")
    broken = tmp_path / "broken.json"
    broken.write_text('{"environment": "dev"')
    assert_one_line_error(cli("deploy", "--image", image, outputs=broken), "not JSON")
    broken.write_text('{"environment": "dev"}')
    assert_one_line_error(cli("deploy", "--image", image, outputs=broken), "not the output of `terraform output -json`")
    partial = write(tmp_path / "partial.json", {"environment": "dev", "ecr_repository_url": url,
                                                "ecr_repository_name": live.outputs["ecr_repository_name"]})
    assert_one_line_error(cli("deploy", "--image", image, outputs=partial), "output `ecs_cluster_name` is missing")
    assert current_revision(live) == start  # none of it touched the service


# --- health --------------------------------------------------------------------------------------


def test_health_passes_against_a_healthy_service_and_fails_with_the_reason(live, cli, stand_in):
    stand_in.status = 200
    ok = cli("health", "--url", stand_in.url, "--deadline", "10", "--backoff", "0.1")
    assert ok.returncode == 0, ok.stderr
    assert "healthy: http: 200" in ok.stdout and "ecs: " in ok.stdout

    stand_in.status = 503
    bad = cli("health", "--url", stand_in.url, "--deadline", "1.5", "--backoff", "0.2")
    assert_one_line_error(bad, "dev is unhealthy", "HTTP 503", "gave up after", code=1)
    assert stand_in.hits >= 3  # it retried with backoff before giving up
    record = json.loads(cli.record.read_text())["steps"]
    assert [(s["step"], s["ok"]) for s in record] == [("health", True), ("health", False)]


def test_health_refuses_bad_urls_and_reports_an_unreachable_one(live, cli):
    from cli_run import closed_port

    assert_one_line_error(cli("health", "--url", "ftp://example.com/health"), "not an http(s) URL")
    assert_one_line_error(cli("health", "--deadline", "0"), "must be positive")
    down = cli("health", "--url", f"http://127.0.0.1:{closed_port()}/health", "--deadline", "1", "--backoff", "0.2")
    assert_one_line_error(down, "dev is unhealthy", "refused", code=1)


# --- flags ---------------------------------------------------------------------------------------


def hosted_versions(live) -> list[int]:
    out = live.outputs
    items = live.client("appconfig").list_hosted_configuration_versions(
        ApplicationId=out["flags_application_id"], ConfigurationProfileId=out["flags_profile_id"])["Items"]
    return sorted(v["VersionNumber"] for v in items)


def test_flags_write_validated_versions_and_deploy_them_with_the_tiers_strategy(live, cli, project):
    out, appconfig = live.outputs, live.client("appconfig")
    name = f"f{uuid.uuid4().hex[:6]}"
    before = hosted_versions(live)
    for args in (("enable", name), ("canary", f"{name}-c", "--percent", "25"),
                 ("ab", f"{name}-ab", "--variants", "red:30,blue:70"), ("disable", name)):
        proc = cli(f"flags {args[0]}", *args[1:], with_record=False)
        assert proc.returncode == 0, proc.stderr
    versions = hosted_versions(live)
    assert len(versions) == len(before) + 4
    latest = appconfig.get_hosted_configuration_version(
        ApplicationId=out["flags_application_id"], ConfigurationProfileId=out["flags_profile_id"],
        VersionNumber=versions[-1])
    document = json.loads(latest["Content"].read())
    assert document["flags"][name] == {"enabled": False}
    assert document["flags"][f"{name}-c"] == {"enabled": True, "rollout_percent": 25}
    assert document["flags"][f"{name}-ab"] == {"enabled": True, "variants": {"red": 30, "blue": 70}}
    deployments = appconfig.list_deployments(ApplicationId=out["flags_application_id"],
                                             EnvironmentId=out["flags_environment_id"])["Items"]
    newest = appconfig.get_deployment(ApplicationId=out["flags_application_id"],
                                      EnvironmentId=out["flags_environment_id"],
                                      DeploymentNumber=max(d["DeploymentNumber"] for d in deployments))
    assert newest["ConfigurationVersion"] == str(versions[-1])
    assert newest["DeploymentStrategyId"] == project.tiers["tiers"]["dev"]["feature_flags"]["deployment_strategy"]

    listed = cli("flags list", with_record=False)
    assert f"{name}: off" in listed.stdout and f"{name}-c: on, canary 25%" in listed.stdout
    assert f"{name}-ab: on, A/B red:30,blue:70" in listed.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("enable", "Bad Name"), "flag name 'Bad Name'"),
    (("enable", "9lives"), "flag name '9lives'"),
    (("canary", "x", "--percent", "101"), "outside 0-100"),
    (("canary", "x", "--percent", "-1"), "outside 0-100"),
    (("canary", "x", "--percent", "ten"), "not a whole number"),
    (("ab", "x", "--variants", "a:60,b:50"), "sum to 110, not 100"),
    (("ab", "x", "--variants", "a:100"), "at least two variants"),
    (("ab", "x", "--variants", "a:50,a:50"), "given twice"),
    (("ab", "x", "--variants", "a:50;b:50"), "not a whole number"),
    (("ab", "x", "--variants", "a50,b:50"), "not name:weight"),
    (("ab", "x", "--variants", "a:fifty,b:50"), "not a whole number"),
])
def test_a_bad_flag_change_is_refused_before_anything_is_written(live, cli, args, message):
    before = hosted_versions(live)
    assert_one_line_error(cli(f"flags {args[0]}", *args[1:], with_record=False), message)
    assert hosted_versions(live) == before


# --- migrate, with the database URL from the env's master secret -----------------------------------


def test_migrate_reads_the_credentials_from_the_envs_master_secret(live, cli, outputs_file, postgres, database_url,
                                                                   tmp_path):
    """The URL is built from the AWS-managed secret and the cluster's outputs. The emulator's cluster
    has no server behind it, so the secret is set to a real server's credentials and the outputs are
    pointed at that server: everything else is the path a workflow takes."""
    secrets, arn = live.client("secretsmanager"), live.outputs["db_master_user_secret_arn"]
    original = secrets.get_secret_value(SecretId=arn)["SecretString"]
    try:
        migrate_with_the_secret(live, cli, outputs_file, postgres, database_url, tmp_path)
    finally:  # the stack is shared: leave its secret as the tests of its ECS secrets expect it
        secrets.put_secret_value(SecretId=arn, SecretString=original)


def migrate_with_the_secret(live, cli, outputs_file, postgres, database_url, tmp_path):
    live.client("secretsmanager").put_secret_value(
        SecretId=live.outputs["db_master_user_secret_arn"],
        SecretString=json.dumps({"username": postgres.user, "password": postgres.password}))
    raw = json.loads(outputs_file.read_text())
    raw["platform"]["value"].update(db_endpoint=postgres.host, db_port=postgres.port,
                                    db_name=database_url.rsplit("/", 1)[1])
    local = tmp_path / "outputs-local-db.json"
    local.write_text(json.dumps(raw))
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "0001_create_t.sql").write_text("CREATE TABLE t (id int);")
    proc = cli("migrate", "--migrations", str(tmp_path / "m"), outputs=local)
    assert proc.returncode == 0, proc.stderr
    assert "applied 1 migration(s)" in proc.stdout

    live.client("secretsmanager").put_secret_value(SecretId=live.outputs["db_master_user_secret_arn"],
                                                   SecretString="not json")
    assert_one_line_error(cli("migrate", "--migrations", str(tmp_path / "m"), outputs=local),
                          "not a JSON document of username and password")


# --- the application's secrets: values from `infra secrets init`, never from Terraform ---------------


def test_secrets_init_sets_a_value_once_and_rotate_replaces_it(live, cli, outputs_file):
    secrets, arn = live.client("secretsmanager"), live.outputs["jwt_secret_arn"]
    first = cli("secrets init", with_record=False)
    assert first.returncode == 0, first.stderr
    value = secrets.get_secret_value(SecretId=arn)["SecretString"]
    assert len(value) == 64 and set(value) <= set(string.ascii_letters + string.digits + "-_")

    again = cli("secrets init", with_record=False)
    assert again.returncode == 0 and "has a value; left alone" in again.stdout, again.stdout + again.stderr
    assert secrets.get_secret_value(SecretId=arn)["SecretString"] == value

    rotated = cli("secrets init", "--rotate", with_record=False)
    assert rotated.returncode == 0 and "rotated" in rotated.stdout, rotated.stderr
    new = secrets.get_secret_value(SecretId=arn)["SecretString"]
    assert new != value and len(new) == 64
    # Neither value is in Terraform's state: it never saw them.
    state = live.stack.tf.run("show-state", ["show", "-json", "-no-color"]).stdout
    assert value not in state and new not in state


def test_secrets_init_names_a_missing_output_or_secret(live, cli, outputs_file, tmp_path):
    raw = json.loads(outputs_file.read_text())
    without = tmp_path / "no-jwt.json"
    without.write_text(json.dumps({**raw, "platform": {**raw["platform"], "value": {
        k: v for k, v in raw["platform"]["value"].items() if k != "jwt_secret_arn"}}}))
    assert_one_line_error(cli("secrets init", outputs=without, with_record=False), "`jwt_secret_arn` is missing")

    gone = tmp_path / "gone.json"
    arn = live.outputs["jwt_secret_arn"]
    gone.write_text(json.dumps({**raw, "platform": {**raw["platform"], "value": {
        **raw["platform"]["value"], "jwt_secret_arn": arn.replace("/jwt-", "/no-such-secret-")}}}))
    assert_one_line_error(cli("secrets init", outputs=gone, with_record=False), "does not exist")
