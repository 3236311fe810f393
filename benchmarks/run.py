"""Run every benchmark, side by side with the peer libraries (extra ``bench``).

    python benchmarks/run.py            # the full runs (tens of minutes)
    python benchmarks/run.py --quick    # smaller data, one repeat
    python benchmarks/run.py treeshap shapley

Each script writes its table to ``benchmarks/results/<name>.md``. Threads are pinned
(``OMP_NUM_THREADS=1``) because the machines are shared and thread pools stall under load.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_") and p.stem != "run")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", choices=[[], *SCRIPTS], default=[], metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(SCRIPTS)})")
    parser.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    args = parser.parse_args(argv)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    failed = []
    for name in args.names or SCRIPTS:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        command = [sys.executable, str(HERE / f"{name}.py")] + (["--quick"] if args.quick else [])
        if subprocess.run(command, env=env, check=False).returncode != 0:
            failed.append(name)
        print(f"== {name}: {time.perf_counter() - start:.0f}s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
