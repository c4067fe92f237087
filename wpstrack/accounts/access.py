"""Who may see and do what. The only place that decides access.

A membership gives a role on a unit and on every unit below it. Views and services ask
here: ``get_<thing>_for_user`` returns the object or raises ``Http404`` (no such thing) or
``PermissionDenied`` (it exists but is not theirs to see); ``can_*`` answer yes/no.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from wpstrack.accounts.models import Membership, OrgUnit, Role, User

_CACHE_ATTR = "_wpstrack_memberships"


def memberships(user: Any) -> list[Membership]:
    """The active user's memberships, read once per request object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("unit", "unit__kind"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user: Any) -> None:
    """Drop the cached memberships after they change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_system_administrator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def roles_on(user: Any, unit: OrgUnit) -> set[str]:
    """Roles the user holds on ``unit`` directly or through a unit above it."""
    return {m.role for m in memberships(user) if unit.path.startswith(m.unit.path)}


def _subtrees(units: list[OrgUnit]) -> Q:
    if not units:
        return Q(pk__in=[])
    return reduce(or_, (Q(path__startswith=unit.path) for unit in units))


def get_units_for_user(user: Any) -> QuerySet[OrgUnit]:
    """Every unit the user may see: those of their memberships and all below them."""
    if is_system_administrator(user):
        return OrgUnit.objects.all()
    return OrgUnit.objects.filter(_subtrees([m.unit for m in memberships(user)]))


def administered_units(user: Any) -> QuerySet[OrgUnit]:
    """Units where the user may manage people: below an administrator membership."""
    if is_system_administrator(user):
        return OrgUnit.objects.all()
    units = [m.unit for m in memberships(user) if m.role == Role.ADMINISTRATOR]
    return OrgUnit.objects.filter(_subtrees(units))


def can_view_unit(user: Any, unit: OrgUnit) -> bool:
    return is_system_administrator(user) or bool(roles_on(user, unit))


def can_manage_members(user: Any, unit: OrgUnit) -> bool:
    return is_system_administrator(user) or Role.ADMINISTRATOR in roles_on(user, unit)


def can_manage_users(user: Any) -> bool:
    """Whether the user administers any unit at all (and so sees user management)."""
    return is_system_administrator(user) or any(
        m.role == Role.ADMINISTRATOR for m in memberships(user)
    )


def can_use_admin_site(user: Any) -> bool:
    """Django's admin (read-only here) is for administrators only."""
    return can_manage_users(user)


def get_unit_for_user(user: Any, code: str) -> OrgUnit:
    unit = OrgUnit.objects.select_related("kind", "parent").filter(code=code).first()
    if unit is None:
        raise Http404(code)
    if not can_view_unit(user, unit):
        raise PermissionDenied
    return unit


def get_members_for_user(user: Any, unit: OrgUnit) -> QuerySet[Membership]:
    """Memberships held directly on ``unit``; the caller has already been allowed to see it."""
    if not can_view_unit(user, unit):
        raise PermissionDenied
    return unit.memberships.select_related("user").filter(user__is_active=True)


def get_users_for_user(user: Any) -> QuerySet[User]:
    """People an administrator manages: those with a membership in the units they administer."""
    if is_system_administrator(user):
        return User.objects.all()
    if not can_manage_users(user):
        raise PermissionDenied
    return User.objects.filter(memberships__unit__in=administered_units(user)).distinct()


def get_managed_user_for_user(user: Any, user_id: int) -> User:
    target = User.objects.filter(pk=user_id).first()
    if target is None:
        raise Http404(str(user_id))
    if not get_users_for_user(user).filter(pk=target.pk).exists():
        raise PermissionDenied
    return target


def get_membership_for_user(user: Any, target: User, membership_id: int) -> Membership:
    membership = target.memberships.select_related("unit").filter(pk=membership_id).first()
    if membership is None:
        raise Http404(str(membership_id))
    if not can_manage_members(user, membership.unit):
        raise PermissionDenied
    return membership


def can_deactivate(user: Any, target: User) -> bool:
    """Only someone who administers every unit the person belongs to may switch them off."""
    if target.pk == getattr(user, "pk", None):
        return False
    if is_system_administrator(user):
        return True
    if target.is_superuser:
        return False
    target_units = [m.unit for m in target.memberships.select_related("unit")]
    return bool(target_units) and all(can_manage_members(user, unit) for unit in target_units)


def can_see_plans(user: Any) -> bool:
    """Plans are the published documents: anyone with a role somewhere may read them."""
    return is_system_administrator(user) or bool(memberships(user))


def get_plans_for_user(user: Any) -> Any:
    from wpstrack.frameworks.models import Plan

    if not can_see_plans(user):
        return Plan.objects.none()
    return Plan.objects.select_related("owner_unit", "current_version")


def get_plan_for_user(user: Any, slug: str) -> Any:
    from wpstrack.frameworks.models import Plan

    plan = Plan.objects.select_related("owner_unit", "current_version").filter(slug=slug).first()
    if plan is None:
        raise Http404(slug)
    if not can_see_plans(user):
        raise PermissionDenied
    return plan


