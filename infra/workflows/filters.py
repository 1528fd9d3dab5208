"""GitHub Actions filter patterns (branches, tags, paths and their -ignore forms), as GitHub documents them.

- `*` matches any characters but `/`; `**` matches any characters, `/` included;
- `?` makes the preceding character optional, `+` repeats it one or more times;
- `[...]` matches one listed character or range (a-z, A-Z, 0-9);
- `\\` escapes the next character;
- a pattern starting with `!` excludes what it matches, and patterns are read in order: a later one
  overrides an earlier one, so `!` re-excludes and a later positive pattern re-includes.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.errors import InfraError


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c in "?+":
            if not out or out[-1] in ("?", "+"):
                raise InfraError(f"filter pattern '{pattern}': `{c}` needs a character before it")
            out.append(c)
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                raise InfraError(f"filter pattern '{pattern}': `[` is never closed")
            body = pattern[i + 1 : end]
            if not body:
                raise InfraError(f"filter pattern '{pattern}': `[]` matches nothing")
            out.append("[" + "".join("\\" + ch if ch in "\\^]" else ch for ch in body) + "]")
            i = end + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def matches_pattern(pattern: str, value: str) -> bool:
    return compile_pattern(pattern).fullmatch(value) is not None


def included(patterns: list[str], value: str) -> bool:
    """Whether an ordered list of patterns (with `!` exclusions) selects `value`."""
    selected = False
    for pattern in patterns:
        if pattern.startswith("!"):
            if selected and matches_pattern(pattern[1:], value):
                selected = False
        elif not selected and matches_pattern(pattern, value):
            selected = True
    return selected
