"""Entry point of the ``standoff`` command.

Errors caused by the user's input (a file, a flag, a value) print one line on stderr,
``error: <file or field>: <what was expected>``, and exit with code 2; no traceback. So do
errors of the environment the user controls: a path the system refuses (too long, no
permission, not a directory: ``OSError``) and running out of memory. Set
``STANDOFF_DEBUG=1`` to see the traceback of an unexpected error.

Before any command runs, the arguments are checked (:func:`standoff.limits.check_argv`:
no empty option value, bounded length). Each command runs under a store
journal (:mod:`standoff.store.journal`): if it exits with any code but 0, the store files
it created are removed and the runs it added to the results store are deleted, so a failed
command leaves nothing behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from standoff.cli import backtest as backtest_cmd
from standoff.cli import bargain as bargain_cmd
from standoff.cli import brief as brief_cmd
from standoff.cli import cases as cases_cmd
from standoff.cli import forecast as forecast_cmd
from standoff.cli import forecast_log as forecast_log_cmd
from standoff.cli import game as game_cmd
from standoff.cli import history as history_cmd
from standoff.cli import scenario as scenario_cmd
from standoff.cli import sensitivity as sensitivity_cmd
from standoff.cli import serve as serve_cmd
from standoff.cli import vintages as vintages_cmd
from standoff.cli._common import State, err_console
from standoff.errors import StandoffError, UsageError
from standoff.limits import check_argv, one_line
from standoff.store import journal

#: commands that do not read ``--case`` yet: they refuse any case but the default, so that
#: nothing silently runs the Korean models on another case's data
NOT_CASE_AWARE = frozenset(
    {"forecast", "compare", "evidence", "backtest", "brief", "sensitivity", "effects", "serve"}
    | {"game", "bargain"}
)

app = typer.Typer(
    name="standoff",
    help="Model, forecast and stress-test nuclear standoffs (flagship case: the Korean Peninsula).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        import standoff

        sys.stdout.write(f"standoff {standoff.__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Path = typer.Option(
        None,
        "--db",
        help="DuckDB file for the history (default: user data dir, or $STANDOFF_HOME).",
    ),
    history: Path = typer.Option(
        None, "--history", help="Directory of history tables in the export format (validated)."
    ),
    vintage: str = typer.Option(
        None,
        "--vintage",
        help="Vintage of the history (id from `standoff history vintages`; default: the latest).",
    ),
    case: str = typer.Option(
        "korea",
        "--case",
        help="The standoff to work on (see `standoff cases`): korea (default) or iran.",
    ),
    progress: bool = typer.Option(
        None,
        "--progress/--no-progress",
        help="Progress bars on stderr for long work (default: on a terminal, not with --json).",
    ),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the installed version and exit.",
    ),
) -> None:
    """standoff: sourced history, scenarios, models and forecasts of nuclear standoffs."""
    from standoff.cases import DEFAULT_CASE, check_case_name

    ctx.obj = State(db=db, history_dir=history, vintage=vintage, case=check_case_name(case))
    if case != DEFAULT_CASE and ctx.invoked_subcommand in NOT_CASE_AWARE:
        raise UsageError(
            f"--case {case}: `standoff {ctx.invoked_subcommand}` runs the Korean models only; "
            "for other cases it comes with phase 2b of issue 20 (the simulator on a case's targets)"
        )
    if progress is not None:
        from standoff.progress import configure

        configure(progress)


history_cmd.app.command("update")(vintages_cmd.update)
history_cmd.app.command("vintages")(vintages_cmd.vintages)
app.add_typer(history_cmd.app, name="history")
app.command("cases")(cases_cmd.cases)
app.add_typer(scenario_cmd.app, name="scenario")
app.command("brief")(brief_cmd.brief)
app.command("bargain")(bargain_cmd.bargain)
forecast_app = typer.Typer(
    help=forecast_cmd.forecast.__doc__, pretty_exceptions_enable=False, rich_markup_mode=None
)
forecast_app.callback(invoke_without_command=True)(forecast_cmd.forecast)
forecast_app.command("diff")(forecast_log_cmd.diff)
forecast_app.command("scores")(forecast_log_cmd.scores)
app.add_typer(forecast_app, name="forecast")
app.command("compare")(forecast_cmd.compare)
app.command("evidence")(forecast_cmd.evidence)
app.command("backtest")(backtest_cmd.backtest)
app.add_typer(game_cmd.app, name="game")
app.command("sensitivity")(sensitivity_cmd.sensitivity)
app.command("serve")(serve_cmd.serve)


def _fast_summary(args: list[str]) -> bool:
    """``standoff history summary [--by X] [--as-of D] [--json|--format F]`` from the summary
    cache without going through typer (whose parameter coercion imports pydantic: about 0.15 s
    of CPU). Any other argument, or a cache miss, returns False and the command runs normally."""
    if args[:2] != ["history", "summary"]:
        return False
    opts: dict[str, str | None] = {"--by": None, "--as-of": None, "--format": None}
    json_out, rest = False, args[2:]
    while rest:
        a = rest.pop(0)
        name, eq, value = a.partition("=")
        if a == "--json":
            json_out = True
        elif name in opts and opts[name] is None and (eq or rest):
            opts[name] = value if eq else rest.pop(0)
            if not opts[name] or opts[name].startswith("-"):
                return False
        else:
            return False
    fmt = opts["--format"]
    if fmt not in (None, "table", "csv", "json") or (json_out and fmt not in (None, "json")):
        return False
    from standoff.cli import _summary_cache

    out = _summary_cache.get(opts["--by"], opts["--as-of"])
    if out is None:
        return False
    history_cmd.render_summary(out, opts["--by"], "json" if json_out else (fmt or "table"))
    return True


def _machine_output(args: list[str]) -> bool:
    """Does this command line ask for machine-readable output (``--json``, ``--format
    csv|json``)? Then progress bars stay off unless ``--progress`` is given."""
    for i, a in enumerate(args):
        if a == "--json" or a in ("--format=json", "--format=csv"):
            return True
        if a == "--format" and i + 1 < len(args) and args[i + 1] in ("json", "csv"):
            return True
    return False


def _takes_value(option: str) -> bool:
    """Does ``option`` (of any command) take a value? (Asked only for an empty argument.)"""
    names: set[str] = set()
    todo = [typer.main.get_command(app)]
    while todo:
        cmd = todo.pop()
        for p in cmd.params:  # (typer's own click: compare by attributes, not class)
            if getattr(p, "param_type_name", "") == "option" and not (
                getattr(p, "is_flag", False) or getattr(p, "count", False)
            ):
                names.update(p.opts)
        todo.extend(getattr(cmd, "commands", {}).values())
    return option in names


def _error(line: str) -> None:
    err_console.print(one_line(line), markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return (and exit with) its exit code."""
    from standoff.progress import configure

    args = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in a name never crashes output
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    configure(False if _machine_output(list(args)) else None)  # --progress overrides
    journal.open_journal()
    try:
        check_argv(list(args), _takes_value)
        if _fast_summary(list(args)):
            code = 0
            journal.commit()
            if argv is None:
                sys.exit(code)
            return code
        rv = app(args=args, standalone_mode=False, prog_name="standoff")
        code = rv if isinstance(rv, int) else 0
    except StandoffError as exc:
        # one line, at most 500 characters: never echo a huge input back
        _error(f"error: {exc}")
        code = 2
    except typer.Exit as exc:
        code = int(getattr(exc, "exit_code", 0) or 0)
    except typer.Abort:
        _error("error: aborted")
        code = 2
    except typer.TyperException as exc:  # bad flag, missing argument, bad option value
        msg = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        _error(f"error: {msg}")
        code = 2
    except BrokenPipeError:
        code = 0
    except OSError as exc:  # the system refused a path the user gave: name it
        name = exc.filename if exc.filename is not None else "file"
        _error(f"error: {name}: {exc.strerror or type(exc).__name__}")
        code = 2
    except MemoryError:
        _error(
            "error: not enough memory for this command (the machine or the process limit); "
            "ask for less work (fewer paths, runs or rows)"
        )
        code = 2
    except RecursionError:
        _error("error: an input is nested too deeply to be read")
        code = 2
    except Exception as exc:  # an unexpected error is a bug: keep it short unless debugging
        if os.environ.get("STANDOFF_DEBUG"):
            journal.rollback()
            raise
        _error(
            f"internal error: {type(exc).__name__}: {exc} (set STANDOFF_DEBUG=1 for the traceback)"
        )
        code = 1
    except KeyboardInterrupt:  # an interruption keeps what was stored (sensitivity --resume)
        journal.commit()
        raise
    if code == 0:
        journal.commit()
    else:
        for problem in journal.rollback():
            _error(f"note: {problem}")
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
