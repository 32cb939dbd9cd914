"""Run every benchmark and write a Markdown results table (benchmarks/RESULTS.md).

    .venv/bin/python benchmarks/run.py [--quick] [--out benchmarks/RESULTS.md]

Each figure is a median of several runs; comparisons (A vs B) interleave A and B in one
run and take the median of the per-pair ratios, because the machines are shared and noisy.
Inputs are generated from a fixed seed (benchmarks/generate.py); nothing is downloaded.
Timing assertions do not belong in the test suite: this is where speed is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SEED = REPO / "inputs" / "2021-12-06-india-russia-summit.yaml"
MINIMAL = REPO / "tests" / "data" / "minimal.yaml"
BRIEFGEN = [sys.executable, "-m", "briefgen"]
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    before = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    seconds = time.perf_counter() - before
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stderr[-2000:]}")
    return seconds, int(proc.stderr.strip().splitlines()[-1])


def tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and all its descendants (Linux /proc), in KiB."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone already
            parents[int(entry.name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def timed_tree(command: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS of the largest process and peak RSS summed over the process tree
    (sampled every 50 ms; worker processes count), both in KiB."""
    before = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", *command], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak_tree = 0
    while proc.poll() is None:
        peak_tree = max(peak_tree, tree_rss_kib(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - before
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-2000:]}")
    return seconds, int(stderr.strip().splitlines()[-1]), peak_tree


def median(values: list[float]) -> float:
    return statistics.median(values)


def workspace(root: Path, *inputs: Path, config: str = "") -> Path:
    (root / "inputs").mkdir(parents=True, exist_ok=True)
    for path in inputs:
        shutil.copy(path, root / "inputs" / path.name)
    if config:
        (root / "briefgen.toml").write_text(config)
    return root


def machine() -> list[tuple[str, str]]:
    sys.path.insert(0, str(REPO))
    from briefgen.workspace.doctor import checks

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    rows = [
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB"),
        ("system", platform.platform()),
    ]
    for check in checks():
        if check.name in {"python", "briefgen", "weasyprint", "pango", "harfbuzz", "fast font subsetter"}:
            rows.append((check.name, check.detail))
    return rows


# --------------------------------------------------------------------------- the benchmarks


def bench_cold_vs_weasyprint(tmp: Path, runs: int) -> dict[str, float]:
    """Cold `briefgen build` of the seed (HTML+PDF) vs a bare `weasyprint` CLI on the same HTML."""
    ws = workspace(tmp / "cold", SEED)
    subprocess.run([*BRIEFGEN, "build", "-q"], cwd=ws, check=True, capture_output=True)
    html = next((ws / "output").glob("*.html"))
    a_times, b_times, ratios = [], [], []
    for _ in range(runs):
        a, _ = timed([*BRIEFGEN, "build", "-q", "--force"], ws)
        b, _ = timed([sys.executable, "-m", "weasyprint", str(html), str(tmp / "bare.pdf")], ws)
        a_times.append(a)
        b_times.append(b)
        ratios.append(a / b)
    return {"briefgen": median(a_times), "weasyprint": median(b_times), "ratio": median(ratios)}


def bench_startup(tmp: Path, runs: int) -> dict[str, float]:
    ws = workspace(tmp / "startup", SEED)
    helps = [timed([*BRIEFGEN, "--help"], ws)[0] for _ in range(runs)]
    validates = [timed([*BRIEFGEN, "validate", f"inputs/{SEED.name}"], ws)[0] for _ in range(runs)]
    return {"help": median(helps), "validate": median(validates)}


def bench_nothing_changed(tmp: Path, runs: int) -> dict[str, float]:
    ws = workspace(tmp / "unchanged", SEED, REPO / "inputs" / "2023-08-18-camp-david-trilateral.yaml")
    subprocess.run([*BRIEFGEN, "build", "-q"], cwd=ws, check=True, capture_output=True)
    stamps = {p: p.stat().st_mtime_ns for p in (ws / "output").iterdir()}
    times = [timed([*BRIEFGEN, "build", "-q"], ws)[0] for _ in range(runs)]
    rerendered = sum(p.stat().st_mtime_ns != t for p, t in stamps.items())
    return {"seconds": median(times), "rerendered": rerendered}


