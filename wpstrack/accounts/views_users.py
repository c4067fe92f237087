"""User management for administrators: invite, give and remove roles, deactivate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wpstrack.accounts import access, services
from wpstrack.accounts.forms import DeactivateForm, InviteForm, MembershipForm
from wpstrack.accounts.models import Role, User
from wpstrack.accounts.serializers import membership, person
from wpstrack.lib.errors import ServiceError
from wpstrack.lib.pages import error_page, invalid_form, refused_form, render_page, wants_json


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _refused(request: HttpRequest, error: ServiceError, back: str) -> HttpResponse:
    if wants_json(request):
        return error_page(
            request, error.status, error.code, _("Not done"), error.message, [error.as_dict()]
        )
    messages.error(request, error.message)
    return redirect(back)


@require_safe
def user_list(request: HttpRequest) -> HttpResponse:
    users = access.get_users_for_user(request.user).prefetch_related("memberships__unit")
    data = {
        "users": [
            {**person(u), "memberships": [membership(m) for m in u.memberships.all()]}
            for u in users
        ]
    }
    return render_page(request, "accounts/user_list.html", data)


def _user_data(request: HttpRequest, target: User) -> dict[str, Any]:
    return {
        "person": person(target),
        "memberships": [
            {**membership(m), "can_remove": access.can_manage_members(request.user, m.unit)}
            for m in target.memberships.select_related("unit")
        ],
        "can_deactivate": access.can_deactivate(request.user, target),
    }


@require_safe
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    target = access.get_managed_user_for_user(request.user, user_id)
    units = access.administered_units(request.user)
    context = {"membership_form": MembershipForm(units=units), "deactivate_form": DeactivateForm()}
    return render_page(request, "accounts/user_detail.html", _user_data(request, target), context)


@require_http_methods(["GET", "HEAD", "POST"])
def user_invite(request: HttpRequest) -> HttpResponse:
    if not access.can_manage_users(request.user):
        raise PermissionDenied
    units = access.administered_units(request.user)
    data = {
        "units": [u.code for u in units.filter(is_active=True)],
        "roles": [{"value": r.value, "name": str(r.label)} for r in Role],
    }
    form = InviteForm(request.POST or None, units=units)
    if request.method != "POST":
        return render_page(request, "accounts/user_invite.html", data, {"form": form})
    if not form.is_valid():
        return invalid_form(request, "accounts/user_invite.html", data, form)
    try:
        created = services.invite_user(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            unit=form.cleaned_data["unit"],
            role=form.cleaned_data["role"],
            actor=request.user,  # type: ignore[arg-type]
            site_url=_site_url(request),
        )
    except ServiceError as error:
        return refused_form(request, error, "accounts/user_invite.html", data, form)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": created.user.email})
    if wants_json(request):
        return render_page(
            request,
            "",
            {"membership": membership(created), "user": person(created.user)},
            status=201,
        )
    return redirect("user-detail", user_id=created.user.pk)


@require_POST
def membership_add(request: HttpRequest, user_id: int) -> HttpResponse:
    target = access.get_managed_user_for_user(request.user, user_id)
    units = access.administered_units(request.user)
    form = MembershipForm(request.POST, units=units)
    if not form.is_valid():
        context = {"membership_form": form, "deactivate_form": DeactivateForm()}
        return invalid_form(
            request, "accounts/user_detail.html", _user_data(request, target), form, context
        )
    try:
        services.add_membership(
            user=target,
            unit=form.cleaned_data["unit"],
            role=form.cleaned_data["role"],
            actor=request.user,  # type: ignore[arg-type]
        )
    except ServiceError as error:
        return _refused(request, error, f"/users/{target.pk}")
    messages.success(request, _("Role added."))
    return redirect("user-detail", user_id=target.pk)


@require_POST
def membership_remove(request: HttpRequest, user_id: int, membership_id: int) -> HttpResponse:
    target = access.get_managed_user_for_user(request.user, user_id)
    item = access.get_membership_for_user(request.user, target, membership_id)
    try:
        services.remove_membership(membership=item, actor=request.user)  # type: ignore[arg-type]
    except ServiceError as error:
        return _refused(request, error, f"/users/{target.pk}")
    messages.success(request, _("Role removed."))
    if access.get_users_for_user(request.user).filter(pk=target.pk).exists():
        return redirect("user-detail", user_id=target.pk)
    return redirect("user-list")


@require_POST
def user_set_active(request: HttpRequest, user_id: int, active: bool) -> HttpResponse:
    target = access.get_managed_user_for_user(request.user, user_id)
    form = DeactivateForm(request.POST)
    reason = form.data.get("reason", "") if active else None
    if reason is None:
        if not form.is_valid():
            return _refused(
                request,
                ServiceError("missing-reason", _("Give a reason for deactivating.")),
                f"/users/{target.pk}",
            )
        reason = form.cleaned_data["reason"]
    try:
        services.set_user_active(user=target, active=active, actor=request.user, reason=reason)  # type: ignore[arg-type]
    except ServiceError as error:
        return _refused(request, error, f"/users/{target.pk}")
    messages.success(request, _("Account reactivated.") if active else _("Account deactivated."))
    return redirect("user-detail", user_id=target.pk)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What the key is for"), max_length=100)


@require_http_methods(["GET", "HEAD", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """A person's own API keys: make one (shown once) or revoke one."""
    user = access.actor(request)
    data = {
        "keys": [
            {
                "id": t.pk,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in user.api_tokens.all()
        ]
    }
    form = ApiKeyForm(request.POST or None)
    if request.method != "POST":
        return render_page(request, "accounts/api_keys.html", data, {"form": form})
    if not form.is_valid():
        return invalid_form(request, "accounts/api_keys.html", data, form)
    token, key = services.create_api_token(user=user, name=form.cleaned_data["name"], actor=user)
    created = {"id": token.pk, "name": token.name, "key": key}
    data["keys"].insert(
        0,
        {
            "id": token.pk,
            "name": token.name,
            "prefix": token.prefix,
            "created_at": token.created_at.isoformat(),
            "last_used_at": None,
            "revoked": False,
        },
    )
    return render_page(
        request,
        "accounts/api_keys.html",
        {**data, "created": created},
        {"form": ApiKeyForm()},
        status=201,
    )


@require_POST
def api_key_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = access.actor(request)
    token = user.api_tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404(str(token_id))
    services.revoke_api_token(token=token, actor=user)
    messages.success(request, _("Key %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("api-keys")
