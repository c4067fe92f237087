from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wpstrack.accounts.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo organisation, one account per role and years of generated reporting "
        "history (labelled as demo data on every page), then print the logins. Safe to repeat."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Leave out the generated history (past rounds with their reports).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = load_demo(history=not options["no_history"])
        except ValueError as error:
            raise CommandError(f"The bundled data files are not valid:\n{error}") from None
        if loaded.history is not None and loaded.history.rounds:
            self.stdout.write(f"Demo history (generated, not reported): {loaded.history}")
        elif loaded.history is not None:
            self.stdout.write("Demo history: already there, nothing added.")
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded. Sign in at http://127.0.0.1:8000/login with:")
        )
        everyone = loaded.people + loaded.history_people
        width = max(len(person.email) for person, _ in everyone)
        for person, roles in loaded.people:
            self.stdout.write(f"  {person.email:<{width}}  {DEMO_PASSWORD}  {roles}")
        self.stdout.write("The people who reported and reviewed the history (same password):")
        for person, roles in loaded.history_people:
            self.stdout.write(f"  {person.email:<{width}}  {roles}")
