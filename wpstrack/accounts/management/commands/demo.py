from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wpstrack.accounts.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo organisation and one account per role, then print the logins. Safe to repeat."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = load_demo()
        except ValueError as error:
            raise CommandError(f"The bundled data files are not valid:\n{error}") from None
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded. Sign in at http://127.0.0.1:8000/login with:")
        )
        width = max(len(person.email) for person, _ in loaded)
        for person, roles in loaded:
            self.stdout.write(f"  {person.email:<{width}}  {DEMO_PASSWORD}  {roles}")
