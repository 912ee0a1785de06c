/* standoff workbench: page behaviour. Data come from the page (#page-data) or /api/...;
   charts are plotly.js (served locally). No user text is ever evaluated: values go into the
   DOM as text, and requests are validated on the server. */
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const DASH = "\u2013";

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of [].concat(children)) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const isNum = (x) => typeof x === "number" && Number.isFinite(x);
const pct = (x, d = 1) => (isNum(x) ? (100 * x).toFixed(d) + "%" : DASH);
const fmt = (x, d = 2) => (isNum(x) ? x.toFixed(d) : DASH);
const signed = (x, d = 1) => (isNum(x) ? (x >= 0 ? "+" : "") + x.toFixed(d) : DASH);

function pageData() {
  const node = document.getElementById("page-data");
  return node ? JSON.parse(node.textContent) : null;
}

function showError(msg) {
  const box = $("#error");
  if (!box) return;
  box.hidden = !msg;
  box.textContent = msg || "";
}

function setStatus(msg) {
  const s = $("#status");
  if (s) s.textContent = msg || "";
}

async function api(url, opts = {}) {
  const resp = await fetch(url, opts);
  const type = resp.headers.get("content-type") || "";
  if (!resp.ok) {
    let msg = `${resp.status} ${resp.statusText}`;
    if (type.includes("json")) {
      const body = await resp.json();
      msg = body.error || msg;
    }
    throw new Error(msg);
  }
  return type.includes("json") ? resp.json() : resp.text();
}

const BASE_LAYOUT = {
  margin: { l: 55, r: 15, t: 40, b: 45 },
  font: { family: "system-ui, sans-serif", size: 12 },
  legend: { orientation: "h", y: -0.12, yanchor: "top" },
  paper_bgcolor: "#fff",
  plot_bgcolor: "#fff",
};
const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
const BELOW_AXIS_TITLE = { legend: { orientation: "h", y: -0.24, yanchor: "top" }, margin: { l: 55, r: 15, t: 40, b: 60 } };
const SHORT = { nuclear: "nuclear test", icbm: "ICBM", resolution: "UNSC resolution", talks: "talks", summit: "summit", agreement_signed: "agreement", agreement_collapse: "collapse", war: "war" };
const COLOURS = ["#1f3b73", "#dd8452", "#55a868", "#c44e52", "#8172b2", "#937860", "#64b5cd"];

function plot(id, traces, layout = {}) {
  const div = document.getElementById(id);
  if (!div || typeof Plotly === "undefined") return;
  Plotly.react(div, traces, { ...BASE_LAYOUT, ...layout }, CONFIG);
}

