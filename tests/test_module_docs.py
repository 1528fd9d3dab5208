"""Each module's README carries its inputs and outputs tables, generated from variables.tf and
outputs.tf (as terraform-docs does for the terraform-aws-modules repositories): they cannot drift."""

from __future__ import annotations

import shutil

from core.project import REPO_ROOT
from infra import docs

TERRAFORM = REPO_ROOT / "terraform"


def test_every_module_readme_is_current():
    fresh = docs.module_readmes(TERRAFORM)
    assert {p.parent.name for p in fresh} >= {"bootstrap", "cache", "github_oidc", "platform", "service"}
    stale = [str(p.relative_to(REPO_ROOT)) for p, text in fresh.items() if p.read_text() != text]
    assert not stale, f"run `infra docs --write`: {stale}"


def test_a_new_variable_and_output_reach_the_tables(tmp_path):
    module = tmp_path / "modules" / "cache"
    shutil.copytree(TERRAFORM / "modules" / "cache", module)
    (module / "variables.tf").write_text((module / "variables.tf").read_text() + '''
variable "zz_new" {
  description = "A | new input."
  type        = map(list(string))
  default     = { a = ["b"] }
}
''')
    (module / "outputs.tf").write_text((module / "outputs.tf").read_text() + '''
output "zz_out" {
  description = "A new output."
  value       = "x"
}
''')
    table = docs.module_tables(module)
    assert r'| `zz_new` | A \| new input. | `map(list(string))` | `{a = ["b"]}` | no |' in table
    assert "| `zz_out` | A new output. |" in table
    assert "| `name` |" in table and "| yes |" in table  # a required input
