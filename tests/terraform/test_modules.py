"""Every module's own contract (`terraform test` with a mock provider) and `terraform validate`."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from terraform_tree import copy_terraform  # tests/terraform_tree.py

from core.project import REPO_ROOT

pytestmark = pytest.mark.terraform

MODULES = sorted(p.name for p in (REPO_ROOT / "terraform" / "modules").iterdir() if p.is_dir())
TESTED = [m for m in MODULES if (REPO_ROOT / "terraform" / "modules" / m / "tests").is_dir()]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    dst = tmp_path_factory.mktemp("tf") / "terraform"
    return copy_terraform(dst)


def terraform(toolchain, cwd, *args):
    return subprocess.run(
        [toolchain.terraform, *args, "-no-color"],
        cwd=cwd, env=toolchain.env(), capture_output=True, text=True, timeout=600,
    )


def init(toolchain, cwd):
    proc = terraform(toolchain, cwd, "init", "-backend=false", "-input=false")
    assert proc.returncode == 0, proc.stderr


# platform only composes the others (no logic of its own to mock);
# it is tested by real plans of every env against the emulator (tests/plan).
COMPOSITION = {"platform"}


def test_every_module_has_contract_tests():
    assert set(MODULES) - set(TESTED) - COMPOSITION == set(), "modules without tests/*.tftest.hcl"


def test_every_module_has_the_house_files():
    for module in MODULES:
        names = {p.name for p in (REPO_ROOT / "terraform" / "modules" / module).iterdir()}
        assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"} <= names, module


@pytest.mark.parametrize("module", TESTED)
def test_module_contract(toolchain, tree, module):
    cwd = tree / "modules" / module
    init(toolchain, cwd)
    proc = terraform(toolchain, cwd, "test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 failed" in proc.stdout and "Success!" in proc.stdout, proc.stdout


# `terraform test` validates a module before its runs, so only the roots and the untested
# composition need a validate of their own. It is a second proof in the default suite, which plans
# every root (a plan validates first; bootstrap_plan and plans in tests/conftest.py) and so every
# module the envs call, platform included: the validates run with `make test-integration`.
UNTESTED = sorted(set(MODULES) - set(TESTED))
ROOTS = ["bootstrap", "envs/dev", "envs/staging", "envs/prod", *(f"modules/{m}" for m in UNTESTED)]


@pytest.mark.integration
@pytest.mark.parametrize("root", ROOTS)
def test_validate(toolchain, tree, root):
    cwd = tree / root
    if not (cwd / ".terraform").is_dir():
        init(toolchain, cwd)
    proc = terraform(toolchain, cwd, "validate")
    assert proc.returncode == 0, proc.stderr


def _dev_validator(toolchain, tmp_path):
    """``validate(edit)``: `terraform validate` of one initialised copy of the dev root whose tier is
    known at validate time (the env name written in), after `edit` changed the copy's tiers.yaml
    (each edit starts from the committed tiers.yaml; validate reads it anew, no init needed)."""
    dst = tmp_path / "terraform"
    copy_terraform(dst)
    main = dst / "envs" / "dev" / "main.tf"
    text = main.read_text()
    assert "local.tiers.tiers[var.environment]" in text
    main.write_text(text.replace("local.tiers.tiers[var.environment]", 'local.tiers.tiers["dev"]'))
    tiers = dst / "tiers.yaml"
    committed = tiers.read_text()
    init(toolchain, main.parent)

    def validate(edit) -> subprocess.CompletedProcess:
        document = yaml.safe_load(committed)
        edit(document["tiers"]["dev"])
        tiers.write_text(yaml.safe_dump(document))
        return terraform(toolchain, main.parent, "validate")

    return validate


def test_terraform_itself_refuses_a_malformed_tier(toolchain, tmp_path):
    """The platform module's `tier` is an object type, so a tier that misses a section or gives a
    section a value of the wrong type fails in Terraform, whatever checked tiers.yaml before."""
    def unchanged(tier):
        pass

    def cpu_as_words(tier):
        tier["service"]["cpu"] = "a lot"

    def without_alarms(tier):
        del tier["alarms"]

    validate = _dev_validator(toolchain, tmp_path)
    assert validate(unchanged).returncode == 0
    wrong_type = validate(cpu_as_words)
    assert wrong_type.returncode != 0 and "module.platform.var.tier" in wrong_type.stderr
    assert "a number is required" in wrong_type.stderr, wrong_type.stderr
    missing = validate(without_alarms)
    assert missing.returncode != 0 and 'attribute "alarms" is required' in missing.stderr, missing.stderr
