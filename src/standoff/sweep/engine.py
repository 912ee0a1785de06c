"""Map a function over a list of tasks, on a local process pool or on Ray, resumably.

``run_sweep(fn, tasks, seed=S, backend="local", workers=2)`` calls
``fn(context, task, seed_sequence)`` once per task and returns the outputs in task order.

* **Seeds by task, not by worker.** Task ``i`` gets :func:`task_seed` ``(S, i)``, the
  ``i``-th child of ``numpy.random.SeedSequence(S)`` (what ``SeedSequence(S).spawn(n)[i]``
  returns), so a task's random numbers do not depend on the backend, the number of workers,
  the order tasks finish in, or which tasks a resumed run still had to do. The same sweep
  gives bit-identical outputs everywhere.
* **Outputs as data.** With a store, outputs go through JSON (floats round-trip exactly), the
  form they are stored in, so a fresh output and one read back from the store are the same
  object; without one they are returned as the task returned them (pickled from workers).
* **Backends.** ``local``: with one worker, in this process; with more, a
  ``ProcessPoolExecutor`` (``spawn`` start method; ``fn`` and ``context`` are sent once per
  worker). ``ray``: Ray tasks (``pip install 'standoff[ray]'``); ``address`` connects to an
  existing cluster, otherwise a local Ray is started with ``workers`` CPUs, a small object
  store, no dashboard and no usage statistics, and shut down afterwards.
* **Crash-safe.** With a :class:`~standoff.sweep.store.SweepStore` and a ``run_id``, each
  finished task is committed in its own transaction as soon as it arrives, and tasks already
  stored are skipped (``--resume``).

``fn`` and ``context`` must be picklable (``fn`` a module-level function) for the process
pool and Ray.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from standoff.errors import StandoffError, UsageError
from standoff.sweep.store import SweepStore, dumps

BACKENDS = ("local", "ray")
#: resources of a local Ray started by standoff (bytes of object store; Ray's minimum is 75 MB)
RAY_OBJECT_STORE_BYTES = 100 * 1024 * 1024


class SweepTaskError(StandoffError, RuntimeError):
    """A task raised; finished tasks are kept (resume the run once the cause is fixed)."""


def task_seed(seed: int, index: int) -> np.random.SeedSequence:
    """Seed of task ``index`` of a sweep seeded ``seed``: ``SeedSequence(seed).spawn(n)[index]``."""
    return np.random.SeedSequence(int(seed), spawn_key=(int(index),))


# ------------------------------------------------------------------ worker side
_WORKER: dict[str, Any] = {}


def _init_worker(fn: Callable, context: Any) -> None:
    _WORKER["fn"], _WORKER["context"] = fn, context


def _run_one(index: int, task: Any, seed: int) -> tuple[int, Any]:
    return index, _WORKER["fn"](_WORKER["context"], task, task_seed(seed, index))


def _ray_run(payload: tuple[Callable, Any], index: int, task: Any, seed: int) -> tuple[int, Any]:
    fn, context = payload
    return index, fn(context, task, task_seed(seed, index))


class _NoBar:
    def advance(self, n: int = 1) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc) -> None:
        pass


def _no_bar() -> _NoBar:
    return _NoBar()


@dataclass
class SweepResult:
    """Outputs in task order, and what this call did."""

    outputs: list[Any]
    run_id: str | None
    computed: int  # tasks run by this call
    skipped: int  # tasks found in the store (resume)
    backend: str
    workers: int


def _check(backend: str, workers: int | None) -> int:
    if backend not in BACKENDS:
        raise UsageError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if workers is None:
        workers = os.cpu_count() or 1
    if not isinstance(workers, (int, np.integer)) or not 1 <= workers <= 1024:
        raise UsageError(f"--workers: expected an integer in [1, 1024], got {workers!r}")
    return int(workers)


def run_sweep(
    fn: Callable[[Any, Any, np.random.SeedSequence], Any],
    tasks: Sequence[Any],
    *,
    seed: int,
    context: Any = None,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    store: SweepStore | None = None,
    run_id: str | None = None,
    versions: tuple[str, str] = ("", ""),
    progress: bool = True,
    description: str = "sweep",
    on_commit: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run ``fn(context, task, task_seed(seed, i))`` for every task; see the module docstring.

    ``versions`` = (code version, data version) recorded with each stored task.
    ``on_commit(i)`` is called after task ``i`` is stored (or, without a store, received).
    ``progress``: allow a progress bar (tasks done, rate, ETA; :mod:`standoff.progress`
    decides whether one is drawn: on a terminal, not with ``--json`` unless ``--progress``).
    """
    workers = _check(backend, workers)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"--seed: expected an integer >= 0, got {seed!r}")
    if (store is None) != (run_id is None):
        raise ValueError("run_sweep: give both store and run_id, or neither")
    n = len(tasks)
    results: dict[int, Any] = store.outputs(run_id) if store is not None else {}
    results = {i: v for i, v in results.items() if 0 <= i < n}
    pending = [i for i in range(n) if i not in results]
    skipped = n - len(pending)

    def receive(i: int, out: Any) -> None:
        if store is not None:
            out_json = dumps(out)
            store.commit(run_id, i, dumps(tasks[i]), out_json, *versions)
            out = json.loads(out_json)
        results[i] = out
        if on_commit is not None:
            on_commit(i)

    from standoff.progress import progress as progress_bar

    with progress_bar(n, description) if progress else _no_bar() as bar:
        bar.advance(skipped)
        if not pending:
            pass
        elif backend == "ray":
            _run_ray(fn, context, tasks, pending, int(seed), workers, address, receive, bar)
        elif workers == 1 or len(pending) == 1:
            for i in pending:
                try:
                    out = fn(context, tasks[i], task_seed(seed, i))
                except StandoffError:
                    raise
                except Exception as exc:
                    raise SweepTaskError(
                        f"sweep task {i} failed: {type(exc).__name__}: {exc}"
                    ) from exc
                receive(i, out)
                bar.advance()
        else:
            _run_pool(fn, context, tasks, pending, int(seed), workers, receive, bar)
    return SweepResult(
        outputs=[results[i] for i in range(n)],
        run_id=run_id,
        computed=len(pending),
        skipped=skipped,
        backend=backend,
        workers=workers,
    )