def get_element_for_user(user: Any, plan: Any, code: str) -> Any:
    element = plan.elements.select_related("level", "parent").filter(code=code).first()
    if element is None:
        raise Http404(code)
    if not can_see_plans(user):
        raise PermissionDenied
    return element


def can_edit_plan(user: Any, plan: Any) -> bool:
    """Plan coordinators of the plan's owner unit, or of a unit above it. Administrators manage
    people, not plans: they do not see units' drafts by that role."""
    if is_system_administrator(user):
        return True
    return Role.COORDINATOR in roles_on(user, plan.owner_unit)


def can_manage_tag_sets(user: Any) -> bool:
    return is_system_administrator(user) or any(
        m.role in (Role.COORDINATOR, Role.ADMINISTRATOR) for m in memberships(user)
    )


# -- reporting --------------------------------------------------------------------------------
def get_rounds_for_user(user: Any) -> Any:
    from wpstrack.reporting.models import ReportingRound

    if not can_see_plans(user):
        return ReportingRound.objects.none()
    return ReportingRound.objects.select_related("plan", "plan_version")


def get_round_for_user(user: Any, round_id: int) -> Any:
    from wpstrack.reporting.models import ReportingRound

    reporting_round = (
        ReportingRound.objects.select_related("plan", "plan__owner_unit")
        .filter(pk=round_id)
        .first()
    )
    if reporting_round is None:
        raise Http404(str(round_id))
    if not can_see_plans(user):
        raise PermissionDenied
    return reporting_round


def can_view_submission(user: Any, submission: Any) -> bool:
    """Coordinators see every submission of their plans; the unit's focal points (on the unit or
    above) see its drafts; a reviewer sees it once it has reached their level of the approval
    chain (from the start if the plan lets higher levels see unapproved data); viewers see
    approved submissions only."""
    if can_edit_plan(user, submission.reporting_round.plan):
        return True
    roles = roles_on(user, submission.unit)
    if Role.FOCAL_POINT in roles:
        return True
    if Role.REVIEWER in roles and _reviewer_reached(user, submission):
        return True
    return Role.VIEWER in roles and submission.state == "approved"


def _reviewer_reached(user: Any, submission: Any) -> bool:
    from wpstrack.reporting.approval import reviewer_steps, steps_for

    if (
        submission.reporting_round.plan.higher_levels_see_unapproved
        or submission.state == "approved"
    ):
        return True
    mine = reviewer_steps(user, steps_for(submission))
    return bool(mine) and submission.furthest_step >= min(mine)


def can_edit_submission(user: Any, submission: Any) -> bool:
    """Focal points of the unit (or above), while the submission is a draft or returned and the
    round is open."""
    return (
        submission.reporting_round.state == "open"
        and submission.state in ("draft", "returned")
        and Role.FOCAL_POINT in roles_on(user, submission.unit)
    )


def can_review_submission(user: Any, submission: Any) -> bool:
    """Whoever the current step of the approval chain names, while the round is open: that
    level's reviewers (or, at any step, the plan's coordinators). Nobody decides their own
    submission, and nobody approves two levels of the same one."""
    from wpstrack.reporting.approval import current_step, reviewer_steps, steps_for

    step = current_step(submission)
    if step is None or submission.reporting_round.state != "open":
        return False
    if submission.submitted_by_id == getattr(user, "pk", None):
        return False
    if submission.approvals.filter(current=True, approver_id=user.pk).exists():
        return False
    if can_edit_plan(user, submission.reporting_round.plan):
        return True
    return submission.approval_step in reviewer_steps(user, steps_for(submission))


def can_manage_round(user: Any, reporting_round: Any) -> bool:
    return can_edit_plan(user, reporting_round.plan)


def can_import_submission(user: Any, submission: Any) -> bool:
    """Who may fill a draft from a spreadsheet: its focal points, and the plan's coordinators
    (who collect figures from offices that cannot reach the system and upload them for them).
    ``user`` None is the operator at the server's command line."""
    open_draft = submission.reporting_round.state == "open" and submission.state in (
        "draft",
        "returned",
    )
    if user is None:
        return open_draft
    return can_edit_submission(user, submission) or (
        open_draft and can_manage_round(user, submission.reporting_round)
    )


def get_submission_for_user(user: Any, reporting_round: Any, unit_code: str) -> Any:
    submission = (
        reporting_round.submissions.select_related("unit", "reporting_round__plan__owner_unit")
        .filter(unit__code=unit_code)
        .first()
    )
    if submission is None:
        raise Http404(unit_code)
    if not can_view_submission(user, submission):
        raise PermissionDenied
    return submission


def get_submissions_for_user(user: Any, reporting_round: Any) -> list[Any]:
    """The round's submissions this user may see, each checked by ``can_view_submission``."""
    submissions = reporting_round.submissions.select_related(
        "unit", "reporting_round__plan__owner_unit"
    )
    return [s for s in submissions if can_view_submission(user, s)]


def focal_point_units(user: Any) -> QuerySet[OrgUnit]:
    units = [m.unit for m in memberships(user) if m.role == Role.FOCAL_POINT]
    return OrgUnit.objects.filter(_subtrees(units))


def actor(request: Any) -> User:
    """The signed-in person making a request. Every view runs behind the sign-in middleware,
    so the user is never anonymous here."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    return user
