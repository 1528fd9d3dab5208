"""The gate's reports: text for a terminal, JSON and SARIF for machines, JUnit for CI, Markdown for a PR,
GitHub workflow commands for annotations in any repository.

`render(results, fmt, rules=...)` gives one format as a string. `rules` (rule classes with id,
title, family, ...; one sequence for every env or a mapping env -> sequence) names the rules that
ran, so that SARIF can describe them and JUnit can show passing testcases; without it only the
rules with findings appear there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policy.model import EnvResult
from policy.reports import github, json_report, junit, markdown, sarif, text

FORMATS = ("text", "json", "sarif", "junit", "markdown", "github")


def render(
    results: Sequence[EnvResult], fmt: str, *, rules: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None
) -> str:
    results = list(results)
    if fmt == "text":
        return text.render(results)
    if fmt == "json":
        return json_report.render(results)
    if fmt == "sarif":
        return sarif.render(results, rules)
    if fmt == "junit":
        return junit.render(results, rules)
    if fmt == "markdown":
        return markdown.render(results)
    if fmt == "github":
        return github.render(results)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render"]