def bench_one_of_fifty(tmp: Path) -> dict[str, float]:
    """50 inputs over 10 weeks; change one; count what the next build renders."""
    sys.path.insert(0, str(REPO))
    from briefgen import load_config
    from briefgen.builds.briefs import build
    from briefgen.builds.editions import build_editions

    ws = tmp / "fifty"
    generate(ws / "inputs", events=50, weeks=10, seed=11)
    (ws / "briefgen.toml").write_text('[build]\nformats = ["html"]\n')
    config = load_config(ws)
    build(config=config, jobs=2)
    build_editions(None, config, jobs=2)
    target = ws / "inputs" / "synthetic-0013.yaml"
    target.write_text(target.read_text().replace("agreed to deepen cooperation", "agreed to expand cooperation"))
    started = time.perf_counter()
    briefs = build(config=config)
    editions = build_editions(None, config)
    seconds = time.perf_counter() - started
    week_of_target = next(e.id for e in editions if "synthetic-0013" in e.brief_ids)
    return {
        "briefs rendered": len(briefs.rendered),
        "briefs total": len(briefs.results),
        "editions rendered": sum(not e.cached for e in editions),
        "editions total": len(editions),
        "only its edition": float([e.id for e in editions if not e.cached] == [week_of_target]),
        "seconds": seconds,
    }


def bench_jobs(tmp: Path, weeks: int, runs: int) -> dict[str, float]:
    """`edition build --all --force`, --jobs 2 vs --jobs 1, interleaved."""
    ws = tmp / "jobs"
    generate(ws / "inputs", events=weeks, weeks=weeks, seed=5)
    (ws / "briefgen.toml").write_text('[build]\nformats = ["pdf"]\n')
    ones, twos, ratios = [], [], []
    for _ in range(runs):
        one, _ = timed([*BRIEFGEN, "edition", "build", "--all", "--force", "--jobs", "1"], ws)
        two, _ = timed([*BRIEFGEN, "edition", "build", "--all", "--force", "--jobs", "2"], ws)
        ones.append(one)
        twos.append(two)
        ratios.append(one / two)
    return {"editions": weeks, "jobs 1": median(ones), "jobs 2": median(twos), "speed-up": median(ratios)}


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def bench_big_edition(tmp: Path, events: int, runs: int) -> dict[str, float]:
    """One week of ``events`` events, laid out in parts (the default, [editions] events_per_part)
    in one process and with --jobs 2, interleaved; memory is summed over the process tree."""
    ws = tmp / "big"
    generate(ws / "inputs", events=events, weeks=1, agreements=2, sources=3, seed=3)
    (ws / "briefgen.toml").write_text('[build]\nformats = ["pdf"]\n')
    command = [*BRIEFGEN, "edition", "build", "--week", "2030-W01", "--force", "--jobs"]
    one, two = [], []
    for _ in range(runs):
        one.append(timed_tree([*command, "1"], ws))
        two.append(timed_tree([*command, "2"], ws))
    pages = _pages(ws / "output" / "editions" / "2030-W01.pdf")
    size = (ws / "output" / "editions" / "2030-W01.pdf").stat().st_size
    # The seed brief, for time per page.
    seed_ws = workspace(tmp / "per-page", SEED, config='[build]\nformats = ["pdf"]\n')
    seed_runs = [timed([*BRIEFGEN, "build", "-q", "--force"], seed_ws)[0] for _ in range(runs)]
    seed_pages = _pages(next((seed_ws / "output").glob("*.pdf")))
    seconds = median([r[0] for r in two])
    return {
        "events": events,
        "pages": pages,
        "PDF MB": size / 1024**2,
        "seconds": seconds,
        "peak MB": max(r[2] for r in two) / 1024,
        "largest process MB": max(r[1] for r in two) / 1024,
        "jobs 1 seconds": median([r[0] for r in one]),
        "jobs 1 peak MB": max(r[2] for r in one) / 1024,
        "s/page": seconds / pages,
        "seed s/page": median(seed_runs) / seed_pages,
    }


MEMORY_CHILD = """
import resource, sys
from pathlib import Path
from briefgen import build, load_config
root = Path(sys.argv[1])
config = load_config(root)
peaks = {}
for i in range(1, 101):
    build(config=config, formats=["pdf"], force=True)
    if i in (10, 100):
        peaks[i] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peaks[10], peaks[100])
"""


def bench_memory(tmp: Path) -> dict[str, float]:
    ws = workspace(tmp / "memory", MINIMAL)
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, str(ws)], capture_output=True, text=True, check=True
    ).stdout.split()
    after10, after100 = (int(x) / 1024 for x in out)
    return {"peak MB after 10": after10, "peak MB after 100": after100, "ratio": after100 / after10}


# --------------------------------------------------------------------------- the report


