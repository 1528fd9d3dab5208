"""The error a user can cause and fix: printed as one line, the command ends with exit code 2.

Everything else is a bug in this program and keeps its traceback.
"""


def one_line(message: str) -> str:
    """A message is one line whatever it quotes: control characters (a newline in a YAML key or a flag
    name, an escape sequence in a file name) are shown escaped, never acted on by the terminal."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in message)


class InputError(Exception):
    """Bad input (a file, an option, the environment), reported in one line that names it."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(one_line(str(message)))


class InfraError(InputError):
    """A problem with the user's input, environment or tools, reported in one line."""

    exit_code = 2


class CheckFailed(Exception):
    """A check ran and found violations (exit code 1)."""

    exit_code = 1
