"""Hostile inputs, and the one promise every `infra` entry point keeps with them.

`run()` calls the CLI in-process (thousands of cases would take hours as subprocesses) exactly as
the console script does: `infra.cli.main`, whose return value is the exit code. The promise,
checked by `assert_kept`: the exit code is 0, 1 or 2; nothing escapes as an exception (which is
what a traceback is); exit 2 prints exactly one `infra:` line. A hang is caught by pytest-timeout.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from infra.cli import main

# The limits the fuzz runs with: small, so that "too large" is reached in milliseconds.
LIMITS = {"INFRA_MAX_INPUT_MB": "1", "INFRA_MAX_CONFIG_MB": "1", "INFRA_MAX_INPUT_DEPTH": "64",
          "INFRA_MAX_YAML_NODES": "20000"}


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"infra {' '.join(map(repr, self.argv))} -> {self.code}\nstderr: {self.err[-2000:]}"


def run(*argv: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update({**LIMITS, **(env or {})})
    stdin_stream = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    old_stdin = sys.stdin
    sys.stdin = stdin_stream
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = old_stdin
        os.environ.clear()
        os.environ.update(saved)
    return Outcome(code, out.getvalue(), err.getvalue(), argv)


def assert_kept(outcome: Outcome) -> Outcome:
    assert outcome.code in (0, 1, 2), outcome
    assert "Traceback" not in outcome.err, outcome
    if outcome.code == 2:
        lines = [line for line in outcome.err.splitlines() if line.startswith("infra:")]
        assert len(lines) == 1, outcome
        assert len(lines[0]) < 2000, outcome
    return outcome


# --- strategies ------------------------------------------------------------------------------------

SHELL = ["$(id)", "`id`", "; rm -rf /", "| cat", "&& true", "\n", "\r\n", "\x00", "\x1b[31m", "${HOME}", "'", '"',
         "\\", "%s", "{0}", "../../etc/passwd", "-", "--help", " ", "\u202e", "\ufeff", "\ud7ff", "💥", "refs/heads/",
         "refs/tags/", "refs/pull/1/merge", "main", "develop", "release/1.2", "v1.2.3", "v1..", "*", "**", "?"]

# Text that reaches arguments: anything Python can pass in argv (no NUL, no lone surrogates).
ARG = st.one_of(
    st.sampled_from(SHELL).filter(lambda s: "\x00" not in s),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80),
    st.lists(st.sampled_from([s for s in SHELL if "\x00" not in s]), max_size=5).map("".join),
)


def _nested(depth: int, opening: str, closing: str, inner: str = "1") -> str:
    return opening * depth + inner + closing * depth


def _alias_bomb(levels: int, fanout: int) -> str:
    lines = ["a0: &a0 [x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fanout) + "]")
    return "\n".join(lines) + "\n"


def mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    """A valid file with bytes flipped, inserted, cut or the whole cut short."""

    @st.composite
    def build(draw) -> bytes:
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 8))):
            if not data:
                break
            at = draw(st.integers(0, len(data) - 1))
            action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
            if action == "flip":
                data[at] = draw(st.integers(0, 255))
            elif action == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=8)) if draw(st.booleans()) else \
                    draw(st.sampled_from([b"{", b"[", b"&a", b"*a", b"<<: ", b"\n  - ", b'"', b"${", b"\xff", b"NaN"]))
            elif action == "delete":
                del data[at: at + draw(st.integers(1, 16))]
            elif action == "truncate":
                del data[at:]
            else:
                data[at:at] = data[max(0, at - 40): at]
        return bytes(data)

    return build()


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def hostile_bytes(seed: bytes, *, yaml: bool = False) -> st.SearchStrategy[bytes]:
    """Every class of bad file content the hostile-input review used, and random ones around it."""
    classes = [
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.integers(1, 3000).map(lambda n: _nested(n, "[", "]").encode()),
        st.integers(1, 3000).map(lambda n: _nested(n, '{"a":', "}").encode()),
        JSON_VALUE.map(lambda v: json.dumps(v).encode()),
        st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b"null", b"[]", b"{}", b"NaN", b"1e999", b'{"a":1,"a":2}',
                         b"9" * 5000, b'"\\ud800"', b"\x00", b"\xff\xfe{\x00}", b"---\n---\n", b"a: 1\na: 2\n"]),
        mutated(seed),
        st.just(seed + b" " * (1024 * 1024)),  # past the 1 MB limit of these runs
    ]
    if yaml:
        classes += [
            st.tuples(st.integers(2, 12), st.integers(2, 9)).map(lambda p: _alias_bomb(*p).encode()),
            st.integers(1, 400).map(lambda n: _nested(n, "- ", "", "x").replace("- ", "-\n  ", 1).encode()),
            st.integers(1, 2000).map(lambda n: ("a:\n" + "".join(" " * i + "a:\n" for i in range(1, n))).encode()),
            st.sampled_from([b"!!python/object:os.system [id]", b"&a [*a]", b"a: !!binary xx", b"? [a]\n: 1"]),
        ]
    return st.one_of(*classes)


def special_path(tmp: Path) -> st.SearchStrategy[str]:
    """Paths that are not a readable regular file."""
    loop = tmp / "loop.json"
    if not loop.is_symlink():
        loop.symlink_to(loop)
    return st.sampled_from(["/dev/zero", "/dev/null", str(tmp), str(loop), str(tmp / "absent.json"), "",
                            "/proc/self/mem", "/etc/shadow-nope"])
