"""Running a roster into a round: the drafts each unit gets, refusals, audit, and what is kept."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from wpstrack.audit.models import AuditEvent
from wpstrack.frameworks.models import Plan
from wpstrack.frameworks.services import load_plan_document
from wpstrack.lib.errors import NotAllowed, ServiceError
from wpstrack.reporting import services as reporting
from wpstrack.reporting.models import Value
from wpstrack.rosters import running, services
from wpstrack.rosters.models import RosterRun, RosterUpload
from wpstrack.testing import (
    PersonasTestCase,
    make_sex_categories,
    plan_action,
    plan_document,
    plan_metric,
)

HEADER = "Employee ID,Org,Gender,EOD,Separation,Series\n"
ROWS = [
    "EMP-0001,CBP,F,2020-01-01,,1811",  # in the headcount at the end of Q3
    "EMP-0002,CBP,Male,2025-04-01,,1811",  # hired on the first day of the quarter
    "EMP-0003,CBP,female,2025-05-01,2025-06-15,1811",  # joined and left within the quarter
    "EMP-0004,ICE,M,2019-01-01,2025-06-30,1811",  # left on the last day: not there at the end
    "EMP-0005,DHS-ICE-ERO,F,2018-01-01,,1811",  # ERO lies under ICE
    "EMP-0006,CBP,W,2018-01-01,,0343",  # not a law-enforcement series: filtered out
]
MAPPING = {
    "wpstrack_roster_mapping": 1,
    "name": "NFC extract",
    "kind": "hr",
    "columns": {
        "person_id": "Employee ID",
        "unit": "Org",
        "sex": "Gender",
        "hire_date": "EOD",
        "separation_date": "Separation",
        "occupation": "Series",
    },
    "values": {
        "sex": {"Female": "women", "W": "women"},
        "unit": {"CBP": "DHS-CBP", "ICE": "DHS-ICE"},
    },
    "blank": {"sex": "other"},
    "date_formats": ["%Y-%m-%d"],
    "filters": [{"field": "occupation", "in": ["1811"]}],
    "rules": [
        {"metric": "1-M1", "measure": "share_women"},
        {"metric": "1-M2", "measure": "hires"},
        {"metric": "1-M3", "measure": "exits"},
    ],
}


def tiny_plan() -> Plan:
    document = plan_document(
        [
            plan_action(
                "1",
                ["DHS", "DHS-CBP", "DHS-ICE"],
                [
                    plan_metric("1-M1", "percentage", []),
                    plan_metric("1-M2", "count", ["sex"]),
                    plan_metric("1-M3", "count", []),
                ],
            )
        ]
    )
    load_plan_document(document, file_name="tiny.yaml", sha256="0" * 64, actor=None)
    return Plan.objects.get(slug="tiny")


class RoundCase(PersonasTestCase):
    """A tiny plan with an open FY2025 Q3 round, and roster files kept in a temporary folder."""

    plan: Plan

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        make_sex_categories()
        cls.plan = tiny_plan()

    def setUp(self) -> None:
        self.tmp = self.enterContext(_tmpdir())
        self.enterContext(override_settings(ROSTER_DIR=self.tmp))
        self.round = reporting.create_round(
            plan=self.plan, period="FY2025-Q3", due_date=dt.date(2025, 7, 31), actor=self.w.cora
        )
        reporting.open_round(reporting_round=self.round, actor=self.w.cora)


class RosterRunCase(RoundCase):
    """The round above and the mapping above."""

    def setUp(self) -> None:
        super().setUp()
        self.mapping = services.save_mapping(plan=self.plan, data=MAPPING, actor=self.w.cora)

    def upload(self, rows: list[str] = ROWS) -> RosterUpload:
        data = (HEADER + "\n".join(rows) + "\n").encode()
        return services.upload_roster(
            plan=self.plan, stream=data, file_name="extract.csv", actor=self.w.cora
        )

    def run_it(self, upload: RosterUpload, share: str = "0") -> RosterRun:
        # The file is deleted once the run's transaction commits.
        with self.captureOnCommitCallbacks(execute=True):
            return running.run_roster(
                upload=upload,
                mapping=self.mapping,
                reporting_round=self.round,
                accept_share=Decimal(share),
                actor=self.w.cora,
            )

    def value(self, unit: str, metric: str, combination: str = "") -> Value:
        return Value.objects.get(
            submission__reporting_round=self.round,
            submission__unit__code=unit,
            metric__code=metric,
            combination=combination,
        )


class RosterRunTests(RosterRunCase):
    def test_each_unit_gets_the_figures_of_its_own_subtree(self):
        run = self.run_it(self.upload())
        assert run.state == RosterRun.DONE, run.refusal
        cbp = self.value("DHS-CBP", "1-M1")
        assert (cbp.numerator, cbp.denominator) == (Decimal(1), Decimal(2))
        ice = self.value("DHS-ICE", "1-M1")  # ERO's woman; the man left on the last day
        assert (ice.numerator, ice.denominator) == (Decimal(1), Decimal(1))
        dhs = self.value("DHS", "1-M1")
        assert (dhs.numerator, dhs.denominator) == (Decimal(2), Decimal(3))

    def test_hires_by_sex_count_people_who_joined_and_left_in_the_quarter(self):
        self.run_it(self.upload())
        assert self.value("DHS-CBP", "1-M2", "sex=women").number == 1
        assert self.value("DHS-CBP", "1-M2", "sex=men").number == 1
        assert self.value("DHS-CBP", "1-M2", "sex=other").number == 0
        assert self.value("DHS-CBP", "1-M3").number == 1  # the one who left in June
        assert self.value("DHS-ICE", "1-M3").number == 1  # left on the quarter's last day

    def test_drafts_are_filled_but_never_submitted(self):
        self.run_it(self.upload())
        states = set(self.round.submissions.values_list("state", flat=True))
        assert states == {"draft"}

    def test_each_value_is_audited_with_the_file_digest_and_mapping(self):
        upload = self.upload()
        sha = upload.sha256
        run = self.run_it(upload)
        event = AuditEvent.objects.get(action="roster.run", object_id=str(run.pk))
        assert event.changes["sha256"][1] == sha
        assert event.changes["rows"][1] == len(ROWS)
        assert event.changes["mapping"][1] == "NFC extract v1"
        value_events = AuditEvent.objects.filter(action="value.set", unit__code="DHS-CBP")
        assert value_events.exists()
        assert all(sha[:12] in e.reason and "NFC extract v1" in e.reason for e in value_events)
        share = value_events.get(object_repr__contains="1-M1")
        assert "rule 1-M1 = share_women" in share.reason

    def test_the_file_is_deleted_and_nothing_person_level_survives_the_run(self):
        upload = self.upload()
        stored = Path(self.tmp) / upload.stored_name
        assert stored.exists()
        run = self.run_it(upload)
        assert not stored.exists()
        assert not RosterUpload.objects.exists()
        assert run.file_deleted_at is not None
        kept = json.dumps(
            [
                list(RosterRun.objects.values()),
                list(AuditEvent.objects.values("changes", "reason", "object_repr")),
            ],
            default=str,
        )
        for row in ROWS:
            person, *_rest = row.split(",")
            assert person not in kept
        assert "2025-05-01" not in kept and "2020-01-01" not in kept
        assert list(Path(self.tmp).iterdir()) == []

    @override_settings(ROSTER_RETENTION_HOURS=2)
    def test_a_retention_time_keeps_the_file_that_long(self):
        upload = self.upload()
        self.run_it(upload)
        upload.refresh_from_db()
        assert (Path(self.tmp) / upload.stored_name).exists()
        assert upload.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=100)

    def test_unreadable_rows_refuse_the_run_unless_their_share_is_accepted(self):
        rows = [*ROWS, "EMP-0007,CBP,Q,2020-01-01,,1811", "EMP-0008,NOWHERE,F,2020-01-01,,1811"]
        upload = self.upload(rows)
        refused = self.run_it(upload)
        assert refused.state == RosterRun.REFUSED
        assert refused.unreadable == 2
        codes = {p["code"]: p for p in refused.problems}
        assert codes["unknown-sex"]["rows"] == [8]
        assert codes["unknown-unit"]["rows"] == [9]
        assert codes["unknown-sex"]["spellings"] == [["q", 1]]
        assert not Value.objects.filter(submission__reporting_round=self.round).exists()
        assert upload.pk and RosterUpload.objects.filter(pk=upload.pk).exists()
        done = self.run_it(upload, share="25")
        assert done.state == RosterRun.DONE
        assert self.value("DHS-CBP", "1-M1").denominator == 2

    def test_one_unreadable_row_in_a_large_file_is_refused_when_none_is_accepted(self):
        rows = [f"EMP-{n:06},CBP,F,2020-01-01,,1811" for n in range(20_000)]
        upload = self.upload([*rows, "EMP-X,CBP,Q,2020-01-01,,1811"])
        assert self.run_it(upload).state == RosterRun.REFUSED  # 0.005%, shown as 0.00%
        assert self.run_it(upload, share="0.01").state == RosterRun.DONE

    def test_names_in_a_column_read_as_sex_are_counted_but_never_kept(self):
        # The wrong column, or cells shifted by a stray delimiter: each spelling is one person's.
        rows = [f"NEW-{n:04},CBP,Jane Doe-{n:04},2020-01-01,,1811" for n in range(120)]
        refused = self.run_it(self.upload([*ROWS, *rows]))
        problem = {p["code"]: p for p in refused.problems}["unknown-sex"]
        assert (problem["count"], problem["spellings"]) == (120, [])
        assert problem["spellings_withheld"] == 120
        kept = json.dumps(
            [list(RosterRun.objects.values()), list(AuditEvent.objects.values("changes"))],
            default=str,
        )
        assert "jane doe" not in kept.lower()

    def test_a_file_with_a_header_and_no_rows_is_refused_and_overwrites_no_draft(self):
        self.run_it(self.upload())
        before = sorted(Value.objects.values_list("pk", "number", "numerator", "denominator"))
        refused = self.run_it(self.upload([]))
        assert refused.state == RosterRun.REFUSED
        assert [r["code"] for r in refused.refusal] == ["no-rows"]
        assert "no rows under its header" in refused.refusal[0]["message"]
        after = sorted(Value.objects.values_list("pk", "number", "numerator", "denominator"))
        assert after == before

    def test_a_hire_date_in_year_zero_is_an_unreadable_date_not_a_hire(self):
        upload = self.upload([*ROWS, "EMP-0009,CBP,F,0000-01-01,,1811"])
        refused = self.run_it(upload)
        assert refused.state == RosterRun.REFUSED
        codes = {p["code"]: p for p in refused.problems}
        assert codes["bad-date"]["rows"] == [8]

    def test_a_submitted_report_is_left_as_it_is(self):
        cbp = self.round.submissions.get(unit__code="DHS-CBP")
        reporting.save_submission(
            submission=cbp,
            values={
                "1-M1": {"": {"numerator": "1", "denominator": "4"}},
                "1-M2": {f"sex={k}": {"number": "1"} for k in ("women", "men", "other")},
                "1-M3": {"": {"number": "4"}},
            },
            actions={"1": {"status": "on_track"}},
            lock_version=cbp.lock_version,
            actor=self.w.fatima,
        )
        reporting.submit_submission(submission=cbp, actor=self.w.fatima)
        run = self.run_it(self.upload())
        assert run.skipped == [{"unit": "DHS-CBP", "state": "submitted"}]
        assert self.value("DHS-CBP", "1-M3").number == 4
        assert self.value("DHS-ICE", "1-M3").number == 1

    def test_only_the_plans_coordinators_upload_and_run(self):
        with pytest.raises(NotAllowed):
            services.upload_roster(
                plan=self.plan, stream=b"a,b\n1,2\n", file_name="x.csv", actor=self.w.fatima
            )
        upload = self.upload()
        with pytest.raises(NotAllowed):
            running.run_roster(
                upload=upload,
                mapping=self.mapping,
                reporting_round=self.round,
                actor=self.w.fatima,
            )

    def test_a_rule_whose_measure_does_not_fit_its_metric_is_refused_before_reading(self):
        bad = {**MAPPING, "rules": [{"metric": "1-M1", "measure": "hires"}]}
        self.mapping = services.save_mapping(
            plan=self.plan, data=bad, actor=self.w.cora, mapping=self.mapping
        )
        with pytest.raises(services.InvalidMapping) as caught:
            self.run_it(self.upload())
        assert caught.value.problems[0]["code"] == "measure-type-mismatch"
        assert not RosterRun.objects.exists()

    def test_a_mapping_naming_a_column_the_file_lacks_says_which_columns_it_has(self):
        bad = {**MAPPING, "columns": {**MAPPING["columns"], "sex": "Sex"}}
        self.mapping = services.save_mapping(
            plan=self.plan, data=bad, actor=self.w.cora, mapping=self.mapping
        )
        with pytest.raises(services.InvalidMapping) as caught:
            self.run_it(self.upload())
        problem = caught.value.problems[0]
        assert problem["code"] == "missing-column"
        assert "Gender" in problem["message"]

    def test_a_mapping_with_an_unknown_metric_is_not_saved(self):
        bad = {**MAPPING, "rules": [{"metric": "9-M9", "measure": "hires"}]}
        with pytest.raises(services.InvalidMapping) as caught:
            services.save_mapping(plan=self.plan, data=bad, actor=self.w.cora)
        assert caught.value.problems[0]["path"] == "rules[0].metric"

    def test_each_change_of_a_mapping_is_a_new_audited_version(self):
        changed = {**MAPPING, "date_formats": ["%Y-%m-%d", "%m/%d/%Y"]}
        mapping = services.save_mapping(
            plan=self.plan, data=changed, actor=self.w.cora, mapping=self.mapping
        )
        assert mapping.version == 2
        event = AuditEvent.objects.filter(action="roster_mapping.save").latest("id")
        old, new = event.changes["spec"]
        assert old["date_formats"] == ["%Y-%m-%d"] and new["date_formats"][1] == "%m/%d/%Y"

    def test_a_mapping_that_has_been_run_stays_for_its_audit(self):
        self.run_it(self.upload())
        with pytest.raises(ServiceError) as caught:
            services.delete_mapping(mapping=self.mapping, actor=self.w.cora)
        assert caught.value.code == "mapping-in-use"

    def test_a_closed_round_is_refused(self):
        upload = self.upload()
        reporting.close_round(reporting_round=self.round, actor=self.w.cora)
        with pytest.raises(ServiceError) as caught:
            self.run_it(upload)
        assert caught.value.code == "round-not-open"

    def test_a_file_that_is_not_a_table_is_refused_and_not_kept(self):
        with pytest.raises(ServiceError):
            services.upload_roster(
                plan=self.plan, stream=b"%PDF-1.7 nonsense", file_name="x.pdf", actor=self.w.cora
            )
        assert list(Path(self.tmp).iterdir()) == []

    def test_a_utf16_text_file_is_refused_with_its_encoding_named(self):
        data = (HEADER + "\n".join(ROWS)).encode("utf-16")  # Excel's "Unicode Text"
        with pytest.raises(ServiceError) as refused:
            services.upload_roster(
                plan=self.plan, stream=data, file_name="x.txt", actor=self.w.cora
            )
        assert refused.value.code == "bad-encoding"
        assert "UTF-16" in refused.value.message and "CSV UTF-8" in refused.value.message
        assert list(Path(self.tmp).iterdir()) == []


class _tmpdir:
    def __enter__(self) -> str:
        import tempfile

        self._dir = tempfile.TemporaryDirectory()
        return self._dir.name

    def __exit__(self, *exc: object) -> None:
        self._dir.cleanup()


class RunRosterCommandTests(RosterRunCase):
    def run_command(self, rows: list[str], out: StringIO, email: str = "cora@example.org") -> None:
        path = Path(self.tmp) / "extract.csv"
        path.write_text(HEADER + "\n".join(rows) + "\n")
        call_command(
            "run_roster",
            str(path),
            round="tiny/FY2025-Q3",
            mapping=self.mapping.slug,
            email=email,
            stdout=out,
        )

    def test_a_script_runs_a_roster_with_the_same_services(self):
        out = StringIO()
        with self.captureOnCommitCallbacks(execute=True):
            self.run_command(ROWS, out)
        assert "6 rows, 5 counted, 0 unreadable" in out.getvalue()
        assert self.value("DHS-CBP", "1-M1").denominator == 2
        assert RosterRun.objects.get().actor == self.w.cora

    def test_a_refused_script_run_leaves_no_copy_of_the_file(self):
        with self.captureOnCommitCallbacks(execute=True), pytest.raises(SystemExit):
            self.run_command([*ROWS, "EMP-0009,CBP,Q,2020-01-01,,1811"], StringIO())
        assert RosterRun.objects.get().state == RosterRun.REFUSED
        assert not RosterUpload.objects.exists()
        assert [p.name for p in Path(self.tmp).iterdir()] == ["extract.csv"]

    def test_a_script_is_told_what_is_wrong(self):
        with pytest.raises(CommandError, match="has no mapping 'nope'"):
            call_command(
                "run_roster",
                "x.csv",
                round="tiny/FY2025-Q3",
                mapping="nope",
                email="cora@example.org",
            )
        with pytest.raises(CommandError, match="cannot-use-rosters"):
            self.run_command(ROWS, StringIO(), email="fatima@example.org")


class SubUnitBreakdownTests(RosterRunCase):
    """A metric broken down by sub-unit: rows coded to the reporting unit itself are in none of
    its parts, and the run says so rather than dropping them unseen."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        document = plan_document(
            [plan_action("1", ["DHS"], [plan_metric("1-M1", "count", ["unit"])])], slug="tiny-units"
        )
        load_plan_document(document, file_name="units.yaml", sha256="1" * 64, actor=None)
        cls.plan = Plan.objects.get(slug="tiny-units")

    def setUp(self) -> None:
        RoundCase.setUp(self)  # the round, not the other plan's mapping
        self.mapping = services.save_mapping(
            plan=self.plan,
            data={
                **MAPPING,
                "name": "by unit",
                "rules": [{"metric": "1-M1", "measure": "headcount"}],
            },
            actor=self.w.cora,
        )

    def test_rows_at_the_unit_itself_are_shown_as_in_none_of_the_parts(self):
        rows = [*ROWS, "EMP-0007,DHS,F,2020-01-01,,1811", "EMP-0008,DHS,M,2020-01-01,,1811"]
        run = self.run_it(self.upload(rows))
        assert run.state == RosterRun.DONE, run.refusal
        assert self.value("DHS", "1-M1", "unit=DHS-CBP").number == 2
        row = next(r for r in run.results if r["unit"] == "DHS")
        assert row["total"]["number"] == 3 and row["unplaced"] == {"number": 2}
        self.client.force_login(self.w.cora)
        page = self.client.get(f"/plans/tiny-units/rosters/runs/{run.pk}")
        assert page.status_code == 200
        assert "none of a metric" in page.content.decode()
