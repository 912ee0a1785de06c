"""Charts of the history (matplotlib, Agg backend): PNG files or self-contained HTML.

Every chart takes a :class:`~standoff.history.History` (possibly an as-of view) and returns a
matplotlib Figure; :func:`save_chart` writes it as PNG, or as an HTML page with the image
embedded and the data sources under it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from standoff.errors import UsageError
from standoff.history.schema import MISSILE_TYPES
from standoff.templates import Markup, environment, render

TYPE_COLOURS = {
    "SRBM": "#4c72b0",
    "MRBM": "#55a868",
    "IRBM": "#c44e52",
    "ICBM": "#8172b2",
    "SLBM": "#ccb974",
    "SLV": "#64b5cd",
    "HGV": "#e17c05",
    "unknown": "#a0a0a0",
}
LEADER_COLOURS = {"Kim Il Sung": "#f2f2f2", "Kim Jong Il": "#e6e6e6", "Kim Jong Un": "#f7f0e6"}


def _end_year(h) -> int:
    return int((h.as_of_date or h.latest_date).year)


def launches_by_year(h) -> plt.Figure:
    la = h.tables["launches"]
    years = np.arange(1984, _end_year(h) + 1)
    counts = (
        la.assign(year=la["date"].dt.year)
        .pivot_table(index="year", columns="type", values="id", aggfunc="count", fill_value=0)
        .reindex(index=years, columns=list(MISSILE_TYPES), fill_value=0)
    )
    fig, ax = plt.subplots(figsize=(11, 4.2))
    lead = h.tables["leaders"]
    for _, r in lead.iterrows():
        a = max(r["start"].year + r["start"].day_of_year / 366, years[0] - 0.5)
        b = (r["end"].year + r["end"].day_of_year / 366) if pd.notna(r["end"]) else years[-1] + 0.5
        ax.axvspan(a - 0.5, b - 0.5, color=LEADER_COLOURS.get(r["leader"], "#eee"), zorder=0)
        ax.text(
            (a + b) / 2 - 0.5,
            0.97,
            r["leader"],
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
            fontsize=8,
            color="#555",
        )
    bottom = np.zeros(len(years))
    for t in MISSILE_TYPES:
        v = counts[t].to_numpy()
        if v.sum():
            ax.bar(years, v, bottom=bottom, color=TYPE_COLOURS[t], label=t, width=0.8, zorder=2)
            bottom += v
    nt = h.tables["nuclear_tests"]
    for d in nt["date"]:
        ax.axvline(d.year + d.day_of_year / 366 - 0.5, color="black", lw=0.8, ls=":", zorder=1)
    if len(nt):
        ax.plot([], [], color="black", lw=0.8, ls=":", label="nuclear test")
    cov = h.coverage_end("launches")
    if cov is not None and cov.month < 12 and cov.year <= years[-1]:
        ax.annotate(
            f"to {cov.date()}\n(preliminary)",
            (cov.year, bottom[years == cov.year][0]),
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            fontsize=7,
        )
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    ax.set_ylabel("missiles (CNS unit: one per missile)")
    ax.set_title("North Korean missile tests per year, by type")
    ax.legend(ncol=5, fontsize=8, loc="upper left", bbox_to_anchor=(0, 0.9), frameon=False)
    ax.grid(axis="y", alpha=0.3, zorder=1)
    fig.tight_layout()
    return fig


def launches_by_leader(h) -> plt.Figure:
    la = h.tables["launches"]
    leaders = list(h.tables["leaders"].sort_values("start")["leader"])
    counts = la.pivot_table(
        index="leader", columns="type", values="id", aggfunc="count", fill_value=0
    ).reindex(index=leaders, columns=list(MISSILE_TYPES), fill_value=0)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    left = np.zeros(len(leaders))
    for t in MISSILE_TYPES:
        v = counts[t].to_numpy()
        if v.sum():
            ax.barh(leaders, v, left=left, color=TYPE_COLOURS[t], label=t)
            left += v
    for i, total in enumerate(left):
        ax.text(total + 1, i, str(int(total)), va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("missiles (CNS unit)")
    ax.set_title("Missile tests by leader")
    ax.legend(fontsize=8, ncol=4, frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def launches_by_type(h) -> plt.Figure:
    la = h.tables["launches"]
    counts = la["type"].value_counts().reindex(list(MISSILE_TYPES), fill_value=0)
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.bar(counts.index, counts.to_numpy(), color=[TYPE_COLOURS[t] for t in counts.index])
    for i, v in enumerate(counts.to_numpy()):
        ax.text(i, v + 1, str(int(v)), ha="center", fontsize=9)
    ax.set_ylabel("missiles (CNS unit)")
    ax.set_title("Missile tests by type")
    fig.tight_layout()
    return fig


def sanctions_timeline(h) -> plt.Figure:
    mo = h.monthly
    mo = mo[mo["month"] >= "1993-01"]
    x = pd.PeriodIndex(mo["month"], freq="M").to_timestamp()
    fig, ax = plt.subplots(figsize=(11, 4))
    ax.step(x, mo["sanctions_intensity"].astype(float), where="post", color="#c44e52", lw=2)
    ax.fill_between(
        x, mo["sanctions_intensity"].astype(float), step="post", color="#c44e52", alpha=0.12
    )
    sa = h.tables["sanctions"]
    shown = sa[sa["kind"] != "panel_renewal"].reset_index(drop=True)
    for i, r in shown.iterrows():
        failed = not bool(r["adopted"])
        ax.axvline(
            r["date"],
            color="#333" if not failed else "#1f77b4",
            lw=0.6,
            ls="--" if failed else "-",
            alpha=0.6,
        )
        label = r["document"].split(" ")[0].replace("S/RES/", "") if not failed else "veto"
        ax.text(
            r["date"],
            101 + 9 * (i % 2),
            label,
            rotation=90,
            fontsize=7,
            ha="center",
            va="bottom",
            color="#1f77b4" if failed else "#333",
        )
    ax.set_ylim(0, 100)
    ax.set_ylabel("sanctions-intensity index (0-100)")
    ax.set_title("UN Security Council sanctions on the DPRK: index of measures in force", pad=40)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def diplomacy_timeline(h) -> plt.Figure:
    dp = h.tables["diplomacy"]
    end_all = h.as_of_date or h.latest_date
    lanes = [
        ("processes", dp["kind"] == "process", "#8da0cb"),
        ("agreements in force", dp["kind"] == "agreement", "#66c2a5"),
        ("moratoria / measures", dp["kind"].isin(["unilateral", "financial_measure"]), "#fc8d62"),
    ]
    fig, ax = plt.subplots(figsize=(11, 4.2))
    y = 0.0
    for _label, sel, colour in lanes:
        for _, r in dp[sel].iterrows():
            if r["kind"] == "process":
                end = r["date_end"]
                open_ended = True
            elif r["kind"] == "financial_measure":
                end, open_ended = r["date_end"], True
            else:
                end = r["in_force_to"]
                # agreements without an end are in force as of the data; a unilateral step
                # without a recorded end is shown as a point
                open_ended = r["kind"] == "agreement"
            if pd.isna(end) and open_ended:
                end = end_all
            if pd.isna(end):
                ax.scatter([r["date_start"]], [y], marker="|", color=colour, s=80)
            else:
                ax.barh(
                    y,
                    max((end - r["date_start"]).days, 20),
                    left=r["date_start"],
                    height=0.6,
                    color=colour,
                    alpha=0.8,
                )
            ax.text(r["date_start"], y, " " + r["id"], va="center", fontsize=6)
            y += 1
        y += 0.5
    marks = [("talks", "o", "#1f77b4"), ("summit", "*", "#d62728"), ("collapse", "x", "black")]
    for kind, marker, colour in marks:
        rows = dp[dp["kind"] == kind]
        ax.scatter(
            rows["date_start"],
            np.full(len(rows), y + 0.5),
            marker=marker,
            color=colour,
            label=kind,
            s=40 if marker == "*" else 20,
            zorder=3,
        )
    ax.set_yticks([])
    ax.set_ylim(-1, y + 1.5)
    ax.set_title(
        "Diplomacy: processes, agreements in force, unilateral steps; talks, summits, collapses (top)"
    )
    ax.legend(fontsize=8, ncol=3, loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


CHARTS: dict[str, tuple[Callable, str]] = {
    "launches-by-year": (launches_by_year, "launches"),
    "launches-by-leader": (launches_by_leader, "launches"),
    "launches-by-type": (launches_by_type, "launches"),
    "sanctions": (sanctions_timeline, "sanctions"),
    "diplomacy": (diplomacy_timeline, "diplomacy"),
}


def make_chart(h, kind: str) -> plt.Figure:
    if kind not in CHARTS:
        raise UsageError(f"chart: unknown kind {kind!r} (expected one of {', '.join(CHARTS)})")
    return CHARTS[kind][0](h)


def figure_png(fig: plt.Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def img_tag(png: bytes, alt: str) -> Markup:
    """``<img>`` with the PNG embedded (the ``png`` macro of the shared templates)."""
    b64 = base64.b64encode(png).decode("ascii")
    return environment().get_template("_macros.html").module.png(b64, alt)


def save_chart(h, kind: str, out: str | Path) -> Path:
    """Write chart ``kind`` to ``out`` (``.png`` or ``.html``); nothing is written on error."""
    out = Path(out)
    if out.suffix.lower() not in (".png", ".html"):
        raise UsageError(f"--out: expected a path ending in .png or .html, got {str(out)!r}")
    if not out.parent.exists():
        raise UsageError(f"--out: directory {str(out.parent)!r} does not exist")
    png = figure_png(make_chart(h, kind))
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix.lower() == ".png":
        tmp.write_bytes(png)
    else:
        table = CHARTS[kind][1]
        srcs = sorted({s for cell in h.tables[table]["sources"] for s in str(cell).split("; ")})
        cites = h.tables["sources"].set_index("id")["citation"]
        as_of = f" as of {h.as_of_date.date()}" if h.as_of_date is not None else ""
        page = render(
            "chart_page.html",
            title=f"standoff: {kind}",
            kind=kind,
            as_of=as_of,
            b64=base64.b64encode(png).decode("ascii"),
            sources=[(s, str(cites.get(s, ""))) for s in srcs],
        )
        tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
