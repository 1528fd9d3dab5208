"""The real-AWS lane (`make test-aws`): the live suites applied to a sandbox account, not the emulator.

    .venv/bin/python tests/aws_lane.py [--envs dev,prod] [--aws-endpoint URL] [-- PYTEST_ARGS...]

Credentials come from the environment (a profile, keys, or the scheduled workflow's OIDC role). They
are checked first with sts:GetCallerIdentity: with none, or refused ones, the lane ends at once with
one line and nothing created. Then the same fixtures as `make test-integration` apply each env from
a private work copy, run the live tests, destroy it and search the account for anything still tagged
as the env's; a leftover fails the lane, and so does one found by the final inventory here.

`--aws-endpoint` runs the same wiring against an emulator instead (its fake credentials), which is how
the default suite tests the lane without an account. Each env costs money on AWS: dev by default.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from core.aws import AwsSession  # noqa: E402
from core.project import Project  # noqa: E402
from infra import inventory  # noqa: E402 (the repository's own packages, importable from the path above)
from infra.stack import scope_tags  # noqa: E402

LANE = "make test-aws"
SUITE = "tests/integration/test_env_live.py"


def fail(message: str) -> None:
    print(f"{LANE}: {message}", file=sys.stderr)
    raise SystemExit(2)


def caller(endpoint: str | None) -> str:
    """The account the credentials reach, or one line and exit 2."""
    try:
        return AwsSession(endpoint).client("sts").get_caller_identity()["Account"]
    except NoCredentialsError:
        fail("no AWS credentials in the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
             "or the aws-sandbox workflow's OIDC role); nothing was created")
    except ClientError as exc:
        fail(f"the credentials were refused ({exc.response.get('Error', {}).get('Code', 'error')}); "
             "nothing was created")
    except BotoCoreError as exc:
        fail(f"cannot reach {endpoint or 'AWS STS'} ({type(exc).__name__}); nothing was created")
    raise AssertionError("unreachable")


def leftovers(project: Project, envs: list[str], endpoint: str | None) -> list[str]:
    aws = AwsSession(endpoint)
    return [f"{env}: {found.type} {found.name}" for env in envs
            for found in inventory.take(aws, scope_tags(project, env)).found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tests/aws_lane.py", description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default=os.environ.get("INFRA_TEST_ENVS", "dev"),
                        help="comma-separated envs to apply (default: dev, the cheapest)")
    parser.add_argument("--aws-endpoint", help="an emulator to run the lane's wiring against instead of AWS")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    project = Project.discover(REPO_ROOT / "terraform")
    envs = [e.strip() for e in args.envs.split(",") if e.strip()]
    for env in envs:
        if env not in project.envs:
            fail(f"unknown env '{env}' in --envs: choose from {', '.join(project.envs)}")
    account = caller(args.aws_endpoint)
    print(f"{LANE}: account {account} on {args.aws_endpoint or 'AWS'}; envs {', '.join(envs)}", flush=True)
    target = ["--aws-endpoint", args.aws_endpoint] if args.aws_endpoint else ["--real-aws"]
    markers = "apply" if envs == ["dev"] else "apply or integration"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", SUITE, "-m", markers, *target, *args.pytest_args],
        cwd=REPO_ROOT, env={**os.environ, "INFRA_TEST_ENVS": ",".join(envs)}, check=False,
    )
    if "--collect-only" in args.pytest_args or "--co" in args.pytest_args:
        return proc.returncode
    left = leftovers(project, envs, args.aws_endpoint)
    if left:
        print(f"{LANE}: the account still holds what the lane created: " + "; ".join(left), file=sys.stderr)
        return 1
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
