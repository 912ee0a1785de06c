"""``standoff serve``: the analyst's workbench, a local web app and JSON API (FastAPI).

Pages are server-rendered from the shared Jinja2 templates (``standoff/templates/web/``);
each page's data is also JSON under ``/api/...`` (schema at ``/openapi.json``, a list of
the operations at ``/api``). Charts are drawn by plotly.js, served from the installed
``plotly`` package (no CDN: the app works offline).

Safety (see docs/web.md, "Security"):

* **Requests from this machine's own pages only.** The ``Host`` header must name a loopback
  address (``127.0.0.1``, ``localhost``, ``[::1]``, any port) unless ``standoff serve --host``
  or ``--allow-host`` widens it (DNS rebinding: a foreign page whose name resolves to
  127.0.0.1 sends its own name). Every state-changing request (POST) and every expensive
  one must not be cross-site: an ``Origin`` that is not this app's, ``Origin: null``, or a
  ``Sec-Fetch-Site`` other than ``same-origin``/``none`` is refused with 403 and one line
  (a top-level navigation to a page is allowed: it cannot read the answer). Clients that
  send neither header (curl, scripts) are not browsers and pass.
* **Every request validated** by pydantic models (the scenario file's own models for
  policies and parameters), strings included (a lone surrogate is a 422); a bad request
  gets a 4xx JSON body naming the field, never a traceback. Bounds per request (paths,
  horizon, policies, upload and body size; bargaining work estimated from actors x rounds
  x models before it starts).
* **Computations run in child processes that can be stopped** (:mod:`standoff.web.worker`):
  a memory cap and a wall-clock limit each; past them the child is killed and reaped, and
  only then is the request answered (503) and its slot released. At most
  :data:`MAX_CONCURRENT_RUNS` run at once, a bounded queue waits. Any failure is a JSON
  4xx/503 with one line.
* Nothing a user sends is evaluated as code, and there is no SQL endpoint.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import json
import os
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
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
from standoff.web.worker import JOB_MEMORY_MB, JobFailed, WorkerPool, error_body

#: Seconds a single computation may take before it is stopped and the request gets a 503.
RUN_TIMEOUT = 60.0
#: The outlook's combined forecast (computed once in the background: its first run scores
#: the simulator's track record) may take this long, with this much memory.
COMBINE_TIMEOUT = 1800.0
COMBINE_MEMORY_MB = 3072
#: Computations waiting for a free worker at most (beyond: 503 at once), and how long.
MAX_QUEUED_RUNS = 64
QUEUE_WAIT = 120.0
#: Host names the app answers to by default (loopback); ``serve --host/--allow-host`` adds.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
#: GET routes that compute (checked for cross-site use like POSTs)
EXPENSIVE_GETS = frozenset(
    {"/", "/history", "/track-record", "/api/outlook", "/api/history", "/api/track-record"}
)
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
    "bargaining": "about 20 s of estimated work per request (actors x rounds x models)",
    "timeout": f"{RUN_TIMEOUT:.0f} s and {JOB_MEMORY_MB / 1024:g} GiB per computation",
    "concurrency": f"{MAX_CONCURRENT_RUNS} computations at once, {MAX_QUEUED_RUNS} waiting",
}


def _json(obj: Any, status: int = 200) -> Response:
    """A JSON response; non-ASCII escaped, so that no text (a lone surrogate echoed in an
    error) can fail to encode."""
    return Response(
        json.dumps(obj, ensure_ascii=True, default=str).encode(),
        status_code=status,
        media_type="application/json",
    )


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


def host_name(value: str) -> str | None:
    """The name part of a ``Host`` header (``[::1]`` for IPv6, lower case), or None if it is
    malformed (a port that is not a number, characters a host cannot have)."""
    v = value.strip().lower()
    if v.startswith("["):
        end = v.find("]")
        if end < 0:
            return None
        name, rest = v[: end + 1], v[end + 1 :]
    else:
        name, sep, port = v.rpartition(":")
        if not sep:
            name, rest = v, ""
        else:
            rest = ":" + port
    if rest and not (rest.startswith(":") and rest[1:].isdigit() and len(rest) <= 6):
        return None
    if not name or any(c in name for c in "/\\@ ?#") or len(name) > 255:
        return None
    return name


class SiteGuard:
    """ASGI middleware: loopback ``Host`` only (or the names allowed), no cross-site
    state-changing or expensive request (see the module docstring), and headers that keep
    other sites from framing the pages or reading the answers."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
    HEADERS = [
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"frame-ancestors 'none'"),
        (b"x-content-type-options", b"nosniff"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"referrer-policy", b"same-origin"),
    ]

    def __init__(self, app, allowed_hosts: frozenset[str] | None) -> None:
        self.app = app
        self.allowed = allowed_hosts  # None: any host (``--allow-host '*'``)

    async def _refuse(self, send, status: int, message: str, field: str) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), *self.HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": error_body(message, field)})

    def check(
        self, method: str, path: str, headers: list[tuple[bytes, bytes]]
    ) -> tuple[str, str] | None:
        """``(message, field)`` if the request is refused, else None."""
        h: dict[str, list[str]] = {}
        for k, v in headers:
            h.setdefault(k.decode("latin-1").lower(), []).append(v.decode("latin-1"))
        hosts = h.get("host", [])
        if len(hosts) != 1:
            return ("host: expected one Host header", "host")
        name = host_name(hosts[0])
        if name is None or (self.allowed is not None and name not in self.allowed):
            shown = ", ".join(sorted(self.allowed or ())) or "any"
            return (
                f"host: {hosts[0][:80]!r} is not a name of this app (it answers to {shown}); "
                "refused to protect against DNS rebinding (standoff serve --allow-host NAME "
                "adds a name)",
                "host",
            )
        unsafe = method not in self.SAFE
        if not unsafe and path not in EXPENSIVE_GETS and not path.startswith("/api/"):
            return None
        site = (h.get("sec-fetch-site") or [None])[0]
        navigation = (
            method == "GET"
            and (h.get("sec-fetch-mode") or [""])[0] == "navigate"
            and (h.get("sec-fetch-dest") or [""])[0] == "document"
            and not path.startswith("/api/")
        )
        if site is not None and site not in ("same-origin", "none") and not navigation:
            return (
                f"cross-site request refused (Sec-Fetch-Site: {site[:40]}); the app only "
                "answers its own pages",
                "origin",
            )
        origins = h.get("origin", [])
        if origins and (unsafe or path in EXPENSIVE_GETS or path.startswith("/api/")):
            origin = origins[0].strip().lower()
            own = {f"http://{hosts[0].strip().lower()}", f"https://{hosts[0].strip().lower()}"}
            if len(origins) != 1 or origin not in own:
                return (
                    f"cross-site request refused (Origin {origins[0][:80]!r} is not this app, "
                    f"{sorted(own)[0]})",
                    "origin",
                )
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refused = self.check(scope["method"], scope.get("path", ""), scope.get("headers") or [])
        if refused is not None:
            return await self._refuse(send, 403, *refused)

        async def secured(msg):
            if msg["type"] == "http.response.start":
                msg = {**msg, "headers": [*msg.get("headers", []), *self.HEADERS]}
            await send(msg)

        return await self.app(scope, receive, secured)


