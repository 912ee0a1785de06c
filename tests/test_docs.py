"""Every CLI command is documented in the README and has help text (sqlite-utils style)."""

from __future__ import annotations

import re

import typer.main

from standoff.cli.main import app


def _paths(cmd, prefix=()):
    subs = getattr(cmd, "commands", None)
    if not subs:
        yield prefix
        return
    for name, sub in subs.items():
        yield from _paths(sub, (*prefix, name))


def test_every_command_is_in_the_readme(repo_root):
    """Each command path appears on a line of the README's CLI reference ("standoff group cmd",
    or "standoff group a|b|c")."""
    readme = (repo_root / "README.md").read_text(encoding="utf-8").splitlines()
    root = typer.main.get_command(app)
    missing = []
    for path in _paths(root):
        prefix = "`standoff " + path[0]
        lines = [ln for ln in readme if ln.startswith("| " + prefix)]
        cells = [re.match(r"^\| `([^`]*)`", ln).group(1) for ln in lines]
        ok = any(re.search(rf"(?<![\w-]){re.escape(path[-1])}(?![\w-])", c) for c in cells)
        if not ok:
            missing.append(" ".join(path))
    assert not missing, f"commands missing from the README's CLI reference: {missing}"


def test_readme_states_the_two_commands(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    head = readme[:1500]
    assert "make run" in head and "make test" in head
    ci = (repo_root / ".ci" / "run").read_text()
    assert "make test" in ci
