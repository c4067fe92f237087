from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path, register_converter

from wpstrack.accounts import views, views_auth, views_users
from wpstrack.analysis import views as analysis_views
from wpstrack.api.urls import api
from wpstrack.frameworks import views as plan_views
from wpstrack.frameworks import views_edit as plan_edit_views
from wpstrack.lib.converters import (
    ChartKindConverter,
    ElementCodeConverter,
    IdConverter,
    PeriodConverter,
    SlugConverter,
    TableFormatConverter,
    UnitCodeConverter,
)
from wpstrack.lib.pages import twin
from wpstrack.reporting import views as round_views
from wpstrack.reports import views as report_views
from wpstrack.rosters import views as roster_views
from wpstrack.workbooks import views as workbook_views

register_converter(UnitCodeConverter, "unitcode")
register_converter(IdConverter, "id")
register_converter(ElementCodeConverter, "elementcode")
register_converter(SlugConverter, "planslug")
register_converter(TableFormatConverter, "tableformat")
register_converter(PeriodConverter, "period")
register_converter(ChartKindConverter, "chartkind")

handler400 = "wpstrack.lib.errorviews.bad_request"
handler403 = "wpstrack.lib.errorviews.permission_denied"
handler404 = "wpstrack.lib.errorviews.page_not_found"
handler500 = "wpstrack.lib.errorviews.server_error"

