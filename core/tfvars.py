"""Early checks of a root's terraform.tfvars: syntax, and that every name is a declared variable.

Terraform reports a malformed tfvars file only after init, and an undeclared name only as a
warning; both deserve one clear line before anything runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import hcl2
from lark.exceptions import LarkError, UnexpectedInput

from core import reading
from core.errors import InfraError


def is_configuration(path: Path) -> bool:
    """Terraform's choice of files: *.tf and *.tf.json, but not hidden files or editors' backups."""
    name = path.name
    return (name.endswith((".tf", ".tf.json")) and not name.startswith(".") and not name.endswith("~")
            and not (name.startswith("#") and name.endswith("#")))


def parse_hcl_file(path: Path) -> dict:
    """Parse one HCL file; a syntax error becomes an InfraError with file, line and column."""
    text = reading.read_text(path, "HCL file")
    try:
        return hcl2.loads(text)
    except UnexpectedInput as exc:
        raise InfraError(f"{path}:{exc.line}:{exc.column}: malformed HCL near {_near(text, exc)}") from None
    except (LarkError, ValueError, TypeError, RecursionError) as exc:
        raise InfraError(f"{path}: malformed HCL ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from None


def _near(text: str, exc: UnexpectedInput) -> str:
    lines = text.splitlines()
    line = lines[exc.line - 1].strip() if 0 < exc.line <= len(lines) else ""
    return repr(line[:60]) if line else "end of file"


def unquote(value):
    """A string literal as python-hcl2 returns it ('"rupaya"') as its value ('rupaya')."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value[1:-1]
    return value


def declared_variables(root: Path) -> set[str]:
    names: set[str] = set()
    # Terraform's own rule for what is configuration: hidden files and editor backups are not.
    for tf in sorted(p for p in root.glob("*.tf") if is_configuration(p)):
        for block in parse_hcl_file(tf).get("variable", []):
            names.update(name.strip('"') for name in block if not name.startswith("__"))
    return names


def check_tfvars(root: Path) -> dict:
    """The root's terraform.tfvars as a dict (empty if absent), after syntax and name checks."""
    path = root / "terraform.tfvars"
    if not path.exists():
        return {}
    # python-hcl2 reports comments under "__comments__"-style keys; they are not variables.
    values = {k: v for k, v in parse_hcl_file(path).items() if not k.startswith("__")}
    unknown = sorted(set(values) - declared_variables(root))
    if unknown:
        raise InfraError(f"{path}: {', '.join(unknown)}: not declared as a variable in {root}")
    return values
