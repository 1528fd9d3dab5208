"""The repository's Terraform tree copied for a test that may break it (the `terraform_copy` fixture)."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.project import REPO_ROOT


def copy_terraform(dst: Path) -> Path:
    """A copy of terraform/ at `dst`, without init output or state."""
    shutil.copytree(REPO_ROOT / "terraform", dst, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    return dst
