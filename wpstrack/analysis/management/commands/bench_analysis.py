"""Benchmark: the scorecard, a metric's page and a figure's provenance under a generated load.

Generates the load of ``analysis.loadgen`` first when it is not there (20 plans, 300 units, 2,000
metrics, 10 years of quarterly values by sex and age band: 2.4M value rows; it stays in the
database, so run this against a benchmark database, never the real one). Then it asks for each
page in-process with Django's test client, signed in as the generated coordinator, and prints the
server time (p50 and p95 of the requests) and the queries each page makes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from wpstrack.analysis import loadgen
from wpstrack.analysis.models import MetricStatus
from wpstrack.frameworks.models import Metric
from wpstrack.reporting.models import Value

GOAL_MS = 300
SAMPLE_PLANS = 4


def percentile(times: list[float], share: float) -> float:
    """The nearest-rank percentile of ``times``."""
    ordered = sorted(times)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


class Command(BaseCommand):
    help = (
        "Generate the analysis load if missing, then time the scorecard, metric and provenance "
        "pages (p50/p95 server time and queries per page)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
        parser.add_argument(
            "--regenerate",
            action="store_true",
            help="wipe the generated plans (slugs bench-analysis-*) and generate them again",
        )
        parser.add_argument("--plans", type=int, default=loadgen.Scale.plans)
        parser.add_argument("--units", type=int, default=loadgen.Scale.units, help="a department")
        parser.add_argument("--metrics", type=int, default=loadgen.Scale.metrics, help="a plan")
        parser.add_argument("--years", type=int, default=loadgen.Scale.years)

    def handle(self, *args: Any, **options: Any) -> None:
        scale = loadgen.Scale(
            plans=options["plans"],
            units=options["units"],
            metrics=options["metrics"],
            years=options["years"],
        )
        try:
            report = loadgen.generate(
                scale,
                regenerate=options["regenerate"],
                progress=lambda line: self.stderr.write(f"  {line}"),
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        pages = self._pages(scale)
        # The test client's host name, as Django's test runner allows it.
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            self._report(scale, report, pages, options["requests"])

    def _report(
        self,
        scale: loadgen.Scale,
        report: loadgen.Report,
        pages: list[tuple[str, list[str]]],
        requests: int,
    ) -> None:
        out = self.stdout.write
        client = Client()
        client.force_login(loadgen.coordinator())
        values = Value.objects.filter(
            submission__reporting_round__plan__slug__startswith=loadgen.PLAN_PREFIX
        ).count()
        statuses = MetricStatus.objects.filter(plan__slug__startswith=loadgen.PLAN_PREFIX).count()
        if report.generated:
            generated = f"generated {report.generated} plan(s) in {report.seconds:.0f} s"
        else:
            generated = f"already generated, {report.skipped} plan(s)"
        out(
            f"analysis benchmark on {connection.vendor}: {scale.plans} plans, "
            f"{scale.plans * scale.units} units, {scale.plans * scale.metrics} metrics, "
            f"{len(scale.periods)} quarters; {values:,} values, {statuses:,} statuses "
            f"({generated}); {requests} requests a page, server time"
        )
        for name, urls in pages:
            times, queries = self._measure(client, urls, requests)
            p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
            out(
                f"  {name:<28} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  {queries:3d} queries"
                f"   goal < {GOAL_MS} ms{'' if p95 < GOAL_MS else '  MISSED'}"
            )

    def _pages(self, scale: loadgen.Scale) -> list[tuple[str, list[str]]]:
        """A few plans spread over the load, and metrics of both kinds in each."""
        step = max(1, scale.plans // SAMPLE_PLANS)
        slugs = [loadgen.plan_slug(n) for n in range(1, scale.plans + 1, step)][:SAMPLE_PLANS]
        metrics = list(
            Metric.objects.filter(plan__slug__in=slugs)
            .order_by("plan__slug", "position")
            .values_list("plan__slug", "code", "current__type")
        )
        picked: list[tuple[str, str]] = []
        for slug in slugs:
            mine = [(s, c, t) for s, c, t in metrics if s == slug]
            for kind in ("count", "percentage"):
                of_kind = [(s, c) for s, c, t in mine if t == kind]
                if of_kind:
                    picked.append(of_kind[len(of_kind) // 2])
        last = scale.periods[-1].code
        return [
            ("scorecard", [f"/plans/{s}/scorecard" for s in slugs]),
            ("scorecard, by one unit", [f"/plans/{s}/scorecard?unit={_unit(s)}" for s in slugs]),
            ("metric page", [f"/plans/{s}/metrics/{c}" for s, c in picked]),
            ("figure provenance", [f"/plans/{s}/metrics/{c}/figures/{last}" for s, c in picked]),
        ]

    def _measure(self, client: Client, urls: list[str], requests: int) -> tuple[list[float], int]:
        """Server time of ``requests`` requests going round the URLs (after one warm-up each),
        and the most queries any of them made (counted apart, so counting costs no time)."""
        most = 0
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                self._get(client, url)
            most = max(most, len(queries))
        times = []
        for number in range(requests):
            url = urls[number % len(urls)]
            times.append(_timed(lambda u=url: self._get(client, u)))  # type: ignore[misc]
        return times, most

    @staticmethod
    def _get(client: Client, url: str) -> None:
        response = client.get(url, secure=True)  # DEBUG off redirects to https
        if response.status_code != 200:
            raise CommandError(f"{url}: HTTP {response.status_code}")


def _unit(slug: str) -> str:
    number = int(slug.removeprefix(loadgen.PLAN_PREFIX))
    return f"{loadgen.department_code(number)}-U01"


def _timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
