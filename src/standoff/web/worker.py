"""Where the web app's computations run: child processes that can be stopped for real.

A thread cannot be stopped: ``asyncio.wait_for`` around a thread only stops *waiting* for
it, and the work runs on, holding its memory (issue 21: a 2,000-actor bargaining upload
ran for minutes after its 503 and peaked at 3.3 GB). So every expensive computation of
``standoff serve`` (the outlook and its combined forecast, policy comparisons, the history
view with its claims, bargaining, the crisis games, the track record) runs in a **child
process** with

* a **memory cap**: ``RLIMIT_AS`` = the address space it starts with + ``memory_mb``
  (a ``MemoryError`` inside becomes a 503 with one line; a child killed by the kernel too);
* a **wall-clock limit**: past ``timeout`` seconds it is killed (``SIGKILL``) and reaped,
  and only then is the request answered (503) and its slot given back.

The children are forked from a **zygote**: one process started with ``python -m
standoff.web.worker`` (a fresh interpreter, single-threaded, in its own process group) that
loads the history and imports the models once; each job is then a ``fork()`` of it (a few
milliseconds; pages are shared copy-on-write). The zygote never computes anything itself.

Jobs and results are **data**: a job is a JSON object (the method's name and its keyword
arguments as JSON values); a result is a status line (JSON) and the JSON body, sent as
length-prefixed frames over a Unix socket (``multiprocessing.connection``'s framing; no
pickle, nothing on disk). The methods a job may name are listed in :data:`JOBS`.

The pool (:class:`WorkerPool`, in the app's process) runs at most ``slots`` jobs at once
and queues at most ``queue_max`` more (a full queue is a 503 at once, a job that waited
longer than ``queue_wait`` too). A slot is released when the zygote reports that the child
has ended (exited, or killed and reaped), never before. If the zygote itself dies or stops
answering, its whole process group is killed (children included), the running jobs get a
503, and a new zygote is started.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

#: default memory budget of one computation beyond what the zygote holds, MiB
JOB_MEMORY_MB = 1536
#: largest result a job may send back (JSON bytes)
MAX_RESULT_BYTES = 128 * 2**20
#: seconds the zygote may take to start (import, load the history)
START_TIMEOUT_S = 120.0
#: seconds past a job's own limit after which the app gives up on the zygote
WATCHDOG_GRACE_S = 15.0

#: method name -> what the child calls; see :func:`_run_job`
JOBS = (
    "outlook",
    "combined",
    "compare",
    "history_view",
    "bargaining",
    "game",
    "track_record",
)


class JobFailed(Exception):
    """A job ended without a result: ``status`` (4xx/503) and a JSON body with one line."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(body.decode("utf-8", "replace"))
        self.status = status
        self.body = body


def memory_text(mb: int) -> str:
    return f"{mb} MiB" if mb < 1024 else f"{mb / 1024:g} GiB"


def error_body(message: str, field: str = "request") -> bytes:
    from standoff.limits import one_line

    return json.dumps({"error": one_line(message), "field": field}).encode()


# =====================================================================  the app's side
@dataclass
class _Job:
    id: int
    method: str
    kwargs: dict
    timeout: float
    memory_mb: int
    future: Future
    queued: float = field(default_factory=time.monotonic)
    started: float | None = None
    background: bool = False


