"""Every write to units, people and memberships. Each function is one transaction with its audit rows."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from wpstrack.accounts import access
from wpstrack.accounts.models import ApiToken, Membership, OrgUnit, Role, UnitKind, User
from wpstrack.audit.services import diff, record_event
from wpstrack.lib.errors import Conflict, NotAllowed, ServiceError

UNIT_FIELDS = ("code", "name", "short_name", "kind", "parent", "is_active")


def _unit_snapshot(unit: OrgUnit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind.key,
        "parent": unit.parent.code if unit.parent else None,
        "is_active": unit.is_active,
    }


def _place(unit: OrgUnit) -> None:
    """Set ``path`` and ``depth`` from the parent; needs the unit's id, so runs after insert."""
    parent_path = unit.parent.path if unit.parent else "/"
    unit.path = f"{parent_path}{unit.pk}/"
    unit.depth = unit.parent.depth + 1 if unit.parent else 0


def _check_unit_fields(code: str, name: str, short_name: str) -> None:
    from wpstrack.accounts.models import unit_code_validator

    try:
        unit_code_validator(code)
    except Exception:
        raise ServiceError(
            "bad-unit-code",
            _("Unit code %(code)r: use 1-40 letters, digits, hyphens or underscores.")
            % {"code": code},
            field="code",
        ) from None
    if not name.strip():
        raise ServiceError("missing-name", _("A unit needs a name."), field="name")
    if not short_name.strip() or len(short_name) > 60:
        raise ServiceError(
            "bad-short-name",
            _("A unit needs a short name of at most 60 characters."),
            field="short_name",
        )


@transaction.atomic
def ensure_unit_kind(*, key: str, name: str, actor: User | None) -> UnitKind:
    """Create the kind if missing, rename it if its name changed; audited either way."""
    kind = UnitKind.objects.filter(key=key).first()
    if kind is None:
        kind = UnitKind.objects.create(key=key, name=name)
        record_event(
            actor=actor, action="unit_kind.create", obj=kind, changes={"name": [None, name]}
        )
    elif kind.name != name:
        record_event(
            actor=actor, action="unit_kind.update", obj=kind, changes={"name": [kind.name, name]}
        )
        kind.name = name
        kind.save(update_fields=["name"])
    return kind


@transaction.atomic
def save_unit(
    *,
    code: str,
    name: str,
    short_name: str,
    kind: UnitKind,
    parent: OrgUnit | None,
    is_active: bool = True,
    actor: User | None,
) -> tuple[OrgUnit, bool]:
    """Create the unit with this code, or bring an existing one in line. Returns (unit, changed).

    Moving a unit under one of its own descendants is refused: the tree must stay a tree.
    """
    _check_unit_fields(code, name, short_name)
    unit = OrgUnit.objects.select_for_update().filter(code=code).first()
    if unit is None:
        unit = OrgUnit.objects.create(
            code=code,
            name=name,
            short_name=short_name,
            kind=kind,
            parent=parent,
            is_active=is_active,
        )
        _place(unit)
        unit.save(update_fields=["path", "depth"])
        record_event(
            actor=actor,
            action="unit.create",
            obj=unit,
            unit=unit,
            changes=diff({}, _unit_snapshot(unit)),
        )
        return unit, True
    if parent is not None and parent.path.startswith(unit.path):
        raise ServiceError(
            "unit-cycle",
            _("Unit %(code)s cannot be placed under %(parent)s, which is below it.")
            % {"code": code, "parent": parent.code},
            field="parent",
        )
    before = _unit_snapshot(unit)
    unit.name, unit.short_name, unit.kind, unit.is_active = name, short_name, kind, is_active
    moved = unit.parent_id != (parent.pk if parent else None)
    unit.parent = parent
    changes = diff(before, _unit_snapshot(unit))
    if not changes:
        return unit, False
    unit.save()
    if moved:
        _move_subtree(unit)
    record_event(actor=actor, action="unit.update", obj=unit, unit=unit, changes=changes)
    return unit, True


