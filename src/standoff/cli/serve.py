"""``standoff serve``: the analyst's workbench (local web app and JSON API)."""

from __future__ import annotations

from pathlib import Path

import typer

from standoff.cli._common import err_console, state
from standoff.errors import UsageError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def serve(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Interface to bind (default: local only)."
    ),
    port: int = typer.Option(8000, "--port", help="TCP port (1-65535; 0 = any free port)."),
    db: Path = typer.Option(None, "--db", help="DuckDB file for the history (as the global --db)."),
    history: Path = typer.Option(
        None, "--history", help="Directory of history tables (as the global --history)."
    ),
    allow_host: list[str] = typer.Option(
        None,
        "--allow-host",
        help="Another name the app answers to in the Host header (repeatable; '*' for any, "
        "which turns off the DNS-rebinding protection). Default: loopback names, plus --host.",
        show_default=False,
    ),
) -> None:
    """Start the local web app: Outlook, Policies, History, Bargaining, Games, Track record."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port: expected an integer in [0, 65535], got {port}")
    st = state(ctx)
    db = db if db is not None else st.db
    history = history if history is not None else st.history_dir
    allowed = allowed_hosts(host, allow_host or [])
    if host not in LOCAL_HOSTS:
        err_console.print(
            f"warning: serving on {host}: anyone who can reach this address can use the app "
            "(no authentication). Use the default 127.0.0.1 unless you mean it.",
            markup=False,
        )
    if allowed is None:
        err_console.print(
            "warning: --allow-host '*': any Host header is accepted (no protection against "
            "DNS rebinding); cross-site requests are still refused.",
            markup=False,
        )
    import uvicorn

    from standoff.web.app import create_app

    app = create_app(history, db, allowed_hosts=allowed)
    err_console.print(f"standoff serve: http://{host}:{port}/ (Ctrl-C to stop)", markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def allowed_hosts(host: str, extra: list[str]) -> frozenset[str] | None:
    """The Host names the app answers to: loopback, ``--host`` itself (a wildcard bind adds
    this machine's names), and every ``--allow-host``; ``None`` for ``'*'`` (any)."""
    import socket

    from standoff.web.app import LOOPBACK_HOSTS, host_name

    names = set(LOOPBACK_HOSTS)
    for value in [host, *extra]:
        v = value.strip().lower()
        if v == "*":
            return None
        if v in ("0.0.0.0", "::", "[::]"):
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
            continue
        if ":" in v and not v.startswith("["):
            v = f"[{v}]"  # an IPv6 address as a Host header writes it
        name = host_name(v)
        if name is None:
            raise UsageError(f"--allow-host: expected a host name or address, got {value!r}")
        names.add(name)
    return frozenset(names)
