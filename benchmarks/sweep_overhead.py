"""What scheduling a trial costs: the default backend (a process pool) against Ray, on no-op trials.

    python benchmarks/sweep_overhead.py               # 16 no-op trials per backend
    python benchmarks/sweep_overhead.py --trials 40

Each backend runs the same sweep of trials that do nothing but write their record, so the wall time is pure
overhead: starting workers, shipping the trial, writing `trial.json`. Ray's own start (`ray.init`) is shown apart.
"""

import argparse, os, tempfile, time
from pathlib import Path

from meta_rl.sweeps import SweepSpec, run_sweep


def noop_trial(params, out_dir):
    "A trial that does no work."


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=16)
    a = p.parse_args(argv)
    if a.trials < 1:
        p.error(f"--trials={a.trials} must be >= 1")
    spec = SweepSpec(grid=dict(seed=list(range(a.trials))), name="overhead")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        run_sweep(spec, Path(tmp) / "local", trial_fn=noop_trial, progress=False, aggregate=False)
        rows["local (process pool)"] = (0.0, time.perf_counter() - t)
        import ray

        t = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        start = time.perf_counter() - t
        try:
            t = time.perf_counter()
            run_sweep(spec, Path(tmp) / "ray", backend="ray", trial_fn=noop_trial, progress=False, aggregate=False)
            rows["ray (local instance)"] = (start, time.perf_counter() - t)
        finally:
            ray.shutdown()
    print(f"| backend ({a.trials} no-op trials, {os.cpu_count()} cores) | start (s) | sweep (s) | per trial (ms) |")
    print("|---|---:|---:|---:|")
    for name, (start, wall) in rows.items():
        print(f"| {name} | {start:.2f} | {wall:.2f} | {1000 * wall / a.trials:.0f} |")
    return rows


if __name__ == "__main__":
    main()
