"""Benchmark for issue 10: a fresh environment's setup and `make test` on a warm environment.

Usage: python benchmarks/setup_and_tests.py [--output benchmarks/results.json]

* fresh setup: `make install` in a fresh clone of this repository (a new .venv; packages come from uv's cache
  when this machine has installed them before, as a learner's second setup or a CI machine with a warm cache would).
* make test: the whole suite in this checkout, whose environment is already installed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlops-lab-setup-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        setup = timed(["make", "install"], clone)
    test = timed(["make", "test"], ROOT)
    path = Path(args.output)
    results = json.loads(path.read_text()) if path.exists() else {}
    results.update({"fresh_setup_seconds": setup, "make_test_seconds": test})
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"fresh setup (make install in a new clone): {setup:.1f} s")
    print(f"make test (warm environment):              {test:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
