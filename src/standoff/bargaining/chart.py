"""Charts of position trajectories (matplotlib, Agg backend): PNG bytes or a self-contained HTML.

One line per actor (position per round, round 0 = input), a dashed line at the model's
forecast and a dotted line at the compromise model, on the input's own scale.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from standoff.bargaining.baselines import compromise
from standoff.bargaining.models import Forecast
from standoff.errors import UsageError

__all__ = ["trajectory_html", "trajectory_png", "write_chart"]


def trajectory_png(fc: Forecast, *, width: float = 7.0, height: float = 4.0) -> bytes:
    """PNG bytes of the actors' positions per round for one forecast."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    p = fc.problem
    pos = fc.positions
    rounds = np.arange(pos.shape[0])
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    # actors often share a position: vary marker and line style so that every line stays
    # visible where others overlap it
    markers = "osD^vP*X<>"
    for k, name in enumerate(p.actors[:40]):
        ax.plot(
            rounds,
            pos[:, k],
            marker=markers[k % len(markers)] if pos.shape[0] < 25 else None,
            ms=4,
            mfc="none",
            lw=1.2,
            ls=("-", "--", "-.", ":")[(k // 10) % 4],
            alpha=0.85,
            label=name,
        )
    if fc.value is not None:
        ax.axhline(fc.value, color="black", ls="--", lw=1, label=f"{fc.model} forecast")
    for label, value in (fc.details.get("extra_lines") or {}).items():
        if value is not None and label != "compromise":
            ax.axhline(value, color="tab:red", ls="-.", lw=1, label=f"{label} forecast")
    ax.axhline(compromise(p), color="grey", ls=":", lw=1, label="compromise model")
    ax.set_xlabel("round")
    low, high = p.meta.get("low"), p.meta.get("high")
    lo, hi = p.scale
    ax.set_ylabel(
        f"position ({lo:g} = {low}, {hi:g} = {high})"
        if low and high
        else f"position on the issue's scale [{lo:g}, {hi:g}]",
        fontsize=9,
    )
    ax.set_ylim(
        p.scale[0] - 0.03 * (p.scale[1] - p.scale[0]), p.scale[1] + 0.03 * (p.scale[1] - p.scale[0])
    )
    if pos.shape[0] > 1:
        ax.set_xlim(0, pos.shape[0] - 1)
    ax.set_title(f"{p.name}: {fc.model}" + (f"\n{p.title[:90]}" if p.title else ""), fontsize=9)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.subplots_adjust(right=0.72)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def trajectory_html(fc: Forecast) -> str:
    """A self-contained HTML page (embedded PNG, no external files or scripts)."""
    title = html.escape(f"{fc.problem.name}: {fc.model}")
    img = png_data_uri(trajectory_png(fc))
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8"><title>'
        f"{title}</title></head><body>\n<h1>{title}</h1>\n"
        f'<img alt="position trajectories" src="{img}">\n</body></html>\n'
    )


def write_chart(fc: Forecast, path: str | Path) -> Path:
    """Write ``path`` as PNG (``.png``) or HTML (``.html``/``.htm``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".html", ".htm"):
        raise UsageError(f"--chart: expected a path ending in .png or .html, got {str(path)!r}")
    try:
        if suffix == ".png":
            path.write_bytes(trajectory_png(fc))
        else:
            path.write_text(trajectory_html(fc), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--chart: cannot write {path} ({exc.strerror or exc})") from None
    return path
