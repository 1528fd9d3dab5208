"""The Terraform binary and where it gets the hashicorp/aws provider from.

Online, Terraform downloads the provider from the registry and nothing here interferes. Offline,
it needs a filesystem mirror. The project never names a mirror path in its files; it is chosen by
one documented setting, `TF_PROVIDER_MIRROR`:

- `TF_PROVIDER_MIRROR=/path/to/mirror`: use that mirror (it must hold registry.terraform.io/hashicorp/aws);
- `TF_PROVIDER_MIRROR=none`: never use a mirror;
- unset: if you have your own Terraform CLI config (TF_CLI_CONFIG_FILE or ~/.terraformrc), it rules.
  Otherwise, when the registry does not answer, the local filesystem is searched once for a mirror
  (the result is remembered in .infra/ and printed), so a fresh offline checkout still works.

When a mirror is used, infra writes a CLI config into its state dir and points TF_CLI_CONFIG_FILE at
it for the terraform processes it starts; `infra toolchain env` prints that export for your shell.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core import reading
from core.errors import InfraError

MIN_TERRAFORM = (1, 11)
PROVIDER = "registry.terraform.io/hashicorp/aws"
REGISTRY_HOST = "registry.terraform.io"


@dataclass(frozen=True)
class Toolchain:
    terraform: str
    version: str
    mirror: Path | None
    cli_config: Path | None
    mirror_origin: str  # how the mirror was chosen, for `infra toolchain` and progress output

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a terraform subprocess."""
        env = dict(os.environ if base is None else base)
        env.update(TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
        if self.cli_config is not None:
            env["TF_CLI_CONFIG_FILE"] = str(self.cli_config)
        return env


def find_terraform() -> tuple[str, str]:
    """The terraform binary (TERRAFORM overrides PATH) and its version, checked against the minimum."""
    name = os.environ.get("TERRAFORM", "terraform")
    binary = shutil.which(name)
    if binary is None:
        raise InfraError(
            f"terraform not found ('{name}' is not on PATH): install Terraform "
            f">= {'.'.join(map(str, MIN_TERRAFORM))} or set TERRAFORM=/path/to/terraform"
        )
    try:
        out = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        raise InfraError(f"{binary}: cannot run terraform ({exc.strerror})") from None
    match = re.search(r"Terraform v(\d+)\.(\d+)\.(\d+)", out.stdout)
    if not match:
        raise InfraError(f"{binary}: does not look like terraform (`terraform version` printed no version)")
    if tuple(map(int, match.groups()[:2])) < MIN_TERRAFORM:
        raise InfraError(f"{binary}: Terraform {'.'.join(match.groups())} is too old; this project needs >= 1.11")
    return binary, ".".join(match.groups())


def is_mirror(path: Path) -> bool:
    return (path / PROVIDER).is_dir()


def registry_reachable(timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((REGISTRY_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def search_mirror() -> Path | None:
    """A bounded search of the local filesystem for a directory laid out as a provider mirror."""
    try:
        out = subprocess.run(
            ["find", "/", "-xdev", "-maxdepth", "6", "-type", "d", "-path", f"*/{PROVIDER}"],
            capture_output=True, text=True, timeout=60, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in sorted(out.stdout.splitlines()):
        # .../<mirror>/registry.terraform.io/hashicorp/aws -> <mirror>
        candidate = Path(line).parents[2]
        if is_mirror(candidate) and ".terraform" not in candidate.parts:
            return candidate
    return None


def user_cli_config() -> Path | None:
    configured = os.environ.get("TF_CLI_CONFIG_FILE")
    for path in ([Path(configured)] if configured else []) + [Path.home() / ".terraformrc"]:
        if path.is_file():
            return path
    return None


def resolve_mirror(state_dir: Path) -> tuple[Path | None, str]:
    setting = os.environ.get("TF_PROVIDER_MIRROR")
    if setting is not None:
        if setting.strip().lower() in ("", "none"):
            return None, "TF_PROVIDER_MIRROR=none"
        path = Path(setting).expanduser().resolve()
        if not is_mirror(path):
            raise InfraError(f"TF_PROVIDER_MIRROR={setting}: no {PROVIDER} provider under it")
        return path, "TF_PROVIDER_MIRROR"
    if user_cli_config() is not None:
        return None, f"your Terraform CLI config ({user_cli_config()})"
    remembered = state_dir / "provider-mirror"
    if remembered.is_file():
        path = Path(remembered.read_text().strip())
        if is_mirror(path):
            return path, f"found offline earlier (remembered in {remembered})"
    if registry_reachable():
        return None, "the public registry"
    path = search_mirror()
    if path is None:
        raise InfraError(
            f"{REGISTRY_HOST} is unreachable and no provider mirror was found: "
            "set TF_PROVIDER_MIRROR to a directory that holds registry.terraform.io/hashicorp/aws"
        )
    state_dir.mkdir(parents=True, exist_ok=True)
    reading.write_text(remembered, f"{path}\n", "the remembered mirror")
    return path, "found offline by searching the filesystem"


def write_cli_config(mirror: Path, state_dir: Path) -> Path:
    """A CLI config that takes hashicorp/aws from the mirror and everything else from the registry."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "terraform.rc"
    text = (
        "# Written by infra from TF_PROVIDER_MIRROR (or an offline search); do not edit.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f'    include = ["{PROVIDER}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{PROVIDER}"]\n'
        "  }\n"
        "}\n"
    )
    if not path.is_file() or path.read_text() != text:
        # Whole or not at all: the test lanes (and two shells) may load the toolchain at the same moment.
        reading.write_text(path, text, "the Terraform CLI config")
    return path


def load_toolchain(state_dir: Path) -> Toolchain:
    terraform, version = find_terraform()
    mirror, origin = resolve_mirror(state_dir)
    config = write_cli_config(mirror, state_dir) if mirror else None
    return Toolchain(terraform=terraform, version=version, mirror=mirror, cli_config=config, mirror_origin=origin)
