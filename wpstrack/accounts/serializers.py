"""The JSON shapes of units, people and memberships, shared by pages and their twins."""

from __future__ import annotations

from typing import Any

from wpstrack.accounts.models import Membership, OrgUnit, User


def unit_summary(unit: OrgUnit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind.key,
        "kind_name": str(unit.kind.name),
        "parent": unit.parent.code if unit.parent_id and unit.parent else None,
        "depth": unit.depth,
        "active": unit.is_active,
    }


def person(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "active": user.is_active,
    }


def membership(item: Membership) -> dict[str, Any]:
    return {
        "id": item.pk,
        "unit": item.unit.code,
        "unit_name": item.unit.short_name,
        "role": item.role,
        "role_name": str(item.get_role_display()),
    }
