"""Work copies of Terraform roots, pointed at an emulator by an override file.

The committed `.tf` files are the real-AWS configuration. To run a root against an emulator, infra
copies the Terraform tree into its state dir and adds one `*_override.tf` file to the root, in the
manner of LocalStack's tflocal: it sets fake credentials, sends every service to the emulator's
endpoint and swaps the S3 backend for a local (or emulator-hosted S3) one. The copy keeps its
`.terraform` directory between runs, so repeated plans do not re-initialise from scratch, and the
state lives outside the copy, so refreshing the copy never loses it.
"""

from __future__ import annotations

import filecmp
import shutil
from dataclasses import dataclass
from pathlib import Path

from core.endpoint_settings import for_service
from core.project import BOOTSTRAP, Project
from policy.inputs import EMULATOR_INPUTS_NAME, check_inputs, write_emulator_inputs

OVERRIDE_NAME = "infra_emulator_override.tf"
TEARDOWN_OVERRIDE_NAME = "infra_teardown_override.tf"

# Services the stack talks to, by the provider's `endpoints` argument names.
ENDPOINT_SERVICES = (
    "acm", "appautoscaling", "appconfig", "cloudwatch", "dynamodb", "ec2", "ecr", "ecs", "elasticache",
    "elbv2", "events", "iam", "kms", "logs", "rds", "route53", "s3", "secretsmanager", "servicequotas", "sns",
    "sqs", "ssm", "sts",
)
# The provider's endpoint key -> the boto3 (botocore) service name, where they differ: a per-service
# SDK setting (AWS_ENDPOINT_URL_<SERVICE>) is looked up by the latter, as tflocal does.
BOTO3_NAMES = {"appautoscaling": "application-autoscaling", "servicequotas": "service-quotas"}

_SKIP_DIRS = {".terraform"}


def _skip(path: Path) -> bool:
    name = path.name
    return name.endswith((".tfstate", ".tfstate.backup", ".tfplan", "_override.tf")) or name == EMULATOR_INPUTS_NAME


def sync_tree(src: Path, dst: Path) -> None:
    """Make dst a copy of src's Terraform files, leaving dst's .terraform dirs and overrides alone."""
    dst.mkdir(parents=True, exist_ok=True)
    src_names = set()
    for entry in src.iterdir():
        if entry.name in _SKIP_DIRS or _skip(entry):
            continue
        src_names.add(entry.name)
        target = dst / entry.name
        if entry.is_dir():
            if target.exists() and not target.is_dir():
                target.unlink()
            sync_tree(entry, target)
        elif not target.is_file() or not filecmp.cmp(entry, target, shallow=False):
            if target.is_dir():
                shutil.rmtree(target)
            shutil.copy2(entry, target)
    for stale in dst.iterdir():
        if stale.name not in src_names and stale.name not in _SKIP_DIRS and not _skip(stale):
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()


def override_hcl(endpoint: str | None, backend: str) -> str:
    if endpoint is None:  # AWS itself (the real-AWS test lane): the caller's credentials, local state
        return f"""# Written by infra: this root runs against AWS itself, its state kept locally. Never committed.
terraform {{
{backend}
}}
"""
    endpoints = "\n".join(f'    {svc:<15} = "{for_service(endpoint, BOTO3_NAMES.get(svc, svc))}"'
                          for svc in ENDPOINT_SERVICES)
    return f"""# Written by infra: points this root at the AWS emulator at {endpoint}. Never committed.
provider "aws" {{
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  # The emulator answers sts:GetCallerIdentity; without the account id, ARNs built by the
  # provider have an empty account field and tag look-ups by ARN never match.
  skip_requesting_account_id = false
  s3_use_path_style          = true
  # Calls the emulator does not implement fail in seconds instead of retrying for minutes.
  max_retries = 2

  endpoints {{
{endpoints}
  }}
}}

terraform {{
{backend}
}}
"""


