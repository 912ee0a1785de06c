"""Time per EUM round and per SMP turn, peak memory, and whole-process figures.

Run: ``python benchmarks/bench_bargaining.py [--quick]``. Prints four tables:

1. median wall time of one round (E6-E10: risk exponents, probabilities, expected
   utilities, offers, update) in clean and Scholz mode, over several repetitions, and the
   peak memory traced by tracemalloc during one clean round;
2. the whole ``standoff bargain FILE --model eum --rounds 1 --json`` process (start-up,
   reading, one round, output) at n = 100, 1000 and 3000: wall time and peak resident
   memory (``ru_maxrss`` of the child), and the size of the JSON written;
3. KTAB's Spatial Model of Politics (:mod:`standoff.bargaining.smp`) at 10, 80 and 300 actors x
   3 dimensions: the in-process cost of one turn (median over repetitions of the time of a
   5-turn run minus a 1-turn run, divided by 4: a turn's challenges, bargains, elections, the
   next state's risk attitudes and its winning probabilities), beside KTAB's own figure (about
   15 s per turn at 80 actors, measured on KTAB's build as stated in issue 19);
4. the whole ``standoff bargain FILE --model smp --rounds 1 --json`` process at the same sizes.

Inputs are random (seeded) actors on a 0-100 scale, written as KTAB CSVs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

try:
    import standoff  # noqa: F401
except ImportError:  # not installed: run from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from standoff.bargaining.eum import step
from standoff.bargaining.inputs import make_problem, to_ktab, write_ktab

SIZES = (10, 50, 100, 500, 1000)
PROCESS_SIZES = (100, 1000, 3000)
SMP_SIZES = (10, 80, 300)
SMP_DIMS = 3
#: KTAB's SMP at 80 actors: about 15 s per turn (issue 19, measured on KTAB's build)
KTAB_SECONDS_PER_TURN_80 = 15.0


def problem(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return make_problem(
        [f"a{k}" for k in range(n)],
        rng.uniform(0.1, 1.0, n),
        np.round(rng.uniform(0, 100, n), 1),
        rng.uniform(0.1, 1.0, n),
        scale=(0, 100),
    )


def time_round(p, mode: str, reps: int) -> float:
    z = (p.position - p.position.min()) / np.ptp(p.position)
    w, s = p.weight, p.salience
    step(z, w, s, mode=mode, log=False)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step(z, w, s, mode=mode, log=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_memory(p) -> int:
    z = (p.position - p.position.min()) / np.ptp(p.position)
    tracemalloc.start()
    tracemalloc.reset_peak()
    step(z, p.weight, p.salience, mode="clean", log=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def whole_process(n: int, tmp: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and stdout bytes of one ``standoff bargain`` process."""
    path = tmp / f"bench-{n}.csv"
    write_ktab(to_ktab([problem(n)], name=f"bench{n}"), path)
    exe = Path(sys.executable).with_name("standoff")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "standoff.cli.main"]
    env = {**os.environ, "STANDOFF_HOME": str(tmp / "home")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run(
        [*cmd, "bargain", str(path), "--model", "eum", "--rounds", "1", "--json"],
        capture_output=True,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest child so far: run sizes in increasing order
    return wall, max(peak, before) / 1024, len(out.stdout)


def spatial(n: int, d: int = SMP_DIMS, seed: int = 0):
    from standoff.bargaining.spatial import make_spatial

    rng = np.random.default_rng(seed)
    sal = rng.uniform(0.1, 1.0, (n, d))
    sal = sal / sal.sum(axis=1, keepdims=True) * rng.uniform(0.75, 0.99, (n, 1))
    return make_spatial(
        [f"a{k}" for k in range(n)],
        rng.uniform(10, 200, n),
        np.round(rng.uniform(0, 100, (n, d)), 2),
        np.round(sal, 4),
        dimensions=[f"D{k}" for k in range(d)],
        scales=[(0, 100)] * d,
    )


def smp_turn(p, reps: int) -> float:
    """Seconds per turn: (5-turn run - 1-turn run) / 4, median over ``reps``."""
    from standoff.bargaining.smp import run_smp

    def run(t: int) -> float:
        t0 = time.perf_counter()
        run_smp(p, max_turns=t, min_turns=t)
        return time.perf_counter() - t0

    run(1)  # warm-up
    return statistics.median((run(5) - run(1)) / 4 for _ in range(reps))


#: the CLI in a child that reports its own peak resident memory on stderr at exit
_CHILD = (
    "import resource, sys\n"
    "from standoff.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stderr.write(f'maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
    "sys.exit(code)\n"
)


def smp_process(n: int, tmp: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB, of this process alone) and stdout bytes."""
    path = tmp / f"smp-{n}.csv"
    write_ktab(spatial(n).to_ktab(name=f"smp{n}"), path)
    env = {**os.environ, "STANDOFF_HOME": str(tmp / "home")}
    t0 = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            "bargain",
            str(path),
            "--model",
            "smp",
            "--rounds",
            "1",
            "--json",
        ],
        capture_output=True,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - t0
    rss = int(out.stderr.decode().rsplit("maxrss ", 1)[1].split()[0])
    return wall, rss / 1024, len(out.stdout)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args(argv)
    print("EUM: time per round (median of repetitions) and peak traced memory (one clean round)")
    print(f"{'n':>6} {'clean ms/round':>15} {'scholz ms/round':>16} {'peak MiB':>9} {'reps':>5}")
    for n in SIZES:
        p = problem(n)
        reps = 3 if args.quick else max(3, min(50, 20_000 // (n * 10)))
        clean = time_round(p, "clean", reps)
        scholz = time_round(p, "scholz", reps)
        peak = peak_memory(p)
        print(f"{n:>6} {clean * 1e3:>15.2f} {scholz * 1e3:>16.2f} {peak / 2**20:>9.1f} {reps:>5}")
    print()
    print("standoff bargain FILE --model eum --rounds 1 --json: whole process")
    print(f"{'n':>6} {'wall s':>8} {'peak RSS MiB':>13} {'JSON KiB':>9}")
    with tempfile.TemporaryDirectory() as d:
        for n in PROCESS_SIZES:
            wall, rss, size = whole_process(n, Path(d))
            print(f"{n:>6} {wall:>8.2f} {rss:>13.0f} {size / 1024:>9.0f}", flush=True)
    print()
    print(
        f"SMP (KTAB's Spatial Model of Politics), {SMP_DIMS} dimensions: in-process time per turn"
    )
    print(f"{'actors':>6} {'ms/turn':>9} {'KTAB s/turn':>12} {'speed-up':>9} {'reps':>5}")
    for n in SMP_SIZES:
        reps = 3 if args.quick else (7 if n <= 80 else 3)
        sec = smp_turn(spatial(n), reps)
        ktab = f"{KTAB_SECONDS_PER_TURN_80:.0f}" if n == 80 else "–"
        up = f"{KTAB_SECONDS_PER_TURN_80 / sec:.0f}x" if n == 80 else "–"
        print(f"{n:>6} {sec * 1e3:>9.1f} {ktab:>12} {up:>9} {reps:>5}", flush=True)
    print()
    print("standoff bargain FILE --model smp --rounds 1 --json: whole process")
    print(f"{'actors':>6} {'wall s':>8} {'peak RSS MiB':>13} {'JSON KiB':>9}")
    with tempfile.TemporaryDirectory() as d:
        for n in SMP_SIZES:
            wall, rss, size = smp_process(n, Path(d))
            print(f"{n:>6} {wall:>8.2f} {rss:>13.0f} {size / 1024:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
