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
* seeds are integers in [0, 2^32 - 1] (the range standoff records when it draws one);
* integers in a YAML or JSON file at most :data:`MAX_INT_DIGITS` digits (Python refuses to
  convert longer ones, and no value of standoff needs them); JSON nesting at most
  :data:`JSON_MAX_DEPTH` levels; a source copy given to ``history update`` at most
  :data:`SOURCE_MAX_BYTES`;
* bargaining work: estimated from the number of actors, the rounds of the dynamic models,
  the models run and the ensemble runs (:func:`bargain_seconds`), and refused above
  :data:`BARGAIN_CLI_SECONDS` (the CLI) or the web app's own budget before anything runs;
* command-line arguments: option values not empty, no argument longer than
  :data:`MAX_ARG_CHARS`.
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
#: digits of the longest integer accepted in a YAML or JSON file (Python's own limit on
#: int <-> str conversion is 4,300 digits; 4,000 leaves room and no value needs more)
MAX_INT_DIGITS = 4_000
JSON_MAX_DEPTH = 64
#: a source copy read by ``history update --from`` (the largest bundled one is 3 MiB)
SOURCE_MAX_BYTES = 64 * MiB
#: longest command-line argument (a SQL query, a path); Linux allows 128 KiB per argument
MAX_ARG_CHARS = 100_000


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


def open_regular(path: str | Path, what: str, *, error=DataError) -> int:
    """Open ``path`` for reading only if it is a regular file; returns the descriptor.

    A FIFO, a socket or a device (``/dev/null``, ``/dev/zero``) is refused without blocking:
    the file is opened with ``O_NONBLOCK`` (an open FIFO without a writer returns at once),
    and its type is checked on the open descriptor (no race with a rename). A directory and
    a missing file are refused with one line naming them."""
    name = one_line(str(path), 200)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        st = os.stat(path)  # refuse special files before opening them at all
    except FileNotFoundError:
        raise error(f"{name}: file not found") from None
    except (OSError, ValueError) as exc:
        raise error(f"{name}: cannot read ({_why(exc)})") from None
    _check_regular(st, name, what, error)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(f"{name}: file not found") from None
    except (OSError, ValueError) as exc:
        raise error(f"{name}: cannot read ({_why(exc)})") from None
    try:
        _check_regular(os.fstat(fd), name, what, error)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def _check_regular(st: os.stat_result, name: str, what: str, error) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{name}: expected a {what} file, found a directory")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{name}: expected a regular {what} file (not a device, pipe or socket)")


def read_bounded(path: str | Path, limit: int, what: str, *, error=DataError) -> bytes:
    """Read a regular file of at most ``limit`` bytes (never more); else one-line ``error``."""
    name = one_line(str(path), 200)
    fd = open_regular(path, what, error=error)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise error(
                f"{name}: file is {size / MiB:.1f} MiB; a {what} file may be at most "
                f"{limit / MiB:g} MiB"
            )
        chunks, got = [], 0
        while got <= limit:
            try:
                chunk = os.read(fd, min(limit + 1 - got, 1 << 20))
            except BlockingIOError:  # pragma: no cover - regular files never block
                continue
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise error(f"{name}: cannot read ({_why(exc)})") from None
    finally:
        os.close(fd)
    if got > limit:
        raise error(f"{name}: a {what} file may be at most {limit / MiB:g} MiB")
    return b"".join(chunks)


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


# ---------------------------------------------------------------------- JSON
def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def load_json_bounded(data: bytes | str, where: str, *, error=DataError) -> object:
    """``json.loads`` with integers of at most :data:`MAX_INT_DIGITS` digits and nesting of at
    most :data:`JSON_MAX_DEPTH` levels; anything else is one line naming ``where``."""
    import json

    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(
                f"{where}: expected UTF-8 JSON text (invalid byte at offset {exc.start})"
            ) from None
    try:
        obj = json.loads(data, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise error(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # the digit limit
        raise error(one_line(f"{where}: not valid JSON for standoff ({exc})")) from None
    except RecursionError:  # the C parser stops at the interpreter's recursion limit
        raise error(f"{where}: JSON nested deeper than {JSON_MAX_DEPTH} levels") from None
    check_depth(obj, where, error=error)
    return obj


def check_depth(obj: object, where: str, *, limit: int = JSON_MAX_DEPTH, error=DataError) -> None:
    """Refuse a parsed document nested deeper than ``limit`` levels or holding a string that
    is not valid Unicode (a lone surrogate from a ``\\ud800`` escape); an iterative walk."""
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, str):
            _valid_unicode(o, where, error)
            continue
        if isinstance(o, dict):
            for k in o:
                if isinstance(k, str):
                    _valid_unicode(k, where, error)
            children = o.values()
        elif isinstance(o, list):
            children = o
        else:
            continue
        if d > limit:
            raise error(f"{where}: JSON nested deeper than {limit} levels")
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list, str)))


