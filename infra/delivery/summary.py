"""`infra summary`: the deployment record as Markdown, for $GITHUB_STEP_SUMMARY or a PR comment."""

from __future__ import annotations

from datetime import datetime

from infra.delivery.record import Record


def _seconds_between(start: str, end: str) -> float:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds()


def last_rollback(record: Record) -> dict | None:
    """The last rollback that moved the service (a no-op rollback is not one)."""
    return next((s for s in reversed(record.steps) if s["step"] == "rollback" and s.get("to")), None)


def outcome(record: Record) -> str:
    steps = record.steps
    if not steps:
        return "nothing recorded"
    rollback = last_rollback(record)
    if rollback:
        return "rolled back" if rollback["ok"] else "rollback FAILED"
    if any(not s["ok"] for s in steps):
        return "failed"
    return "succeeded"


def render(record: Record) -> str:
    steps, env = record.steps, record.data["env"]
    result = outcome(record)
    icon = {"succeeded": "✅", "rolled back": "↩️", "nothing recorded": "ℹ️"}.get(result, "❌")  # noqa: RUF001
    lines = [f"## {icon} Deployment to `{env}`: {result}", ""]
    if not steps:
        return "\n".join([*lines, "No delivery step has run yet.", ""])

    deploy, promote, migrate = record.last("deploy"), record.last("promote"), record.last("migrate")
    health, rollback = record.last("health"), last_rollback(record) or record.last("rollback")
    deploys = [s for s in steps if s["step"] == "deploy" and s["ok"]]
    image = (deploy or {}).get("image") or (promote or {}).get("image")
    duration = _seconds_between(record.data["started_at"], steps[-1]["at"])
    rows = [("environment", f"`{env}`")]
    if image:
        rows.append(("image", f"`{image}`"))
    if promote:
        rows.append(
            ("promoted", f"from `{promote['from']}` ({'copied' if promote.get('copied') else 'already there'})")
        )
    if migrate:
        applied = migrate.get("applied", [])
        text = ", ".join(f"`{name}`" for name in applied) if applied else "none pending"
        if not migrate["ok"]:
            text = f"FAILED: {migrate.get('error', '')}"
        rows.append(("migrations", text))
    if deploy and not deploy["ok"]:
        rows.append(("task definition", f"FAILED: {deploy.get('error', '')}"))
    elif deploys:
        # From where the first deploy found the service to where the last one left it (a re-run is a no-op).
        first, last = deploys[0], deploys[-1]
        moved = f"`{first['from']}` → `{last['to']}`" if first["from"] != last["to"] else f"`{last['to']}` (unchanged)"
        rows.append(("task definition", moved))
    if health:
        rows.append(("health", ("healthy" if health["ok"] else "UNHEALTHY: ") + (health.get("detail") or "")))
    if rollback:
        if rollback.get("to"):
            rows.append(
                ("rollback", f"`{rollback['from']}` → `{rollback['to']}`" + ("" if rollback["ok"] else " FAILED"))
            )
        else:
            rows.append(("rollback", rollback.get("detail", "nothing to roll back to")))
    rows.append(("duration", f"{duration:.0f}s"))
    lines += ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]
    lines += ["<details><summary>steps</summary>", "", "| step | result | seconds | at |", "|---|---|---:|---|"]
    lines += [f"| {s['step']} | {'ok' if s['ok'] else 'FAILED'} | {s.get('seconds', '')} | {s['at']} |" for s in steps]
    lines += ["", "</details>", ""]
    return "\n".join(lines)
