"""Bounds checked before any work starts: sizes, counts, ranges and a memory budget.

Every input a user can hand to standoff (a file, a flag) is checked against these limits
first, so that a malformed or hostile input ends with one line and exit code 2 rather than
a hang, a memory blow-up or an internal error. The numbers are **project choices**, set
well above anything the bundled data or a realistic analysis needs:

* files: scenario and claims YAML at most 2 MiB, bargaining CSVs at most 32 MiB, each
  history table at most 64 MiB; only regular files are read (not ``/dev/zero``, a FIFO or
  a directory), and never more bytes than the limit;
* YAML: nesting at most 64 levels, at most 200,000 nodes once aliases are expanded (a
  "billion laughs" file is refused before it is built), duplicate keys refused;
* bargaining: at most 5,000 actors per issue, text fields at most 1,000 characters;
* simulations: paths x horizon x policies x :data:`SIM_BYTES_PER_CELL` must fit in
  :data:`MEMORY_BUDGET` (2 GiB);
* seeds are integers in [0, 2^32 - 1] (the range standoff records when it draws one).
"""

from __future__ import annotations

import numbers
import os
import stat
from pathlib import Path

from standoff.errors import DataError, UsageError

MiB = 1 << 20
GiB = 1 << 30

YAML_MAX_BYTES = 2 * MiB
YAML_MAX_DEPTH = 64
YAML_MAX_NODES = 200_000
CSV_MAX_BYTES = 32 * MiB
TABLE_MAX_BYTES = 64 * MiB
MAX_ACTORS = 5_000
MAX_FIELD_CHARS = 1_000
MAX_MESSAGE_CHARS = 500

#: Memory budget of one simulation run (all policies together).
MEMORY_BUDGET = 2 * GiB
#: Bytes per simulated path-month and per path. Measured peak memory of ``simulate`` is
#: about 21 bytes per path-month (the per-month records: event indicators, launches,
#: tension, sanctions, agreement) plus about 1.2 KiB per path (coefficient draws, running
#: state, one month's transient arrays); the budget uses 1.5-2x these figures.
SIM_BYTES_PER_CELL = 32
SIM_BYTES_PER_PATH = 2048
MAX_PATHS = 10_000_000
MAX_SEED = 2**32 - 1


def clip(text: object, limit: int = 60) -> str:
    """``repr`` of a user value, shortened so that an error line never echoes a huge input."""
    if not isinstance(text, str):
        s = repr(text)
        return s if len(s) <= limit else s[:limit] + f"... ({len(s)} characters)"
    s = text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
    return repr(s).encode("utf-8", "backslashreplace").decode("utf-8")


def one_line(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Collapse a message to one printable line of at most ``limit`` characters."""
    s = " ".join(str(message).split())
    s = s.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(s) > limit:
        s = s[: limit - 3] + "..."
    return s


def read_bounded(path: str | Path, limit: int, what: str, *, error=DataError) -> bytes:
    """Read a regular file of at most ``limit`` bytes (never more); else one-line ``error``."""
    p = Path(path)
    name = one_line(str(p), 200)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{name}: file not found") from None
    except (OSError, ValueError) as exc:
        raise error(f"{name}: cannot read ({type(exc).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{name}: expected a {what} file, found a directory")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{name}: expected a regular {what} file (not a device, pipe or socket)")
    if st.st_size > limit:
        raise error(
            f"{name}: file is {st.st_size / MiB:.1f} MiB; a {what} file may be at most "
            f"{limit / MiB:g} MiB"
        )
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{name}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > limit:
        raise error(f"{name}: a {what} file may be at most {limit / MiB:g} MiB")
    return data


def read_text_bounded(
    path: str | Path, limit: int, what: str, *, error=DataError, encoding: str = "utf-8"
) -> str:
    """:func:`read_bounded`, decoded; invalid UTF-8 is one line naming the byte offset."""
    data = read_bounded(path, limit, what, error=error)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise error(
            f"{one_line(str(path), 200)}: expected UTF-8 text (invalid byte at offset {exc.start})"
        ) from None


def check_text(value: str, where: str, *, limit: int = MAX_FIELD_CHARS, error=DataError) -> str:
    """A name or label: at most ``limit`` characters, valid Unicode (no lone surrogates)."""
    if len(value) > limit:
        raise error(f"{where}: expected at most {limit} characters, got {len(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise error(f"{where}: expected valid Unicode text, got {clip(value)}") from None
    return value


def check_seed(seed: int | None, flag: str = "--seed") -> int | None:
    if seed is None:
        return None
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or not 0 <= seed <= MAX_SEED
    ):
        raise UsageError(f"{flag}: expected an integer in [0, {MAX_SEED}], got {clip(seed, 30)}")
    return seed


def check_simulation(paths: int, horizon: int, policies: int = 1, flag: str = "--paths") -> None:
    """Paths and horizon in range, and the run within :data:`MEMORY_BUDGET` (before any work)."""
    if (
        isinstance(paths, bool)
        or not isinstance(paths, numbers.Integral)
        or not 2 <= paths <= MAX_PATHS
    ):
        raise UsageError(f"{flag}: expected an integer in [2, {MAX_PATHS}], got {clip(paths, 30)}")
    if (
        isinstance(horizon, bool)
        or not isinstance(horizon, numbers.Integral)
        or not 1 <= horizon <= 600
    ):
        raise UsageError(
            f"--horizon: expected an integer number of months in [1, 600], got {clip(horizon, 30)}"
        )
    paths, horizon = int(paths), int(horizon)
    need = policies * paths * (horizon * SIM_BYTES_PER_CELL + SIM_BYTES_PER_PATH)
    if need > MEMORY_BUDGET:
        most = MEMORY_BUDGET // (policies * (horizon * SIM_BYTES_PER_CELL + SIM_BYTES_PER_PATH))
        raise UsageError(
            f"{flag}: {paths} paths x {horizon} months x {policies} "
            f"polic{'y' if policies == 1 else 'ies'} need about {need / GiB:.1f} GiB, above the "
            f"{MEMORY_BUDGET / GiB:g} GiB budget; use at most {most} paths at this horizon"
        )


def check_link(value: str | None, flag: str = "--backtest-report") -> str | None:
    """A link put into a page: an http(s) URL or a relative path, never another scheme
    (``javascript:``, ``data:``, ``file:``) nor a control character; the page HTML-escapes it."""
    if value is None:
        return None
    import re
    from urllib.parse import urlsplit

    s = str(value)
    bad = (
        not s.strip()
        or len(s) > 2000
        or re.search(r"[\x00-\x1f\x7f\s]", s) is not None
        or s.startswith("//")
    )
    if not bad:
        try:
            parts = urlsplit(s)
        except ValueError:
            bad = True
        else:
            if parts.scheme:
                bad = parts.scheme.lower() not in ("http", "https") or not parts.netloc
            else:
                bad = ":" in s.split("/", 1)[0]  # "javascript:..." without a parsed scheme
    if bad:
        raise UsageError(
            f"{flag}: expected a relative path or an http(s) URL without spaces, got {clip(s)}"
        )
    return s