def create_app(
    history_dir: Path | None = None,
    db: Path | None = None,
    *,
    warm: bool = True,
    allowed_hosts: frozenset[str] | set[str] | None = LOOPBACK_HOSTS,
    workers: bool = True,
    run_timeout: float = RUN_TIMEOUT,
    job_memory_mb: int = JOB_MEMORY_MB,
) -> FastAPI:
    """The FastAPI app over the history (bundled, or ``history_dir``) and its stores.

    ``allowed_hosts``: the names the ``Host`` header may carry (``None``: any).
    ``workers``: run computations in killable child processes (:mod:`standoff.web.worker`;
    POSIX only); ``False`` runs them in threads (no hard limits: tests of the services).
    ``run_timeout`` and ``job_memory_mb``: the limits of one computation (tests lower them).
    """
    from standoff.history import History
    from standoff.store.duckdb_store import results_db_path

    history = History.load(history_dir, db)
    svc = Services(history, results_db_path(db))
    pool = (
        WorkerPool(
            history_dir,
            db,
            slots=MAX_CONCURRENT_RUNS,
            queue_max=MAX_QUEUED_RUNS,
            queue_wait=QUEUE_WAIT,
            memory_mb=job_memory_mb,
        )
        if workers and hasattr(os, "fork")
        else None
    )
    if pool is not None:
        atexit.register(pool.close)
    gate = asyncio.Semaphore(MAX_CONCURRENT_RUNS)  # for the thread fallback only
    cache: dict[str, Any] = {"combined": None, "combined_status": "not started"}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        task = None
        if warm:  # start the workers and compute the outlook in the background
            task = asyncio.ensure_future(_quietly(outlook()))
        yield
        if task is not None:
            task.cancel()
        # the pool outlives a lifespan (a test client opens many); it stops at exit (atexit),
        # and its zygote stops by itself when this process ends

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
    app.state.pool = pool
    app.state.run_timeout = run_timeout  # seconds per computation (a test may lower it)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(
        SiteGuard, allowed_hosts=None if allowed_hosts is None else frozenset(allowed_hosts)
    )

    async def run(fn, *args, **kwargs):
        """A cheap call (a scenario, the sources) off the event loop."""
        try:
            return await asyncio.wait_for(
                run_in_threadpool(fn, *args, **kwargs), timeout=RUN_TIMEOUT
            )
        except TimeoutError:
            raise _Timeout from None

    async def job(method: str, kwargs: dict, fallback, *args) -> Payload:
        """An expensive computation: in a worker process (``fallback(*args)`` in a thread
        when there is no pool); its result as a :class:`Payload`."""
        if pool is None:
            async with gate:
                out = await run(fallback, *args)
            return out if isinstance(out, Payload) else Payload(out)
        limit = app.state.run_timeout
        _, raw, obj = await asyncio.wrap_future(pool.submit(method, kwargs, timeout=limit))
        return _payload(raw, obj)

    inflight: dict[str, asyncio.Future] = {}

    async def cached(key: str, method: str, kwargs: dict, fallback, *args) -> Payload:
        """:func:`job` once per key: a result already computed comes from the cache, and
        requests that arrive while it is computed wait for that one computation (a burst of
        identical requests is one job, not a full queue)."""
        hit = svc.request_cached(key)
        if hit is not None:
            return hit
        running = inflight.get(key)
        if running is not None and running.get_loop() is asyncio.get_running_loop():
            return await asyncio.shield(running)
        fut = asyncio.ensure_future(job(method, kwargs, fallback, *args))
        inflight[key] = fut
        try:
            payload = await asyncio.shield(fut)
        finally:
            if inflight.get(key) is fut:
                del inflight[key]
        svc.remember_request(key, payload)
        return payload

    # ------------------------------------------------------------------ outlook state
    def outlook_kwargs() -> dict:
        return {"combined": cache["combined"], "combined_status": cache["combined_status"]}

    def start_combination() -> None:
        """The combined forecast, once, in a background worker (minutes on first use)."""
        if cache["combined_status"] != "not started" or pool is None:
            return
        cache["combined_status"] = "computing"
        fut = pool.submit(
            "combined",
            {},
            timeout=COMBINE_TIMEOUT,
            memory_mb=COMBINE_MEMORY_MB,
            background=True,
        )

        def done(f) -> None:
            try:
                _, _, obj = f.result()
                cache["combined"], cache["combined_status"] = obj["combined"], obj["status"]
            except JobFailed as exc:
                cache["combined_status"] = f"failed: {_error_text(exc.body)}"[:300]
            except Exception as exc:  # the page says so; the simulator's numbers stay
                cache["combined_status"] = f"failed: {type(exc).__name__}"

        fut.add_done_callback(done)

    def results_stamp() -> int | None:
        db_path = svc.results_db
        try:
            return os.stat(db_path).st_mtime_ns if db_path is not None else None
        except OSError:
            return None

    async def outlook() -> Payload:
        if pool is None:
            hit = svc.outlook_cached()
            return hit if hit is not None else await job("outlook", {}, svc.outlook)
        start_combination()
        key = json.dumps(
            ["outlook", str(history.latest_date.date()), results_stamp(), cache["combined_status"]]
        )
        return await cached(key, "outlook", outlook_kwargs(), svc.outlook)

    async def track_record() -> Payload:
        key = json.dumps(["track-record", results_stamp()])
        return await cached(key, "track_record", {}, svc.track_record)

    async def history_view(as_of, start, end, kinds, limit) -> Payload:
        kw = {
            "as_of": None if as_of is None else as_of.isoformat(),
            "start": None if start is None else start.isoformat(),
            "end": None if end is None else end.isoformat(),
            "kinds": list(kinds),
            "limit": int(limit),
        }
        key = json.dumps(["history", kw], sort_keys=True)
        return await cached(
            key, "history_view", kw, svc.history_view, as_of, start, end, list(kinds), limit
        )

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
            {"error": f"the computation took longer than {RUN_TIMEOUT:g} s; ask for fewer paths"},
            503,
        )

    @app.exception_handler(JobFailed)
    async def _job_failed(request: Request, exc: JobFailed):
        return Response(exc.body, status_code=exc.status, media_type="application/json")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return _json({"error": str(exc.detail), "field": "path"}, exc.status_code)

    @app.exception_handler(MemoryError)
    async def _memory(request: Request, exc: MemoryError):
        return _json(
            {"error": "not enough memory to answer; ask for less", "field": "request"}, 503
        )

    @app.exception_handler(Exception)
    async def _failure(request: Request, exc: Exception):
        from standoff.limits import one_line

        return _json(
            {
                "error": one_line(
                    f"the server could not answer ({type(exc).__name__}); its log has the details"
                ),
                "field": "request",
            },
            503,
        )

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
        data = await outlook()
        return page("outlook", "Outlook", data=data)

    @app.get("/policies", response_class=HTMLResponse, tags=["pages"])
    async def policies_page(scenario: S.ScenarioName = "korea-now"):
        doc = await run(svc.scenario_doc, scenario)
        return page(
            "policies", "Policies", doc=doc, scenarios=svc.scenario_names(), scenario=scenario
        )

    @app.get("/history", response_class=HTMLResponse, tags=["pages"])
    async def history_page():
        data = await history_view(None, None, None, list(S.TimelineKind.__args__), 300)
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
        data = await track_record()
        return page("track-record", "Track record", data=data)

    # ------------------------------------------------------------------ API
    @app.get("/api/outlook", tags=["api"], summary="Forecast as of the latest record")
    async def api_outlook():
        return send(await outlook())

    @app.get("/api/scenarios", tags=["api"], summary="Bundled scenarios")
    async def api_scenarios():
        return await run(svc.scenarios)

    @app.get("/api/scenarios/{name}", tags=["api"], summary="A scenario and its provenance")
    async def api_scenario(name: S.ScenarioName):
        return await run(svc.scenario_doc, name)

    @app.post("/api/compare", tags=["api"], summary="Compare policies (common random numbers)")
    async def api_compare(req: S.CompareRequest):
        rkey = req.model_dump_json()  # the same validated request again: its stored result
        payload = await cached(
            rkey,
            "compare",
            {"request": req.model_dump(mode="json")},
            svc.compare,
            req.scenario,
            req.policies,
            req.compare,
            req.parameters,
            req.paths,
            req.horizon,
            req.seed,
        )
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
        return send(await history_view(as_of, start, end, ks, limit))

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
        for fname, value in (("file.filename", name), ("issue", issue)):
            if value is not None and not _unicode(value):
                return _json(
                    {"error": f"{fname}: expected valid Unicode text", "field": fname}, 422
                )
        kw = {
            "scenario": scenario,
            "issue": issue or None,
            "csv_text": text,
            "filename": name,
            "model": model,
            "rounds": rounds,
        }
        # the work budget, checked here before the request waits for a worker (the worker
        # checks it again on the problems it builds)
        sizes = await run(_problem_sizes, svc, scenario, issue or None, text, name)
        if sizes is not None:
            from standoff.bargaining.models import MODELS
            from standoff.limits import check_bargain_web

            check_bargain_web(sizes, model, rounds, list(MODELS))
        return send(await job("bargaining", kw, lambda: svc.bargaining(**kw)))

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
        kw = {"model": model, "scenario": req.scenario, "params": req.params}
        return send(await job("game", kw, svc.game, model, req.scenario, req.params))

    @app.get("/api/track-record", tags=["api"], summary="Latest stored backtest")
    async def api_track_record():
        return send(await track_record())

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


