"""Benchmark: build a report in every format from the demo data and print the time of each step.

Goal (issue 8): the DHS annual report with five years of demo data builds in under 10 seconds
per format. Each run of a format is what one build does: freeze the data (``take_snapshot``: it
gathers and hashes the approved data, and finds the existing edition when nothing changed), build
the document, and write the format. Charts are drawn afresh in every run (the chart cache, which
lets a worker that builds several formats of one report draw each chart once, is emptied first),
so the figures are those of a first build.

When the database has no approved DHS history yet (a fresh database), it loads the demo first
(``wpstrack demo``: about 25 s). Snapshots it takes stay, like any snapshot: run it on a benchmark
database (``./dev bench`` uses ``var/bench-reports.sqlite3``).
"""

from __future__ import annotations

import getpass
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.reporting.models import Submission, SubmissionState
from wpstrack.reports import builders, document, formats, services
from wpstrack.reports.snapshot import take_snapshot

GOAL_SECONDS = 10.0
DEMO_PLAN = "dhs-wps-2024"


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


class Command(BaseCommand):
    help = (
        "Time a report's snapshot, document and each format (median of runs): "
        "wpstrack bench-reports [--plan dhs-wps-2024 --year FY2024 --kind annual]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", default=DEMO_PLAN)
        parser.add_argument("--year", default="FY2024", help="fiscal year, e.g. FY2024")
        parser.add_argument("--kind", default="annual", choices=list(builders.KINDS))
        parser.add_argument("--unit", default="DHS-CBP", help="the unit, for --kind unit")
        parser.add_argument("--period", default="", help="the quarter, for --kind quarterly")
        parser.add_argument(
            "--formats",
            default=",".join(formats.WRITERS),
            help="comma-separated formats to time (default: all)",
        )
        parser.add_argument("--runs", type=int, default=3, help="runs per format (median)")
        parser.add_argument("--out", default="", help="a folder to keep the files of the last run")

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = [f.strip() for f in options["formats"].split(",") if f.strip()]
        unknown = [f for f in wanted if f not in formats.WRITERS]
        if unknown:
            raise CommandError(
                f"unknown format(s) {', '.join(unknown)}: {', '.join(formats.WRITERS)}"
            )
        runs = max(1, options["runs"])
        plan = self._plan(options["plan"])
        kind = options["kind"]
        extra = {"unit": options["unit"] if kind == "unit" else "", "period": options["period"]}
        try:
            year = services.check_request(plan, options["year"], kind, wanted[0], extra["unit"])
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        label = f"command bench-reports ({getpass.getuser()})"
        snapshot = take_snapshot(plan, year, actor=None, actor_label=label)
        report = builders.build(snapshot, kind, **extra)
        content = snapshot.content
        values = len(content["provenance"])
        figures = sum(len(series) for series in content["figures"].values())
        metrics = len(builders.all_metrics(builders.Context(snapshot)))
        out = self.stdout.write
        out(
            f"report benchmark on {connection.vendor}: {plan.slug} {year} {kind}, snapshot "
            f"{snapshot.identifier} ({metrics} metrics, {figures:,} figures in its history, "
            f"{values:,} approved values of the year, {len(report.tables)} tables, "
            f"{len(report.figures)} charts); median of {runs} run(s), best in brackets; "
            "charts drawn afresh in every run"
        )

        def freeze() -> Any:
            return take_snapshot(plan, year, actor=None, actor_label=label)

        def build() -> Any:
            return builders.build(snapshot, kind, **extra)

        snap_times = [_timed(freeze)[0] for _ in range(runs)]
        build_times = [_timed(build)[0] for _ in range(runs)]
        out(f"  {'snapshot (gather + SHA-256)':<30} {self._show(snap_times)}")
        out(f"  {'build the document':<30} {self._show(build_times)}")
        folder = Path(options["out"]) if options["out"] else None
        if folder:
            folder.mkdir(parents=True, exist_ok=True)
        for fmt in wanted:
            totals, writes = [], []
            data = b""
            for _run in range(runs):
                document.forget_drawn_charts()
                t_snap, _found = _timed(freeze)
                t_build, built = _timed(build)
                t_write, data = _timed(partial(formats.WRITERS[fmt], built))
                totals.append(t_snap + t_build + t_write)
                writes.append(t_write)
            total = statistics.median(totals)
            verdict = "" if total < GOAL_SECONDS else "  MISSED"
            out(
                f"  {fmt:<6} snapshot + build + write {self._show(totals)}"
                f"   (write {statistics.median(writes):6.2f} s)  {len(data) // 1024:6,} KB"
                f"   goal < {GOAL_SECONDS:.0f} s{verdict}"
            )
            if folder:
                name = f"{plan.slug}-{year}-{kind}.{formats.EXTENSIONS[fmt]}"
                (folder / name).write_bytes(data)

    @staticmethod
    def _show(times: list[float]) -> str:
        return f"{statistics.median(times):6.2f} s ({min(times):.2f})"

    def _plan(self, slug: str) -> Plan:
        plan = Plan.objects.filter(slug=slug).first()
        approved = Submission.objects.filter(
            reporting_round__plan=plan, state=SubmissionState.APPROVED
        )
        if plan is not None and approved.exists():
            return plan
        if slug != DEMO_PLAN:
            raise CommandError(f"no approved data for the plan {slug!r}: nothing to benchmark")
        from wpstrack.accounts.demo import load_demo

        self.stderr.write("No approved DHS history here: loading the demo first (about 25 s)...")
        started = time.perf_counter()
        loaded = load_demo(history=True)
        self.stderr.write(f"  {loaded.history} ({time.perf_counter() - started:.0f} s)")
        return Plan.objects.get(slug=slug)
