"""The error a user can cause and fix: printed as one line, the command ends with exit code 2.

Everything else is a bug in this program and keeps its traceback.
"""


class InputError(Exception):
    """Bad input (a file, an option, the environment), reported in one line that names it."""

    exit_code = 2
