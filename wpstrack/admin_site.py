"""Django's admin, for administrators only, and read-only.

Writes go through services so each one is audited; the admin is a window on the data, not a
second way to change it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


def _allowed(request: HttpRequest) -> bool:
    # Imported here: this module is loaded with the app registry, before models exist.
    from wpstrack.accounts import access

    return access.can_use_admin_site(request.user)


class WpstrackAdminSite(admin.AdminSite):
    site_header = "wpstrack"
    site_title = "wpstrack admin"

    def has_permission(self, request: HttpRequest) -> bool:
        return _allowed(request)


class WpstrackAdminConfig(AdminConfig):
    default_site = "wpstrack.admin_site.WpstrackAdminSite"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _allowed(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _allowed(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
