"""Fixtures: the patched emulator, emulators with one patch left out, boto3 clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from infra.emulator import EmulatorInfo, running, start, stop

REGION = "us-east-1"
# One attempt only: a gap must show up as an error, not as minutes of retries. The time-outs are
# ceilings only a hang reaches: an emulator without the warm-up builds a service on its first call,
# which takes seconds on a loaded machine.
_BOTO_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=60, read_timeout=120)


def make_client(endpoint: str, service: str) -> Any:  # boto3 client classes are generated at run time
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=_BOTO_CONFIG,
    )


@pytest.fixture(scope="session")
def client_for() -> Callable[[str, str], Any]:
    """``client_for(endpoint, "s3")``: a boto3 client for any emulator."""
    return make_client


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorInfo]:
    """The emulator with every patch, on a free port, for the whole session."""
    with running(state_dir=tmp_path_factory.mktemp("emulator")) as info:
        yield info


@pytest.fixture(scope="session")
def aws(emulator: EmulatorInfo) -> Callable[[str], object]:
    """``aws("s3")``: a boto3 client for the patched emulator."""
    return lambda service: make_client(emulator.endpoint, service)


@pytest.fixture(scope="session")
def without_patch(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], Callable[[str], object]]]:
    """``without_patch("name")("s3")``: a client for an emulator with only that patch left out.

    Each such emulator starts on first use and all of them stop at the end of
    the session, whatever happens.
    """
    started: dict[str, Path] = {}
    factories: dict[str, Callable[[str], object]] = {}

    def factory(patch: str) -> Callable[[str], object]:
        if patch not in factories:
            state_dir = tmp_path_factory.mktemp(f"without-{patch}")
            started[patch] = state_dir
            # No warm-up: a gap test makes a call or two (one attempt each, 30 s to answer); about 2 s saved
            # on each of some 35 emulators.
            info = start(state_dir=state_dir, disabled_patches=[patch], warm=False)
            factories[patch] = lambda service: make_client(info.endpoint, service)
        return factories[patch]

    try:
        yield factory
    finally:
        # Stop them side by side: each takes most of a second to shut down.
        with ThreadPoolExecutor() as pool:
            for state_dir in started.values():
                pool.submit(stop, state_dir)