function fanTraces(months, q, name, colour, bands = true) {
  // q: rows of quantiles 5, 25, 50, 75, 95 per month
  const out = [];
  if (bands) {
    out.push({ x: months, y: q[0], mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip", name });
    out.push({ x: months, y: q[4], mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: colour + "2e", name: `${name} 5-95%` });
    out.push({ x: months, y: q[1], mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip", name });
    out.push({ x: months, y: q[3], mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: colour + "59", name: `${name} 25-75%` });
  }
  out.push({ x: months, y: q[2], mode: "lines", line: { color: colour, width: 2 }, name: `${name} median` });
  return out;
}

/* ------------------------------------------------------------------ Outlook */
function initOutlook() {
  const d = pageData();
  plot("fan", fanTraces(d.fan.months, d.fan.cumulative_launches, "cumulative missiles", COLOURS[0]), {
    title: { text: `Cumulative missiles launched from ${d.first_month} (status quo)` },
    yaxis: { title: { text: "missiles" }, rangemode: "tozero" },
  });
}

/* ------------------------------------------------------------------ Policies */
const DEFAULT_TICKED = ["status-quo", "phased-relief", "maximum-pressure"];

function sliderFor(name, sourced, sliders) {
  // the value's own plausible range (scenario file) when it states one, else a wide band
  const [lo0, hi0, step] = sliders[name] || [-10, 10, 0.1];
  const [lo, hi] = Array.isArray(sourced.range) && sourced.range.length === 2 ? sourced.range : [lo0, hi0];
  const value = sourced.value;
  return { min: Math.min(lo, value), max: Math.max(hi, value), step: Math.min(step, (hi - lo) / 100 || step) };
}

function assumptionRow(label, sourced, name, sliders, onChange) {
  const r = sliderFor(name, sourced, sliders);
  const original = sourced.value;
  const range = el("input", { type: "range", min: r.min, max: r.max, step: r.step, value: sourced.value, "aria-label": label });
  const num = el("input", { type: "number", step: "any", value: sourced.value, "aria-label": `${label} value`, "data-name": name });
  const why = el("input", { type: "text", class: "rationale-edit", value: sourced.assumption || "", "aria-label": `${label} rationale` });
  const src = el("p", { class: "rationale src", text: sourced.source ? `source: ${sourced.source}` : "" });
  const rng = Array.isArray(sourced.range)
    ? el("p", { class: "rationale", text: `plausible range ${sourced.range[0]} to ${sourced.range[1]}${sourced.range_note ? ": " + sourced.range_note : ""}` })
    : null;
  const whyBox = el("label", { class: "rationale", hidden: Boolean(sourced.source) }, ["assumption: ", why]);
  const set = (v, from) => {
    if (!Number.isFinite(v)) return;
    sourced.value = v;
    if (from !== range) range.value = v;
    if (from !== num) num.value = v;
    if (sourced.source && v !== original) {
      // an edited sourced value is no longer the source's: it becomes an assumption
      sourced.assumption = `edited in standoff serve (the source ${sourced.source} gives ${original})`;
      delete sourced.source;
      why.value = sourced.assumption;
      whyBox.hidden = false;
      src.textContent = "";
    }
    onChange();
  };
  range.addEventListener("input", () => set(parseFloat(range.value), range));
  num.addEventListener("change", () => set(parseFloat(num.value), num));
  why.addEventListener("change", () => {
    if (why.value.trim()) sourced.assumption = why.value.trim();
    else why.value = sourced.assumption || "";  // a value needs its rationale
    onChange();
  });
  return [el("div", { class: "assumption" }, [el("span", { text: label }), range, num]), src, whyBox, rng].filter(Boolean);
}

// Which intervention fields apply to which kind (see standoff.scenario.policy).
const IV_FIELDS = {
  sanctions: ["start", "end", "every", "counts_as_resolution"],
  relief_rule: ["start", "end", "every", "quiet_months", "floor"],
  hazard: ["target", "when", "start", "end"],
  tension_shock: ["start"],
  exercises: ["start", "end", "suspend"],
  moratorium: ["start", "end", "suspend"],
};
const IV_LABELS = {
  start: "start month", end: "end month", every: "every (months)", quiet_months: "quiet months",
  floor: "floor (index)", when: "when", target: "on", counts_as_resolution: "counts as a resolution", suspend: "in force",
};

function schemaField(obj, key, prop, onChange) {
  // one input bound to the pydantic JSON schema of the field (type, range, choices, nullable)
  const branches = prop.anyOf || [prop];
  const nullable = branches.some((b) => b.type === "null");
  const sch = branches.find((b) => b.type !== "null") || prop;
  const label = IV_LABELS[key] || key;
  const fallback = () => { if (nullable) delete obj[key]; else obj[key] = prop.default; };
  let inp;
  if (sch.enum) {
    inp = el("select", { "aria-label": label }, [
      ...(nullable ? [el("option", { value: "", text: DASH })] : []),
      ...sch.enum.map((v) => el("option", { value: v, text: v, selected: (obj[key] ?? prop.default) === v })),
    ]);
    inp.addEventListener("change", () => { if (inp.value) obj[key] = inp.value; else fallback(); onChange(); });
  } else if (sch.type === "boolean") {
    inp = el("input", { type: "checkbox", checked: Boolean(obj[key] ?? prop.default), "aria-label": label });
    inp.addEventListener("change", () => { obj[key] = inp.checked; onChange(); });
  } else {
    const isInt = sch.type === "integer";
    inp = el("input", { type: "number", step: isInt ? 1 : "any", min: sch.minimum, max: sch.maximum, value: obj[key] ?? (nullable ? "" : prop.default), placeholder: DASH, "aria-label": label });
    inp.addEventListener("change", () => {
      const v = isInt ? parseInt(inp.value, 10) : parseFloat(inp.value);
      if (Number.isFinite(v)) obj[key] = v; else fallback();
      onChange();
    });
  }
  return el("label", {}, [`${label} `, inp]);
}

function initPolicies() {
  const doc = pageData();
  const scn = doc.document;
  const sliders = doc.sliders;
  let dirty = false;
  const changed = () => { dirty = true; setStatus("edited: run to update"); };

  $("#scenario").addEventListener("change", (e) => {
    window.location.href = `/policies?scenario=${encodeURIComponent(e.target.value)}`;
  });

  const box = $("#policies");
  const order = DEFAULT_TICKED.filter((id) => scn.policies.some((p) => p.id === id));
  if (!order.length) scn.policies.slice(0, 3).forEach((p) => order.push(p.id));
  for (const p of scn.policies) {
    const cb = el("input", { type: "checkbox", value: p.id, class: "pick", checked: order.includes(p.id), "aria-label": `compare ${p.title}` });
    cb.addEventListener("change", () => {
      const i = order.indexOf(p.id);
      if (cb.checked && i < 0) order.push(p.id);
      if (!cb.checked && i >= 0) order.splice(i, 1);
    });
    const n = (p.interventions || []).length;
    const card = el("details", { class: "policy", "data-policy": p.id, open: order.includes(p.id) && n > 0 }, [
      el("summary", {}, [cb, ` ${p.title} `, el("code", { text: p.id }), el("span", { class: "prov", text: ` ${n} intervention${n === 1 ? "" : "s"}` })]),
      el("p", { class: "desc", text: p.description || "" }),
    ]);
    (p.interventions || []).forEach((iv, j) => {
      const part = el("div", { class: "iv", "data-iv": j }, [
        el("div", {}, [el("span", { class: "kind", text: iv.kind }), iv.target ? ` on ${iv.target}` : "", iv.description ? `: ${iv.description}` : ""]),
        el("div", { class: "controls" }, (IV_FIELDS[iv.kind] || ["start", "end"]).map((key) => schemaField(iv, key, doc.intervention_schema.properties[key], changed))),
      ]);
      for (const key of ["delta", "log_ratio"]) {
        if (iv[key]) part.append(...assumptionRow(key === "delta" ? "index change" : "log odds ratio", iv[key], key, sliders, changed));
      }
      card.append(part);
    });
    if (!(p.interventions || []).length) card.append(el("p", { class: "note", text: "No intervention: the record's dynamics continue." }));
    box.append(card);
  }
  box.picked = order;

  const pbox = $("#parameters");
  for (const [name, sv] of Object.entries(scn.parameters || {})) {
    pbox.append(...assumptionRow(name.replaceAll("_", " "), sv, name, sliders, changed));
  }
  if (!Object.keys(scn.parameters || {}).length) pbox.append(el("p", { class: "note", text: "This scenario sets no model parameters (defaults apply)." }));

  const edit = () => ({ scenario: scn.name, policies: scn.policies, parameters: scn.parameters || {} });

  $("#run").addEventListener("click", async () => {
    const compare = [...$("#policies").picked];
    if (!compare.length) { showError("compare: tick at least one policy"); return; }
    if (compare.length > 4) { showError("compare: tick at most 4 policies"); return; }
    const body = {
      ...edit(),
      compare,
      paths: parseInt($("#paths").value, 10),
      horizon: parseInt($("#horizon").value, 10),
      seed: parseInt($("#seed").value, 10),
    };
    showError("");
    setStatus("running\u2026");
    $("#run").disabled = true;
    const t0 = performance.now();
    try {
      const res = await api("/api/compare", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      renderComparison(res, compare);
      dirty = false;
      setStatus(`done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    } catch (err) {
      showError(err.message);
      setStatus("");
    } finally {
      $("#run").disabled = false;
    }
  });

  $("#download").addEventListener("click", async () => {
    showError("");
    try {
      const text = await api("/api/scenario.yaml", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(edit()) });
      const url = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
      const a = el("a", { href: url, download: `${scn.name}-edited.yaml` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      setStatus(dirty ? "downloaded (with your edits)" : "downloaded");
    } catch (err) {
      showError(err.message);
    }
  });
}

function renderComparison(res, ids) {
  const H = String(res.horizon);
  const base = res.baseline;
  const head = el("tr", {}, [el("th", { text: `within ${res.horizon} months` }), ...ids.map((id) => el("th", { text: res.policies[id].title }))]);
  const rows = Object.entries(res.labels).map(([ev, label]) => {
    const cells = ids.map((id) => {
      const p = res.policies[id].summary.events[ev][H].p;
      const cell = el("td", { class: "num", "data-policy": id, "data-event": ev, text: pct(p) });
      if (id !== base) {
        const d = res.differences[id][ev][H];
        cell.append(el("span", { class: "se", text: ` (${signed(100 * d.diff)} \u00b1 ${fmt(100 * d.se, 1)})` }));
        if (Math.abs(d.diff) > 2 * d.se) cell.classList.add("sig");
      }
      return cell;
    });
    return el("tr", {}, [el("td", { text: label }), ...cells]);
  });
  const la = el("tr", {}, [el("td", { text: "missiles launched (mean)" }), ...ids.map((id) => {
    const c = el("td", { class: "num", "data-policy": id, "data-event": "launches", text: fmt(res.policies[id].launches_total_mean, 1) });
    if (id !== base) c.append(el("span", { class: "se", text: ` (${signed(res.differences[id].launches_total.diff)} \u00b1 ${fmt(res.differences[id].launches_total.se, 1)})` }));
    return c;
  })]);
  const table = el("table", { id: "compare-table" }, [el("thead", {}, head), el("tbody", {}, [...rows, la])]);
  const note = el("p", { class: "note", text: `${res.paths.toLocaleString()} paths, seed ${res.seed}, from ${res.as_of}; differences vs ${base} with paired standard errors (common random numbers); bold where |difference| > 2 s.e. The simulator's own probabilities (as \`standoff compare --raw\`): policies act through the simulator; the Outlook shows the combined forecast.` });
  $("#results").replaceChildren(table, note);

  const evs = Object.keys(res.labels);
  plot("bars", ids.map((id, k) => ({
    type: "bar", name: res.policies[id].title, x: evs.map((e) => SHORT[e] || res.labels[e]),
    y: evs.map((e) => res.policies[id].summary.events[e][H].p),
    error_y: { type: "data", array: evs.map((e) => 1.96 * res.policies[id].summary.events[e][H].se), visible: true },
    marker: { color: COLOURS[k % COLOURS.length] },
  })), { barmode: "group", title: { text: `P(at least one event within ${res.horizon} months)` }, yaxis: { tickformat: ".0%", rangemode: "tozero" } });

  const traces = [];
  ids.forEach((id, k) => {
    const f = res.policies[id].fan;
    traces.push(...fanTraces(f.months, f.cumulative_launches, res.policies[id].title, COLOURS[k % COLOURS.length], k === 0 || ids.length <= 2));
  });
  plot("fans", traces, { title: { text: "Cumulative missiles: median and bands (baseline bands shaded)" }, yaxis: { rangemode: "tozero" } });
}

/* ------------------------------------------------------------------ History */
const TYPE_COLOURS = { SRBM: "#4c72b0", MRBM: "#55a868", IRBM: "#c44e52", ICBM: "#8172b2", SLBM: "#ccb974", SLV: "#64b5cd", HGV: "#e17c05", unknown: "#a0a0a0" };

function renderHistory(d) {
  const c = d.charts;
  plot("chart-year", Object.keys(c.by_year).map((t) => ({ type: "bar", name: t, x: c.years, y: c.by_year[t], marker: { color: TYPE_COLOURS[t] } })),
    { barmode: "stack", title: { text: `Missiles tested per year${d.as_of ? " (as of " + d.as_of + ")" : ""}` }, yaxis: { title: { text: "missiles" } } });
  const types = Object.keys(c.by_type);
  plot("chart-type", [{ type: "bar", orientation: "h", y: types, x: types.map((t) => c.by_type[t]), marker: { color: types.map((t) => TYPE_COLOURS[t]) } }],
    { title: { text: "By type" }, showlegend: false, yaxis: { autorange: "reversed" }, margin: { l: 70, r: 15, t: 40, b: 45 } });
  const leaders = Object.keys(c.by_leader);
  plot("chart-leader", [{ type: "bar", x: leaders, y: leaders.map((l) => c.by_leader[l]), marker: { color: "#1f3b73" } }],
    { title: { text: "By leader" }, showlegend: false });

  const body = $("#timeline tbody");
  body.replaceChildren(...d.timeline.map((r) => el("tr", {}, [
    el("td", { text: r.date }), el("td", { text: r.kind }), el("td", { text: r.what }),
    el("td", {}, r.source_ids.flatMap((s, i) => [i ? "; " : "", el("a", { href: `#src-${s}`, title: d.sources[s] || "", text: s })])),
  ])));
  $("#timeline-count").textContent = `(${d.timeline.length} of ${d.timeline_total} rows, newest first)`;

  const claims = $("#claims tbody");
  if (!d.claims.rows.length) {
    claims.replaceChildren(el("tr", {}, el("td", { colspan: 3, text: `Claims are checked as of ${d.claims.as_of}: move the slider to ${String(d.claims.as_of).slice(0, 4)} or later.` })));
  } else {
    claims.replaceChildren(...d.claims.rows.map((r) => el("tr", {}, [
      el("td", { text: r.text }),
      el("td", { class: r.verdict.replaceAll(" ", "-"), text: r.verdict }),
      el("td", { text: r.checks.map((k) => `${k.label}: ${k.value} (claim: ${k.expected})`).join("; ") || r.reason || DASH }),
    ])));
  }
  $("#sources").replaceChildren(...Object.entries(d.sources).map(([id, cite]) => el("li", { id: `src-${id}` }, [el("b", { text: id }), `: ${cite}`])));
}

function initHistory() {
  const d = pageData();
  renderHistory(d);
  const latest = d.latest;
  const slider = $("#asof");
  const label = $("#asof-label");
  const asOf = () => (slider.value === slider.max ? null : `${slider.value}-12-31`);
  let seq = 0;
  const reload = async () => {
    const q = new URLSearchParams();
    if (asOf()) q.set("as_of", asOf());
    if ($("#start").value) q.set("start", $("#start").value);
    if ($("#end").value) q.set("end", $("#end").value);
    const kinds = $$("input[name=kinds]").filter((c) => c.checked).map((c) => c.value);
    kinds.forEach((k) => q.append("kinds", k));
    const mine = ++seq;
    showError("");
    try {
      const res = await api(`/api/history?${q}`);
      if (mine === seq) {
        if (!kinds.length) res.timeline = [];
        renderHistory(res);
      }
    } catch (err) {
      showError(err.message);
    }
  };
  slider.addEventListener("input", () => { label.textContent = asOf() || latest; });
  slider.addEventListener("change", reload);
  for (const inp of [$("#start"), $("#end"), ...$$("input[name=kinds]")]) inp.addEventListener("change", reload);
}

/* ------------------------------------------------------------------ Bargaining */
function initBargaining() {
  const scenarios = pageData();
  const sel = $("#b-scenario");
  const issues = $("#b-issue");
  const fill = () => {
    const s = scenarios.find((x) => x.name === sel.value);
    issues.replaceChildren(el("option", { value: "", text: "all issues" }), ...(s ? s.issues : []).map((i) => el("option", { value: i, text: i })));
  };
  sel.addEventListener("change", fill);
  fill();
  $("#bargain-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const file = $("#b-file").files[0];
    if (!file) form.delete("file");
    if (!form.get("rounds")) form.delete("rounds");
    if (!form.get("issue")) form.delete("issue");
    showError("");
    setStatus("running\u2026");
    try {
      const res = await api("/api/bargaining", { method: "POST", body: form });
      renderBargaining(res);
      setStatus(`${res.problems.length} issue(s) from ${res.source}`);
    } catch (err) {
      showError(err.message);
      setStatus("");
    }
  });
  $("#bargain-form").requestSubmit();
}

function renderBargaining(res) {
  const out = $("#bargain-results");
  out.replaceChildren();
  res.problems.forEach((p, k) => {
    const models = Object.entries(p.models);
    const chartId = `b-chart-${k}`;
    const last = p.rounds.length - 1;
    out.append(
      el("h2", { text: p.title }),
      el("p", {}, [`Forecast (${res.model}): `, el("b", { class: "forecast", text: fmt(p.forecast, 1) }), ` on the scale ${p.scale[0]}\u2013${p.scale[1]}; compromise model ${fmt(p.compromise, 1)}; `, `${last} round(s)${p.status ? ", " + String(p.status).replaceAll("_", " ") : ""}${p.oscillating ? ", oscillating" : ""}.`]),
      el("div", { class: "grid" }, [
        el("table", {}, [el("thead", {}, el("tr", {}, [el("th", { text: "model" }), el("th", { class: "num", text: "forecast" })])),
          el("tbody", {}, models.map(([m, v]) => el("tr", {}, [el("td", { text: m }), el("td", { class: "num", text: fmt(v, 1) })])))]),
        el("div", { id: chartId, class: "chart" }),
      ]),
      el("div", { class: "scroll" }, el("table", { class: "rounds" }, [
        el("thead", {}, el("tr", {}, [el("th", { text: "round" }), ...p.actors.map((a) => el("th", { class: "num", text: a }))])),
        el("tbody", {}, p.rounds.map((r, i) => el("tr", {}, [el("td", { text: i }), ...p.actors.map((a) => el("td", { class: "num", text: fmt(r[a], 1) }))]))),
      ])),
    );
    const xs = p.rounds.map((_, i) => i);
    plot(chartId, p.actors.map((a, j) => ({ x: xs, y: p.rounds.map((r) => r[a]), mode: "lines+markers", name: a, line: { color: COLOURS[j % COLOURS.length] } })),
      { ...BELOW_AXIS_TITLE, title: { text: "Positions by round" }, xaxis: { title: { text: "round" }, dtick: Math.max(1, Math.ceil(last / 10)) }, yaxis: { range: p.scale } });
  });
}

/* ------------------------------------------------------------------ Games */
function initGames() {
  const cat = pageData();
  const sel = $("#g-model");
  let dirty = {};
  const build = () => {
    const g = cat[sel.value];
    dirty = {};
    $("#g-answers").textContent = g.answers;
    $("#g-params").replaceChildren(...g.params.map((p) => {
      const inp = el("input", { type: "number", step: p.integer ? 1 : "any", value: p.default, min: p.lo, max: p.hi, "data-param": p.name, "aria-label": p.name });
      inp.addEventListener("change", () => { dirty[p.name] = parseFloat(inp.value); });
      const range = `[${p.lo ?? "-\u221e"}, ${p.hi ?? "\u221e"}]`;
      return el("div", { class: "param" }, [el("code", { text: p.name }), inp, el("span", { class: "help", text: `${p.help} ${range}` }), el("span", { class: "prov", "data-prov": p.name })]);
    }));
  };
  sel.addEventListener("change", () => { build(); $("#game-form").requestSubmit(); });
  $("#g-scenario").addEventListener("change", () => { build(); $("#game-form").requestSubmit(); });
  build();
  $("#game-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("");
    setStatus("solving\u2026");
    const params = Object.fromEntries(Object.entries(dirty).filter(([, v]) => Number.isFinite(v)));
    const body = { scenario: $("#g-scenario").value || null, params };
    try {
      const res = await api(`/api/games/${encodeURIComponent(sel.value)}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      renderGame(res);
      setStatus(res.note || "");
    } catch (err) {
      showError(err.message);
      setStatus("");
    }
  });
  $("#game-form").requestSubmit();
}

function flatten(obj, prefix = "", out = []) {
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
    else if (!Array.isArray(v)) out.push([key, v]);
  }
  return out;
}

function headline(res) {
  // the outcome probabilities a model answers with (named groups first, else p_* values)
  for (const group of ["probabilities", "outcomes"]) {
    const g = res[group];
    if (g && typeof g === "object" && Object.values(g).every(isNum)) return Object.entries(g);
  }
  return flatten(res).filter(([k, v]) => isNum(v) && v >= 0 && v <= 1 && /(^|\.)(p_\w+|threshold|trust)$/.test(k));
}

function renderGame(res) {
  for (const [name, inp] of Object.entries(res.inputs || {})) {
    const box = document.querySelector(`input[data-param="${CSS.escape(name)}"]`);
    if (box && document.activeElement !== box) box.value = inp.value;
    const prov = document.querySelector(`span[data-prov="${CSS.escape(name)}"]`);
    if (prov) prov.textContent = `${inp.from}${inp.source ? ": source " + inp.source : ""}${inp.assumption ? ": " + inp.assumption : ""}`;
  }
  const probs = headline(res);
  const label = (k) => k.replaceAll("_", " ").replaceAll(".", ": ");
  plot("g-chart", [{ type: "bar", orientation: "h", y: probs.map(([k]) => label(k)), x: probs.map(([, v]) => v), marker: { color: "#4a6fa5" }, text: probs.map(([, v]) => pct(v)), textposition: "auto" }],
    { title: { text: res.title }, xaxis: { tickformat: ".0%", range: [0, 1] }, yaxis: { autorange: "reversed" }, margin: { l: 220, r: 15, t: 40, b: 40 }, height: Math.max(280, 30 * probs.length + 100) });
  const skip = new Set(["model", "title", "scenario", "inputs", "note"]);
  const flat = flatten(Object.fromEntries(Object.entries(res).filter(([k]) => !skip.has(k))));
  const rows = flat.map(([k, v]) => el("tr", {}, [el("td", { text: k }), el("td", { class: "num", text: isNum(v) ? (Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(3)) : String(v ?? DASH) })]));
  $("#g-results").replaceChildren(el("details", {}, [el("summary", { text: `All results (${rows.length} values)` }),
    el("table", { id: "game-table" }, [el("thead", {}, el("tr", {}, [el("th", { text: "result" }), el("th", { class: "num", text: "value" })])), el("tbody", {}, rows)])]));
}

/* ------------------------------------------------------------------ Track record */
function initTrackRecord() {
  const d = pageData();
  if (!d.run) return;
  const hs = String(d.run.horizons).split(",");
  const h = hs.includes("12") ? "12" : hs[0];
  const rel = Object.entries(d.reliability).filter(([k]) => k.endsWith(`|${h}`));
  plot("reliability", [
    { x: [0, 1], y: [0, 1], mode: "lines", line: { dash: "dash", color: "#999" }, name: "perfect reliability" },
    ...rel.map(([k, pts], j) => ({ x: pts.map((p) => p.forecast), y: pts.map((p) => p.observed), mode: "lines+markers", name: (d.labels || {})[k.split("|")[0]] || k.split("|")[0], line: { color: COLOURS[j % COLOURS.length] } })),
  ], { ...BELOW_AXIS_TITLE, title: { text: `Reliability, ${h}-month binary targets (bins of the forecast)` }, xaxis: { title: { text: "forecast probability" }, range: [0, 1] }, yaxis: { title: { text: "observed frequency" }, range: [0, 1] } });
  const ot = d.over_time[h];
  if (ot) plot("over-time", [
    { x: ot.origins, y: ot.standoff, mode: "lines", name: "standoff", line: { color: COLOURS[0] } },
    { x: ot.origins, y: ot.climatology, mode: "lines", name: "climatology", line: { color: COLOURS[1] } },
  ], { title: { text: `Brier score over time, ${h}-month targets (24-origin rolling mean; lower is better)` } });
}

const INIT = { outlook: initOutlook, policies: initPolicies, history: initHistory, bargaining: initBargaining, games: initGames, "track-record": initTrackRecord };

document.addEventListener("DOMContentLoaded", () => {
  const page = document.querySelector("main")?.dataset.page;
  if (INIT[page]) INIT[page]();
});
