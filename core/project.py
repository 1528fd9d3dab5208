"""Where things are: the repository, its Terraform tree, the env roots and infra's own state."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.errors import InfraError
from core.tiers import load_tiers

REPO_ROOT = Path(__file__).resolve().parents[1]

# Roots that are not tiers: applied once per account, before any env.
BOOTSTRAP = "bootstrap"


@dataclass(frozen=True)
class Project:
    """A checkout of this repository, or a copy of its Terraform tree (tests use broken copies)."""

    terraform_dir: Path
    state_dir: Path

    @classmethod
    def discover(cls, terraform_dir: str | os.PathLike | None = None) -> Project:
        tf = Path(terraform_dir or os.environ.get("INFRA_TERRAFORM_DIR") or REPO_ROOT / "terraform")
        if not (tf / "tiers.yaml").is_file():
            raise InfraError(f"{tf}: not a Terraform tree of this project (no tiers.yaml in it)")
        state = Path(os.environ.get("INFRA_STATE_DIR") or REPO_ROOT / ".infra")
        return cls(terraform_dir=tf.resolve(), state_dir=state.resolve())

    @property
    def tiers_file(self) -> Path:
        return self.terraform_dir / "tiers.yaml"

    @cached_property
    def tiers(self) -> dict:
        return load_tiers(self.tiers_file)

    @cached_property
    def envs(self) -> list[str]:
        """The env names, in tier order (dev, staging, prod): the keys of tiers.yaml, each with its
        root under envs/. A root that is no tier would never be planned or checked: refused."""
        names = list(self.tiers["tiers"])
        envs_dir = self.terraform_dir / "envs"
        roots = sorted(p.name for p in envs_dir.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            if envs_dir.is_dir() else []
        strays = [name for name in roots if name not in names]
        if strays:
            raise InfraError(f"{envs_dir / strays[0]}: a Terraform root that is not a tier in {self.tiers_file.name} "
                             f"({', '.join(names)}): add the tier, or move the directory out of envs/, so that "
                             "nothing is left unchecked")
        return names

    @property
    def delivery(self) -> dict[str, dict]:
        """Each env's `delivery` section (which git events deploy it), in tier order."""
        return {env: tier["delivery"] for env, tier in self.tiers["tiers"].items()}

    def env_dir(self, env: str) -> Path:
        return self.root_dir(self.check_env(env))

    def root_dir(self, root: str) -> Path:
        path = self.terraform_dir / BOOTSTRAP if root == BOOTSTRAP else self.terraform_dir / "envs" / root
        if not path.is_dir():
            raise InfraError(f"{path}: Terraform root for '{root}' is missing (every tier in "
                             f"{self.tiers_file.name} needs one)")
        return path

    def check_env(self, env: str) -> str:
        if env not in self.envs:
            raise InfraError(f"unknown environment '{env}': choose one of {', '.join(self.envs)}")
        return env

    def resolve_envs(self, env: str | None) -> list[str]:
        """`None` or 'all' means every env; anything else must name one."""
        if env in (None, "all"):
            return self.envs
        return [self.check_env(env)]
