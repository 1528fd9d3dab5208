"""Apply one root to an AWS endpoint, plan it again, and tear it down with nothing left behind.

`infra up/down/verify`, the pytest harness (the `terraform_env` fixture) and the benchmark are thin
layers over `Stack`. What the harnesses users know (terratest, tftest, pytest-terraform) get wrong
is handled here:

- a failed apply still ends in a destroy of whatever was created (`applied()`);
- a failed destroy keeps the state file and names it, so nothing is lost and it can be retried;
- after a destroy the account is searched for anything still tagged as the stack's (`inventory`),
  so a resource Terraform lost track of is reported by name instead of lingering.

Deletion protection is lifted the way an operator would on AWS: one targeted apply with the
teardown override (`workspace.enable_teardown`), then the destroy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core import reading
from core.aws import AwsSession
from core.errors import InfraError
from core.project import BOOTSTRAP, Project
from core.scope import stack_scope
from infra import inventory
from infra.deploy_revisions import retire_deploy_revisions
from infra.terraform import PlanSummary, Progress, StepFailed, Terraform
from infra.toolchain import Toolchain
from infra.workspace import TEARDOWN_OVERRIDE_NAME, Workspace, enable_teardown, prepare
from policy.hcl.tfvars import check_tfvars, variable_default

# The work copy stacks live in, apart from the gate's plans (label "emulator"): `infra up`, `verify`
# and `down` and the test harness share it, so the CLI can verify what a test fixture applied.
STACK_LABEL = "stack"
# Resource types whose deletion is guarded by an argument the teardown lifts first (deletion
# protection, force_destroy, a secret's recovery window, a registry's force_delete).
PROTECTED_TYPES = (
    "aws_rds_cluster", "aws_db_instance", "aws_lb", "aws_s3_bucket", "aws_secretsmanager_secret", "aws_ecr_repository",
)
# Bootstrap's guard is a variable, not tiers.yaml: its state bucket refuses deletion while it
# holds state versions unless force_destroy is set.
BOOTSTRAP_TEARDOWN_VARS = ("-var", "force_destroy=true")


class TeardownFailed(InfraError):
    """The destroy failed or left resources behind; the state file is kept."""


@dataclass
class Replan:
    """A second plan after an apply: exit code 0 means nothing to change (idempotent)."""

    exit_code: int
    summary: PlanSummary
    changes: list[str]  # "address (actions)" of every planned change

    @property
    def empty(self) -> bool:
        return self.exit_code == 0


def scope_tags(project: Project, root: str) -> dict[str, str | None]:
    """The default_tags that mark what a root creates (see each root's versions.tf)."""
    values = check_tfvars(project.root_dir(root))
    name = values.get("project") or variable_default(project.root_dir(root), "project")
    if not name:
        raise InfraError(f"{project.root_dir(root)}: no `project` value, so the stack's tags are unknown")
    return stack_scope(name, root, bootstrap=root == BOOTSTRAP)


def merge_platform(outputs: dict) -> dict:
    """{name: value} of a root's outputs, with an env root's `platform` object merged in at the top."""
    platform = outputs.get("platform")
    return {**outputs, **platform} if isinstance(platform, dict) else outputs


class Stack:
    """One root (an env or bootstrap) of one work copy, pointed at one endpoint."""

    def __init__(
        self,
        project: Project,
        toolchain: Toolchain,
        root: str,
        endpoint: str | None,
        progress: Progress | None = None,
        *,
        label: str = STACK_LABEL,
        backend: str | None = None,
        state_location: str | None = None,
    ):
        if root != BOOTSTRAP:
            project.check_env(root)
        self.project = project
        self.root = root
        self.endpoint = endpoint
        self.progress = progress or Progress()
        self.scope = scope_tags(project, root)
        self.workspace: Workspace = prepare(project, root, endpoint, label=label, backend=backend)
        self.tf = Terraform(toolchain, self.workspace, self.progress)
        self.aws = AwsSession(endpoint)
        # Where the state lives, for messages: the local file, or the remote backend's object.
        self.state_location = state_location or str(self.workspace.state_file)
        self.plan: dict | None = None  # the plan JSON of the last apply
        self._initialised = False

    @property
    def where(self) -> str:
        """The endpoint, or "AWS" for AWS itself: for messages."""
        return self.endpoint or "AWS"

    # --- the steps -------------------------------------------------------------------------------

    def init(self) -> None:
        if not self._initialised:
            self.tf.init()
            self._initialised = True

    def apply(self, extra: tuple[str, ...] = ()) -> None:
        """Plan, then apply exactly that plan file; `self.plan` keeps its JSON (what was applied)."""
        self.init()
        self.tf.plan(extra)
        self.plan = reading.read_json(self.workspace.plan_json, "plan JSON")
        self.tf.apply((str(self.workspace.plan_file),))

    def outputs(self) -> dict:
        """The root's outputs; an env root's `platform` output is flattened into the result."""
        self.init()
        return merge_platform(self.tf.outputs())

    def replan(self) -> Replan:
        """terraform plan -detailed-exitcode after an apply (0: no changes, 2: changes)."""
        self.init()
        plan_file = self.workspace.plan_file.with_name(f"{self.root}.replan.tfplan")
        proc = self.tf.run(
            "replan",
            ["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-out={plan_file}"],
            ok_codes=(0, 2),
        )
        doc = json.loads(self.tf.run("show-replan", ["show", "-json", str(plan_file)]).stdout)
        changes = [
            f"{rc['address']} ({'/'.join(rc['change']['actions'])})"
            for rc in doc.get("resource_changes", [])
            if rc["change"]["actions"] not in (["no-op"], ["read"])
        ]
        return Replan(proc.returncode, PlanSummary.from_plan_json(doc), changes)

    def state_addresses(self) -> list[str]:
        """What the state holds (empty when there is no state yet)."""
        self.init()
        proc = self.tf.run("state-list", ["state", "list"], ok_codes=(0, 1))
        if proc.returncode != 0:
            if "No state file was found" in proc.stderr:
                return []
            raise StepFailed(self.root, "state list", proc.stderr.strip().splitlines()[-1], None)
        return [line for line in proc.stdout.splitlines() if line.strip()]

    def take_inventory(self) -> inventory.Inventory:
        return inventory.take(self.aws, self.scope)

    def destroy(self) -> inventory.Inventory:
        """Lift deletion protection, destroy, and return what is still tagged as the stack's.

        Raises TeardownFailed, naming the kept state file, when the destroy fails or leaves resources.
        """
        self.init()
        extra = BOOTSTRAP_TEARDOWN_VARS if self.root == BOOTSTRAP else ()
        try:
            addresses = self.state_addresses()
            protected = [a for a in addresses if resource_type(a) in PROTECTED_TYPES]
            if protected:
                if self.root != BOOTSTRAP:
                    enable_teardown(self.workspace)
                targets = tuple(arg for addr in protected for arg in ("-target", addr))
                with self.progress.step(self.root, "lift deletion protection"):
                    self.tf.run("unprotect", ["apply", "-input=false", "-no-color", "-auto-approve", *extra, *targets])
            if addresses:
                self._retire_deploy_revisions()
                try:
                    self.tf.destroy(extra)
                except StepFailed as first:
                    # A destroy is idempotent, and a second one is what an operator would try: it
                    # clears races such as moto answering InvalidPermission.NotFound for a rule that
                    # a concurrent revoke of the same group already removed.
                    self.progress.say(f"xx {self.root}: {first.reason}; destroying again")
                    self.tf.destroy(extra)
        except StepFailed as exc:
            raise TeardownFailed(f"{exc}; state kept at {self.state_location}") from None
        finally:
            (self.workspace.dir / TEARDOWN_OVERRIDE_NAME).unlink(missing_ok=True)
        left = self.take_inventory()
        remaining = self.state_addresses()
        if left.found or remaining:
            names = left.describe() or "\n".join(f"  {a}" for a in remaining)
            raise TeardownFailed(
                f"{self.root}: destroy left resources behind:\n{names}\nstate kept at {self.state_location}"
            )
        return left

    def _retire_deploy_revisions(self) -> None:
        """Deregister the task-definition revisions `infra deploy` registered; Terraform knows only its own.

        Should this fail, the destroy goes on: the leftover inventory then names those revisions
        (they carry the stack's tags), so nothing is lost silently.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        if self.root == BOOTSTRAP:
            return
        try:
            family = self.outputs().get("task_definition_family")
            retired = retire_deploy_revisions(self.aws, family, self.scope) if family else []
        except (StepFailed, ClientError, BotoCoreError) as exc:
            self.progress.say(f"xx {self.root}: could not deregister the revisions deploys made: {exc}")
            return
        if retired:
            self.progress.say(f"   {self.root}: deregistered {len(retired)} revision(s) made by deploys")


def resource_type(address: str) -> str:
    """The managed resource type of a state address ("" for a data source).

    module.platform.module.load_balancer.aws_lb.this[0] -> aws_lb
    """
    parts = re.sub(r"\[[^\]]*\]", "", address).split(".")
    while parts[:1] == ["module"] and len(parts) > 2:
        parts = parts[2:]
    return parts[0] if len(parts) == 2 and parts[0] != "data" else ""


@contextmanager
def applied(stack: Stack, apply_extra: tuple[str, ...] = ()) -> Iterator[Stack]:
    """Apply the stack for the length of the block, and destroy it afterwards, whatever happens.

    A failed apply is destroyed too (what it created is in the state), then re-raised. A failed
    destroy raises TeardownFailed naming the kept state; it never hides the block's own error.
    """
    try:
        stack.apply(apply_extra)
        yield stack
    except BaseException:
        try:
            stack.destroy()
        except TeardownFailed as teardown:
            stack.progress.say(f"xx {stack.root}: {teardown}")
        raise
    else:
        stack.destroy()
