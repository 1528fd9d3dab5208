"""GitHub's filter-pattern semantics, case by case from GitHub's cheat sheet."""

from __future__ import annotations

import pytest

from core.errors import InfraError
from infra.workflows.filters import included, matches_pattern


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("feature/*", "feature/new-auth", True),
    ("feature/*", "feature/a/b", False),  # * stops at /
    ("feature/**", "feature/a/b", True),
    ("main", "main", True),
    ("main", "mainline", False),
    ("v*.*.*", "v1.2.0", True),
    ("v*.*.*", "v1.2", False),
    ("v[12].[0-9]+.[0-9]+", "v2.10.3", True),
    ("v[12].[0-9]+.[0-9]+", "v3.1.0", False),
    ("v2.?", "v2.", True),  # ? makes the previous character optional
    ("colou?r", "color", True),
    ("colou?r", "colour", True),
    ("*.md", "README.md", True),
    ("*.md", "docs/README.md", False),
    ("**.md", "docs/README.md", True),
    ("docs/**", "docs/a/b.txt", True),
    ("**/migrations/**", "backend/migrations/0001.sql", True),
    ("\\*literal", "*literal", True),
    ("\\*literal", "xliteral", False),
    ("releases/**-alpha", "releases/beta/3-alpha", True),
])
def test_pattern(pattern, value, expected):
    assert matches_pattern(pattern, value) is expected


def test_order_decides_exclusion_and_reinclusion():
    patterns = ["releases/**", "!releases/**-alpha", "releases/mona-alpha"]
    assert included(patterns, "releases/10")
    assert not included(patterns, "releases/beta/3-alpha")
    assert included(patterns, "releases/mona-alpha")  # a later positive pattern wins again
    assert not included(["!main"], "main")  # an exclusion alone selects nothing
    assert not included([], "main")


@pytest.mark.parametrize("pattern", ["[abc", "+x", "a[]b"])
def test_malformed_patterns_are_clear_errors(pattern):
    with pytest.raises(InfraError, match="filter pattern"):
        matches_pattern(pattern, "x")
