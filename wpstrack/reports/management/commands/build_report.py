import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.reports import builders, formats, services
from wpstrack.reports.snapshot import take_snapshot


class Command(BaseCommand):
    help = (
        "Build a report from the approved data: wpstrack build-report PLAN --year FY2025 "
        "--kind annual|quarterly|scorecard|iptt|unit --format docx|pdf|xlsx|html --out PATH"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan")
        parser.add_argument("--year", required=True, help="fiscal year, e.g. FY2025")
        parser.add_argument("--kind", default="annual", choices=list(builders.KINDS))
        parser.add_argument("--format", default="pdf", choices=list(formats.WRITERS))
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--period", default="", help="the quarter, for --kind quarterly")
        parser.add_argument("--unit", default="", help="the unit code, for --kind unit")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.filter(slug=options["plan"]).first()
        if plan is None:
            raise CommandError(f"no plan {options['plan']!r} (see wpstrack load-plans)")
        try:
            year = services.check_request(
                plan, options["year"], options["kind"], options["format"], options["unit"]
            )
            snapshot = take_snapshot(
                plan, year, actor=None, actor_label=f"command build-report ({getpass.getuser()})"
            )
            content, _name = services.render(
                snapshot,
                options["kind"],
                options["format"],
                period=options["period"],
                unit=options["unit"],
            )
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        out = Path(options["out"])
        try:
            out.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from None
        self.stdout.write(
            f"{out}: {options['kind']} {options['format']}, {snapshot.identifier}, sha256 {snapshot.sha256}"
        )
