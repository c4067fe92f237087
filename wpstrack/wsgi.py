"""WSGI entry point: ``gunicorn wpstrack.wsgi``."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wpstrack.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, Altair's many classes for charts) lives as long as
# the process: moving it out of the collector's reach spares each full collection tens of
# milliseconds (measured by wpstrack bench-analysis as the scorecard's p95).
import wpstrack.analysis.charts  # noqa: E402,F401  (load the chart stack before freezing)

gc.freeze()
