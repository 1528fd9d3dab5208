"""Errors a user can cause and fix.

They are printed as one line and end the command with exit code 2 (usage or input error);
everything else is a bug in this program and stays a traceback.
"""

from core.errors import InputError


class InfraError(InputError):
    """A problem with the user's input, environment or tools, reported in one line."""

    exit_code = 2


class CheckFailed(Exception):
    """A check ran and found violations (exit code 1)."""

    exit_code = 1
