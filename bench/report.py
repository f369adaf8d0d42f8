"""How long the report of the seed-scale dialogue takes to compile, and how much memory.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scale \\
      .venv/bin/python bench/report.py [--slug skala] [--profile report.prof]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scale \\
      CELERY_BROKER_URL=redis://127.0.0.1:6379/13 \\
      .venv/bin/python bench/report.py --worker

The dialogue must exist (`flask --app dialog seed-scale`). By default `compile_report`
runs in a fresh child process, as in a worker's pool: it prints the seconds and the
process's peak RSS (getrusage's ru_maxrss), then both for each section of the report,
from its progress calls. --profile also writes cProfile statistics there and prints the
costliest functions. --worker measures the real path instead: `request_report`, a commit
as a planner's request makes, and a real Celery worker (`celery -A worker.app worker`,
prefork, the reports queue) that compiles it; it prints the seconds from the commit to
the finished report and the peak RSS of the worker's process tree (sampled from /proc).
Not a test: it takes a minute at the full size.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' worker process and the other benchmark's sampler
# What the issue allows the 2-core machine's worker.
LIMIT_SECONDS = 60
LIMIT_MB = 1024


def main() -> int:
    args = _arguments()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-report-"))
    if args.worker:
        seconds, peak_mb = _through_the_worker(args)
    else:
        seconds, peak_mb = _in_a_child(args)
    verdict = "within" if seconds <= LIMIT_SECONDS and peak_mb <= LIMIT_MB else "OVER"
    print(f"{verdict} the limit of {LIMIT_SECONDS} s and {LIMIT_MB} MB", flush=True)
    return 0 if verdict == "within" else 1


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slug", default="skala")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--worker", action="store_true", help="through request_report and Celery")
    parser.add_argument("--profile", type=Path, help="cProfile statistics to this file")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait (--worker)")
    return parser.parse_args()


# compile_report in a child process ----------------------------------------------------


def _in_a_child(args) -> tuple[float, float]:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, as a worker's
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_compile, args=(args.slug, args.profile, sending))
    child.start()
    sending.close()
    result = receiving.recv()
    child.join()
    if "error" in result:
        sys.exit(result["error"])
    print(
        f"{args.slug}: {result['participants']} participants, {result['proposals']} proposals, "
        f"{result['votes']} votes, {result['groups']} opinion groups",
        flush=True,
    )
    print(f"before compiling (interpreter, app, libraries): {result['ready_mb']:.0f} MB RSS")
    for stage, seconds, peak_mb in result["stages"]:
        print(f"  {stage:<14} {seconds:7.2f} s   peak RSS so far {peak_mb:6.0f} MB")
    print(f"compile_report: {result['seconds']:.1f} s, peak RSS {result['peak_mb']:.0f} MB")
    if args.profile:
        _print_profile(args.profile)
    return result["seconds"], result["peak_mb"]


def _compile(slug: str, profile: Path | None, sending) -> None:
    try:
        sending.send(_compiled(slug, profile))
    except Exception as error:  # the parent waits for an answer: tell it what went wrong
        sending.send({"error": f"{type(error).__name__}: {error}"})
        raise


def _compiled(slug: str, profile: Path | None) -> dict:
    from dialog import create_app
    from dialog.core.db import one_snapshot
    from dialog.dialogues import queries as dialogue_queries
    from dialog.reports.compiling import compile_report

    app = create_app()
    with app.app_context():
        dialogue = dialogue_queries.dialogue_by_slug(slug)
        if dialogue is None:
            return {"error": f"No dialogue is called {slug}: run seed-scale first."}
        ready_mb = _peak_mb()
        stages: list[list] = []
        marks: list[tuple[str, float]] = []

        def progress(stage: str, _percent: int) -> None:
            now = time.perf_counter()
            if marks:
                stages.append([marks[-1][0], now - marks[-1][1], _peak_mb()])
            marks.append((stage, now))

        profiler = _profiler() if profile else None
        started = time.perf_counter()
        with one_snapshot():
            content = compile_report(dialogue, progress)
        seconds = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        return {
            "participants": content["totals"]["participants"],
            "proposals": content["totals"]["proposals"],
            "votes": content["totals"]["votes"],
            "groups": len(content["opinion_groups"]),
            "ready_mb": ready_mb,
            "stages": stages,
            "seconds": seconds,
            "peak_mb": _peak_mb(),
        }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _profiler():
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _print_profile(path: Path) -> None:
    import pstats

    print(f"\nthe costliest functions (cumulative), from {path}:")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(25)


# The real path: request_report and a Celery worker -------------------------------------


def _through_the_worker(args) -> tuple[float, float]:
    from bench.notifications import MemorySampler
    from dialog import create_app
    from dialog.core import queues
    from dialog.dialogues import queries as dialogue_queries
    from dialog.extensions import db
    from dialog.reports import services
    from dialog.reports.models import Report, ReportStatus
    from tests.support import WorkerProcess

    app = create_app()
    log = Path(os.environ["INSTANCE_PATH"]) / "report-worker.log"
    worker = WorkerProcess(
        log, env=dict(os.environ), pool_processes=1, queues=(queues.REPORTS,)
    ).start(timeout=90)
    memory = MemorySampler(worker.process.pid).start()
    try:
        with app.app_context():
            dialogue = dialogue_queries.dialogue_by_slug(args.slug)
            if dialogue is None:
                sys.exit(f"No dialogue is called {args.slug}: run seed-scale first.")
            report_id = services.request_report(dialogue, by=None).id
            started = time.perf_counter()
            db.session.commit()  # publishes the task, as after a planner's request
            deadline = started + args.timeout
            while time.perf_counter() < deadline:
                time.sleep(0.5)
                report = db.session.get(Report, report_id)
                status, error = report.status, report.error
                compiling = (report.started_at, report.finished_at)
                db.session.rollback()  # no snapshot held between polls
                if status in (ReportStatus.done, ReportStatus.failed):
                    break
            seconds = time.perf_counter() - started
    finally:
        memory.stop()
        worker.stop()
    if status is not ReportStatus.done:
        sys.exit(f"report {report_id} is {status.value} after {seconds:.0f} s: {error or ''}")
    on_worker = (compiling[1] - compiling[0]).total_seconds()
    peak_mb = memory.peak_rss / 1024
    print(
        f"{args.slug}: report version {report_id} done {seconds:.1f} s after the request "
        f"({on_worker:.1f} s on the worker); the worker's processes peaked at "
        f"{peak_mb:.0f} MB RSS together ({memory.first_rss / 1024:.0f} MB idle)",
        flush=True,
    )
    return seconds, peak_mb


if __name__ == "__main__":
    sys.exit(main())