def _move_subtree(unit: OrgUnit) -> None:
    old_path = unit.path
    _place(unit)
    unit.save(update_fields=["path", "depth"])
    for below in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
        below.path = unit.path + below.path[len(old_path) :]
        below.depth = below.path.strip("/").count("/")
        below.save(update_fields=["path", "depth"])


def _invitation_link(user: User, site_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url.rstrip("/") + reverse("password_reset_confirm", args=[uid, token])


def _send_invitation(user: User, membership: Membership, inviter: User, site_url: str) -> None:
    context = {
        "user": user,
        "membership": membership,
        "inviter": inviter,
        "link": _invitation_link(user, site_url),
        "site_url": site_url,
    }
    subject = _("You have been invited to wpstrack")
    body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


@transaction.atomic
def invite_user(
    *, email: str, full_name: str, unit: OrgUnit, role: str, actor: User, site_url: str
) -> Membership:
    """Give a person a role on a unit, creating their account if needed, and email them.

    A new account has no usable password: the email carries a link to set one.
    """
    if not access.can_manage_members(actor, unit):
        raise NotAllowed(
            "not-unit-administrator", _("You do not administer %(unit)s.") % {"unit": unit}
        )
    if role not in Role.values:
        raise ServiceError(
            "unknown-role", _("Unknown role %(role)r.") % {"role": role}, field="role"
        )
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        if not full_name.strip():
            raise ServiceError(
                "missing-full-name", _("Give the new user's full name."), field="full_name"
            )
        user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
        record_event(
            actor=actor,
            action="user.create",
            obj=user,
            unit=unit,
            changes={"email": [None, user.email], "full_name": [None, user.full_name]},
        )
    membership = _add_membership(user=user, unit=unit, role=role, actor=actor)
    transaction.on_commit(lambda: _send_invitation(user, membership, actor, site_url))
    return membership


def _add_membership(*, user: User, unit: OrgUnit, role: str, actor: User) -> Membership:
    existing = Membership.objects.filter(user=user, unit=unit).first()
    if existing is not None:
        raise Conflict(
            "already-member",
            _("%(email)s already has the role %(role)s on %(unit)s; remove it first to change it.")
            % {"email": user.email, "role": existing.get_role_display(), "unit": unit},
            field="unit",
        )
    return _create_membership(user=user, unit=unit, role=role, actor=actor)


def _create_membership(
    *, user: User, unit: OrgUnit, role: str, actor: User | None, actor_label: str | None = None
) -> Membership:
    membership = Membership.objects.create(user=user, unit=unit, role=role)
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="membership.create",
        obj=membership,
        unit=unit,
        changes={"user": [None, user.email], "unit": [None, unit.code], "role": [None, role]},
    )
    access.forget_memberships(user)
    return membership


@transaction.atomic
def add_membership(*, user: User, unit: OrgUnit, role: str, actor: User) -> Membership:
    """Give an existing person one more role on a unit."""
    if not access.can_manage_members(actor, unit):
        raise NotAllowed(
            "not-unit-administrator", _("You do not administer %(unit)s.") % {"unit": unit}
        )
    if role not in Role.values:
        raise ServiceError(
            "unknown-role", _("Unknown role %(role)r.") % {"role": role}, field="role"
        )
    return _add_membership(user=user, unit=unit, role=role, actor=actor)


@transaction.atomic
def remove_membership(*, membership: Membership, actor: User) -> None:
    if not access.can_manage_members(actor, membership.unit):
        raise NotAllowed(
            "not-unit-administrator",
            _("You do not administer %(unit)s.") % {"unit": membership.unit},
        )
    if membership.user_id == actor.pk and membership.role == Role.ADMINISTRATOR:
        raise Conflict(
            "cannot-remove-own-administrator",
            _("You cannot remove your own administrator role; ask another administrator."),
        )
    record_event(
        actor=actor,
        action="membership.delete",
        obj=membership,
        unit=membership.unit,
        changes={
            "user": [membership.user.email, None],
            "unit": [membership.unit.code, None],
            "role": [membership.role, None],
        },
    )
    membership.delete()
    access.forget_memberships(membership.user)


