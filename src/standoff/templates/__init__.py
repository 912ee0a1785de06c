"""The one place for standoff's HTML: Jinja2 templates shared by the briefing, the reports and
the web app (``standoff serve``).

``base.html`` is the page layout (head, shared style, optional navigation); every full page
(the briefing, the backtest report, a chart page, each web page) extends it. Fragments that
other pages embed (the briefing's sections) are templates of their own under ``sections/``.
Autoescaping is on: user-supplied text is always escaped; only HTML that standoff itself built
(an embedded chart, a rendered fragment) is marked safe, with :func:`markupsafe.Markup`.
"""

from __future__ import annotations

import math
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

__all__ = ["Markup", "environment", "render"]


def _pct(x, digits: int = 1) -> str:
    """0.123 -> '12.3%'; a missing value -> '–'."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{100.0 * x:.{digits}f}%"


def _fmt(x, spec: str = "g", missing: str = "–") -> str:
    """Python format spec, '–' (or ``missing``) for None/NaN."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return missing
    return format(x, spec)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("standoff", "templates"),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["pct"] = _pct
    env.filters["fmt"] = _fmt
    from standoff.labels import label, skill, target  # words for names (one label map)

    env.filters["label"] = label
    env.filters["target"] = target
    env.filters["skill"] = skill
    return env


def render(name: str, /, **context) -> str:
    """Render template ``name`` (e.g. ``"briefing.html"``) with ``context``."""
    return environment().get_template(name).render(**context)
