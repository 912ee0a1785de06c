"""Fuzz suite of the web app: generated requests, uploads, Host and Origin headers.

Three surfaces, each run in-process against the app (computations in its worker processes):

* ``schemathesis``: every operation of the OpenAPI schema, valid and invalid requests;
* ``upload``: ``POST /api/bargaining`` with generated KTAB/plain CSVs (broken cells, hostile
  names, up to 5,000 actors, several issues, oversize and non-UTF-8 files) and form fields;
* ``origin_host``: every route with generated ``Host``, ``Origin`` and ``Sec-Fetch-*``
  headers and methods; an oracle says which must be refused (403) and why.

Every answer must be below 500, a 4xx must be one JSON line naming a field, and no request
may run past ``HANG_SECONDS`` (a hang guard, not a timing assertion). ``make test`` runs a
few derandomised examples per surface; ``pytest -m fuzz tests/fuzz -s`` the large profile,
which prints the counts per surface and adds them to ``$FUZZ_REPORT`` if set.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from generators import HOSTILE, bad_int, ktab_text, plain_csv_text, token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from standoff.web.app import EXPENSIVE_GETS, LOOPBACK_HOSTS, create_app

HANG_SECONDS = 180
#: make test: schemathesis's quick run is tests/web/test_web_fuzz.py; uploads and headers here
QUICK = {"upload": 10, "origin_host": 30}
LARGE = {"schemathesis": 220, "upload": 1500, "origin_host": 1500}
COUNTS: dict[str, Counter] = {}

# schemathesis's ASGI transport names the host "testserver" (as --allow-host would)
_SCHEMA_APP = create_app(warm=False, allowed_hosts=LOOPBACK_HOSTS | {"testserver"})
schema = schemathesis.openapi.from_asgi("/openapi.json", _SCHEMA_APP)


class _Hang(BaseException):
    pass


def _alarm(*_):
    raise _Hang()


def _guarded(fn, what):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    try:
        return fn()
    except _Hang:
        COUNTS.setdefault(what, Counter())["hang"] += 1
        pytest.fail(f"hang (> {HANG_SECONDS} s) in {what}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _count(what: str, status: int) -> None:
    c = COUNTS.setdefault(what, Counter())
    c["n"] += 1
    c[f"{status // 100}xx"] += 1


def _check_answer(r, what: str) -> None:
    _count(what, r.status_code)
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    json_body = r.headers.get("content-type", "").startswith("application/json") and r.content
    if r.status_code >= 400 and json_body:  # (a HEAD answer has no body)
        body = r.json()
        assert "error" in body and "field" in body, body
        assert "\n" not in body["error"] and len(body["error"]) <= 500, body


@pytest.fixture(scope="module")
def web():
    """A client of the schemathesis app (one app and one zygote for the module; its extra
    host name "testserver" is never drawn by the header cases)."""
    from fastapi.testclient import TestClient

    with TestClient(_SCHEMA_APP, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


# ------------------------------------------------------------------ schemathesis
_WARM: list[bool] = []


def _warm_up() -> None:
    """The slow first computations (the zygote's start, the outlook) before the timed calls."""
    from fastapi.testclient import TestClient

    if not _WARM:
        with TestClient(_SCHEMA_APP, base_url="http://127.0.0.1") as c:
            for path in ("/api/outlook", "/", "/policies", "/history", "/track-record"):
                c.get(path)
        _WARM.append(True)


def _schema_case(case) -> None:
    _warm_up()
    # the hang guard is HANG_SECONDS (schemathesis's own default of 10 s is for networks)
    response = _guarded(lambda: case.call(timeout=HANG_SECONDS), "schemathesis")
    _count("schemathesis", response.status_code)
    case.validate_response(response, checks=[not_a_server_error])


_SETTINGS = dict(
    deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=LARGE["schemathesis"], **_SETTINGS)
def test_fuzz_schemathesis_large(case):
    _schema_case(case)


# ------------------------------------------------------------------ uploads
def _big_ktab(n: int, dims: int) -> str:
    head = ["Actor", "Description", "Influence"]
    for d in range(dims):
        head += [f"D{d} Position", f"D{d} Salience"]
    rows = [f"Big,generated,{n},{dims}", ",".join(head)]
    for i in range(n):
        cells = [f"a{i}", "x", str(1 + i % 97)]
        for d in range(dims):
            cells += [str((i * 37 + d * 11) % 101), str(1 + (i + d) % (100 // dims))]
        rows.append(",".join(cells))
    return "\n".join(rows) + "\n"


@st.composite
def upload(draw) -> dict:
    kind = draw(st.integers(0, 5))
    if kind <= 2:
        text = draw(st.one_of(ktab_text(), plain_csv_text()))
    elif kind == 3:  # the audit's worst cases and sizes around the budget
        text = _big_ktab(
            draw(st.sampled_from([150, 300, 400, 800, 2000, 5000, 5001])),
            draw(st.sampled_from([1, 2, 8, 9])),
        )
    elif kind == 4:
        text = draw(st.sampled_from(HOSTILE)) * draw(st.sampled_from([1, 10, 100]))
    else:
        text = _big_ktab(5, 1).replace("a1", draw(st.sampled_from(HOSTILE)), 1)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.sampled_from([b"\xff\xfe\x00", b"x" * (300 * 1024), b"", data[:7]]))
    form = {}
    for name, pool in (
        ("model", st.sampled_from(["compromise", "eum", "eum-scholz", "nbs", "x", ""])),
        ("rounds", st.one_of(bad_int, st.sampled_from(["1", "50", "200", "201"]))),
        ("scenario", st.sampled_from(["korea-now", "korea-2018", "nope", ""])),
        ("issue", st.one_of(token, st.sampled_from(HOSTILE))),
    ):
        if draw(st.booleans()):
            form[name] = draw(pool)
    filename = draw(st.sampled_from(["a.csv", "[/x].csv", "x" * 300 + ".csv", "../../e.csv", ""]))
    return {
        "form": form,
        "data": data,
        "filename": filename,
        "with_file": draw(st.integers(0, 5)) > 0,
    }


def _multipart(item: dict) -> tuple[bytes, str]:
    """The body as raw bytes (hostile text that an HTTP client would refuse to encode)."""
    out = b""
    for k, v in item["form"].items():
        out += (
            b'--B0uNd\r\nContent-Disposition: form-data; name="' + k.encode() + b'"\r\n\r\n'
            + v.encode("utf-8", "surrogatepass") + b"\r\n"
        )  # fmt: skip
    if item["with_file"]:
        out += (
            b'--B0uNd\r\nContent-Disposition: form-data; name="file"; filename="'
            + item["filename"].encode("utf-8", "surrogatepass")
            + b'"\r\nContent-Type: text/csv\r\n\r\n' + item["data"] + b"\r\n"
        )  # fmt: skip
    return out + b"--B0uNd--\r\n", "multipart/form-data; boundary=B0uNd"


def _run_uploads(web, n: int) -> None:
    @settings(max_examples=n, **_SETTINGS)
    @given(upload())
    def check(item):
        body, ctype = _multipart(item)
        r = _guarded(
            lambda: web.post("/api/bargaining", content=body, headers={"content-type": ctype}),
            "upload",
        )
        _check_answer(r, "upload")

    check()


def test_fuzz_upload(web):
    _run_uploads(web, QUICK["upload"])


@pytest.mark.fuzz
def test_fuzz_upload_large(web):
    _run_uploads(web, LARGE["upload"])
    _report("upload")


# ------------------------------------------------------------------ Host, Origin, Sec-Fetch
ROUTES = [
    ("GET", "/"),
    ("GET", "/history"),
    ("GET", "/games"),
    ("GET", "/static/app.js"),
    ("GET", "/api/outlook"),
    ("GET", "/api/scenarios"),
    ("GET", "/api/history"),
    ("GET", "/api/track-record"),
    ("POST", "/api/compare"),
    ("POST", "/api/scenario.yaml"),
    ("POST", "/api/games/fearon"),
    ("POST", "/api/bargaining"),
    ("PUT", "/api/compare"),
    ("DELETE", "/api/scenarios"),
    ("OPTIONS", "/api/compare"),
    ("HEAD", "/api/scenarios"),
    ("PATCH", "/nothing"),
]
HOSTS = [
    "127.0.0.1",
    "127.0.0.1:8000",
    "localhost",
    "LOCALHOST:1",
    "[::1]",
    "[::1]:8000",
    "evil.example",
    "evil.example:8000",
    "127.0.0.1.evil.example",
    "localhost.",
    "10.0.0.1",
    "0.0.0.0",
    "[::1",
    "127.0.0.1:80x",
    "",
    "a" * 300,
    "user@127.0.0.1",
    "127.0.0.1/x",
]
ORIGINS = [None, "null", "http://127.0.0.1", "http://evil.example", "https://127.0.0.1", "x"]
SITES = [None, "same-origin", "none", "same-site", "cross-site", "junk"]
COMPARE = {
    "scenario": "korea-now",
    "compare": ["status-quo", "phased-relief"],
    "paths": 100,
    "horizon": 3,
    "seed": 1,
}


def _expected_refusal(method, path, host, origin, site, mode, dest) -> str | None:
    """The oracle: "host", "origin" or None (the rules of docs/web.md, "Security")."""
    from standoff.web.app import host_name

    name = host_name(host)
    if name is None or name not in LOOPBACK_HOSTS:
        return "host"
    unsafe = method not in ("GET", "HEAD", "OPTIONS")
    checked = unsafe or path in EXPENSIVE_GETS or path.startswith("/api/")
    if not checked:
        return None
    navigation = method == "GET" and mode == "navigate" and dest == "document"
    navigation = navigation and not path.startswith("/api/")
    if site is not None and site not in ("same-origin", "none") and not navigation:
        return "origin"
    if origin is not None and origin.lower() not in (
        f"http://{host.lower()}",
        f"https://{host.lower()}",
    ):
        return "origin"
    return None


@st.composite
def header_case(draw) -> dict:
    method, path = draw(st.sampled_from(ROUTES))
    return {
        "method": draw(st.sampled_from([method, "GET", "POST", "HEAD"])),
        "path": path,
        "host": draw(st.sampled_from(HOSTS)),
        "origin": draw(st.one_of(st.sampled_from(ORIGINS), st.just("same"))),
        "site": draw(st.sampled_from(SITES)),
        "mode": draw(st.sampled_from([None, "navigate", "cors", "no-cors"])),
        "dest": draw(st.sampled_from([None, "document", "iframe", "empty"])),
    }


def _run_headers(web, n: int) -> None:
    @settings(max_examples=n, **_SETTINGS)
    @given(header_case())
    def check(c):
        origin = f"http://{c['host']}" if c["origin"] == "same" else c["origin"]
        headers = {"host": c["host"]}
        for k, v in (
            ("origin", origin),
            ("sec-fetch-site", c["site"]),
            ("sec-fetch-mode", c["mode"]),
            ("sec-fetch-dest", c["dest"]),
        ):
            if v is not None:
                headers[k] = v
        kwargs = {"headers": headers}
        if c["method"] in ("POST", "PUT") and c["path"] != "/api/bargaining":
            kwargs["json"] = COMPARE if c["path"] == "/api/compare" else {}
        r = _guarded(lambda: web.request(c["method"], c["path"], **kwargs), "origin_host")
        _check_answer(r, "origin_host")
        want = _expected_refusal(
            c["method"], c["path"], c["host"], origin, c["site"], c["mode"], c["dest"]
        )
        if want is not None:
            assert r.status_code == 403, (c, r.text[:200])
            assert c["method"] == "HEAD" or r.json()["field"] == want, (c, r.text[:200])
        else:
            assert r.status_code != 403, (c, r.text[:200])

    check()


def test_fuzz_origin_host(web):
    _run_headers(web, QUICK["origin_host"])


@pytest.mark.fuzz
def test_fuzz_origin_host_large(web):
    _run_headers(web, LARGE["origin_host"])
    _report("origin_host")


# ------------------------------------------------------------------ report
def _report(surface: str) -> None:
    c = COUNTS.get(surface, Counter())
    print(
        f"\nfuzz web {surface}: n={c['n']} 2xx={c['2xx']} 3xx={c['3xx']} 4xx={c['4xx']} "
        f"5xx={c['5xx']} hang={c['hang']}"
    )
    report = os.environ.get("FUZZ_REPORT")
    if report:
        data = json.loads(Path(report).read_text()) if Path(report).exists() else {}
        data[f"web {surface}"] = {k: c[k] for k in ("n", "2xx", "3xx", "4xx", "5xx", "hang")}
        Path(report).write_text(json.dumps(data, indent=2))


@pytest.mark.fuzz
def test_fuzz_schemathesis_report():
    """After the large schemathesis run (pytest runs the module's tests in order)."""
    _report("schemathesis")
