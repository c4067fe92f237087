"""Registers the routers on the one API instance (imported once, from wpstrack/urls.py)."""

from wpstrack.api import plans, reports, rosters, rounds, workbooks
from wpstrack.api.base import api

api.add_router("", plans.router)
api.add_router("", rounds.router)
api.add_router("", workbooks.router)
api.add_router("", reports.router)
api.add_router("", rosters.router)