async def _quietly(coro) -> None:
    try:
        await coro
    except Exception:  # the page computes (and reports) it on request
        pass


def _payload(raw: bytes, obj: Any) -> Payload:
    """A :class:`Payload` from a worker's JSON bytes and their parsed value (no re-encoding)."""
    p = Payload.__new__(Payload)
    dict.__init__(p, obj if isinstance(obj, dict) else {"value": obj})
    p.raw = raw
    return p


def _problem_sizes(svc, scenario, issue, csv_text, filename) -> list[int] | None:
    """Actors of every issue a bargaining request would run (at most 8), or None if the
    input does not parse (the worker then reports exactly why)."""
    import csv
    import io

    from standoff.bargaining.inputs import from_scenario, is_ktab, read_ktab

    try:
        if csv_text is None:
            problems = from_scenario(svc.scenario(scenario or "korea-now"))
            if issue is not None:
                problems = [p for p in problems if p.name == issue]
            return [p.n for p in problems[:8]]
        if is_ktab(csv_text):
            return [p.n for p in read_ktab(filename, csv_text).problems()[:8]]
        rows = sum(1 for row in csv.reader(io.StringIO(csv_text)) if any(c.strip() for c in row))
        return [max(rows - 1, 0)]
    except (StandoffError, ValueError, csv.Error):
        return None


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _error_text(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error"))
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace")[:200]


def _version() -> str:
    import standoff

    return standoff.__version__
