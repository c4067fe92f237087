from django.contrib import admin

from wpstrack.accounts.models import Membership, OrgUnit, UnitKind, User
from wpstrack.admin_site import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("email", "full_name", "is_active", "is_superuser", "last_login")
    search_fields = ("email", "full_name")
    exclude = ("password",)


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "short_name", "name", "kind", "parent", "is_active")
    search_fields = ("code", "name", "short_name")
    list_filter = ("kind", "is_active")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "unit", "role", "created_at")
    list_filter = ("role",)


admin.site.register(UnitKind, ReadOnlyAdmin)
