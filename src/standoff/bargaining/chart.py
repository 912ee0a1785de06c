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

__all__ = [
    "trajectory_html",
    "trajectory_png",
    "winset_png",
    "write_chart",
    "write_winset_chart",
]


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


def winset_png(deal, *, width: float = 7.0, height: float = 4.6) -> bytes:
    """PNG of a 2-D deal space's win-set (a :class:`~standoff.bargaining.deal.DealResult`):
    positions, status quo, each veto player's indifference curve through it, the feasible
    region and packages, and where each model settles."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    data = deal.chart_data()
    if data is None:
        raise UsageError("--chart: the win-set picture needs a deal space of two dimensions")
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    reg = data["region"]
    ax.contourf(reg["x"], reg["y"], np.asarray(reg["z"]), levels=[0.5, 1.5], colors=["#b7e4c7"])
    for k, (a, cur) in enumerate(data["curves"].items()):
        xs = np.array([np.nan if v is None else v for v in cur["x"]], dtype=float)
        ys = np.array([np.nan if v is None else v for v in cur["y"]], dtype=float)
        ax.plot(
            xs, ys, lw=1, ls=("-", "--", "-.", ":")[k % 4], label=f"{a} indifferent to status quo"
        )
    fx, fy = data["feasible"]["x"], data["feasible"]["y"]
    ax.scatter(fx, fy, s=14, color="#2d6a4f", marker="s", label="feasible package", zorder=3)
    ax.scatter(data["x"], data["y"], s=30, color="black", zorder=4)
    for a, x, y in zip(data["actors"], data["x"], data["y"], strict=True):
        ax.annotate(a, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=8)
    sq = data["status_quo"]
    ax.scatter([sq[0]], [sq[1]], s=60, marker="X", color="tab:red", zorder=5, label="status quo")
    for m in data["settlements"]:
        ax.scatter([m["x"]], [m["y"]], s=22, marker="^", zorder=4)
        ax.annotate(
            m["model"],
            (m["x"], m["y"]),
            textcoords="offset points",
            xytext=(3, -9),
            fontsize=7,
            color="#444",
        )
    if data["recommended"] is not None:
        r = data["recommended"]
        ax.scatter(
            [r[0]],
            [r[1]],
            s=120,
            facecolors="none",
            edgecolors="#1b4332",
            lw=2,
            zorder=6,
            label="recommended package",
        )
    (x0, x1), (y0, y1) = data["scales"]
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(data["titles"][0])
    ax.set_ylabel(data["titles"][1])
    ax.set_title(
        f"{deal.problem.title}: win-set of the veto players ({', '.join(data['veto'])})", fontsize=9
    )
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.subplots_adjust(right=0.66)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_winset_chart(deal, path: str | Path) -> Path:
    """Write the win-set picture as PNG (``.png``) or self-contained HTML (``.html``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".html", ".htm"):
        raise UsageError(f"--chart: expected a path ending in .png or .html, got {str(path)!r}")
    png = winset_png(deal)
    try:
        if suffix == ".png":
            path.write_bytes(png)
        else:
            title = html.escape(f"{deal.problem.title}: win-set")
            path.write_text(
                '<!doctype html>\n<html><head><meta charset="utf-8"><title>'
                f"{title}</title></head><body>\n<h1>{title}</h1>\n"
                f'<img alt="win-set" src="{png_data_uri(png)}">\n</body></html>\n',
                encoding="utf-8",
            )
    except OSError as exc:
        raise UsageError(f"--chart: cannot write {path} ({exc.strerror or exc})") from None
    return path
