"""`make bench`: run every benchmark script in this folder, one after another.

Each script builds and drops its own database and prints a table of figures; they run in
sequence so that they do not compete for the machine's two cores. Pass --small for a quick
smoke run of each. The instruction counters are not run: they count (under valgrind) the
reads of a database another benchmark kept, and say how to get one when run alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Scripts that measure a kept database (``--reuse``), and the run that keeps one.
ON_A_KEPT_DATABASE = {
    "bench_read_instructions.py": "bench_peer.py --keep",
    "bench_served_instructions.py": "bench_peer.py --keep",
    "bench_verdict_instructions.py": "bench_improvement.py --keep",
}


def main() -> int:
    extra = sys.argv[1:]
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} {' '.join(extra)}".rstrip(), flush=True)
        keeper = ON_A_KEPT_DATABASE.get(script.name)
        if keeper is not None:
            print(f"not run: it reads a kept database (run {keeper}, then this with --reuse)")
            continue
        completed = subprocess.run([sys.executable, str(script), *extra], check=False)
        failures += completed.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
