"""The one exception type that reaches the user as a single line and exit code 2."""


class InputError(Exception):
    """Bad input (capture, log, rules file, config or argument). str(exc) is the one line the user sees."""
