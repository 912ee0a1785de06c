/* standoff workbench, Bargaining page: the deal space (win-set picture and tables).
   Data come from /api/bargaining/deal (built by standoff.bargaining.deal.analyse_deal);
   values go into the DOM as text only. Uses the helpers of app.js ($, el, api, plot, fmt). */
"use strict";

function dealError(msg) {
  const box = $("#deal-error");
  box.hidden = !msg;
  box.textContent = msg || "";
}

const padded = ([lo, hi]) => [lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)];

function renderDealChart(res) {
  const c = res.chart;
  if (!c) { $("#deal-chart").replaceChildren(el("p", { class: "note", text: "The win-set picture needs a deal space of two dimensions." })); return; }
  const traces = [
    { type: "heatmap", x: c.region.x, y: c.region.y, z: c.region.z, zmin: 0, zmax: 1, showscale: false, hoverinfo: "skip",
      colorscale: [[0, "rgba(255,255,255,0)"], [1, "rgba(85,168,104,0.35)"]], name: "win-set" },
    ...Object.entries(c.curves).map(([a, xy], k) => ({ x: xy.x, y: xy.y, mode: "lines", connectgaps: false,
      name: `${a}: indifferent to status quo`, line: { color: COLOURS[k % COLOURS.length], width: 1.5, dash: ["solid", "dash", "dot", "dashdot"][k % 4] } })),
    { x: c.feasible.x, y: c.feasible.y, mode: "markers", name: "feasible package", marker: { symbol: "square", size: 7, color: "#2d6a4f" } },
    { x: c.x, y: c.y, mode: "markers+text", text: c.actors, textposition: "top right", name: "positions", marker: { size: 9, color: "#222" } },
    { x: [c.status_quo[0]], y: [c.status_quo[1]], mode: "markers", name: "status quo", marker: { symbol: "x", size: 13, color: "#c44e52" } },
    { x: c.settlements.map((s) => s.x), y: c.settlements.map((s) => s.y), mode: "markers+text", text: c.settlements.map((s) => s.model), textposition: "bottom right",
      name: "model settlements", marker: { symbol: "triangle-up", size: 9, color: "#8172b2" } },
  ];
  if (c.recommended) traces.push({ x: [c.recommended[0]], y: [c.recommended[1]], mode: "markers", name: `package nearest the ${res.model} settlement`,
    marker: { symbol: "circle-open", size: 18, line: { width: 3 }, color: "#1b4332" } });
  plot("deal-chart", traces, {
    title: { text: `${res.title}: win-set of ${res.veto_players.join(", ")} (${res.scenario}, as of ${res.as_of})` },
    xaxis: { title: { text: c.titles[0] }, range: padded(c.scales[0]) }, yaxis: { title: { text: c.titles[1] }, range: padded(c.scales[1]) },
    legend: { orientation: "h", y: -0.2, yanchor: "top" }, margin: { l: 60, r: 15, t: 45, b: 70 }, height: 560,
  });
}

function dealTable(cols, rows, id) {
  return el("div", { class: "scroll" }, el("table", id ? { id } : {}, [
    el("thead", {}, el("tr", {}, cols.map(([label, , num]) => el("th", { class: num ? "num" : null, text: label })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, cols.map(([, get, num]) => el("td", { class: num ? "num" : null, text: get(r) }))))),
  ]));
}

function renderDeal(res) {
  renderDealChart(res);
  const dims = res.dimensions;
  const out = $("#deal-results");
  const feasible = res.feasible;
  const rec = res.recommended;
  out.replaceChildren(
    el("p", {}, [`${res.packages.feasible} of ${res.packages.total} packages are feasible (preferred to the status quo by ${res.veto_players.join(", ")}).`,
      ...(rec ? [" Package nearest the ", el("b", { text: res.model }), " settlement: ", el("b", { class: "forecast", text: dims.map((d) => `${d.title.toLowerCase()} ${fmt(rec[d.id], 0)}`).join(", ") }), "."] : [" No package is feasible."])]),
    el("h3", { text: "Where each model settles" }),
    dealTable([["model", (r) => r.short], ...dims.map((d) => [d.title, (r) => fmt(r[d.id], 2), true]), ["in the win-set", (r) => (r.in_win_set ? "yes" : `no (blocked by ${r.blocked_by})`)]], res.settlements, "deal-settlements"),
    el("p", { text: "Spread across the models (the uncertainty): " + res.spread.map((s) => `${s.dimension} ${fmt(s.min, 1)} to ${fmt(s.max, 1)} (sd ${fmt(s.sd, 1)})`).join("; ") + "." }),
    el("h3", { text: "Who must move to that package" }),
    dealTable([["actor", (r) => r.actor], ["veto", (r) => (r.veto ? "yes" : "")], ...dims.map((d) => [`${d.title}: from`, (r) => fmt(r[`${d.id} position`], 2), true]),
      ...dims.map((d) => [`${d.title}: move`, (r) => signed(r[`${d.id} move`], 2), true]), ["prefers it to the status quo", (r) => (r.prefers_package ? "yes" : "no")]], res.movers, "deal-movers"),
    el("h3", { text: "Feasible packages, most robust first" }),
    dealTable([...dims.map((d) => [d.title, (r) => fmt(r[d.id], 0), true]), ...res.veto_players.map((a) => [`gain ${a}`, (r) => fmt(r[`gain ${a}`], 3), true])], feasible.slice(0, 12), "deal-packages"),
    res.policy ? el("p", { text: `Content for the ${res.policy.id} policy: ${fmt(res.policy.relief_steps, 0)} relief step(s) of ${fmt(Math.abs(res.policy.index_points_per_step), 2)} index points, each after ${res.policy.quiet_months} verified months, traded for: ${res.policy.halt_label}.` }) : null,
    el("p", { text: `Issue linkage (Stokman & Van Oosten exchange model): ${res.exchanges.length} exchange(s) of position.` }),
  );
}

function initDeal() {
  const form = $("#deal-form");
  if (!form) return;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ scenario: $("#d-scenario").value, model: $("#d-model").value });
    dealError("");
    $("#deal-status").textContent = "computing\u2026";
    try {
      const res = await api(`/api/bargaining/deal?${q}`);
      renderDeal(res);
      $("#deal-status").textContent = `${res.scenario}: ${res.model}`;
    } catch (err) {
      dealError(err.message);
      $("#deal-status").textContent = "";
    }
  });
  form.requestSubmit();
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("main")?.dataset.page === "bargaining") initDeal();
});
