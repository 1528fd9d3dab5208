"""The `infra` command line: `root` (the group and exit codes), `context` (what commands share), and
one module per command group, each exporting its COMMANDS for the root to add; none imports the root."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """The console script: run `infra` with `argv` (default: sys.argv[1:]) and return its exit code."""
    from infra.cli.root import main as run

    return run(argv)
