from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.accounts.unitfile import load_unit_file


class Command(BaseCommand):
    help = "Validate and load an organisation file (default: plans/organisation.yaml). Nothing loads if any line is wrong."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"] or settings.PLANS_DIR / "organisation.yaml"
        if not path.exists():
            raise CommandError(f"{path}: no such file (give the path to an organisation YAML file)")
        report, changed = load_unit_file(path, actor=None)
        if not report.valid:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{path.name}: {len(report.problems)} problem(s); nothing was loaded"
            )
        self.stdout.write(f"{path.name}: {len(report.units)} units, {changed} created or changed")
