"""Fixtures: the patched emulator, emulators with one patch left out, boto3 clients."""

from __future__ import annotations

import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from core.project import REPO_ROOT
from infra.emulator import PATCH_NAMES, EmulatorError, EmulatorInfo, running
from infra.emulator.background import HOST, tail
from infra.emulator.manager import MOTO

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


def _wait_ready(pid: int, endpoint: str, log: Path) -> None:
    """Until the fork answers; an EmulatorError with its log if it exits first or never answers."""
    deadline = time.monotonic() + MOTO.start_timeout  # a ceiling only a hang reaches
    while not MOTO.answers(endpoint, timeout=1.0):
        stat = Path(f"/proc/{pid}/stat")
        exited = not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
        if exited or time.monotonic() > deadline:
            why = "exited" if exited else f"did not answer within {MOTO.start_timeout:.0f}s"
            raise EmulatorError(f"emulator fork {pid} {why}; last lines of {log}:\n{tail(log)}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def without_patch(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], Callable[[str], object]]]:
    """``without_patch("name")("s3")``: a client for an emulator with only that patch left out.

    Each such emulator starts on first use, forked from one process that has imported moto once
    (fork_server.py: a fresh one costs some 2.5 CPU-s, and there are some 35), and serves as
    ``python -m infra.emulator.server --no-warm --disable-patch NAME`` would. All of them stop at the
    end of the session, whatever happens: closing the fork server's stdin stops it and every fork.
    """
    logs = tmp_path_factory.mktemp("without-patch")
    with open(logs / "fork_server.log", "wb") as server_log:
        forks = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fork_server.py"))],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=server_log, text=True,
                                 cwd=REPO_ROOT)

    def reply() -> list[str]:
        """The fork server's next line, split; [] when it says nothing within the start ceiling."""
        if not select.select([forks.stdout], [], [], MOTO.start_timeout)[0]:
            return []
        return forks.stdout.readline().split()
    factories: dict[str, Callable[[str], object]] = {}

    def factory(patch: str) -> Callable[[str], object]:
        if patch not in PATCH_NAMES:
            raise ValueError(f"unknown emulator patch {patch!r}")
        if patch not in factories:
            log = logs / f"{patch}.log"
            forks.stdin.write(f"{patch} {log}\n")
            forks.stdin.flush()
            answer = reply()
            if len(answer) != 2:
                raise EmulatorError(f"the fork server stopped or hung:\n{tail(logs / 'fork_server.log')}")
            pid, port = map(int, answer)
            endpoint = f"http://{HOST}:{port}"
            _wait_ready(pid, endpoint, log)

            def clients(service: str, endpoint: str = endpoint) -> object:
                return make_client(endpoint, service)

            clients.log = log  # the fork's own log: what it applied, what it served
            factories[patch] = clients
        return factories[patch]

    try:
        if reply() != ["ready"]:
            raise EmulatorError(f"the fork server did not start:\n{tail(logs / 'fork_server.log')}")
        yield factory
    finally:
        forks.stdin.close()
        try:
            forks.wait(timeout=60)
        except subprocess.TimeoutExpired:
            forks.kill()
            forks.wait()