def report(results: dict[str, dict[str, float]], rows: list[tuple[str, str]]) -> str:
    cold, start, same = results["cold"], results["startup"], results["unchanged"]
    fifty, jobs, big, memory = results["fifty"], results["jobs"], results["big"], results["memory"]

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    lines = [
        "# briefgen benchmark results",
        "",
        "Written by `.venv/bin/python benchmarks/run.py`. Medians of several runs; ratios are medians of",
        "interleaved A/B pairs.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in rows),
        "",
        "| figure | measured | target | |",
        "|---|---|---|---|",
        f"| cold `briefgen build` of the seed (HTML+PDF) vs bare `weasyprint` on its HTML | "
        f"{cold['briefgen']:.2f} s vs {cold['weasyprint']:.2f} s = {cold['ratio']:.2f}× | ≤ 1.15× | "
        f"{mark(cold['ratio'] <= 1.15)} |",
        f"| `briefgen --help` | {start['help']:.3f} s | ≤ 0.25 s | {mark(start['help'] <= 0.25)} |",
        f"| `briefgen validate` on the seed | {start['validate']:.3f} s | ≤ 0.25 s | "
        f"{mark(start['validate'] <= 0.25)} |",
        f"| rebuild with nothing changed | {same['seconds']:.3f} s, {int(same['rerendered'])} files re-rendered | "
        f"≤ 0.3 s, none | {mark(same['seconds'] <= 0.3 and same['rerendered'] == 0)} |",
        f"| rebuild after one of 50 inputs changed | {int(fifty['briefs rendered'])} of "
        f"{int(fifty['briefs total'])} briefs, {int(fifty['editions rendered'])} of {int(fifty['editions total'])} "
        f"editions re-rendered ({fifty['seconds']:.2f} s) | only that brief and its edition | "
        f"{mark(fifty['briefs rendered'] == 1 and fifty['only its edition'] == 1)} |",
        f"| {int(jobs['editions'])} weekly editions, `--jobs 1` vs `--jobs 2` | {jobs['jobs 1']:.1f} s vs "
        f"{jobs['jobs 2']:.1f} s = {jobs['speed-up']:.2f}× faster | ≥ 1.7× | {mark(jobs['speed-up'] >= 1.7)} |",
        f"| a {int(big['events'])}-event edition, `--jobs 2` | {big['seconds']:.1f} s, {big['peak MB']:.0f} MB peak "
        f"over all processes (largest {big['largest process MB']:.0f} MB), {int(big['pages'])} pages, "
        f"{big['PDF MB']:.1f} MB | ≤ 20 s, ≤ 350 MB | {mark(big['seconds'] <= 20 and big['peak MB'] <= 350)} |",
        f"| the same, `--jobs 1` | {big['jobs 1 seconds']:.1f} s, {big['jobs 1 peak MB']:.0f} MB peak | "
        f"≤ 20 s, ≤ 350 MB | {mark(big['jobs 1 seconds'] <= 20 and big['jobs 1 peak MB'] <= 350)} |",
        f"| its time per page vs the seed brief's | {big['s/page']:.3f} s vs {big['seed s/page']:.3f} s | "
        f"no worse | {mark(big['s/page'] <= big['seed s/page'] * 1.05)} |",
        f"| 100 builds in one process (the minimal brief) | peak {memory['peak MB after 10']:.0f} MB after 10, "
        f"{memory['peak MB after 100']:.0f} MB after 100 = {memory['ratio']:.2f}× | ≤ 1.2× | "
        f"{mark(memory['ratio'] <= 1.2)} |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and smaller inputs (a smoke test)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    runs = 3 if args.quick else 5
    env_home = tempfile.mkdtemp(prefix="briefgen-bench-home-")
    os.environ["XDG_CACHE_HOME"] = env_home  # cold: no compiled templates from earlier runs
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="briefgen-bench-") as folder:
        tmp = Path(folder)
        steps = [
            ("cold", lambda: bench_cold_vs_weasyprint(tmp, runs)),
            ("startup", lambda: bench_startup(tmp, runs * 2)),
            ("unchanged", lambda: bench_nothing_changed(tmp, runs * 2)),
            ("fifty", lambda: bench_one_of_fifty(tmp)),
            ("jobs", lambda: bench_jobs(tmp, 12 if args.quick else 52, 1 if args.quick else 2)),
            ("big", lambda: bench_big_edition(tmp, 40 if args.quick else 200, 1 if args.quick else 2)),
            ("memory", lambda: bench_memory(tmp)),
        ]
        for name, step in steps:
            started = time.perf_counter()
            results[name] = step()
            print(f"{name}: {json.dumps(results[name])} ({time.perf_counter() - started:.0f} s)", flush=True)
    text = report(results, machine())
    args.out.write_text(text, encoding="utf-8")
    print(text)
    shutil.rmtree(env_home, ignore_errors=True)


if __name__ == "__main__":
    main()
