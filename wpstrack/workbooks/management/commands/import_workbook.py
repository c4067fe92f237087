import getpass
import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.lib.errors import ServiceError
from wpstrack.workbooks import services
from wpstrack.workbooks.report import Report


def print_report(report: Report, out: Any) -> None:
    for problem in report.problems:
        data = problem.as_dict()
        kind = "error" if problem.blocking else "warning"
        where = f"{problem.sheet}!{problem.cell}" if problem.cell else (problem.sheet or "file")
        found = f" (found {problem.value!r})" if problem.value else ""
        out.write(
            f"{report.filename}: {where}: {kind} {problem.code}: {problem.message}{found}"
            f" Fix: {data['fix']}\n"
        )


class Command(BaseCommand):
    help = (
        "Check a filled template (.xlsx or .csv) and import it into the drafts it is for: "
        "wpstrack import-workbook FILE [--dry-run] [--json]. Exit status 1 when the file has errors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check only, import nothing")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--reason",
            default="",
            help="what changed and why (needed for a report submitted before)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            with path.open("rb") as stream:
                data = stream.read(settings.UPLOAD_MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        try:
            report = services.import_workbook(
                data=data,
                filename=path.name,
                actor=None,
                dry_run=options["dry_run"],
                reason=options["reason"],
                actor_label=f"command import-workbook ({getpass.getuser()})",
            )
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            print_report(report, self.stdout)
            changed = sum(len(cells) for cells in report.changed.values())
            summary = {
                "invalid": f"{len(report.errors)} error(s): nothing imported",
                "valid": f"valid: {changed} cell(s) would change (dry run, nothing imported)",
                "unchanged": "valid: nothing to change",
                "imported": f"imported: {changed} cell(s) changed in {len(report.changed)} draft(s)",
            }[report.status]
            self.stdout.write(f"{path.name}: {summary}")
        if not report.ok:
            sys.exit(1)
