"""Where Terraform gets the provider from: the TF_PROVIDER_MIRROR setting and its fallbacks."""

from __future__ import annotations

import pytest

from core.errors import InfraError
from infra import toolchain


@pytest.fixture
def fake_mirror(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / toolchain.PROVIDER / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return mirror


@pytest.fixture
def no_user_config(monkeypatch, tmp_path):
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "absent.rc"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)


def test_setting_names_the_mirror_and_writes_a_cli_config(monkeypatch, fake_mirror, tmp_path):
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(fake_mirror))
    mirror, origin = toolchain.resolve_mirror(tmp_path / "state")
    assert (mirror, origin) == (fake_mirror, "TF_PROVIDER_MIRROR")
    config = toolchain.write_cli_config(mirror, tmp_path / "state").read_text()
    assert f'path    = "{fake_mirror}"' in config
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in config


def test_setting_none_disables_the_mirror(monkeypatch, tmp_path):
    monkeypatch.setenv("TF_PROVIDER_MIRROR", "none")
    assert toolchain.resolve_mirror(tmp_path) == (None, "TF_PROVIDER_MIRROR=none")


def test_setting_without_the_provider_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(tmp_path))
    with pytest.raises(InfraError, match=r"no registry\.terraform\.io/hashicorp/aws provider under it"):
        toolchain.resolve_mirror(tmp_path)


def test_users_own_cli_config_rules(monkeypatch, tmp_path):
    rc = tmp_path / "my.rc"
    rc.write_text("# mine\n")
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    mirror, origin = toolchain.resolve_mirror(tmp_path / "state")
    assert mirror is None and str(rc) in origin


def test_online_uses_the_registry(monkeypatch, no_user_config, tmp_path):
    monkeypatch.setattr(toolchain, "registry_reachable", lambda: True)
    assert toolchain.resolve_mirror(tmp_path) == (None, "the public registry")


def test_offline_search_is_remembered(monkeypatch, no_user_config, fake_mirror, tmp_path):
    monkeypatch.setattr(toolchain, "registry_reachable", lambda: False)
    monkeypatch.setattr(toolchain, "search_mirror", lambda: fake_mirror)
    state = tmp_path / "state"
    assert toolchain.resolve_mirror(state)[0] == fake_mirror
    monkeypatch.setattr(toolchain, "search_mirror", lambda: pytest.fail("searched twice"))
    remembered = f"found offline earlier (remembered in {state / 'provider-mirror'})"
    assert toolchain.resolve_mirror(state) == (fake_mirror, remembered)


def test_offline_without_any_mirror_says_what_to_set(monkeypatch, no_user_config, tmp_path):
    monkeypatch.setattr(toolchain, "registry_reachable", lambda: False)
    monkeypatch.setattr(toolchain, "search_mirror", lambda: None)
    with pytest.raises(InfraError, match="set TF_PROVIDER_MIRROR"):
        toolchain.resolve_mirror(tmp_path)


def test_the_real_search_finds_a_mirror_laid_out_like_terraform_expects(tmp_path):
    # The machine this runs on may or may not carry a mirror; whatever the search returns must be one.
    found = toolchain.search_mirror()
    assert found is None or toolchain.is_mirror(found)
