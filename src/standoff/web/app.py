"""``standoff serve``: the analyst's workbench, a local web app and JSON API (FastAPI).

Pages are server-rendered from the shared Jinja2 templates (``standoff/templates/web/``);
each page's data is also JSON under ``/api/...`` (schema at ``/openapi.json``, a list of
the operations at ``/api``). Charts are drawn by plotly.js, served from the installed
``plotly`` package (no CDN: the app works offline).

Safety: every request is validated by pydantic models (the scenario file's own models for
policies and parameters); a bad request gets a 4xx JSON body naming the field, never a
traceback. Work per request is bounded (paths, horizon, policies, upload size, body size),
simulations run in worker threads off the event loop, with a timeout. Nothing a user sends is
evaluated as code, and there is no SQL endpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from standoff.errors import StandoffError
from standoff.templates import render
from standoff.web import schemas as S
from standoff.web.services import (
    MAX_BARGAIN_ROUNDS,
    MAX_HORIZON,
    MAX_PATHS,
    MAX_POLICIES,
    MAX_UPLOAD_BYTES,
    Payload,
    Services,
)

#: Seconds a single computation may take before the request gets a 503.
RUN_TIMEOUT = 60.0
#: Largest request body accepted (JSON or multipart), bytes.
MAX_BODY_BYTES = 1024 * 1024
#: Computations running at once (the rest wait their turn; the event loop stays free).
MAX_CONCURRENT_RUNS = 4

PAGES = (
    ("/", "outlook", "Outlook"),
    ("/policies", "policies", "Policies"),
    ("/history", "history", "History"),
    ("/bargaining", "bargaining", "Bargaining"),
    ("/games", "games", "Games"),
    ("/track-record", "track-record", "Track record"),
)

BOUNDS = {
    "paths": f"100 to {MAX_PATHS:,} per request",
    "horizon": f"1 to {MAX_HORIZON} months",
    "policies": f"1 to {MAX_POLICIES} per comparison",
    "interventions": f"at most {S.MAX_INTERVENTIONS} per policy",
    "upload": f"{MAX_UPLOAD_BYTES // 1024} KiB per KTAB CSV",
    "body": f"{MAX_BODY_BYTES // 1024} KiB per request",
    "rounds": f"1 to {MAX_BARGAIN_ROUNDS} bargaining rounds",
    "timeline": "at most 5,000 rows per request",
    "timeout": f"{RUN_TIMEOUT:.0f} s per computation",
}


def _json(obj: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(obj, status_code=status)


def _field(loc: tuple | list) -> str:
    return ".".join(str(p) for p in loc)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413 (JSON)."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send) -> None:
        body = json.dumps(
            {"error": f"body: expected at most {self.max_bytes} bytes", "field": "body"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await self._refuse(send)
        seen = 0
        started = False

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return msg

        async def tracking_send(msg):
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)


def create_app(
    history_dir: Path | None = None, db: Path | None = None, *, warm: bool = True
) -> FastAPI:
    """The FastAPI app over the history (bundled, or ``history_dir``) and its stores."""
    from standoff.history import History
    from standoff.store.duckdb_store import results_db_path

    history = History.load(history_dir, db)
    svc = Services(history, results_db_path(db))
    gate = asyncio.Semaphore(MAX_CONCURRENT_RUNS)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm:  # fit and simulate the outlook in the background: first page fast
            threading.Thread(target=_warm, args=(svc,), daemon=True).start()
        yield

    app = FastAPI(
        title="standoff workbench",
        version=_version(),
        description="Local JSON API of `standoff serve`: forecasts, policy comparisons, "
        "history, bargaining, crisis games and the track record. Bounds: "
        + "; ".join(f"{k} {v}" for k, v in BOUNDS.items())
        + ".",
        lifespan=lifespan,
        docs_url=None,  # the Swagger/ReDoc viewers load assets from a CDN: offline app
        redoc_url=None,
    )
    app.state.services = svc
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)

    async def run(fn, *args, **kwargs):
        async with gate:
            try:
                return await asyncio.wait_for(
                    run_in_threadpool(fn, *args, **kwargs), timeout=RUN_TIMEOUT
                )
            except TimeoutError:
                raise _Timeout from None

    def send(payload) -> Response:
        """Cached results go out as their serialised bytes (no re-encoding per request)."""
        if isinstance(payload, Payload):
            return Response(payload.raw, media_type="application/json")
        return _json(payload)

    # ------------------------------------------------------------------ errors
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {"loc": ("request",), "msg": "invalid request"}
        field = _field(first.get("loc", ()))
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        detail = [
            {"field": _field(e.get("loc", ())), "msg": str(e.get("msg")), "type": e.get("type")}
            for e in errs[:20]
        ]
        return _json({"error": f"{field}: {msg}", "field": field, "detail": detail}, 422)

    @app.exception_handler(StandoffError)
    async def _user_error(request: Request, exc: StandoffError):
        from standoff.limits import one_line

        text = one_line(str(exc))  # one printable line, never an echo of a huge input
        field = text.split(":", 1)[0] if ":" in text else "request"
        return _json({"error": text, "field": field}, 422)

    @app.exception_handler(_Timeout)
    async def _timeout(request: Request, exc: _Timeout):
        return _json(
            {"error": f"the computation took longer than {RUN_TIMEOUT:.0f} s; ask for fewer paths"},
            503,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return _json({"error": str(exc.detail), "field": "path"}, exc.status_code)

    # ------------------------------------------------------------------ static
    static_dir = Path(str(resources.files("standoff") / "web" / "static"))

    @app.get("/static/plotly.min.js", include_in_schema=False)
    async def plotly_js():
        import plotly

        path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        return FileResponse(path, media_type="text/javascript")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        files = {p.name: p for p in static_dir.iterdir() if p.suffix in (".js", ".css")}
        if name not in files:
            return _json({"error": f"static: no file {name!r}", "field": "name"}, 404)
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(files[name], media_type=media)

    # ------------------------------------------------------------------ pages
    def page(name: str, title: str, **ctx) -> HTMLResponse:
        return HTMLResponse(
            render(
                f"web/{name}.html",
                title=f"standoff: {title}",
                page=name,
                pages=PAGES,
                bounds=BOUNDS,
                **ctx,
            )
        )

    @app.get("/", response_class=HTMLResponse, tags=["pages"])
    async def outlook_page():
        data = await run(svc.outlook)
        return page("outlook", "Outlook", data=data)

    @app.get("/policies", response_class=HTMLResponse, tags=["pages"])
    async def policies_page(scenario: S.ScenarioName = "korea-now"):
        doc = await run(svc.scenario_doc, scenario)
        return page(
            "policies", "Policies", doc=doc, scenarios=svc.scenario_names(), scenario=scenario
        )

    @app.get("/history", response_class=HTMLResponse, tags=["pages"])
    async def history_page():
        data = await run(svc.history_view, None, None, None, list(S.TimelineKind.__args__), 300)
        return page("history", "History", data=data)

    @app.get("/bargaining", response_class=HTMLResponse, tags=["pages"])
    async def bargaining_page():
        from standoff.bargaining.deal import DEAL_MODELS
        from standoff.bargaining.models import DEFAULT_MODEL, MODELS

        return page(
            "bargaining",
            "Bargaining",
            scenarios=svc.scenarios(),
            models=list(MODELS),
            default_model=DEFAULT_MODEL,
            deal_models=list(DEAL_MODELS),
        )

    @app.get("/games", response_class=HTMLResponse, tags=["pages"])
    async def games_page():
        return page(
            "games", "Games", catalogue=svc.games_catalogue(), scenarios=svc.scenario_names()
        )

    @app.get("/api", response_class=HTMLResponse, tags=["pages"])
    async def api_page():
        ops = []
        for path, item in app.openapi()["paths"].items():
            if not path.startswith("/api/"):
                continue
            for method, op in item.items():
                names = [p["name"] for p in op.get("parameters", []) if p["in"] != "path"]
                body = op.get("requestBody", {}).get("content", {})
                if body:
                    names.append("body: " + ", ".join(body))
                ops.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": op.get("summary", ""),
                        "params": ", ".join(names) or "–",
                    }
                )
        return page("api", "JSON API", operations=ops)

    @app.get("/track-record", response_class=HTMLResponse, tags=["pages"])
    async def track_record_page():
        data = await run(svc.track_record)
        return page("track-record", "Track record", data=data)

    # ------------------------------------------------------------------ API
    @app.get("/api/outlook", tags=["api"], summary="Forecast as of the latest record")
    async def api_outlook():
        hit = svc.outlook_cached()
        return send(hit if hit is not None else await run(svc.outlook))

    @app.get("/api/scenarios", tags=["api"], summary="Bundled scenarios")
    async def api_scenarios():
        return await run(svc.scenarios)

    @app.get("/api/scenarios/{name}", tags=["api"], summary="A scenario and its provenance")
    async def api_scenario(name: S.ScenarioName):
        return await run(svc.scenario_doc, name)

    @app.post("/api/compare", tags=["api"], summary="Compare policies (common random numbers)")
    async def api_compare(req: S.CompareRequest):
        rkey = req.model_dump_json()
        hit = svc.request_cached(rkey)  # the same validated request again: its stored result
        if hit is not None:
            return send(hit)
        payload = await run(
            svc.compare,
            req.scenario,
            req.policies,
            req.compare,
            req.parameters,
            req.paths,
            req.horizon,
            req.seed,
        )
        svc.remember_request(rkey, payload)
        return send(payload)

    @app.post(
        "/api/scenario.yaml",
        tags=["api"],
        summary="The edited scenario as YAML (accepted by `standoff scenario validate`)",
        response_class=Response,
        responses={200: {"content": {"application/yaml": {}}}},
    )
    async def api_scenario_yaml(req: S.ScenarioEdit):
        text = await run(svc.scenario_yaml, req.scenario, req.policies, req.parameters)
        return Response(
            text,
            media_type="application/yaml",
            headers={"Content-Disposition": f'attachment; filename="{req.scenario}-edited.yaml"'},
        )

    @app.get("/api/history", tags=["api"], summary="Timeline, charts and claims as of a date")
    async def api_history(
        as_of: Annotated[dt.date | None, Query(ge=S.DATE_MIN, le=S.DATE_MAX)] = None,
        start: Annotated[dt.date | None, Query(ge=S.DATE_MIN, le=S.DATE_MAX)] = None,
        end: Annotated[dt.date | None, Query(ge=S.DATE_MIN, le=S.DATE_MAX)] = None,
        kinds: Annotated[list[S.TimelineKind] | None, Query(max_length=5)] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ):
        ks = list(dict.fromkeys(kinds)) if kinds else list(S.TimelineKind.__args__)
        return await run(svc.history_view, as_of, start, end, ks, limit)

    @app.get("/api/sources", tags=["api"], summary="Source ids and citations")
    async def api_sources():
        return await run(svc.sources)

    @app.post("/api/bargaining", tags=["api"], summary="Bargaining forecast")
    async def api_bargaining(
        model: Annotated[S.BargainModel, Form()] = "compromise",
        scenario: Annotated[S.ScenarioName, Form()] = "korea-now",
        issue: Annotated[str | None, Form(max_length=64)] = None,
        rounds: Annotated[int | None, Form(ge=1, le=MAX_BARGAIN_ROUNDS)] = None,
        file: Annotated[UploadFile | None, File(description="KTAB CSV (or a plain CSV)")] = None,
    ):
        text, name = None, "upload.csv"
        if file is not None and (file.filename or file.size):
            raw = await file.read(MAX_UPLOAD_BYTES + 1)
            if len(raw) > MAX_UPLOAD_BYTES:
                return _json(
                    {
                        "error": f"file: expected at most {MAX_UPLOAD_BYTES // 1024} KiB",
                        "field": "file",
                    },
                    413,
                )
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return _json({"error": "file: expected UTF-8 text (a CSV)", "field": "file"}, 422)
            name = Path(file.filename or "upload.csv").name[:80] or "upload.csv"
        return await run(
            svc.bargaining,
            scenario=scenario,
            issue=issue or None,
            csv_text=text,
            filename=name,
            model=model,
            rounds=rounds,
        )

    @app.get("/api/bargaining/deal", tags=["api"], summary="Deal space: win-set and settlements")
    async def api_deal(
        scenario: S.ScenarioName = "korea-now",
        model: S.DealModel = "default",
    ):
        return await run(svc.deal_space, scenario, model)

    @app.get("/api/games", tags=["api"], summary="Crisis games and their parameters")
    async def api_games():
        return svc.games_catalogue()

    @app.post("/api/games/{model}", tags=["api"], summary="Solve a crisis game")
    async def api_game(model: S.GameModel, req: S.GameRequest):
        _check_game(model, req.params)
        return await run(svc.game, model, req.scenario, req.params)

    @app.get("/api/track-record", tags=["api"], summary="Latest stored backtest")
    async def api_track_record():
        return await run(svc.track_record)

    return app


#: Tighter web bounds than the CLI's for the games' Monte Carlo sizes.
GAME_WEB_MAX = {("kydd", "runs"): 20_000, ("kydd", "periods"): 240, ("richardson", "months"): 600}


def _check_game(model: str, params: dict[str, float]) -> None:
    from standoff.errors import UsageError
    from standoff.games.params import PARAMS

    for name, v in params.items():
        if name not in PARAMS[model]:
            raise UsageError(
                f"params.{name}: not a parameter of {model} "
                f"(expected one of {', '.join(PARAMS[model])})"
            )
        problem = PARAMS[model][name].check(float(v))
        if problem:
            raise UsageError(f"params.{name}: {problem}")
        cap = GAME_WEB_MAX.get((model, name))
        if cap is not None and v > cap:
            raise UsageError(f"params.{name}: expected at most {cap} in the web app, got {v:g}")


class _Timeout(Exception):
    pass


def _version() -> str:
    import standoff

    return standoff.__version__


def _warm(svc: Services) -> None:
    try:
        svc.outlook()
    except Exception:  # the page will compute (and report) it on request
        pass
