"""The background task that builds a report (Django's tasks framework, django-tasks backport)."""

from django_tasks import task

from wpstrack.reports import services


@task()
def build_report(build_id: int) -> None:
    services.run_build(build_id)