class WorkerPool:
    """Runs jobs in children of a zygote process (see the module docstring). Thread-safe;
    :meth:`submit` returns a :class:`concurrent.futures.Future` of ``(status, body, obj)``
    (``obj`` the parsed JSON body) that fails with :class:`JobFailed`.

    Three threads of the app's process serve it: the callers (who queue jobs), a *sender*
    (the only writer of the zygote's socket) and a *reader* (the only reader); neither of
    the last two ever waits for the other, so a large job and a large result cannot block
    each other."""

    def __init__(
        self,
        history_dir: Path | None,
        db: Path | None,
        *,
        slots: int = 4,
        background_slots: int = 1,
        queue_max: int = 64,
        queue_wait: float = 120.0,
        memory_mb: int = JOB_MEMORY_MB,
    ) -> None:
        self.history_dir = None if history_dir is None else str(history_dir)
        self.db = None if db is None else str(db)
        self.slots = slots
        self.background_slots = background_slots
        self.queue_max = queue_max
        self.queue_wait = queue_wait
        self.memory_mb = memory_mb
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._running: dict[int, _Job] = {}
        self._next_id = 0
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._outbox: queue.Queue | None = None
        self._ready = False
        self._closed = False
        self._generation = 0
        self.zygote_pid: int | None = None
        #: the last jobs that ended: method, status, the child's pid (reaped), its wall
        #: time and peak memory (for monitoring and the tests)
        self.finished: deque[dict] = deque(maxlen=256)

    # ------------------------------------------------------------------ public
    def submit(
        self,
        method: str,
        kwargs: dict | None = None,
        *,
        timeout: float,
        memory_mb: int | None = None,
        background: bool = False,
    ) -> Future:
        if method not in JOBS:
            raise ValueError(f"unknown job {method!r}")
        fut: Future = Future()
        payload = json.loads(json.dumps(kwargs or {}))  # plain JSON values only
        with self._lock:
            if self._closed:
                fut.set_exception(JobFailed(503, error_body("the server is shutting down")))
                return fut
            waiting = sum(not j.background for j in self._queue)
            if not background and waiting >= self.queue_max:
                fut.set_exception(
                    JobFailed(
                        503,
                        error_body(
                            f"busy: {self.slots} computations are running and {waiting} are "
                            "waiting; try again in a minute"
                        ),
                    )
                )
                return fut
            self._next_id += 1
            job = _Job(
                self._next_id,
                method,
                payload,
                float(timeout),
                int(memory_mb or self.memory_mb),
                fut,
                background=background,
            )
            self._queue.append(job)
            self._ensure_started()
            self._dispatch()
        return fut

    def running(self) -> int:
        """Jobs whose child has not been reported ended (for tests and monitoring)."""
        with self._lock:
            return len(self._running)

    def close(self) -> None:
        """Stop the zygote and every child (the app's shutdown)."""
        with self._lock:
            self._closed = True
            jobs = list(self._queue) + list(self._running.values())
            self._queue.clear()
            self._running.clear()
            self._generation += 1
            self._kill_zygote()
        for j in jobs:
            if not j.future.done():
                j.future.set_exception(JobFailed(503, error_body("the server is shutting down")))

    # ------------------------------------------------------------------ zygote
    def _ensure_started(self) -> None:
        """Start the zygote if there is none (called with the lock held)."""
        if self._proc is not None or self._closed:
            return
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        args = [sys.executable, "-m", "standoff.web.worker", "--fd", str(child.fileno())]
        if self.history_dir is not None:
            args += ["--history", self.history_dir]
        if self.db is not None:
            args += ["--db", self.db]
        # one BLAS thread per child (several children share the cores), few malloc arenas:
        # less address space reserved under each child's RLIMIT_AS, less memory kept
        env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        try:
            self._proc = subprocess.Popen(
                args,
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: killed as a whole
                env=env,
            )
        except OSError as exc:
            parent.close()
            child.close()
            self._fail_queue(f"cannot start the worker process ({exc.strerror})")
            return
        child.close()
        self.zygote_pid = self._proc.pid
        self._conn = Connection(parent.detach())
        self._ready = False
        self._generation += 1
        self._outbox = queue.Queue()
        for target, name in ((self._read_loop, "reader"), (self._send_loop, "sender")):
            threading.Thread(
                target=target,
                args=(self._conn, self._outbox, self._generation),
                daemon=True,
                name=f"standoff-worker-{name}",
            ).start()

    def _kill_zygote(self) -> None:
        """Kill the zygote's whole group and wait until it is gone (lock held)."""
        proc, conn, outbox = self._proc, self._conn, self._outbox
        self._proc, self._conn, self._outbox, self._ready = None, None, None, False
        if outbox is not None:
            outbox.put(None)  # the sender stops
        if proc is not None:
            _kill_group(proc.pid)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
                pass
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def _fail_queue(self, message: str) -> None:
        jobs = list(self._queue)
        self._queue.clear()
        for j in jobs:
            if not j.future.done():
                j.future.set_exception(JobFailed(503, error_body(message)))

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self) -> None:
        """Hand queued jobs to the sender while slots are free (lock held)."""
        if not self._ready or self._outbox is None:
            return
        now = time.monotonic()
        fg = sum(not j.background for j in self._running.values())
        bg = sum(j.background for j in self._running.values())
        keep: deque[_Job] = deque()
        while self._queue:
            job = self._queue.popleft()
            if job.future.done():
                continue
            if not job.background and now - job.queued > self.queue_wait:
                job.future.set_exception(
                    JobFailed(
                        503,
                        error_body(
                            f"busy: waited {self.queue_wait:.0f} s for a free worker; try again"
                        ),
                    )
                )
                continue
            free = (bg < self.background_slots) if job.background else (fg < self.slots)
            if not free:
                keep.append(job)
                continue
            self._outbox.put(
                {
                    "op": "run",
                    "id": job.id,
                    "method": job.method,
                    "kwargs": job.kwargs,
                    "timeout": job.timeout,
                    "memory_mb": job.memory_mb,
                }
            )
            job.started = now
            self._running[job.id] = job
            if job.background:
                bg += 1
            else:
                fg += 1
        self._queue = keep

    def _send_loop(self, conn: Connection, outbox: queue.Queue, generation: int) -> None:
        while True:
            msg = outbox.get()
            if msg is None:
                return
            try:
                conn.send_bytes(json.dumps(msg).encode())
            except (OSError, ValueError):
                return  # the reader notices the lost zygote

    # ------------------------------------------------------------------ results
    def _read_loop(self, conn: Connection, outbox: queue.Queue, generation: int) -> None:
        started = time.monotonic()
        reason, restart = "the worker process ended", True
        try:
            while True:
                if not conn.poll(1.0):
                    if self._stuck(started, generation):
                        reason = "the worker process stopped answering"
                        break
                    continue
                head = json.loads(conn.recv_bytes(64 * 1024))
                if head.get("op") == "ready":
                    with self._lock:
                        if generation != self._generation:
                            return
                        self._ready = True
                        self._dispatch()
                    continue
                if head.get("op") == "failed":  # the zygote could not start: no retry loop
                    reason = f"the worker process could not start: {head.get('error')}"
                    restart = False
                    break
                body = conn.recv_bytes(MAX_RESULT_BYTES + 1024)
                self._finish(int(head["id"]), int(head["status"]), body, head)
        except (EOFError, OSError, ValueError, KeyError, TypeError):
            pass
        self._zygote_lost(generation, reason, restart)

    def _stuck(self, started: float, generation: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if generation != self._generation:
                return True  # replaced: this reader stops
            if not self._ready:
                return now - started > START_TIMEOUT_S
            return any(
                j.started is not None and now - j.started > j.timeout + WATCHDOG_GRACE_S
                for j in self._running.values()
            )

    def _finish(self, job_id: int, status: int, body: bytes, head: dict) -> None:
        with self._lock:
            job = self._running.pop(job_id, None)
            if job is not None:
                self.finished.append(
                    {
                        "method": job.method,
                        "status": status,
                        "pid": head.get("pid"),
                        "seconds": head.get("seconds"),
                        "max_rss_mb": head.get("max_rss_mb"),
                    }
                )
            self._dispatch()
        if job is None or job.future.done():
            return
        if status == 200:
            try:
                obj = json.loads(body)
            except ValueError:
                job.future.set_exception(
                    JobFailed(503, error_body("the computation sent back an unreadable result"))
                )
                return
            job.future.set_result((status, body, obj))
        else:
            job.future.set_exception(JobFailed(status, body))

    def _zygote_lost(self, generation: int, reason: str, restart: bool) -> None:
        with self._lock:
            if generation != self._generation:
                return
            lost = list(self._running.values())
            self._running.clear()
            self._kill_zygote()  # the whole group: no child outlives its zygote
            if not restart:
                self._fail_queue(reason)
            elif not self._closed and self._queue:
                self._ensure_started()
        for j in lost:
            if not j.future.done():
                j.future.set_exception(JobFailed(503, error_body(f"{reason}; try again")))


def _kill_group(pgid: int) -> None:
    """SIGKILL a process group and wait (briefly) until none of it is left."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        try:  # reap the leader if it is our child, so the group can empty
            os.waitpid(pgid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.01)


# =====================================================================  the zygote
#: modules the children use, imported once in the zygote (fork shares them)
PRELOAD = (
    "numpy",
    "pandas",
    "scipy.optimize",
    "duckdb",
    "standoff.dynamics.model",
    "standoff.dynamics.simulate",
    "standoff.forecast.summary",
    "standoff.bargaining.models",
    "standoff.bargaining.inputs",
    "standoff.games.run",
    "standoff.history.claims",
    "standoff.backtest.report",
    "standoff.backtest.scores",
    "standoff.store.sandbox",
    "standoff.web.schemas",
)


def _warm(svc) -> None:  # pragma: no cover (zygote)
    """Parse the bundled scenarios and fit the models the pages ask for first (their default
    parameters), once: every child inherits them (a comparison then skips its fit)."""
    try:
        for name in svc.scenario_names():
            scn = svc.scenario(name)
            svc._fit(scn.as_of, {k: v.value for k, v in scn.parameters.items()})
        svc._fit(svc.history.latest_date, {})
    except Exception:  # an optional speed-up only: the child computes what it needs
        pass


@dataclass
class _Child:
    pid: int
    id: int
    conn: Connection
    deadline: float
    timeout: float
    memory_mb: int
    started: float


def zygote_main(fd: int, history_dir: str | None, db: str | None) -> None:  # pragma: no cover
    """The zygote's loop (runs in its own interpreter; covered by the web tests)."""
    import importlib

    conn = Connection(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the app stops us, not the terminal
    try:
        from standoff.history import History
        from standoff.web.services import Services

        history = History.load(None if history_dir is None else Path(history_dir), db and Path(db))
        from standoff.store.duckdb_store import results_db_path

        svc = Services(history, results_db_path(None if db is None else Path(db)))
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except Exception:  # an optional speed-up only
                continue
        _warm(svc)
    except BaseException as exc:
        from standoff.limits import one_line

        conn.send_bytes(json.dumps({"op": "failed", "error": one_line(str(exc))}).encode())
        os._exit(1)
    conn.send_bytes(json.dumps({"op": "ready", "pid": os.getpid()}).encode())
    children: dict[int, _Child] = {}  # by the read end's fileno
    try:
        while True:
            now = time.monotonic()
            wait_s = min((c.deadline - now for c in children.values()), default=None)
            ready = wait(
                [conn, *(c.conn for c in children.values())],
                timeout=None if wait_s is None else max(wait_s, 0),
            )
            for r in ready:
                if r is conn:
                    try:
                        msg = json.loads(conn.recv_bytes(16 * 2**20))
                    except (EOFError, OSError, ValueError):
                        raise SystemExit(0) from None  # the app is gone: stop everything
                    if msg.get("op") == "run":
                        child = _fork_job(msg, svc, conn)
                        children[child.conn.fileno()] = child
                    continue
                child = children.pop(r.fileno())
                _collect(child, conn)
            now = time.monotonic()
            for key, child in list(children.items()):
                if now >= child.deadline:
                    children.pop(key)
                    _stop(child, conn)
    finally:
        for child in children.values():
            try:
                os.kill(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(0)


def _fork_job(msg: dict, svc, parent: Connection) -> _Child:  # pragma: no cover (zygote)
    r, w = os.pipe()
    now = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, exit
        os.close(r)
        code = 0
        try:
            parent.close()  # never write to the app's socket from here
            _limit_memory(int(msg["memory_mb"]))
            status, body = _run_job(svc, msg["method"], msg.get("kwargs") or {}, msg)
            out = Connection(w, readable=False)
            out.send_bytes(json.dumps({"status": status}).encode())
            out.send_bytes(body)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    timeout = float(msg["timeout"])
    return _Child(
        pid, int(msg["id"]), Connection(r, writable=False), now + timeout, timeout,
        int(msg["memory_mb"]), now,
    )  # fmt: skip


def _collect(child: _Child, parent: Connection) -> None:  # pragma: no cover (zygote)
    """A child's pipe is readable: its result, or its end (EOF)."""
    status, body = None, None
    try:
        head = json.loads(child.conn.recv_bytes(4096))
        status = int(head["status"])
        body = child.conn.recv_bytes(MAX_RESULT_BYTES)
    except OSError:  # longer than MAX_RESULT_BYTES
        status, body = 503, error_body("the result is too large to send; ask for less")
    except (EOFError, ValueError, KeyError):
        pass
    finally:
        child.conn.close()
    _, wstatus, usage = os.wait4(child.pid, 0)  # reaped: it has really ended
    if status is None:  # killed by the system, or a library gave up and exited
        if os.WIFSIGNALED(wstatus):
            how = f"killed by signal {signal.Signals(os.WTERMSIG(wstatus)).name}"
        else:
            how = f"exit status {os.WEXITSTATUS(wstatus)}"
        status = 503
        body = error_body(
            f"the computation stopped without a result ({how}); it may have needed more "
            f"memory than its budget ({memory_text(child.memory_mb)}); ask for less"
        )
    _send(parent, child, status, body, usage)


def _stop(child: _Child, parent: Connection) -> None:  # pragma: no cover (zygote)
    try:
        os.kill(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, _, usage = os.wait4(child.pid, 0)  # reaped before the slot is given back
    child.conn.close()
    _send(
        parent,
        child,
        503,
        error_body(
            f"the computation took longer than {child.timeout:g} s and was stopped; ask for "
            "less (fewer paths, actors, rounds or runs)"
        ),
        usage,
    )


def _send(
    parent: Connection, child: _Child, status: int, body: bytes, usage
) -> None:  # pragma: no cover
    head = {
        "op": "done",
        "id": child.id,
        "status": status,
        "pid": child.pid,  # reaped: no process has this id any more (until it is reused)
        "seconds": round(time.monotonic() - child.started, 3),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
    parent.send_bytes(json.dumps(head).encode())
    parent.send_bytes(body)


def _limit_memory(memory_mb: int) -> None:  # pragma: no cover (child)
    import resource

    try:
        with open("/proc/self/statm") as f:
            vm = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = vm + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (OSError, ValueError):
        pass


def _run_job(svc, method: str, kwargs: dict, msg: dict) -> tuple[int, bytes]:
    """Run one job in this (child) process; ``(status, JSON body)``. Public for the tests
    (which call it in-process)."""
    from standoff.errors import StandoffError
    from standoff.limits import one_line

    try:
        obj = _call(svc, method, kwargs)
        from standoff.web.services import Payload

        if isinstance(obj, Payload):
            return 200, obj.raw
        return 200, _dumps(obj)
    except StandoffError as exc:
        text = one_line(str(exc))
        field_ = text.split(":", 1)[0] if ":" in text else "request"
        return 422, json.dumps({"error": text, "field": field_}).encode()
    except Exception as exc:
        if not isinstance(exc, MemoryError) and "OutOfMemory" not in type(exc).__name__:
            traceback.print_exc(file=sys.stderr)
            return 503, error_body(
                f"the computation failed ({type(exc).__name__}); the server's log has the details"
            )
        mb = int(msg.get("memory_mb") or JOB_MEMORY_MB)
        return 503, error_body(
            f"the computation needed more memory than its budget ({memory_text(mb)}) and was "
            "stopped; ask for less (fewer paths, actors, rounds or runs)"
        )


def _dumps(obj: Any) -> bytes:
    from standoff.cli._common import _clean, json_default

    return json.dumps(
        _clean(obj), default=json_default, allow_nan=False, ensure_ascii=False
    ).encode("utf-8")


def _call(svc, method: str, kw: dict) -> Any:
    """The service call a job names (arguments re-validated from JSON)."""
    import datetime as dt

    if method == "outlook":
        # the combination is computed by the "combined" job; its state comes with the job
        svc._combined = kw.get("combined")
        svc._combined_status = kw.get("combined_status") or "computing"
        return svc.outlook()
    if method == "combined":
        return _combined(svc)
    if method == "compare":
        from standoff.web.schemas import CompareRequest

        req = CompareRequest.model_validate(kw["request"])
        return svc.compare(
            req.scenario, req.policies, req.compare, req.parameters, req.paths, req.horizon,
            req.seed,
        )  # fmt: skip
    if method == "history_view":

        def day(v):
            return None if v is None else dt.date.fromisoformat(v)

        return svc.history_view(
            day(kw.get("as_of")), day(kw.get("start")), day(kw.get("end")),
            list(kw["kinds"]), int(kw["limit"]),
        )  # fmt: skip
    if method == "bargaining":
        return svc.bargaining(**kw)
    if method == "game":
        return svc.game(kw["model"], kw.get("scenario"), dict(kw.get("params") or {}))
    if method == "track_record":
        return svc.track_record()
    raise ValueError(f"unknown job {method!r}")


def _combined(svc) -> dict:
    """The combined forecast of the outlook (the simulator stacked with fair baselines):
    the simulator's outlook first (its model and paths), then the combination, here, in
    this child, without a thread."""
    try:
        from standoff.forecast import combined as _mod  # noqa: F401
    except ImportError:
        return {"status": "unavailable", "combined": None}
    svc._combined_status = "computing"  # outlook() must not start its own thread here
    svc.outlook()
    svc._combine()
    return {"status": svc._combined_status, "combined": svc._combined}


# =====================================================================  entry point
def _main(argv: list[str]) -> None:  # pragma: no cover (the zygote)
    import argparse

    p = argparse.ArgumentParser(prog="python -m standoff.web.worker")
    p.add_argument("--fd", type=int, required=True)
    p.add_argument("--history", default=None)
    p.add_argument("--db", default=None)
    a = p.parse_args(argv)
    zygote_main(a.fd, a.history, a.db)


if __name__ == "__main__":  # pragma: no cover
    _main(sys.argv[1:])


__all__ = ["JOBS", "JobFailed", "WorkerPool", "error_body"]
