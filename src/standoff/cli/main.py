"""Entry point of the ``standoff`` command.

Errors caused by the user's input (a file, a flag, a value) print one line on stderr,
``error: <file or field>: <what was expected>``, and exit with code 2; no traceback.
Set ``STANDOFF_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from standoff.cli import backtest as backtest_cmd
from standoff.cli import bargain as bargain_cmd
from standoff.cli import brief as brief_cmd
from standoff.cli import forecast as forecast_cmd
from standoff.cli import game as game_cmd
from standoff.cli import history as history_cmd
from standoff.cli import scenario as scenario_cmd
from standoff.cli import serve as serve_cmd
from standoff.cli._common import State, err_console
from standoff.errors import StandoffError

app = typer.Typer(
    name="standoff",
    help="Model, forecast and stress-test nuclear standoffs (flagship case: the Korean Peninsula).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
) -> None:
    """standoff: sourced history, scenarios, models and forecasts of nuclear standoffs."""
    ctx.obj = State(db=db, history_dir=history)


app.add_typer(history_cmd.app, name="history")
app.add_typer(scenario_cmd.app, name="scenario")
app.command("brief")(brief_cmd.brief)
app.command("bargain")(bargain_cmd.bargain)
app.command("forecast")(forecast_cmd.forecast)
app.command("compare")(forecast_cmd.compare)
app.command("evidence")(forecast_cmd.evidence)
app.command("backtest")(backtest_cmd.backtest)
app.add_typer(game_cmd.app, name="game")
app.command("serve")(serve_cmd.serve)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return (and exit with) its exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = app(args=args, standalone_mode=False, prog_name="standoff")
        code = rv if isinstance(rv, int) else 0
    except StandoffError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        code = 2
    except typer.Exit as exc:
        code = int(getattr(exc, "exit_code", 0) or 0)
    except typer.Abort:
        err_console.print("error: aborted", markup=False)
        code = 2
    except typer.TyperException as exc:  # bad flag, missing argument, bad option value
        msg = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        err_console.print(f"error: {msg}", markup=False, highlight=False)
        code = 2
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # an unexpected error is a bug: keep it short unless debugging
        if os.environ.get("STANDOFF_DEBUG"):
            raise
        err_console.print(
            f"internal error: {type(exc).__name__}: {exc} (set STANDOFF_DEBUG=1 for the traceback)",
            markup=False,
            highlight=False,
        )
        code = 1
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
