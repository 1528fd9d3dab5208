"""Terraform HCL evaluated before any plan: the resources of an env root, with their arguments.

`load_root(root_dir, env)` reads the root's .tf files, its tfvars and every local module it calls,
and returns each managed resource and data source instance under the address a plan JSON gives it,
with `values` shaped like the plan's `change.after`. What cannot be known before the plan (ARNs,
IDs, data source results) is an `Unknown`, with the known parts of structured values kept in
`Unknown.partial`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from policy.hcl.expr import Scope, TemplateVars, evaluate
from policy.hcl.loader import RootResult, clear_cache, evaluate_root
from policy.hcl.parse import Where, parse_expression
from policy.hcl.values import EvalError, finalize
from policy.model import PolicyInputError, Resource, Unknown

__all__ = [
    "RootResult", "clear_cache", "evaluate_expression", "evaluate_root", "load_env_root", "load_root",
    "load_root_result",
]


def load_root_result(
    root_dir: Path, env: str, *, tfvars: Sequence[Path] | None = None, repo_root: Path | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> RootResult:
    """The resources of a root and notes on what was not evaluated (non-local modules, unknown counts).
    `inputs`: variable values that win over the tfvars files (Terraform's -var)."""
    try:
        return evaluate_root(Path(root_dir), env, tfvars, repo_root, inputs)
    except PolicyInputError:
        raise
    except RecursionError:
        raise PolicyInputError(f"{root_dir}: configuration nested too deeply to evaluate") from None
    except (OSError, UnicodeError) as exc:
        raise PolicyInputError(f"{root_dir}: cannot read configuration ({exc})") from None


def load_root(
    root_dir: Path, env: str, *, tfvars: Sequence[Path] | None = None, repo_root: Path | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> list[Resource]:
    """Every managed resource and data source instance of the root and its local modules."""
    return load_root_result(root_dir, env, tfvars=tfvars, repo_root=repo_root, inputs=inputs).resources


def load_env_root(root_dir: Path, env: str, *, repo_root: Path | None = None,
                  inputs: Mapping[str, Any] | None = None) -> list[Resource]:
    """An env root's resources, for the policy and the cost model: a root that declares none (emptied,
    or not the env's root) is refused, never reported as clean or as costing $0."""
    resources = load_root(root_dir, env, repo_root=repo_root, inputs=inputs)
    if not resources:
        raise PolicyInputError(f"{root_dir}: the root declares no resources, so there is nothing to check "
                               "(is it the env's root, with its .tf or .tf.json files?)")
    return resources


def evaluate_expression(text: str, symbols: dict[str, Any] | None = None, *, cwd: Path | None = None) -> Any:
    """One HCL expression with the given names in scope (tests, tools); an error becomes an Unknown."""
    node = parse_expression(text, Where("<expression>", 1, 1))
    try:
        return finalize(evaluate(node, Scope(TemplateVars(cwd), dict(symbols or {}))))
    except EvalError as exc:
        return Unknown(str(exc))
