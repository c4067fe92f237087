"""Benchmark: validate and import a generated 5,000-row workbook, beside a bare calamine loop.

Everything it creates (a unit, a plan of count metrics by sex, a round) lives in one transaction
that is rolled back at the end, so it can run against any database without leaving a trace.
"""

import io
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

AGES = ["under-18", "18-24", "25-34", "35-49", "50-plus"]
ROWS_PER_METRIC = 3 * len(AGES) + 1  # sex x age band, and the computed total


class Rollback(Exception):
    pass


def _timed(runs: int, work: Callable[[], Any]) -> tuple[float, float]:
    """(median, best) seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def bare_calamine(data: bytes) -> int:
    """The floor: read the Values sheet with calamine and check every cell in plain Python (the
    figures are whole numbers >= 0, the rest is text)."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Values")
    bad = 0
    for row in sheet.to_python()[1:]:
        for number, value in enumerate(row):
            if value == "":
                continue
            if 6 <= number <= 9:
                if not (isinstance(value, float) and value.is_integer() and value >= 0):
                    bad += 1
            elif not isinstance(value, str):
                bad += 1
    return bad


def bare_openpyxl(data: bytes) -> int:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    bad = 0
    for row in book["Values"].iter_rows(min_row=2, values_only=True):
        value = row[7]
        if value is not None and not (isinstance(value, int | float) and value >= 0):
            bad += 1
    return bad


def _setup(metrics: int) -> tuple[Any, Any]:
    from wpstrack.accounts.models import OrgUnit, UnitKind
    from wpstrack.frameworks.models import Category, DisaggregationSet
    from wpstrack.frameworks.services import load_plan_document
    from wpstrack.reporting import services as reporting
    from wpstrack.testing import plan_action, plan_document, plan_metric

    kind, _ = UnitKind.objects.get_or_create(key="bench", defaults={"name": "Bench"})
    unit = OrgUnit.objects.create(
        code="BENCH-UNIT", name="Bench unit", short_name="Bench", kind=kind
    )
    sex, created = DisaggregationSet.objects.get_or_create(key="sex", defaults={"name": "Sex"})
    if created:
        for position, key in enumerate(["women", "men", "other"]):
            Category.objects.create(disaggregation_set=sex, key=key, label=key, position=position)
    elements = [
        plan_action(
            str(a),
            ["BENCH-UNIT"],
            [plan_metric(f"{a}-M{m}", "count", ["sex"]) for m in range(1, 51)],
        )
        for a in range(1, metrics // 50 + 1)
    ]
    document = plan_document(elements, slug="bench-workbook", owner_unit="BENCH-UNIT")
    load_plan_document(document, file_name="bench.yaml", sha256="0" * 64, actor=None)
    from wpstrack.frameworks.models import Plan

    plan = Plan.objects.get(slug="bench-workbook")
    import datetime as dt

    rnd = reporting.create_round(
        plan=plan,
        period="FY2025-Q3",
        due_date=dt.date(2025, 7, 31),
        actor=None,
        actor_label="bench",
    )
    reporting.open_round(reporting_round=rnd, actor=None, actor_label="bench")
    return rnd, unit


def _filled(template: bytes, shift: int = 0) -> bytes:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["Values"]
    for number, row in enumerate(sheet.iter_rows(min_row=2, max_col=5), start=2):
        if row[4].value != "total":
            sheet[f"H{number}"] = (number * 7) % 50 + shift
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


class Command(BaseCommand):
    help = "Time validate-only and validate+import of a generated workbook against bare readers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=5000, help="rows of the Values sheet")
        parser.add_argument("--runs", type=int, default=5, help="timed runs of each (median shown)")

    def handle(self, *args: Any, **options: Any) -> None:
        from wpstrack.workbooks import services

        metrics = max(1, -(-options["rows"] // ROWS_PER_METRIC))
        runs = options["runs"]
        try:
            with transaction.atomic():
                started = time.perf_counter()
                rnd, unit = _setup(metrics)
                data = _filled(services.template_xlsx(rnd, unit, by="bench"))
                setup = time.perf_counter() - started

                def check() -> None:
                    report = services.import_workbook(
                        data=data, filename="bench.xlsx", actor=None, dry_run=True
                    )
                    assert report.ok, report.errors[:3]

                def load() -> None:
                    with transaction.atomic():
                        report = services.import_workbook(
                            data=data, filename="bench.xlsx", actor=None
                        )
                        assert report.status == "imported", report.errors[:3]
                        transaction.set_rollback(True)

                with transaction.atomic():  # a template made after the first import
                    services.import_workbook(data=data, filename="b.xlsx", actor=None)
                    again = _filled(services.template_xlsx(rnd, unit, by="bench"), shift=1)
                    transaction.set_rollback(True)

                def change() -> float:
                    """Import over a draft that already holds every figure, changing each one."""
                    with transaction.atomic():
                        services.import_workbook(data=data, filename="b.xlsx", actor=None)
                        start = time.perf_counter()
                        report = services.import_workbook(
                            data=again, filename="again.xlsx", actor=None
                        )
                        took = time.perf_counter() - start
                        assert report.status == "imported", report.errors[:3]
                        transaction.set_rollback(True)
                    return took

                changes = sorted(change() for _ in range(runs))
                bare = _timed(runs, lambda: bare_calamine(data))
                opx = _timed(runs, lambda: bare_openpyxl(data))
                ours = _timed(runs, check)
                full = _timed(runs, load)
                self._print(metrics * ROWS_PER_METRIC, len(data), setup, bare, opx, ours, full)
                median = statistics.median(changes)
                self.stdout.write(
                    f"  wpstrack re-import, all values changed {median:5.3f} s  ({changes[0]:.3f})"
                    f"  {median / bare[0]:5.1f}x   goal < 2 s"
                )
                raise Rollback
        except Rollback:
            pass

    def _print(
        self, rows: int, size: int, setup: float, bare: Any, opx: Any, ours: Any, full: Any
    ) -> None:
        out = self.stdout.write
        out(
            f"workbook benchmark on {connection.vendor}: {rows} rows x 13 columns, {size // 1024} KB "
            f"(generated in {setup:.1f} s); median of runs, best in brackets"
        )
        out(f"  bare calamine read-and-check loop  {bare[0]:7.3f} s  ({bare[1]:.3f})   1.0x")
        out(
            f"  bare openpyxl read-only loop       {opx[0]:7.3f} s  ({opx[1]:.3f})  {opx[0] / bare[0]:5.1f}x"
        )
        out(
            f"  wpstrack validate only (dry run)   {ours[0]:7.3f} s  ({ours[1]:.3f})  {ours[0] / bare[0]:5.1f}x"
            f"   goal < 0.5 s, within 10x"
        )
        out(
            f"  wpstrack validate + import         {full[0]:7.3f} s  ({full[1]:.3f})  {full[0] / bare[0]:5.1f}x"
            f"   goal < 2 s"
        )