auth_patterns = [
    path("login", views_auth.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change", views_auth.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "password/reset",
        login_not_required(
            auth_views.PasswordResetView.as_view(
                template_name="accounts/password_reset.html",
                email_template_name="accounts/email/password_reset.txt",
                subject_template_name="accounts/email/password_reset_subject.txt",
            )
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent",
        login_not_required(
            auth_views.PasswordResetDoneView.as_view(
                template_name="accounts/password_reset_done.html"
            )
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>",
        login_not_required(views_auth.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete",
        login_not_required(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="accounts/password_reset_complete.html"
            )
        ),
        name="password_reset_complete",
    ),
]

page_patterns = [
    *twin("", views.home, "home"),
    *twin("units", views.unit_list, "unit-list"),
    *twin("units/<unitcode:code>", views.unit_detail, "unit-detail"),
    *twin("account/api-keys", views_users.api_keys, "api-keys"),
    path(
        "account/api-keys/<id:token_id>/revoke", views_users.api_key_revoke, name="api-key-revoke"
    ),
    *twin("users", views_users.user_list, "user-list"),
    *twin("users/invite", views_users.user_invite, "user-invite"),
    *twin("users/<id:user_id>", views_users.user_detail, "user-detail"),
    *twin("plans", plan_views.plan_list, "plan-list"),
    *twin("plans/<planslug:slug>", plan_views.plan_detail, "plan-detail"),
    *twin(
        "plans/<planslug:slug>/elements/<elementcode:code>",
        plan_views.element_detail,
        "element-detail",
    ),
    *twin("plans/<planslug:slug>/scorecard", analysis_views.plan_scorecard, "plan-scorecard"),
    *twin(
        "plans/<planslug:slug>/metrics/<elementcode:code>",
        analysis_views.metric_detail,
        "metric-detail",
    ),
    path(
        "plans/<planslug:slug>/metrics/<elementcode:code>/<chartkind:kind>.svg",
        analysis_views.metric_chart,
        name="metric-chart",
    ),
    *twin(
        "plans/<planslug:slug>/metrics/<elementcode:code>/figures/<period:period>",
        analysis_views.figure_provenance,
        "figure-provenance",
    ),
    *twin("plans/<planslug:slug>/reports", report_views.report_list, "plan-reports"),
    *twin("plans/<planslug:slug>/rosters", roster_views.roster_home, "roster-home"),
    path(
        "plans/<planslug:slug>/rosters/mappings/import",
        roster_views.roster_mapping_import,
        name="roster-mapping-import",
    ),
    *twin(
        "plans/<planslug:slug>/rosters/mappings/<slug:mapping_slug>",
        roster_views.roster_mapping,
        "roster-mapping",
    ),
    path(
        "plans/<planslug:slug>/rosters/mappings/<slug:mapping_slug>/mapping.yaml",
        roster_views.roster_mapping_export,
        name="roster-mapping-export",
    ),
    path(
        "plans/<planslug:slug>/rosters/mappings/<slug:mapping_slug>/delete",
        roster_views.roster_mapping_delete,
        name="roster-mapping-delete",
    ),
    *twin(
        "plans/<planslug:slug>/rosters/files/<uuid:upload_id>",
        roster_views.roster_upload,
        "roster-upload",
    ),
    path(
        "plans/<planslug:slug>/rosters/files/<uuid:upload_id>/delete",
        roster_views.roster_upload_discard,
        name="roster-upload-discard",
    ),
    *twin("plans/<planslug:slug>/rosters/runs/<id:run_id>", roster_views.roster_run, "roster-run"),
    path(
        "plans/<planslug:slug>/rosters/sample-<slug:kind>.csv",
        roster_views.roster_sample,
        name="roster-sample",
    ),
    *twin(
        "plans/<planslug:slug>/reports/narrative",
        report_views.report_narrative,
        "report-narrative",
    ),
    *twin(
        "plans/<planslug:slug>/reports/templates",
        report_views.report_templates,
        "report-templates",
    ),
    path(
        "plans/<planslug:slug>/reports/templates/remove",
        report_views.report_template_remove,
        name="report-template-remove",
    ),
    path(
        "plans/<planslug:slug>/reports/templates/report.html",
        report_views.report_template_file,
        {"part": "html"},
        name="report-template-html",
    ),
    path(
        "plans/<planslug:slug>/reports/templates/reference.docx",
        report_views.report_template_file,
        {"part": "reference_docx"},
        name="report-template-docx",
    ),
    path(
        "plans/<planslug:slug>/reports/templates/default.html",
        report_views.report_template_file,
        {"part": "default"},
        name="report-template-default",
    ),
    *twin("plans/<planslug:slug>/reports/<id:build_id>", report_views.report_build, "report-build"),
    path(
        "plans/<planslug:slug>/reports/<id:build_id>/download",
        report_views.report_download,
        name="report-download",
    ),
    *twin("crosswalk", plan_views.crosswalk, "crosswalk"),
    *twin("tag-sets", plan_edit_views.tag_sets, "tag-sets"),
    *twin("disaggregations", plan_edit_views.disaggregation_sets, "disaggregations"),
    *twin("plans/<planslug:slug>/rules", plan_edit_views.plan_rules, "plan-rules"),
    *twin(
        "plans/<planslug:slug>/status-rules",
        plan_edit_views.plan_status_rules,
        "plan-status-rules",
    ),
    path(
        "plans/<planslug:slug>/rules/<elementcode:code>/remove",
        plan_edit_views.plan_rule_remove,
        name="plan-rule-remove",
    ),
    *twin(
        "plans/<planslug:slug>/elements/<elementcode:code>/edit",
        plan_edit_views.element_edit,
        "element-edit",
    ),
    *twin(
        "plans/<planslug:slug>/metrics/<elementcode:code>/edit",
        plan_edit_views.metric_edit,
        "metric-edit",
    ),
    path(
        "plans/<planslug:slug>/plan-file.yaml",
        plan_edit_views.plan_file,
        {"fmt": "yaml"},
        name="plan-file-yaml",
    ),
    path(
        "plans/<planslug:slug>/plan-file.json",
        plan_edit_views.plan_file,
        {"fmt": "json"},
        name="plan-file-json",
    ),
    path(
        "plans/<planslug:slug>/plan-file.xlsx",
        plan_edit_views.plan_file,
        {"fmt": "xlsx"},
        name="plan-file-xlsx",
    ),
    *twin("rounds", round_views.round_list, "round-list"),
    *twin("rounds/new", round_views.round_create, "round-create"),
    *twin("rounds/<id:round_id>", round_views.round_detail, "round-detail"),
    path("rounds/<id:round_id>/open", round_views.round_open, name="round-open"),
    path("rounds/<id:round_id>/close", round_views.round_close, name="round-close"),
    path("rounds/<id:round_id>/assignments", round_views.assignment_add, name="assignment-add"),
    path(
        "rounds/<id:round_id>/assignments/<id:assignment_id>/remove",
        round_views.assignment_remove,
        name="assignment-remove",
    ),
    *twin(
        "rounds/<id:round_id>/units/<unitcode:code>",
        round_views.submission_detail,
        "submission-detail",
    ),
    *twin(
        "rounds/<id:round_id>/units/<unitcode:code>/history",
        round_views.submission_history,
        "submission-history",
    ),
    path(
        "rounds/<id:round_id>/units/<unitcode:code>/approve",
        round_views.submission_approve,
        name="submission-approve",
    ),
    path(
        "rounds/<id:round_id>/units/<unitcode:code>/return",
        round_views.submission_return,
        name="submission-return",
    ),
    path(
        "rounds/<id:round_id>/units/<unitcode:code>/reopen",
        round_views.submission_reopen,
        name="submission-reopen",
    ),
    path(
        "rounds/<id:round_id>/units/<unitcode:code>/comments",
        round_views.submission_comment,
        name="submission-comment",
    ),
    path(
        "rounds/<id:round_id>/units/<unitcode:code>/template.<tableformat:fmt>",
        workbook_views.unit_template,
        name="unit-template",
    ),
    path(
        "rounds/<id:round_id>/template.<tableformat:fmt>",
        workbook_views.round_template,
        name="round-template",
    ),
    *twin(
        "rounds/<id:round_id>/units/<unitcode:code>/spreadsheet",
        workbook_views.unit_upload,
        "unit-upload",
    ),
    *twin("rounds/<id:round_id>/spreadsheet", workbook_views.round_upload, "round-upload"),
    path("marked/<str:token>", workbook_views.marked_copy, name="marked-copy"),
    path("users/<id:user_id>/roles", views_users.membership_add, name="membership-add"),
    path(
        "users/<id:user_id>/roles/<id:membership_id>/remove",
        views_users.membership_remove,
        name="membership-remove",
    ),
    path(
        "users/<id:user_id>/deactivate",
        views_users.user_set_active,
        {"active": False},
        name="user-deactivate",
    ),
    path(
        "users/<id:user_id>/reactivate",
        views_users.user_set_active,
        {"active": True},
        name="user-reactivate",
    ),
]

urlpatterns = [
    *auth_patterns,
    *page_patterns,
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