@transaction.atomic
def set_user_active(*, user: User, active: bool, actor: User, reason: str = "") -> User:
    """Deactivate (or reactivate) an account; memberships are kept for the record."""
    if user.pk == actor.pk:
        raise Conflict("cannot-deactivate-self", _("You cannot deactivate your own account."))
    if not access.can_deactivate(actor, user):
        raise NotAllowed(
            "not-administrator-of-all-units",
            _(
                "Only an administrator of every unit this person belongs to can change their account."
            ),
        )
    if user.is_active == active:
        return user
    record_event(
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        obj=user,
        changes={"is_active": [user.is_active, active]},
        reason=reason,
    )
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def record_password_change(*, user: User, how: str) -> None:
    """Passwords are changed by Django's forms; we keep the fact (never the value) in the log."""
    record_event(
        actor=user, action=f"user.password_{how}", obj=user, changes={"password": ["***", "***"]}
    )


@transaction.atomic
def ensure_account(
    *,
    email: str,
    full_name: str,
    password: str | None,
    actor: User | None,
    actor_label: str | None = None,
) -> tuple[User, bool]:
    """The account with this email, created if missing (for commands such as ``demo``)."""
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(email=email, password=password, full_name=full_name)
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="user.create",
        obj=user,
        changes={"email": [None, user.email], "full_name": [None, full_name]},
    )
    return user, True


@transaction.atomic
def ensure_membership(
    *, user: User, unit: OrgUnit, role: str, actor: User | None, actor_label: str | None = None
) -> Membership:
    """Make ``role`` the user's role on ``unit`` whatever it was; audited when anything changes."""
    existing = Membership.objects.filter(user=user, unit=unit).first()
    if existing is not None and existing.role == role:
        return existing
    if existing is not None:
        record_event(
            actor=actor,
            actor_label=actor_label,
            action="membership.update",
            obj=existing,
            unit=unit,
            changes={"role": [existing.role, role]},
        )
        existing.role = role
        existing.save(update_fields=["role"])
        return existing
    return _create_membership(user=user, unit=unit, role=role, actor=actor, actor_label=actor_label)


TOKEN_PREFIX = "wpst_"


@transaction.atomic
def create_api_token(
    *, user: User, name: str, actor: User | None, actor_label: str | None = None
) -> tuple[ApiToken, str]:
    """A new API key for ``user``; returns the token row and the key, which is never stored."""
    if actor is not None and actor.pk != user.pk:
        raise NotAllowed("not-your-account", _("You can only create API keys for yourself."))
    if not name.strip():
        raise ServiceError(
            "missing-name", _("Name the key after the script that will use it."), field="name"
        )
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=key[:12],
        key_sha256=hashlib.sha256(key.encode()).hexdigest(),
    )
    record_event(
        actor=actor,
        actor_label=actor_label,
        action="api_token.create",
        obj=token,
        changes={"name": [None, token.name], "prefix": [None, token.prefix]},
    )
    return token, key


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor: User) -> ApiToken:
    if token.user_id != actor.pk and not access.is_system_administrator(actor):
        raise NotAllowed("not-your-token", _("You can only revoke your own API keys."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            actor=actor, action="api_token.revoke", obj=token, changes={"revoked": [False, True]}
        )
    return token


def user_for_api_key(key: str) -> User | None:
    """The active user a (non-revoked) key belongs to; marks when it was last used."""
    if not key.startswith(TOKEN_PREFIX) or len(key) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_sha256=hashlib.sha256(key.encode()).hexdigest(), revoked_at=None)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