# Deletion protection is the point of prod's tier, so the committed config never turns it off.
# Tearing an emulator stack down does it the way an operator would on AWS: one apply that switches
# the protection off (this override of the env root's `tier` local), then the destroy. Secrets go
# without a recovery window: a teardown means gone, and a secret in its window keeps its name taken,
# so the env could not be applied again for days.
TEARDOWN_HCL = """# Written by infra for a teardown: deletion protection off, then destroy. Never committed.
locals {
  tier = merge(local.tiers.tiers[var.environment], {
    database      = merge(local.tiers.tiers[var.environment].database, { deletion_protection = false })
    load_balancer = merge(local.tiers.tiers[var.environment].load_balancer, { deletion_protection = false })
    security      = merge(local.tiers.tiers[var.environment].security, { secret_recovery_window_days = 0 })
    teardown      = { ecr_force_delete = true } # the registry may hold images `infra promote` copied in
  })
}
"""


def enable_teardown(ws: Workspace) -> None:
    """Switch deletion protection off in an env root's work copy (see TEARDOWN_HCL)."""
    if ws.root == BOOTSTRAP:
        return  # bootstrap's guard is force_destroy, a variable the caller sets
    (ws.dir / TEARDOWN_OVERRIDE_NAME).write_text(TEARDOWN_HCL)


def local_backend(state_file: Path) -> str:
    return f'  backend "local" {{\n    path = "{state_file}"\n  }}'


def s3_backend(endpoint: str, bucket: str, key: str, kms_key_id: str, region: str = "us-east-1") -> str:
    """The real S3 backend with locking and the state key, its endpoints sent to the emulator.

    kms_key_id is required: the bootstrap bucket's policy refuses any PutObject that is not SSE-KMS.
    """
    return (
        '  backend "s3" {\n'
        f'    bucket                      = "{bucket}"\n'
        f'    key                         = "{key}"\n'
        f'    region                      = "{region}"\n'
        "    use_lockfile                = true\n"
        "    encrypt                     = true\n"
        f'    kms_key_id                  = "{kms_key_id}"\n'
        "    use_path_style              = true\n"
        '    access_key                  = "test"\n'
        '    secret_key                  = "test"\n'
        "    skip_credentials_validation = true\n"
        "    skip_metadata_api_check     = true\n"
        "    skip_region_validation      = true\n"
        "    skip_requesting_account_id  = true\n"
        f'    endpoints = {{\n      s3  = "{for_service(endpoint, "s3")}"\n'
        f'      sts = "{for_service(endpoint, "sts")}"\n    }}\n'
        "  }"
    )


@dataclass(frozen=True)
class Workspace:
    """One root (an env or bootstrap) of one work copy, e.g. .infra/work/emulator/envs/dev."""

    root: str
    endpoint: str | None  # the emulator's (or another endpoint's) URL; None: AWS itself
    dir: Path
    state_file: Path
    log_dir: Path
    plan_file: Path
    plan_json: Path


def prepare(
    project: Project, root: str, endpoint: str | None, label: str = "emulator", backend: str | None = None
) -> Workspace:
    """Refresh the work copy `label`, point `root` in it at the emulator, and give it stand-ins for
    the operator's inputs (policy.inputs). With no endpoint, the copy runs against AWS itself: the
    operator's inputs must then all be given (one line names what is missing)."""
    if endpoint is None:
        check_inputs(project, root)
    base = project.state_dir / "work" / label
    project.root_dir(root)  # fails clearly when the root is missing
    sync_tree(project.terraform_dir, base / "terraform")
    rel = Path(BOOTSTRAP) if root == BOOTSTRAP else Path("envs") / root
    root_dir = base / "terraform" / rel
    state_file = base / "state" / f"{root}.tfstate"
    state_file.parent.mkdir(parents=True, exist_ok=True)
    (root_dir / OVERRIDE_NAME).write_text(override_hcl(endpoint, backend or local_backend(state_file)))
    (root_dir / TEARDOWN_OVERRIDE_NAME).unlink(missing_ok=True)
    if endpoint is None:
        (root_dir / EMULATOR_INPUTS_NAME).unlink(missing_ok=True)
    else:
        write_emulator_inputs(project, root, root_dir, endpoint)
    plans = base / "plans"
    plans.mkdir(parents=True, exist_ok=True)
    logs = base / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return Workspace(
        root=root, endpoint=endpoint, dir=root_dir, state_file=state_file, log_dir=logs,
        plan_file=plans / f"{root}.tfplan", plan_json=plans / f"{root}.plan.json",
    )