def _valid_unicode(s: str, where: str, error) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise error(f"{where}: expected valid Unicode text, got {clip(s)}") from None


# ---------------------------------------------------------------------- command line
def check_argv(args: list[str], takes_value=None) -> None:
    """Refuse arguments no command can use, before any command runs: an argument longer
    than :data:`MAX_ARG_CHARS`, and an empty value of an option (``--scenario ''``,
    ``--scenario=``), which would otherwise fall back to a default silently.

    ``takes_value(name)`` says whether an option takes a value (the CLI asks its own
    commands; called only when an argument is empty); without it every option but a few
    known flags does.

    A lone surrogate (what a byte that is not UTF-8 becomes) is allowed here: it is a valid
    file name on Linux. Where text must be Unicode (SQL, names, labels) it is refused there
    (:func:`check_text`, the SQL sandbox), and output escapes it."""
    takes_value = takes_value or (lambda name: name not in _FLAGS_WITHOUT_VALUE)
    for i, a in enumerate(args):
        prev = args[i - 1] if i else ""
        name = prev if prev.startswith("--") and "=" not in prev else f"argument {i + 1}"
        if a.startswith("--") and "=" in a:
            name = a.split("=", 1)[0]
        if len(a) > MAX_ARG_CHARS:
            raise UsageError(
                f"{one_line(name, 80)}: expected at most {MAX_ARG_CHARS:,} characters, got {len(a):,}"
            )
        if a.startswith("--") and a.endswith("=") and len(a) > 3:
            raise UsageError(f"{one_line(a[:-1], 80)}: expected a value, got an empty one")
        if (
            not a.strip()
            and prev.startswith("-")
            and "=" not in prev
            and len(prev) > 1
            and takes_value(prev)
        ):
            raise UsageError(f"{one_line(prev, 80)}: expected a value, got an empty one")


#: flags that take no value (when the caller cannot say)
_FLAGS_WITHOUT_VALUE = frozenset(
    {"--json", "--help", "--version", "--progress", "--no-progress", "--raw", "--record"}
)


# ---------------------------------------------------------------------- bargaining work
#: Estimated seconds of the bargaining models, per run, on ``n`` actors (one core). The
#: dynamic models cost ``per round`` times their rounds (the cap: eum stops earlier when it
#: converges, so the estimate is an upper bound); the others one pass. Measured on the CI
#: machine (2 cores, 2026-12) with ``benchmarks`` sizes 10-1,000 actors and rounded up by
#: about a half: eum 0.46 ms per round at 10 actors and 270-350 ns x n^2 per round at
#: 200-1,000 actors; nbs 3 ms per run; the static models 0.1 ms per run (ensembles include
#: the perturbation of the input).
EUM_ROUND_BASE_S = 5e-4
EUM_ROUND_PAIR_S = 6e-7
NBS_RUN_S = 3e-3
STATIC_RUN_S = 1.5e-4
#: default rounds of the dynamic models (see :func:`standoff.bargaining.eum.run_eum`)
DYNAMIC_DEFAULT_ROUNDS = {"eum": 50, "eum-scholz": 10}
STATIC_MODELS = frozenset({"compromise", "median", "mean", "unweighted-median", "status-quo"})
#: Estimated seconds a ``standoff bargain`` command may take (all issues, models and
#: ensemble runs): about two minutes on one core.
BARGAIN_CLI_SECONDS = 120.0
#: Estimated seconds one bargaining request of the web app may take (every issue, the
#: model asked for and the others beside it): well inside its 60 s limit with four at once.
BARGAIN_WEB_SECONDS = 20.0
MAX_ENSEMBLE = 100_000


