"""The web app's service layer: thin functions over standoff's Python API.

Every page and every ``/api/...`` route calls one function here and gets a JSON-ready dict;
nothing here knows about HTTP. Adapting the app to a new capability (combined forecasts,
data freshness, sensitivity sweeps) is a change in this module only.

Expensive work is cached: the fitted monthly model per (as-of date, model parameters), and
whole results per request (the outlook, policy comparisons). Policies of one comparison are
simulated concurrently on common random numbers (one seed, so the result is the same as in
sequence, bit for bit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from standoff.cli._common import _clean, frame_records, json_default
from standoff.errors import ScenarioError, UsageError
from standoff.history.core import History

#: Bounds on what one request may ask for (stated in the README and the OpenAPI schema).
MAX_PATHS = 20_000
MAX_HORIZON = 36
MAX_POLICIES = 4
MAX_UPLOAD_BYTES = 256 * 1024
MAX_BARGAIN_ROUNDS = 200
OUTLOOK_PATHS = 10_000
OUTLOOK_HORIZON = 24
OUTLOOK_SEED = 2026
OUTLOOK_HORIZONS = (3, 12, 24)

#: backtest target name -> simulation event name (the track record beside each number)
BACKTEST_TARGET = {
    "launch": "launch",
    "nuclear": "nuclear",
    "icbm": "icbm",
    "resolution": "resolution",
    "talks": "talks",
    "summit": "summit",
    "agreement_signed": "agreement",
}

#: Human labels of the leading information the model starts from (monthly panel columns).
LEADING = {
    "sanctions_intensity": "sanctions-intensity index (0-100)",
    "talks_process_active": "talks process active",
    "agreement_in_force": "nuclear agreement in force",
    "dprk_moratorium_in_force": "DPRK test moratorium in force",
    "exercises_suspended": "US-ROK exercises suspended",
    "us_threats": "US leader-level threats",
}

#: Slider ranges of the editable assumptions (a wide plausible band, not a constraint of
#: the schema: the number fields accept anything the pydantic models accept).
SLIDER = {
    "delta": (-100.0, 100.0, 0.5),
    "log_ratio": (-3.0, 3.0, 0.05),
    "war_prior_mean": (0.0, 0.3, 0.005),
    "war_prior_weight": (1.0, 200.0, 1.0),
    "war_tension_effect": (0.0, 1.5, 0.05),
}


class _LRU:
    """A small thread-safe LRU cache with one computation per key at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get_or_compute(self, key: str, fn: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            klock = self._key_locks.setdefault(key, threading.Lock())
        with klock:
            with self._lock:
                if key in self._data:
                    return self._data[key]
            value = fn()
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def peek(self, key: str) -> Any | None:
        """The cached value or None; never computes (cheap enough for the event loop)."""
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._data


def _key(*parts: Any) -> str:
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, default=json_default).encode()
    ).hexdigest()


def _months_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def jsonable(obj: Any) -> Any:
    """Strict-JSON version of ``obj`` (numpy scalars, dates, NaN -> null)."""
    return json.loads(json.dumps(_clean(obj), default=json_default, allow_nan=False))


class Payload(dict):
    """A JSON-ready result with its serialised bytes (cached results are sent as they are)."""

    def __init__(self, obj: Any) -> None:
        raw = json.dumps(_clean(obj), default=json_default, allow_nan=False, ensure_ascii=False)
        super().__init__(json.loads(raw))
        self.raw = raw.encode("utf-8")


@lru_cache(maxsize=1)
def _intervention_schema() -> dict:
    """JSON schema of a policy intervention (the page binds its fields to it)."""
    from standoff.scenario.policy import Intervention

    return Intervention.model_json_schema()


@lru_cache(maxsize=16)
def _load_bundled(name: str):
    from standoff.scenario import load_scenario

    return load_scenario(name)