#: one thread per worker process for the native libraries (workers are the parallelism)
_ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _run_pool(fn, context, tasks, pending, seed, workers, receive, bar) -> None:
    saved = {k: os.environ.get(k) for k in _ONE_THREAD}
    for k in _ONE_THREAD:
        os.environ.setdefault(k, "1")  # inherited by the spawned workers
    try:
        _pool(fn, context, tasks, pending, seed, workers, receive, bar)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _pool(fn, context, tasks, pending, seed, workers, receive, bar) -> None:
    ctx = mp.get_context("spawn")
    window = 2 * workers  # tasks in flight: bounds memory, keeps every worker busy
    todo = iter(pending)
    with cf.ProcessPoolExecutor(
        max_workers=min(workers, len(pending)),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(fn, context),
    ) as pool:
        running: dict[cf.Future, int] = {}

        def submit_next() -> None:
            i = next(todo, None)
            if i is not None:
                running[pool.submit(_run_one, i, tasks[i], seed)] = i

        try:
            for _ in range(window):
                submit_next()
            while running:
                finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    i = running.pop(fut)
                    try:
                        _, out = fut.result()
                    except StandoffError:
                        raise
                    except Exception as exc:
                        raise SweepTaskError(
                            f"sweep task {i} failed: {type(exc).__name__}: {exc}"
                        ) from exc
                    receive(i, out)
                    bar.advance()
                    submit_next()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def start_ray(workers: int, address: str | None = None) -> bool:
    """Connect to ``address`` or start a small local Ray; True if this call started it."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise UsageError(
            "--backend ray: Ray is not installed (pip install 'standoff[ray]')"
        ) from None
    if ray.is_initialized():
        return False
    kw: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    if address:
        ray.init(address=address, **kw)
    else:
        ray.init(
            num_cpus=workers,
            object_store_memory=RAY_OBJECT_STORE_BYTES,
            include_dashboard=False,
            **kw,
        )
    return True


def _run_ray(fn, context, tasks, pending, seed, workers, address, receive, bar) -> None:
    import ray

    started = start_ray(workers, address)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(_ray_run)
        payload = ray.put((fn, context))
        window = 2 * workers
        todo = iter(pending)
        running: dict[Any, int] = {}

        def submit_next() -> None:
            i = next(todo, None)
            if i is not None:
                running[remote.remote(payload, i, tasks[i], seed)] = i

        for _ in range(window):
            submit_next()
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                i = running.pop(ref)
                try:
                    _, out = ray.get(ref)
                except Exception as exc:
                    cause = getattr(exc, "cause", None) or exc
                    if isinstance(cause, StandoffError):
                        raise cause from None
                    raise SweepTaskError(
                        f"sweep task {i} failed: {type(cause).__name__}: {cause}"
                    ) from exc
                receive(i, out)
                bar.advance()
                submit_next()
    finally:
        if started:
            ray.shutdown()
