from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.frameworks.export import plan_document, to_json, to_yaml
from wpstrack.frameworks.export_xlsx import to_xlsx
from wpstrack.frameworks.models import Plan


class Command(BaseCommand):
    help = "Write a loaded plan back out as a plan file (yaml, which loads back unchanged), json, or xlsx."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--format", choices=["yaml", "json", "xlsx"], default="yaml")
        parser.add_argument("--out", type=Path, help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.filter(slug=options["slug"]).first()
        if plan is None:
            known = ", ".join(Plan.objects.values_list("slug", flat=True)) or "none loaded"
            raise CommandError(f"no plan {options['slug']!r} (known: {known})")
        document = plan_document(plan)
        if options["format"] == "xlsx":
            if not options["out"]:
                raise CommandError("--format xlsx needs --out FILE.xlsx")
            options["out"].write_bytes(to_xlsx(document))
            return
        text = to_yaml(document) if options["format"] == "yaml" else to_json(document)
        if options["out"]:
            options["out"].write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text)
