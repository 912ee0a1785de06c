"""The shared Jinja2 templates: one layout, autoescaped user text, filters."""

from __future__ import annotations

import math

from standoff.templates import Markup, environment, render


def test_user_text_is_escaped_and_markup_is_not():
    page = render(
        "chart_page.html",
        title="<script>x</script>",
        kind="k",
        as_of="",
        b64="QQ==",
        sources=[("S1", "<b>cite</b>")],
    )
    assert page.startswith("<!doctype html>")
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;cite&lt;/b&gt;" in page
    frag = render(
        "briefing.html",
        title="t",
        origin="o",
        as_of="2018-01-01",
        sections=[("A & B", Markup("<p>built by standoff</p>"))],
    )
    assert "<p>built by standoff</p>" in frag and "A &amp; B" in frag


def test_every_page_shares_the_base_layout():
    env = environment()
    base_style = "border-collapse: collapse"
    for name in ("briefing.html", "backtest_report.html", "chart_page.html"):
        src = env.loader.get_source(env, name)[0]
        assert '{% extends "base.html" %}' in src
    assert base_style in env.loader.get_source(env, "base.html")[0]


def test_filters_show_a_dash_for_missing():
    env = environment()
    assert env.filters["pct"](0.1234) == "12.3%"
    assert env.filters["pct"](None) == "–" and env.filters["pct"](math.nan) == "–"
    assert env.filters["fmt"](1.5, ".2f") == "1.50" and env.filters["fmt"](math.inf) == "–"
