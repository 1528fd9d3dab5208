"""Which keys of a resource's body are nested blocks, from the AWS provider's own schema.

HCL's JSON syntax (`.tf.json`) writes an argument of object type and a nested block alike, as a JSON
object; only the provider's schema tells them apart (Terraform asks the provider too). The schema
comes from `terraform providers schema -json`, 13 MB; `policy/data/aws_block_shapes.json` keeps its
block names only, each distinct nesting written once ("shapes"), and a test regenerates it from the
pinned provider to catch drift. Regenerate with:

    terraform providers schema -json > schema.json && python -m policy.hcl.provider_blocks schema.json
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from core import reading

DATA = Path(__file__).resolve().parent.parent / "data" / "aws_block_shapes.json"
PROVIDER = "registry.terraform.io/hashicorp/aws"
# The schema's sections, by the block type that declares them in configuration.
SECTIONS = {"resource": "resource_schemas", "data": "data_source_schemas", "ephemeral": "ephemeral_resource_schemas"}

Shape = dict[str, "Shape"]  # nested block name -> its own nested blocks
NO_BLOCKS: Shape = {}


def build(schema: dict[str, Any], provider: str = PROVIDER) -> dict[str, Any]:
    """The compact form of `terraform providers schema -json`: shapes interned, and an index per type."""
    try:
        section = schema["provider_schemas"][provider]
    except (KeyError, TypeError):
        raise ValueError(f"the schema has no provider {provider}") from None
    shapes: list[tuple[tuple[str, int], ...]] = []
    index: dict[tuple[tuple[str, int], ...], int] = {}

    def intern(block: dict[str, Any]) -> int:
        kids = tuple(sorted((name, intern(nested.get("block") or {}))
                            for name, nested in (block.get("block_types") or {}).items()))
        if kids not in index:
            index[kids] = len(shapes)
            shapes.append(kids)
        return index[kids]

    out: dict[str, Any] = {"provider": intern(section["provider"]["block"])}
    for kind, key in SECTIONS.items():
        ids = {name: intern(entry["block"]) for name, entry in sorted((section.get(key) or {}).items())}
        out[kind] = {name: i for name, i in ids.items() if shapes[i]}  # types without blocks are left out
    return {"shapes": [dict(kids) for kids in shapes], **out}


def dump(doc: dict[str, Any]) -> str:
    """One shape or type a line, so that a provider upgrade reads as a diff."""
    lines = ["{", '"shapes": [']
    lines += [json.dumps(shape, separators=(",", ":")) + ("," if i < len(doc["shapes"]) - 1 else "")
              for i, shape in enumerate(doc["shapes"])]
    lines.append("],")
    lines.append(f'"provider": {doc["provider"]},')
    for n, kind in enumerate(SECTIONS):
        entries = list(doc[kind].items())
        lines.append(f'"{kind}": {{')
        lines += [f"{json.dumps(name)}:{i}" + ("," if j < len(entries) - 1 else "")
                  for j, (name, i) in enumerate(entries)]
        lines.append("}" + ("," if n < len(SECTIONS) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


@cache
def _loaded() -> tuple[list[Shape], dict[str, Any]]:
    doc = reading.read_json(DATA, "provider block shapes", kind="config")
    raw = doc["shapes"]
    shapes: list[Shape] = [{} for _ in raw]
    for shape, kids in zip(shapes, raw, strict=True):
        shape.update({name: shapes[i] for name, i in kids.items()})
    return shapes, doc


def shape_of(kind: str, type_name: str) -> Shape | None:
    """Nested blocks of a `resource`/`data`/`ephemeral` type, `provider` for the AWS provider's own
    block; None when the type is not the AWS provider's (its keys are then read as arguments)."""
    shapes, doc = _loaded()
    if kind == "provider":
        return shapes[doc["provider"]] if type_name == "aws" else None
    if not type_name.startswith("aws_"):
        return None
    known = doc.get(kind, {})
    return shapes[known[type_name]] if type_name in known else NO_BLOCKS


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m policy.hcl.provider_blocks SCHEMA.json  (from `terraform providers schema -json`)")
        return 2
    DATA.write_text(dump(build(json.loads(Path(argv[0]).read_text()))))
    print(f"wrote {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
