"""Plans in the API: the list, and each plan as its export tree."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from wpstrack.accounts import access
from wpstrack.frameworks.export import plan_document
from wpstrack.frameworks.views import plan_summary

router = Router(tags=["plans"])


@router.get("/plans")
def list_plans(request: HttpRequest) -> dict[str, Any]:
    return {
        "ok": True,
        "plans": [plan_summary(p) for p in access.get_plans_for_user(access.actor(request))],
    }


@router.get("/plans/{slug}")
def get_plan(request: HttpRequest, slug: str) -> dict[str, Any]:
    plan = access.get_plan_for_user(access.actor(request), slug)
    return {"ok": True, "plan": plan_document(plan)}