class Services:
    """State of one running app: the history, its results store and the caches."""

    def __init__(self, history: History, results_db: Path | None = None) -> None:
        self.history = history
        self.results_db = results_db
        self._fits = _LRU(8)
        self._results = _LRU(64)
        self._pool = ThreadPoolExecutor(max_workers=MAX_POLICIES, thread_name_prefix="sim")
        self._source_ids = set(history.tables["sources"]["id"].astype(str))
        self._skill_stamp = None
        self._outlook_parts = None
        self._combined: dict | None = None
        self._combined_status = "not started"
        self._combine_lock = threading.Lock()

    # ---------------------------------------------------------------- shared
    def _fit(self, as_of: dt.date | pd.Timestamp, params: dict[str, float]):
        from standoff.dynamics.model import fit

        cut = pd.Timestamp(as_of)
        return self._fits.get_or_compute(
            _key("fit", str(cut.date()), params), lambda: fit(self.history, cut, params)
        )

    def _simulate_many(self, model, policies: list, paths: int, horizon: int, seed: int):
        from standoff.dynamics.simulate import simulate

        futs = [self._pool.submit(simulate, model, p, paths, horizon, seed) for p in policies]
        return {p.id: f.result() for p, f in zip(policies, futs, strict=True)}

    @staticmethod
    def _fan(sim, qs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> dict:
        """Quantiles per month of cumulative missiles, tension and the sanctions index."""
        out: dict[str, Any] = {"months": sim.months, "quantiles": list(qs)}
        for name, arr in (
            ("cumulative_launches", np.cumsum(sim.launches, axis=0)),
            ("tension", sim.tension),
            ("sanctions", sim.sanctions),
        ):
            q = np.quantile(arr, qs, axis=1)
            out[name] = [np.round(row, 3).tolist() for row in q]
        return out

    # ---------------------------------------------------------------- outlook
    def latest_skill(self) -> dict:
        """Skill of the latest stored backtest on this data version: {(target, h): row}.

        Cached until the results store changes (its modification time)."""
        db = self.results_db
        mtime = Path(db).stat().st_mtime_ns if db is not None and Path(db).exists() else None
        cached = getattr(self, "_skill", None)
        self._skill_stamp = mtime
        if cached is not None and cached[0] == mtime:
            return cached[1]
        run = self.track_record(detail=False)
        out = {(r["target"], int(r["h"])): r for r in run["scores"]} if run.get("run") else {}
        self._skill = (mtime, out)
        return out

    def _last_events(self) -> dict[str, pd.Timestamp | None]:
        t = self.history.tables
        la, dp = t["launches"], t["diplomacy"]

        def last(dates: pd.Series) -> pd.Timestamp | None:
            dates = dates.dropna()
            return None if dates.empty else dates.max()

        return {
            "nuclear test": last(t["nuclear_tests"]["date"]),
            "ICBM launch": last(la.loc[la["type"] == "ICBM", "date"]),
            "talks or summit (any parties)": last(
                dp.loc[dp["kind"].isin(["talks", "summit"]), "date_start"]
            ),
            "UNSC sanctions resolution": last(
                t["sanctions"].loc[
                    t["sanctions"]["adopted"].fillna(False).astype(bool)
                    & t["sanctions"]["kind"].isin(["sanctions", "designations"]),
                    "date",
                ]
            ),
        }

    def freshness(self) -> dict | None:
        """Per-table coverage against the as-of date: ``standoff.history.freshness`` when the
        installed standoff has it (with the vintage and notes), else the coverage table."""
        cut = self.history.latest_date
        try:
            from standoff.history.freshness import freshness, freshness_notes
        except ImportError:
            cov = self.history.tables.get("coverage")
            if cov is None:
                return None
            rows = [
                {
                    "table": r["table"],
                    "label": r["table"],
                    "coverage_end": r["end"],
                    "days_behind": max(0, int((cut - pd.Timestamp(r["end"])).days)),
                }
                for _, r in cov.iterrows()
            ]
            return jsonable({"latest_record": str(cut.date()), "tables": rows, "notes": []})
        df = freshness(self.history, cut)
        return jsonable(
            {
                "latest_record": str(cut.date()),
                "vintage": str(df["vintage"].iloc[0]) if len(df) else None,
                "tables": frame_records(
                    df[["table", "label", "coverage_end", "days_behind", "status", "nowcast"]]
                ),
                "notes": freshness_notes(df),
            }
        )

    def outlook(self) -> dict:
        """The forecast as of the latest record (status quo), with errors and track record."""
        as_of = self.history.latest_date

        def compute() -> dict:
            from standoff.forecast.summary import EVENT_LABELS
            from standoff.scenario.policy import STATUS_QUO

            model = self._fit(as_of, {})
            sim = self._simulate_many(
                model, [STATUS_QUO], OUTLOOK_PATHS, OUTLOOK_HORIZON, OUTLOOK_SEED
            )[STATUS_QUO.id]
            self._outlook_parts = (model, sim)
            events = []
            for ev, label in EVENT_LABELS.items():
                row: dict[str, Any] = {"id": ev, "label": label, "p": {}, "se": {}}
                for k in OUTLOOK_HORIZONS:
                    row["p"][str(k)], row["se"][str(k)] = sim.prob(ev, k)
                events.append(row)
            la = sim.launches.sum(axis=0)
            last = self.history.monthly.iloc[-1]
            leading = [
                {
                    "label": LEADING[c],
                    "value": None
                    if pd.isna(last[c])
                    else (float(last[c]) if c == "sanctions_intensity" else bool(last[c])),
                    "month": str(last["month"]),
                }
                for c in LEADING
                if c in self.history.monthly.columns
            ]
            start = model.state.iloc[model.start_index]
            leading.insert(
                0,
                {
                    "label": "tension index where the simulation starts",
                    "value": float(start["tension"]),
                    "month": str(start["month"]),
                },
            )
            for label, when in self._last_events().items():
                leading.append(
                    {
                        "label": f"months since the last {label}",
                        "value": None if when is None else _months_between(when, as_of),
                        "month": None if when is None else str(when.date()),
                    }
                )
            recent = self.history.monthly.tail(12)
            leading.insert(
                0,
                {
                    "label": "missiles launched, last 12 months with data",
                    "value": float(pd.to_numeric(recent["launches"]).dropna().sum()),
                    "month": f"{recent['month'].iloc[0]}..{recent['month'].iloc[-1]}",
                },
            )
            return {
                "as_of": str(as_of.date()),
                "first_month": sim.months[0],
                "fit_window": list(model.fit_window),
                "paths": OUTLOOK_PATHS,
                "horizon": OUTLOOK_HORIZON,
                "seed": OUTLOOK_SEED,
                "horizons": list(OUTLOOK_HORIZONS),
                "events": events,
                "launches_total": {
                    "mean": float(la.mean()),
                    "q05": float(np.quantile(la, 0.05)),
                    "q50": float(np.quantile(la, 0.5)),
                    "q95": float(np.quantile(la, 0.95)),
                },
                "war_prior": model.war.as_dict(),
                "war_parameters": dict(model.parameters),
                "fan": self._fan(sim),
                "leading": leading,
                "notes": sim.notes,
            }

        base = self._results.get_or_compute(_key("outlook", str(as_of.date())), compute)
        skill = self.latest_skill()
        self._start_combination()
        combined = self._combined

        def merge() -> Payload:
            out = dict(base)
            out["events"] = [dict(row) for row in base["events"]]
            for row in out["events"]:
                t = BACKTEST_TARGET.get(row["id"])
                row["skill"] = {
                    str(k): None if t is None or (t, k) not in skill else skill[(t, k)]
                    for k in OUTLOOK_HORIZONS
                }
                cells = (combined.get("events") or {}).get(row["id"]) if combined else None
                row["combined"] = (
                    None
                    if not cells
                    else {
                        str(k): cells[str(k)]
                        for k in OUTLOOK_HORIZONS
                        if str(k) in cells and cells[str(k)].get("combined")
                    }
                )
            out["combination"] = {
                "status": self._combined_status,
                "about": (combined or {}).get("combination"),
            }
            out["freshness"] = self.freshness()
            return Payload(out)

        return self._results.get_or_compute(self._outlook_key(), merge)

    def _outlook_key(self) -> str:
        return _key(
            "outlook-page",
            str(self.history.latest_date.date()),
            self._skill_stamp,
            self._combined_status,
        )

    def _start_combination(self) -> None:
        """The combined forecast (the simulator recalibrated on its track record), when the installed
        standoff has it (``standoff.forecast.combined``). Its first run computes the
        simulator's track record (minutes), so it runs in a background thread; until it is
        ready the outlook shows the simulator's own probabilities and says so."""
        with self._combine_lock:
            if self._combined_status != "not started" or self._outlook_parts is None:
                return
            try:
                from standoff.forecast import combined as _combined_mod  # noqa: F401
            except ImportError:
                self._combined_status = "unavailable"
                return
            self._combined_status = "computing"
        threading.Thread(target=self._combine, daemon=True, name="combine").start()

    def _combine(self) -> None:
        from standoff.forecast.combined import apply, combiner
        from standoff.forecast.summary import summarise

        model, sim = self._outlook_parts
        try:
            out = apply(summarise(sim, model), combiner(self.history, model, sim), sim)
            self._combined = jsonable(
                {"events": out["events"], "combination": out.get("combination")}
            )
            self._combined_status = "ready"
        except Exception as exc:  # shown on the page; the simulator's numbers stay
            self._combined_status = f"failed: {type(exc).__name__}: {exc}"[:300]

    def outlook_cached(self) -> Payload | None:
        """The outlook if it is cached and the results store has not changed, else None."""
        db = self.results_db
        mtime = Path(db).stat().st_mtime_ns if db is not None and Path(db).exists() else None
        if mtime != self._skill_stamp:
            return None
        return self._results.peek(self._outlook_key())

    def request_cached(self, request_key: str) -> Payload | None:
        """A result already computed for exactly this (validated) request, else None."""
        return self._results.peek(_key("request", request_key))

    def remember_request(self, request_key: str, payload: Payload) -> None:
        self._results.put(_key("request", request_key), payload)

    # ---------------------------------------------------------------- scenarios
    @staticmethod
    def scenario_names() -> list[str]:
        from standoff.scenario.spec import bundled_scenarios

        return list(bundled_scenarios())

    @staticmethod
    def scenario(name: str):
        """A bundled scenario (parsed once: scenarios are frozen pydantic models)."""
        if name not in Services.scenario_names():
            raise UsageError(
                f"scenario: expected one of {', '.join(Services.scenario_names())}, got {name!r}"
            )
        return _load_bundled(name)

    def scenarios(self) -> list[dict]:
        out = []
        for n in self.scenario_names():
            s = self.scenario(n)
            out.append(
                {
                    "name": n,
                    "title": s.title,
                    "as_of": s.as_of,
                    "policies": [p.id for p in s.policies],
                    "issues": [i.id for i in s.issues],
                }
            )
        return jsonable(out)

    def scenario_doc(self, name: str) -> dict:
        """The scenario as the pydantic model dumps it, plus every value's provenance."""
        s = self.scenario(name)
        return jsonable(
            {
                "name": s.name,
                "title": s.title,
                "as_of": s.as_of,
                "document": s.model_dump(mode="json", exclude_none=True),
                "values": [
                    {
                        "path": path,
                        "value": v.value,
                        "source": v.source,
                        "assumption": v.assumption,
                    }
                    for path, v in s.sourced_values()
                ],
                "sliders": SLIDER,
                "intervention_schema": _intervention_schema(),
            }
        )

    def edited_scenario(self, name: str, policies: list, parameters: dict):
        """The bundled scenario with edited policies/parameters, validated like a file."""
        from pydantic import ValidationError

        from standoff.scenario.spec import Scenario, _check_source_ids, _loc_path

        base = self.scenario(name)
        doc = base.model_dump(mode="json", exclude_none=True)
        edited = {p.id: p.model_dump(mode="json", exclude_none=True) for p in policies}
        known = [p["id"] for p in doc["policies"]]
        doc["policies"] = [edited.get(p["id"], p) for p in doc["policies"]] + [
            edited[i] for i in edited if i not in known
        ]
        doc["parameters"] = {
            **doc.get("parameters", {}),
            **{k: v.model_dump(mode="json", exclude_none=True) for k, v in parameters.items()},
        }
        try:
            scn = Scenario.model_validate(doc)
        except ValidationError as exc:
            err = exc.errors()[0]
            msg = err["msg"].removeprefix("Value error, ")
            raise ScenarioError(f"scenario.{_loc_path(err['loc'])}: {msg}") from None
        _check_source_ids(scn, Path("scenario"), self._source_ids)
        return scn

    def compare(
        self,
        scenario: str,
        policies: list,
        order: list[str],
        parameters: dict,
        paths: int,
        horizon: int,
        seed: int,
    ) -> dict:
        """Policies side by side on common random numbers, paired differences, fan charts."""
        scn = self.edited_scenario(scenario, policies, parameters)
        ids = order or [p.id for p in policies]
        known = {p.id for p in scn.policies}
        for k, pid in enumerate(ids):
            if pid not in known:
                raise UsageError(
                    f"compare[{k}]: unknown policy {pid!r} in scenario {scn.name!r} "
                    f"(expected one of {', '.join(sorted(known))})"
                )
        pols = [scn.policy(p) for p in ids]
        params = {k: v.value for k, v in scn.parameters.items()}
        key = _key(
            "compare",
            scenario,
            [p.model_dump(mode="json") for p in pols],
            params,
            paths,
            horizon,
            seed,
        )

        def compute() -> dict:
            from standoff.forecast.summary import EVENT_LABELS, _horizons, summarise

            model = self._fit(scn.as_of, params)
            sims = self._simulate_many(model, pols, paths, horizon, seed)
            base = sims[ids[0]]
            diffs = {}
            for pid, s in sims.items():
                if pid == ids[0]:
                    continue
                d_ev = {}
                for e in EVENT_LABELS:
                    d_ev[e] = {}
                    for k in _horizons(horizon):
                        d = s.within(e, k).astype(float) - base.within(e, k).astype(float)
                        d_ev[e][str(k)] = {
                            "diff": float(d.mean()),
                            "se": float(d.std(ddof=1) / np.sqrt(len(d))),
                        }
                la = s.launches.sum(axis=0).astype(float) - base.launches.sum(axis=0)
                d_ev["launches_total"] = {
                    "diff": float(la.mean()),
                    "se": float(la.std(ddof=1) / np.sqrt(len(la))),
                }
                diffs[pid] = d_ev
            return {
                "scenario": scenario,
                "as_of": base.as_of,
                "horizon": horizon,
                "paths": paths,
                "seed": seed,
                "baseline": ids[0],
                "policies": {
                    pid: {
                        "title": scn.policy(pid).title,
                        "summary": summarise(s),
                        "launches_total_mean": float(s.launches.sum(axis=0).mean()),
                        "fan": self._fan(s),
                    }
                    for pid, s in sims.items()
                },
                "labels": EVENT_LABELS,
                "differences": diffs,
                "notes": base.notes,
            }

        return self._results.get_or_compute(key, lambda: Payload(compute()))

    def scenario_yaml(self, scenario: str, policies: list, parameters: dict) -> str:
        scn = self.edited_scenario(scenario, policies, parameters)
        doc = scn.model_dump(mode="json", exclude_none=True)
        head = (
            f"# {scn.name}: edited in standoff serve; validate with `standoff scenario validate`\n"
        )
        return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)

    # ---------------------------------------------------------------- history
    def history_view(
        self,
        as_of: dt.date | None,
        start: dt.date | None,
        end: dt.date | None,
        kinds: list[str],
        limit: int,
    ) -> dict:
        latest = self.history.latest_date
        if as_of is not None and pd.Timestamp(as_of) > latest:
            raise UsageError(f"as_of: expected a date on or before {latest.date()}, got {as_of}")
        key = _key("history", as_of, start, end, kinds, limit)
        return self._results.get_or_compute(
            key, lambda: self._history_view(as_of, start, end, kinds, limit)
        )

    def _claims(self):
        from standoff.history.claims import evaluate_claims, load_claims

        def compute():
            claims_file, _ = load_claims(None)
            return claims_file, evaluate_claims(self.history, claims_file)

        return self._results.get_or_compute(_key("claims"), compute)

    def _history_view(self, as_of, start, end, kinds, limit) -> dict:
        from standoff.history.schema import MISSILE_TYPES

        latest = self.history.latest_date
        if as_of is not None and pd.Timestamp(as_of) > latest:
            raise UsageError(f"as_of: expected a date on or before {latest.date()}, got {as_of}")
        h = self.history if as_of is None else self.history.as_of(as_of)
        hi = h.as_of_date or h.latest_date
        if end is not None and pd.Timestamp(end) > hi:
            end = hi.date()
        if start is not None and pd.Timestamp(start) > hi:
            raise UsageError(f"start: expected a date on or before {hi.date()}, got {start}")
        if start is not None and end is not None and start > end:
            raise UsageError(f"start: {start} is after end {end}")
        tl = h.timeline(start, end, tuple(kinds)) if kinds else pd.DataFrame()
        n_total = len(tl)
        if n_total:
            tl = tl.sort_values("date", ascending=False, kind="stable").head(limit)
        la = h.tables["launches"]
        end_year = int(hi.year)
        years = list(range(1984, end_year + 1))
        by_type = (
            la.assign(year=la["date"].dt.year)
            .pivot_table(index="year", columns="type", values="id", aggfunc="count", fill_value=0)
            .reindex(index=years, columns=list(MISSILE_TYPES), fill_value=0)
        )
        by_leader = la.groupby("leader").size()
        types = la.groupby("type").size().reindex(list(MISSILE_TYPES), fill_value=0)
        claims_file, all_claims = self._claims()
        claims = []
        if h.as_of_date is None or h.as_of_date.date() >= claims_file.as_of:
            claims = all_claims
        cites = self.history.tables["sources"].set_index("id")["citation"].to_dict()
        rows = frame_records(tl) if n_total else []
        used = set()
        for r in rows:
            ids = [s.strip() for s in str(r.get("sources") or "").split(";") if s.strip()]
            r["source_ids"] = ids
            used.update(ids)
        return jsonable(
            {
                "as_of": None if h.as_of_date is None else str(h.as_of_date.date()),
                "latest": str(latest.date()),
                "kinds": kinds,
                "timeline": rows,
                "timeline_total": n_total,
                "charts": {
                    "years": years,
                    "by_year": {t: by_type[t].astype(int).tolist() for t in by_type.columns},
                    "by_leader": {k: int(v) for k, v in by_leader.items()},
                    "by_type": {k: int(v) for k, v in types.items()},
                },
                "claims": {
                    "title": claims_file.title,
                    "as_of": claims_file.as_of,
                    "rows": [
                        {
                            "id": c["id"],
                            "text": c["text"],
                            "verdict": c["verdict"],
                            "checks": c["checks"],
                            "reason": c.get("reason"),
                        }
                        for c in claims
                    ],
                },
                "sources": {s: cites.get(s, "") for s in sorted(used)},
            }
        )

    def sources(self) -> list[dict]:
        return jsonable(frame_records(self.history.tables["sources"]))

    # ---------------------------------------------------------------- bargaining
    def bargaining(
        self,
        *,
        scenario: str | None,
        issue: str | None,
        csv_text: str | None,
        filename: str,
        model: str,
        rounds: int | None,
    ) -> dict:
        from standoff.bargaining.baselines import compromise
        from standoff.bargaining.inputs import from_scenario, is_ktab, read_csv, read_ktab
        from standoff.bargaining.models import DYNAMIC, MODELS, forecast

        if csv_text is not None:
            if not csv_text.strip():
                raise UsageError("file: is empty; expected a KTAB CSV")
            if is_ktab(csv_text):
                problems = read_ktab(filename, csv_text).problems()
            else:
                import tempfile

                with tempfile.TemporaryDirectory() as d:
                    p = Path(d) / "upload.csv"
                    p.write_text(csv_text, encoding="utf-8")
                    try:
                        problems = [read_csv(p)]
                    except Exception as exc:  # messages name the temporary file: rename
                        raise UsageError(str(exc).replace(str(p), filename)) from None
            source = filename
        else:
            scn = self.scenario(scenario or "korea-now")
            problems = from_scenario(scn)
            if issue is not None:
                problems = [p for p in problems if p.name == issue]
                if not problems:
                    raise UsageError(
                        f"issue: expected one of {', '.join(i.id for i in scn.issues)}, got {issue!r}"
                    )
            source = f"scenario {scn.name}"
        from standoff.limits import check_bargain_web  # actors x rounds x models, before work

        check_bargain_web([p.n for p in problems[:8]], model, rounds, list(MODELS))
        out = []
        for prob in problems[:8]:
            fc = forecast(
                prob,
                model,
                rounds=rounds if model in DYNAMIC else None,
                **({"log": False} if model in DYNAMIC else {}),  # no O(n^2) challenge log
            )
            models = {}
            for m in MODELS:
                if m == model:
                    models[m] = fc.value
                else:
                    models[m] = forecast(prob, m, **({"log": False} if m in DYNAMIC else {})).value
            out.append(
                {
                    "issue": prob.name,
                    "title": getattr(prob, "title", "") or prob.name,
                    "scale": list(prob.scale),
                    "actors": list(prob.actors),
                    "capability": np.asarray(prob.capability).tolist(),
                    "salience": np.asarray(prob.salience).tolist(),
                    "forecast": fc.value,
                    "compromise": compromise(prob),
                    "models": models,
                    "status": fc.details.get("status"),
                    "oscillating": fc.details.get("oscillating"),
                    "rounds": [
                        dict(zip(prob.actors, row.tolist(), strict=True)) for row in fc.positions
                    ],
                }
            )
        return jsonable({"source": source, "model": model, "problems": out})

    def deal_space(self, scenario: str, model: str) -> dict:
        """The scenario's deal space (win-set, feasible packages, settlements, spread) and the
        win-set picture's data; built by :func:`standoff.bargaining.deal.analyse_deal`,
        cached per scenario and model (bounded work: a bundled scenario's deal space)."""
        from standoff.bargaining.deal import analyse_deal, phased_relief_package

        def compute() -> dict:
            scn = self.scenario(scenario)
            res = analyse_deal(scn, model=model)
            out = res.to_dict()
            out["chart"] = res.chart_data()
            relief = None
            if scn.deal_space.policy is not None and res.recommended is not None:
                relief = phased_relief_package(scn, model=model)
            out["policy"] = (
                None
                if relief is None
                else {
                    "id": relief.policy,
                    "relief_steps": relief.relief_steps,
                    "halt": relief.halt,
                    "halt_label": relief.halt_label,
                    "index_points_per_step": relief.step_delta,
                    "quiet_months": relief.quiet_months,
                }
            )
            return jsonable(out)

        return self._results.get_or_compute(_key("deal", scenario, model), compute)

    # ---------------------------------------------------------------- games
    def games_catalogue(self) -> dict:
        from standoff.games.params import MODELS, PARAMS

        return jsonable(
            {
                m: {
                    "title": MODELS[m]["title"],
                    "answers": MODELS[m]["answers"],
                    "params": [
                        {
                            "name": p.name,
                            "lo": p.lo if np.isfinite(p.lo) else None,
                            "hi": p.hi if np.isfinite(p.hi) else None,
                            "default": p.default,
                            "help": p.help,
                            "integer": p.integer,
                        }
                        for p in PARAMS[m].values()
                    ],
                }
                for m in PARAMS
            }
        )

    def game(self, model: str, scenario: str | None, params: dict[str, float]) -> dict:
        from standoff.games.run import run

        scn = self.scenario(scenario) if scenario else None
        try:
            return jsonable(run(model, scn, params))
        except (ArithmeticError, np.linalg.LinAlgError) as exc:  # extreme but in-range values
            raise UsageError(
                f"params: the {model} game has no numerical solution for these values ({exc})"
            ) from None

    # ---------------------------------------------------------------- track record
    def track_record(self, detail: bool = True) -> dict:
        """The latest stored backtest on this data version, read from the results store."""
        from standoff.backtest.core import BINARY, COUNT
        from standoff.backtest.report import data_version
        from standoff.backtest.scores import murphy
        from standoff.errors import DataError
        from standoff.labels import target as target_label
        from standoff.store.results import latest_complete_run, read_run_rows

        db = self.results_db
        empty = {"run": None, "scores": [], "results_db": None if db is None else str(db)}
        if db is None or not Path(db).exists():
            return empty
        dv = self._data_version = getattr(self, "_data_version", None) or data_version(self.history)
        names = {target_label(k): k for k in (*BINARY, *COUNT)} | {k: k for k in (*BINARY, *COUNT)}
        try:  # a store locked by a writer: wait briefly, then say so (no hung request)
            run = latest_complete_run(
                db, "backtest_runs", {"data_version": dv}, require=("backtest_scores",), wait=2.0
            )
            if run is None:
                return empty
            rid = run["run_id"]
            sc = read_run_rows(db, "backtest_scores", rid, wait=2.0)
            ff = read_run_rows(db, "backtest_forecasts", rid, wait=2.0) if detail else None
        except DataError as exc:
            return {**empty, "error": str(exc)}
        sc = sc.assign(target=sc["target"].map(lambda x: names.get(x, x)))
        if ff is not None:
            ff = ff.assign(target=ff["target"].map(lambda x: names.get(x, x)))
        run = pd.DataFrame([run])
        scores = []
        for (t, h), d in sc.groupby(["target", "h"]):
            metric = "crps" if t == "launches" else "brier"
            val = d[d["metric"] == metric].set_index("model")["value"]
            sk = d[d["metric"] == "skill"].set_index("model")["value"]
            base = "intercept" if t == "launches" else "climatology"
            scores.append(
                {
                    "target": t,
                    "label": target_label(t),
                    "h": int(h),
                    "n": int(d["n"].iloc[0]),
                    "metric": metric,
                    "standoff": val.get("standoff"),
                    "baseline": val.get(base),
                    "skill_vs_baseline": sk.get("skill_vs_" + base),
                    "skill_vs_persistence": sk.get("skill_vs_persistence"),
                }
            )
        out: dict[str, Any] = {
            "run": frame_records(run)[0],
            "labels": {t: target_label(t) for t in (*BINARY, *COUNT)},
            "scores": scores,
            "results_db": str(db),
        }
        if detail and ff is not None:
            ff = ff[ff["observed"].notna()]
            rel, over = {}, {}
            for (t, h), d in ff.groupby(["target", "h"]):
                m = murphy(d["forecast"].to_numpy(float), d["observed"].to_numpy(float))
                rel[f"{t}|{h}"] = m.get("diagram", [])
            for h, d in ff.groupby("h"):
                d = d.assign(
                    bs_model=(d["forecast"] - d["observed"]) ** 2,
                    bs_clim=(d["climatology"] - d["observed"]) ** 2,
                )
                g = d.groupby("origin")[["bs_model", "bs_clim"]].mean()
                roll = g.rolling(24, min_periods=6).mean()
                over[str(h)] = {
                    "origins": [str(o) for o in g.index],
                    "standoff": roll["bs_model"].tolist(),
                    "climatology": roll["bs_clim"].tolist(),
                }
            out["reliability"] = rel
            out["over_time"] = over
        return jsonable(out)
