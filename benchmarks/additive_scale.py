"""AdditiveClassifier at scale against HistGradientBoostingClassifier: fit time and memory.

Synthetic binary data (``make_classification``: 20 features, 10 informative, seed 0) at
10k, 100k, 300k and 1M training rows, with 20,000 more rows held out for the AUC. Every fit
runs in a fresh child process on one thread (``OMP_NUM_THREADS=1``; glassbox ``n_jobs=1``),
glassbox and HistGradientBoosting alternating; the time is the median over the repeats.
Memory is measured in a separate fit of each model with ``tracemalloc`` (numpy reports its
arrays to it): the peak of what the fit allocates, beside the size of ``X`` (float64).
Both models use their defaults (glassbox: 8 outer bags, 10 pairs).

Goals: at 300k rows, glassbox's fit at most 3x HistGradientBoosting's; at 1M rows, its
peak memory within 2x the size of the data.

Run:  .venv/bin/python benchmarks/additive_scale.py          (10k to 1M rows)
      .venv/bin/python benchmarks/additive_scale.py --quick  (10k and 100k rows, one repeat)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from additive import header  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from glassbox.models import AdditiveClassifier  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "additive_scale.md"
N_FEATURES, N_TEST = 20, 20_000
GOAL_TIME = 3.0  # at 300k rows, glassbox / HistGradientBoosting
GOAL_MEMORY = 2.0  # at 1M rows, peak / size of X


def data(n):
    X, y = make_classification(n_samples=n + N_TEST, n_features=N_FEATURES, n_informative=10, random_state=0)
    return X[:n], y[:n], X[n:], y[n:]


def model(name):
    if name == "glassbox":
        return AdditiveClassifier(n_jobs=1, random_state=0)
    return HistGradientBoostingClassifier(random_state=0)


def _child(connection, name, n, measure_memory):
    X, y, X_test, y_test = data(n)
    estimator = model(name)
    if measure_memory:
        tracemalloc.start()
    start, cpu_start = time.perf_counter(), time.process_time()
    estimator.fit(X, y)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak = tracemalloc.get_traced_memory()[1] if measure_memory else None
    tracemalloc.stop()
    auc = roc_auc_score(y_test, estimator.predict_proba(X_test)[:, 1])
    connection.send((seconds, peak, auc, X.nbytes, cpu))
    connection.close()


def run(name, n, measure_memory=False):
    """(seconds, peak bytes or None, AUC, bytes of X, CPU seconds) of one fit in a fresh process."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, name, n, measure_memory))
    process.start()
    child.close()
    result = parent.recv()
    process.join()
    return result


def markdown(rows, command, load):
    lines = [
        *header("AdditiveClassifier at scale: fit time and memory against HistGradientBoostingClassifier", command,
                load),
        "`make_classification` with 20 features (10 informative), 20,000 held-out rows for the AUC; one "
        "thread; defaults of both models (glassbox: 8 outer bags, 10 pairs, rounds on 20,000 rows drawn afresh "
        "beyond that). Time: median of alternating fits in fresh processes (wall clock, and the CPU time of "
        "the fitting process, which other jobs' load disturbs less); memory: the tracemalloc peak of "
        "a separate fit.",
        "",
        "| rows | size of X | glassbox fit (s) | HGB fit (s) | time ratio | CPU ratio | goal (300k) | "
        "glassbox peak | peak / X | goal (1M) | HGB peak | glassbox AUC | HGB AUC |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|",
    ]
    for row in rows:
        ratio = row["glassbox_s"] / row["hgb_s"]
        memory = row["glassbox_peak"] / row["bytes"]
        time_goal = ("met" if ratio <= GOAL_TIME else "not met") if row["n"] == 300_000 else ""
        memory_goal = ("met" if memory <= GOAL_MEMORY else "not met") if row["n"] == 1_000_000 else ""
        lines.append(
            f"| {row['n']:,} | {row['bytes'] / 2**20:.0f} MB | {row['glassbox_s']:.1f} | {row['hgb_s']:.1f} | "
            f"{ratio:.1f}x | {row['glassbox_cpu'] / row['hgb_cpu']:.1f}x | {time_goal} | "
            f"{row['glassbox_peak'] / 2**20:.0f} MB | {memory:.2f}x | {memory_goal} | "
            f"{row['hgb_peak'] / 2**20:.0f} MB | {row['glassbox_auc']:.4f} | {row['hgb_auc']:.4f} |"
        )
    lines += ["", f"Goals: time ratio at most {GOAL_TIME:.0f}x at 300k rows; glassbox peak at most "
              f"{GOAL_MEMORY:.0f}x the size of X at 1M rows."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k rows, one repeat")
    parser.add_argument("--sizes", nargs="*", type=int, default=None, help="training rows (default 10k to 1M)")
    parser.add_argument("--repeats", type=int, default=None, help="timed fits per model (default 3, one at 1M)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 300_000, 1_000_000])
    command = ".venv/bin/python benchmarks/additive_scale.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load_at_start = os.getloadavg()[0]
    rows = []
    for n in sizes:
        repeats = args.repeats or (1 if args.quick or n >= 1_000_000 else 3)
        times = {"glassbox": [], "hgb": []}
        cpu = {"glassbox": [], "hgb": []}
        row = {"n": n}
        for _ in range(repeats):
            for name in times:
                seconds, _, auc, size, cpu_seconds = run(name, n)
                times[name].append(seconds)
                cpu[name].append(cpu_seconds)
                row[f"{name}_auc"], row["bytes"] = auc, size
        for name in times:
            row[f"{name}_s"] = float(np.median(times[name]))
            row[f"{name}_cpu"] = float(np.median(cpu[name]))
            row[f"{name}_peak"] = run(name, n, measure_memory=True)[1]
        print(f"{n:>9,} rows: glassbox {row['glassbox_s']:.1f}s (times {times['glassbox']}) peak "
              f"{row['glassbox_peak'] / 2**20:.0f} MB AUC {row['glassbox_auc']:.4f} | HGB {row['hgb_s']:.1f}s "
              f"(times {times['hgb']}) peak {row['hgb_peak'] / 2**20:.0f} MB AUC {row['hgb_auc']:.4f}", flush=True)
        rows.append(row)
    text = markdown(rows, command.strip(), (load_at_start, os.getloadavg()[0]))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
