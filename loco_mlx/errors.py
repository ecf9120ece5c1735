"""The one exception type for user-facing errors.

The CLI prints a LocoError as a single line (no traceback) and exits non-zero;
anything else is a bug and keeps its traceback.
"""


class LocoError(Exception):
    """A problem the user can fix: the message names the bad value and, where possible, the fix."""
