"""Before and after in one session: each notebook's cells with the package of another commit, then with this one.

Usage: python benchmarks/compare_versions.py REVISION NN_name [NN_name ...] [--repeat 2]

The package (``mlops_lab``, the quiz banks and the lock file it reads) of REVISION and of the working tree are
copied to temporary folders and byte-compiled; each notebook then runs through the cells pass of
``benchmarks/workbook.py`` (a real kernel, every library imported first, wall and kernel CPU time per cell) with
one copy and then the other first on ``PYTHONPATH``, alternated ``--repeat`` times, so both see the same load.
Prints the sums per run and the cells whose mean time changed by more than 0.05 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workbook  # noqa: E402  (the cells pass lives there)

ROOT = workbook.ROOT
COPIED = ("mlops_lab", "quizzes", "requirements.lock")


def _copy(revision: str | None, target: Path) -> Path:
    target.mkdir(parents=True)
    if revision is None:
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, target / name)
    else:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, *COPIED], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(target / "mlops_lab")], check=True)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlops-lab-versions-") as tmp:
        tmp = Path(tmp)
        versions = {"before": _copy(args.revision, tmp / "before"), "after": _copy(None, tmp / "after")}
        for name in args.notebooks:
            notebook = ROOT / "notebooks" / f"{name}.ipynb"
            libraries = workbook._used_libraries(notebook, tmp)
            cells: dict[str, dict[int, list[tuple[float, float]]]] = {"before": {}, "after": {}}
            for run in range(args.repeat):
                for version, path in versions.items():
                    os.environ["PYTHONPATH"] = str(path)
                    load = os.getloadavg()[0]
                    workdir = tmp / f"{name}-{version}-{run}"
                    workdir.mkdir()
                    rows = workbook._cells_pass(notebook, libraries, workdir)
                    for row in rows:
                        cells[version].setdefault(row["cell"], []).append((row["seconds"], row["cpu_seconds"]))
                    wall, cpu = sum(r["seconds"] for r in rows), sum(r["cpu_seconds"] for r in rows)
                    print(f"{name} {version:<6} run {run}: {wall:6.2f} s wall {cpu:6.2f} s CPU (load {load:.1f})")
            for cell in sorted(set(cells["before"]) & set(cells["after"])):
                (wall_before, cpu_before), (wall_after, cpu_after) = (
                    (statistics.mean(w for w, _ in cells[v][cell]), statistics.mean(c for _, c in cells[v][cell]))
                    for v in ("before", "after")
                )
                if max(abs(wall_before - wall_after), abs(cpu_before - cpu_after)) > 0.05:
                    print(
                        f"    cell {cell:>3}: CPU {cpu_before:.2f} -> {cpu_after:.2f} s, "
                        f"wall {wall_before:.2f} -> {wall_after:.2f} s"
                    )
        os.environ.pop("PYTHONPATH", None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
