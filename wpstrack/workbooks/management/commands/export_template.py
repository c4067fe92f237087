import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.accounts.models import OrgUnit
from wpstrack.reporting.models import ReportingRound
from wpstrack.workbooks import services


def find_round(text: str) -> ReportingRound:
    """A round by its id or as PLAN/PERIOD (dhs-wps-2024/FY2025-Q3)."""
    rounds = ReportingRound.objects.select_related("plan")
    if text.isdigit():
        found = rounds.filter(pk=int(text)).first()
    else:
        slug, _sep, period = text.partition("/")
        found = rounds.filter(plan__slug=slug, period=period).first()
    if found is None:
        raise CommandError(
            f"no round {text!r}: give its id or PLAN/PERIOD, e.g. dhs-wps-2024/FY2025-Q3"
        )
    return found


class Command(BaseCommand):
    help = (
        "Write a round's spreadsheet template: wpstrack export-template --round PLAN/PERIOD "
        "[--unit CODE] --out FILE (.xlsx, or .csv for the figures; --actions for the actions CSV)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--round", required=True, help="round id or PLAN/PERIOD")
        parser.add_argument("--unit", help="unit code; leave out for the whole round")
        parser.add_argument("--out", required=True, help="file to write (.xlsx or .csv)")
        parser.add_argument("--actions", action="store_true", help="CSV of the actions")

    def handle(self, *args: Any, **options: Any) -> None:
        reporting_round = find_round(options["round"])
        unit = None
        if options["unit"]:
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None or not reporting_round.submissions.filter(unit=unit).exists():
                raise CommandError(
                    f"{options['unit']!r} does not report in {reporting_round}: "
                    "see the round's units with wpstrack export-template --round ... (no --unit)"
                )
        out = Path(options["out"])
        if out.suffix.lower() == ".xlsx":
            content = services.template_xlsx(
                reporting_round, unit, by=f"command export-template ({getpass.getuser()})"
            )
        elif out.suffix.lower() == ".csv":
            kind = "actions" if options["actions"] else "values"
            content = services.template_csv(reporting_round, unit, kind)
        else:
            raise CommandError(f"--out {out}: name the file .xlsx or .csv")
        try:
            out.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from None
        self.stdout.write(
            f"{out}: template for {unit.code if unit else 'all units'} of {reporting_round}"
        )
