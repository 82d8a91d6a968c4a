"""`make bench`: run every benchmark script in this folder, one after another.

Each script builds and drops its own database and prints a table of figures; they run in
sequence so that they do not compete for the machine's two cores. Pass --small for a quick
smoke run of each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    extra = sys.argv[1:]
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} {' '.join(extra)}".rstrip(), flush=True)
        completed = subprocess.run([sys.executable, str(script), *extra], check=False)
        failures += completed.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
