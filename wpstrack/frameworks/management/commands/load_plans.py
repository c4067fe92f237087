import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.accounts.models import User
from wpstrack.frameworks.loading import bundled_plan_files, load_plan_files


class Command(BaseCommand):
    help = (
        "Validate and load plan files (default: every plan in plans/). Nothing is loaded if any "
        "file has a problem; loading an unchanged file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument(
            "--as", dest="as_email", help="record the load as done by this user (email)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = options["files"] or bundled_plan_files()
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file (give paths to plan YAML files)")
        actor = None
        if options["as_email"]:
            actor = User.objects.filter(email__iexact=options["as_email"]).first()
            if actor is None:
                raise CommandError(f"--as {options['as_email']}: no such user")
        label = actor.email if actor else f"command load-plans ({getpass.getuser()})"
        result = load_plan_files(paths, actor=actor, actor_label=label)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(result.problems)} problem(s); nothing was loaded")
        for slug, version, changes in result.loaded:
            if version is None:
                self.stdout.write(f"{slug}: unchanged")
            else:
                self.stdout.write(f"{slug}: version {version}, {len(changes)} change(s)")
                for change in changes[:50]:
                    self.stdout.write(f"  {change}")