def bargain_seconds(model: str, n: int, rounds: int | None = None) -> float:
    """Estimated seconds of one run of ``model`` on ``n`` actors (see the constants above).
    A model this table does not know is costed as a dynamic model with 50 rounds."""
    n = max(int(n), 1)
    if model in STATIC_MODELS:
        return STATIC_RUN_S + 1e-7 * n
    if model == "nbs":
        return NBS_RUN_S + 2e-7 * n
    r = rounds if rounds is not None else DYNAMIC_DEFAULT_ROUNDS.get(model, 50)
    return max(int(r), 1) * (EUM_ROUND_BASE_S + EUM_ROUND_PAIR_S * n * n)


def check_bargain(
    actors: list[int],
    runs: list[tuple[str, int | None]],
    *,
    budget_s: float,
    ensemble: int | None = None,
    ensemble_model: str | None = None,
    ensemble_rounds: int | None = None,
    where: str = "bargain",
    advice: str = "use fewer actors, rounds or runs",
    error=UsageError,
) -> float:
    """Refuse bargaining work estimated above ``budget_s`` seconds, before it starts.

    ``actors``: the number of actors of every issue; ``runs``: the (model, rounds) pairs run
    on every issue; ``ensemble``: runs of ``ensemble_model`` on perturbed copies of every
    issue. The message names the bound, the estimate and its parts. Returns the estimate."""
    if ensemble is not None and not 1 <= int(ensemble) <= MAX_ENSEMBLE:
        raise error(f"--ensemble: expected a number of runs in [1, {MAX_ENSEMBLE}], got {ensemble}")
    total = 0.0
    for n in actors:
        total += sum(bargain_seconds(m, n, r) for m, r in runs)
        if ensemble:
            total += int(ensemble) * bargain_seconds(ensemble_model or "eum", n, ensemble_rounds)
    if total > budget_s:
        big = max(actors) if actors else 0
        parts = [f"{len(actors)} issue(s), up to {big:,} actors"]
        dyn = [
            f"{m} {r or DYNAMIC_DEFAULT_ROUNDS.get(m, 50)} rounds"
            for m, r in runs
            if m not in STATIC_MODELS and m != "nbs"
        ]
        if dyn:
            parts.append(", ".join(dict.fromkeys(dyn)))
        if ensemble:
            parts.append(f"{int(ensemble):,} ensemble runs of {ensemble_model}")
            one = sum(bargain_seconds(ensemble_model or "eum", n, ensemble_rounds) for n in actors)
            fit = int(max(budget_s - (total - int(ensemble) * one), 0) // one) if one else 0
            if fit >= 1:
                advice = f"use at most {fit:,} ensemble runs"
        raise error(
            f"{where}: the work is estimated at {_duration(total)} ({'; '.join(parts)}), above "
            f"the budget of {_duration(budget_s)}; {advice}"
        )
    return total


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:,.0f} h"


def check_bargain_cli(
    actors: list[int],
    model: str,
    rounds: int | None,
    ensemble: int | None,
    side_by_side: tuple[str, ...] = (),
) -> float:
    """``standoff bargain``: the whole command (every issue, the model, the models side by
    side, the ensemble) within :data:`BARGAIN_CLI_SECONDS`, estimated before it starts."""
    runs = [(model, rounds)] + [(m, rounds) for m in side_by_side if m != model]
    return check_bargain(
        actors,
        runs,
        budget_s=BARGAIN_CLI_SECONDS,
        ensemble=ensemble,
        ensemble_model=model,
        ensemble_rounds=rounds,
        where="--ensemble" if ensemble else "bargain",
        advice="use fewer actors or --rounds" if not ensemble else "use fewer runs",
    )


def check_bargain_web(
    actors: list[int], model: str, rounds: int | None, models: list[str], where: str = "file"
) -> float:
    """The web app's bargaining request (the model asked for, with ``rounds``, and every
    other model of ``models`` beside it with its default rounds, on every issue) within
    :data:`BARGAIN_WEB_SECONDS`, estimated before anything runs."""
    runs = [(model, rounds)] + [(m, None) for m in models if m != model]
    return check_bargain(
        actors,
        runs,
        budget_s=BARGAIN_WEB_SECONDS,
        where=where,
        advice="use fewer actors or rounds, or the command line (standoff bargain)",
    )
