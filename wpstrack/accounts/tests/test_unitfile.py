import textwrap
from pathlib import Path

from django.test import TestCase

from wpstrack.accounts.models import OrgUnit
from wpstrack.accounts.unitfile import load_unit_file
from wpstrack.audit.models import AuditEvent

GOOD = """\
format: wpstrack-units/1
kinds:
  - {key: department, name: Department}
  - {key: office, name: Office}
units:
  - code: DHS
    kind: department
    name: Department of Homeland Security
    short_name: DHS
    children:
      - {code: DHS-CBP, kind: office, name: Customs and Border Protection, short_name: CBP}
"""


class UnitFileTestCase(TestCase):
    def write(self, text: str) -> Path:
        path = Path(self.tmp) / "organisation.yaml"
        path.write_text(textwrap.dedent(text))
        return path

    def setUp(self):
        import tempfile

        self.tmp = tempfile.mkdtemp()

    def problems(self, text: str) -> list[str]:
        report, _ = load_unit_file(self.write(text), actor=None)
        return [str(p) for p in report.problems]

    def test_it_loads_the_tree_with_paths(self):
        report, changed = load_unit_file(self.write(GOOD), actor=None)
        assert report.valid and changed == 2
        cbp = OrgUnit.objects.get(code="DHS-CBP")
        assert cbp.parent.code == "DHS" and cbp.depth == 1
        assert list(cbp.ancestors().values_list("code", flat=True)) == ["DHS"]

    def test_loading_the_same_file_twice_changes_nothing(self):
        load_unit_file(self.write(GOOD), actor=None)
        events = AuditEvent.objects.count()
        _, changed = load_unit_file(self.write(GOOD), actor=None)
        assert changed == 0 and AuditEvent.objects.count() == events

    def test_a_changed_name_updates_the_unit_in_place_and_audits_it(self):
        load_unit_file(self.write(GOOD), actor=None)
        load_unit_file(
            self.write(GOOD.replace("Customs and Border Protection", "CBP renamed")), actor=None
        )
        assert OrgUnit.objects.get(code="DHS-CBP").name == "CBP renamed"
        event = AuditEvent.objects.get(action="unit.update")
        assert event.changes == {"name": ["Customs and Border Protection", "CBP renamed"]}

    def test_it_lists_every_problem_with_its_line_and_loads_nothing(self):
        bad = GOOD.replace("kind: department\n    name", "kind: planet\n    name").replace(
            "code: DHS-CBP", "code: DHS CBP"
        )
        assert self.problems(bad) == [
            "organisation.yaml:7: kind: unknown kind 'planet' (use a key listed under kinds)",
            "organisation.yaml:11: code: 'DHS CBP' is not a valid unit code "
            "(use 1-40 letters, digits, hyphens or underscores)",
        ]
        assert OrgUnit.objects.count() == 0

    def test_it_reports_a_duplicate_code(self):
        bad = GOOD + "  - {code: DHS, kind: office, name: Again, short_name: X}\n"
        assert self.problems(bad) == [
            "organisation.yaml:12: code: duplicate unit code 'DHS' (give each unit its own code)"
        ]

    def test_it_reports_broken_yaml_with_its_line(self):
        problems = self.problems(GOOD.replace("    short_name: DHS", "   short_name: DHS"))
        assert len(problems) == 1 and problems[0].startswith("organisation.yaml:9: yaml:")

    def test_it_reports_an_unknown_field(self):
        assert self.problems(
            GOOD.replace("short_name: DHS\n", "short_name: DHS\n    colour: red\n")
        ) == [
            "organisation.yaml:10: colour: unknown field (allowed: active, children, code, kind, name, short_name)"
        ]

    def test_the_bundled_organisation_file_is_valid(self):
        from django.conf import settings

        report, _ = load_unit_file(settings.PLANS_DIR / "organisation.yaml", actor=None)
        assert report.valid, report.problems
        assert OrgUnit.objects.get(code="DHS-ICE-ERO").parent.code == "DHS-ICE"
