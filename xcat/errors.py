"""The one exception type users see: a single readable line, no traceback."""


class XcatError(Exception):
    """An error caused by input or store state, reported to the user as one line.

    The message names the file, column or row at fault. The CLI prints it and
    exits non-zero; nothing in the store has been changed when it is raised.
    """
