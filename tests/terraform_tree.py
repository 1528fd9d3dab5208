"""The repository's Terraform tree copied for a test that may break it (the `terraform_copy` fixture)."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.project import REPO_ROOT


def copy_terraform(dst: Path) -> Path:
    """A copy of terraform/ at `dst`, without init output, state or the override files `infra` writes
    (the committed lock files stay: they pin the provider the copy initialises)."""
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf")
    shutil.copytree(REPO_ROOT / "terraform", dst, ignore=ignore)
    return dst
