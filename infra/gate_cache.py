"""The gate's cache: a row (a root, the modules, the workflows) runs again only when something it reads
changed; otherwise its last result is shown again, marked as such.

A row's key is a SHA-256 over the content of exactly what its steps read, so a wrong hit needs a
changed input this list misses (tests/test_gate_cache.py changes each kind and expects a re-run):
- the root's own files and those of every local module it calls, transitively;
- `terraform/tiers.yaml`, and the workflows under `.github/` (the OIDC rule reads their environments);
- the code that judges: every file of `core/`, `policy/` (rules, data, suppressions) and `infra/`;
- the tools: Terraform's version, the provider mirror's listing, `constraints.txt` and
  `constraints-checkov.txt` (which pin checkov, trivy and the linters), and overridden tool paths;
- the settings that change a verdict: `TF_VAR_*`, `INFRA_EMULATOR_STRICT`, whether scanners run, the
  endpoint the plans go to.

Only rows that passed are kept: a failure may come from the machine (a missing tool, an endpoint that
went away) rather than from the tree, so a failing row runs again every time.

Entries live in `<state dir>/cache/gate/<row>.pickle`, one a row (the newest), written by this program
into the user's own state directory; `--no-cache` ignores them.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.project import REPO_ROOT, Project

FORMAT = 1  # bump when what a cached result holds changes shape
_SETTINGS = re.compile(r"^(TF_VAR_.+|INFRA_EMULATOR_STRICT|INFRA_CHECKOV|INFRA_TRIVY|TERRAFORM)$")
_SKIP_DIRS = {".terraform", "__pycache__", ".pytest_cache"}
_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.MULTILINE)


def _files(root: Path) -> Iterable[Path]:
    if root.is_file():
        yield root
        return
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            if not name.endswith((".tfstate", ".tfstate.backup", ".pyc")):
                yield Path(dirpath) / name


class _Hash:
    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def text(self, label: str, value: Any) -> None:
        self._h.update(f"{label}\0{value}\0".encode())

    def tree(self, label: str, root: Path) -> None:
        """Every file's path (relative to `root`) and content: a rename, an edit, a new file all count."""
        for path in _files(root):
            self.text(label, path.relative_to(root) if root.is_dir() else path.name)
            self._h.update(path.read_bytes())

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def module_closure(root_dir: Path) -> list[Path]:
    """The local module directories `root_dir` calls, and those they call (sources "./..", "../..")."""
    seen: dict[Path, None] = {}
    todo = [root_dir.resolve()]
    while todo:
        directory = todo.pop()
        for tf in sorted(directory.glob("*.tf")):
            for source in _MODULE_SOURCE.findall(tf.read_text(errors="replace")):
                module = (directory / source).resolve()
                if module.is_dir() and module not in seen:
                    seen[module] = None
                    todo.append(module)
    return sorted(seen)


class GateCache:
    """Keys and entries of the gate's rows for one project, toolchain and set of options."""

    def __init__(self, project: Project, terraform_version: str, mirror: Path | None, scanners: bool,
                 endpoint: str = "embedded emulator", enabled: bool = True) -> None:
        self.project = project
        self.enabled = enabled
        self.folder = project.state_dir / "cache" / "gate"
        common = _Hash()
        common.text("format", FORMAT)
        common.text("terraform", terraform_version)
        common.text("mirror", sorted(str(p.relative_to(mirror)) for p in _files(mirror)) if mirror else "registry")
        common.text("scanners", scanners)
        common.text("endpoint", endpoint)
        for name, value in sorted(os.environ.items()):
            if _SETTINGS.match(name):
                common.text(name, value)
        for package in ("core", "policy", "infra"):
            common.tree(package, REPO_ROOT / package)
        for pins in ("constraints.txt", "constraints-checkov.txt"):
            common.tree(pins, REPO_ROOT / pins)
        common.tree("tiers", project.tiers_file)
        self._common = common.hexdigest()
        # A tree several rows read (.github, a module) is hashed once an instance: one instance a gate run.
        self._trees: dict[Path, str] = {}

    def _tree(self, h: _Hash, label: str, root: Path) -> None:
        if root not in self._trees:
            one = _Hash()
            one.tree("", root)  # whichever row asks first, the same digest
            self._trees[root] = one.hexdigest()
        h.text(label, self._trees[root])

    def key(self, row: str) -> str:
        """The key of a row: a root's name, "modules" or "workflows"."""
        h = _Hash()
        h.text("common", self._common)
        h.text("row", row)
        repo = self.project.terraform_dir.parent
        if row == "modules":
            self._tree(h, "modules", self.project.terraform_dir / "modules")
        elif row == "workflows":
            for part in (".github", "scripts/ci", "docs", ".yamllint.yml"):
                self._tree(h, part, repo / part)
        else:
            root_dir = self.project.root_dir(row)
            self._tree(h, "root", root_dir)
            for module in module_closure(root_dir):
                self._tree(h, f"module {module.name}", module)
            self._tree(h, "workflows", repo / ".github")
        return h.hexdigest()

    def _path(self, row: str) -> Path:
        return self.folder / f"{row}.pickle"

    def load(self, row: str, key: str) -> tuple[Any, str] | None:
        """(result, when it was made) of the entry for `row` under `key`, or None."""
        if not self.enabled:
            return None
        try:
            entry = pickle.loads(self._path(row).read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
            return None
        return entry["result"], entry["at"]

    def save(self, row: str, key: str, result: Any) -> None:
        if not self.enabled:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = {"format": FORMAT, "key": key, "at": datetime.now(UTC).isoformat(timespec="seconds"), "result": result}
        tmp = self._path(row).with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(entry))
        tmp.replace(self._path(row))  # whole or not at all: a reader never sees half an entry
