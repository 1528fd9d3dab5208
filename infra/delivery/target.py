"""The env a delivery command acts on: its Terraform outputs and the AWS endpoint they live at.

Outputs come from one of two places:

- `--outputs FILE`: the JSON of `terraform output -json` in the env's root (what a workflow has
  after its apply; `-` reads stdin). AWS is then the real one unless an endpoint is given.
- otherwise, the env's stack in this checkout (what `infra up --env ENV` applied to the emulator),
  on the endpoint it was applied to.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import reading
from core.aws import AwsSession
from core.errors import InfraError
from infra.stack import merge_platform


@dataclass
class Target:
    env: str
    outputs: dict
    aws: AwsSession
    source: str  # where the outputs came from, for messages

    def out(self, name: str):
        """One output; a missing one is an error naming it and where it was looked for."""
        value = self.outputs.get(name)
        if value is None or value == "":
            raise InfraError(
                f"{self.env}: the Terraform output `{name}` is missing from {self.source}; "
                "apply the env with this version of terraform/ first"
            )
        return value


def flatten(raw: dict) -> dict:
    """`terraform output -json` document -> {name: value}, with the env's `platform` object merged in."""
    return merge_platform({name: entry["value"] for name, entry in raw.items()})


def read_outputs_file(path: str) -> tuple[dict, str]:
    """Parse a `terraform output -json` file ("-" is stdin); say clearly what is wrong with a bad one."""
    where = reading.display(path)
    raw = reading.read_json(path, "outputs file (`terraform output -json`)")
    if not isinstance(raw, dict) or not all(isinstance(v, dict) and "value" in v for v in raw.values()):
        raise InfraError(f'{where}: not the output of `terraform output -json` (every entry needs a "value")')
    if not raw:
        raise InfraError(f"{where}: no outputs at all; was the env applied?")
    return flatten(raw), where


def require_outputs_of(outputs: dict, env: str, source: str) -> None:
    """Outputs of another env than the one named would send a deploy to the wrong place."""
    actual = outputs.get("environment")
    if actual is not None and actual != env:
        raise InfraError(f"{source} holds the outputs of `{actual}`, not of `{env}`")
