"""Sign-in, sign-out and passwords: Django's views, with our templates, audit and lockout page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wpstrack.accounts import services
from wpstrack.lib.pages import error_page


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for email addresses."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = gettext_lazy("Email address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email"})
        self.error_messages["invalid_login"] = gettext_lazy(
            "The email address or password is not right. Both are case-sensitive for the password; "
            "use 'Forgot your password?' if you cannot remember it."
        )


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            services.record_password_change(user=form.user, how="changed")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            services.record_password_change(user=form.user, how="reset")
        return response


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """What django-axes answers once an account and address have failed too often."""
    return error_page(
        request,
        429,
        "too-many-login-failures",
        _("Sign-in locked for now"),
        _(
            "Too many failed sign-ins for this account from your address. Wait a while and try "
            "again, or use 'Forgot your password?' to set a new password."
        ),
    )
