"""Which GitHub environments the repository's workflows deploy to (for the OIDC trust rule).

Kept apart from policy.runner, which needs the HCL evaluator: the checkov adapter
(policy/checkov_adapter.py) runs in checkov's virtualenv and reads this too.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from policy.model import PolicyInputError


def workflow_environments(repo_root: Path) -> set[str] | None:
    """The GitHub environments the workflows deploy to; None while .github/workflows does not exist."""
    folder = repo_root / ".github" / "workflows"
    if not folder.is_dir():
        return None
    envs: set[str] = set()
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise PolicyInputError(f"{path}: malformed workflow YAML: {str(exc).splitlines()[0]}") from None
        for job in (doc.get("jobs") or {}).values() if isinstance(doc, dict) else []:
            env = job.get("environment") if isinstance(job, dict) else None
            name = env.get("name") if isinstance(env, dict) else env
            if isinstance(name, str) and "${{" not in name:
                envs.add(name)
    return envs
