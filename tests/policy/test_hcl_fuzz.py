"""Malformed HCL, tfvars and expressions never crash the evaluator: resources or one InputError.

Real .tf files of the repository are damaged at random (characters deleted, inserted, replaced, lines
duplicated or dropped) in a private copy of the Terraform tree, which is then loaded as an env root.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from terraform_tree import copy_terraform  # tests/terraform_tree.py

from core.errors import InputError
from policy.hcl import evaluate_expression, load_root
from policy.model import PolicyInputError

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Characters that matter to HCL's grammar, so that damage lands on structure, not just on words.
ALPHABET = st.sampled_from([*'{}[]()"$%~=.,:*?!<>-+/\\#\n\t 0123456789abcxyz_', "${", "%{", "<<EOT\n", "..."])


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("fuzz") / "repo"
    copy_terraform(dst / "terraform")
    (dst / "pyproject.toml").write_text("")
    return dst


def _targets(tree: Path) -> list[Path]:
    terraform = tree / "terraform"
    files = [terraform / "envs" / "dev" / "main.tf", terraform / "envs" / "dev" / "terraform.tfvars",
             terraform / "envs" / "dev" / "variables.tf", terraform / "tiers.yaml"]
    files += sorted((terraform / "modules").glob("*/main.tf")) + sorted((terraform / "modules").glob("*/variables.tf"))
    return files


def _load(tree: Path) -> None:
    try:
        resources = load_root(tree / "terraform" / "envs" / "dev", "dev", repo_root=tree)
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        return
    assert isinstance(resources, list)


@st.composite
def damage(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "dup_line", "drop_line"]))
        pos = draw(st.integers(0, max(len(text) - 1, 0)))
        if kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            text = text[:pos] + "".join(draw(st.lists(ALPHABET, min_size=1, max_size=6))) + text[pos:]
        elif kind == "replace":
            text = text[:pos] + draw(ALPHABET) + text[pos + 1 :]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, max(len(lines) - 1, 0)))
            lines = lines[:i] + [lines[i]] * 2 + lines[i + 1 :] if kind == "dup_line" else lines[:i] + lines[i + 1 :]
            text = "\n".join(lines)
    return text


@FUZZ
@given(data=st.data())
def test_damaged_configuration_never_crashes(tree, data):
    target = data.draw(st.sampled_from(_targets(tree)))
    original = target.read_bytes()
    try:
        target.write_text(data.draw(damage(original.decode())))
        _load(tree)
    finally:
        target.write_bytes(original)


HCL_VALUE = st.recursive(
    st.one_of(st.integers(-10**6, 10**6).map(str), st.just("true"), st.just("null"),
              st.text(alphabet='ab"\\${}% \n', max_size=8).map(lambda s: '"' + s + '"')),
    lambda inner: st.one_of(st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
                            st.dictionaries(st.sampled_from(["a", "b", "label", "size"]), inner, max_size=3)
                            .map(lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}")),
    max_leaves=6,
)


@FUZZ
@given(assignments=st.lists(st.tuples(
    st.sampled_from(["project", "environment", "region", "ecr_repository_name", "domain_name", "alarm_email", "nope"]),
    HCL_VALUE), max_size=6), raw=st.text(max_size=30))
def test_random_tfvars_never_crash(tree, assignments, raw):
    tfvars = tree / "terraform" / "envs" / "dev" / "terraform.tfvars"
    original = tfvars.read_bytes()
    seen: set[str] = set()
    lines = [f"{name} = {value}" for name, value in assignments if not (name in seen or seen.add(name))]
    try:
        tfvars.write_text("\n".join(lines) + "\n" + raw)
        _load(tree)
    finally:
        tfvars.write_bytes(original)


@FUZZ
@given(text=st.lists(st.sampled_from([
    *'abxy01+-*/%!?:.,[]{}()"$~=<>&| \n', "${", "for ", " in ", "if ", "=>", "...", "null", "true", "length(",
    "jsonencode(", "[*]"]), max_size=30).map("".join))
def test_random_expressions_never_crash(text):
    try:
        evaluate_expression(text, {"a": {"b": [1, 2]}, "x": "s", "y": None})
    except PolicyInputError as exc:
        assert "\n" not in str(exc)
