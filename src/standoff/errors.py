"""Exception hierarchy.

Every error caused by a user's input (a file, a flag, a value) is a :class:`StandoffError`.
Its message is one line that names the file or field and says what was expected; the CLI
prints it and exits with code 2. Dual inheritance lets callers catch ``ValueError`` too.
"""

from __future__ import annotations


class StandoffError(Exception):
    """Base class for all errors a user can cause and fix."""


class DataError(StandoffError, ValueError):
    """A history table (bundled or under ``--history DIR``) is malformed."""


class ScenarioError(StandoffError, ValueError):
    """A scenario file is malformed; the message names the file and the key path."""


class ClaimsError(StandoffError, ValueError):
    """A claims file is malformed or one of its queries cannot run."""


class LookAheadError(StandoffError):
    """Something asked for data dated after the as-of cut of a history view."""


class UsageError(StandoffError, ValueError):
    """A command-line value is invalid (bad date, unknown choice, ...)."""


class NumericalError(StandoffError, RuntimeError):
    """A numerical method could not solve the model for these inputs (e.g. a QRE continuation
    that stalls, a singular fit); the message says which inputs to change."""
