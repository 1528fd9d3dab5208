"""Which GitHub environments the repository's workflows deploy to (for the OIDC trust rule)."""

from __future__ import annotations

from pathlib import Path

from core import reading


def workflow_environments(repo_root: Path) -> set[str] | None:
    """The GitHub environments the workflows deploy to; None while .github/workflows does not exist.

    A job's `environment:` is often an expression (`${{ inputs.environment }}` in a reusable
    workflow), so the names come from every place a workflow states one literally: a job's
    `environment:`, the `environment` a caller passes to a reusable workflow (`with:`), the options
    of a manual `environment` input, and a matrix over `environment`.
    """
    folder = repo_root / ".github" / "workflows"
    if not folder.is_dir():
        return None
    envs: set[str] = set()
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        doc = reading.read_yaml(path, "workflow") or {}
        if not isinstance(doc, dict):
            continue
        on = doc.get("on", doc.get(True))  # YAML 1.1 reads the key `on` as true
        dispatch = on.get("workflow_dispatch") if isinstance(on, dict) else None
        choice = ((dispatch or {}).get("inputs") or {}).get("environment") or {}
        envs.update(_literals(choice.get("options") if isinstance(choice, dict) else None))
        for job in (doc.get("jobs") or {}).values():
            if not isinstance(job, dict):
                continue
            env = job.get("environment")
            envs.update(_literals([env.get("name") if isinstance(env, dict) else env]))
            envs.update(_literals([(job.get("with") or {}).get("environment")]))
            envs.update(_literals(((job.get("strategy") or {}).get("matrix") or {}).get("environment")))
    return envs


def _literals(values) -> set[str]:
    return {v for v in values or [] if isinstance(v, str) and "${{" not in v and v}
