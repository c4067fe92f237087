from django.core.exceptions import PermissionDenied
from django.http import Http404

from wpstrack.accounts import access
from wpstrack.accounts.models import Membership, Role
from wpstrack.testing import PersonasTestCase


class AccessTestCase(PersonasTestCase):
    def codes(self, user):
        return set(access.get_units_for_user(user).values_list("code", flat=True))

    def test_it_gives_a_role_on_every_unit_below(self):
        assert access.roles_on(self.w.cora, self.w.ero) == {Role.COORDINATOR}
        assert self.codes(self.w.cora) == {"DHS", "DHS-CBP", "DHS-ICE", "DHS-ICE-ERO"}

    def test_it_does_not_give_a_role_on_units_above_or_beside(self):
        assert access.roles_on(self.w.fatima, self.w.dhs) == set()
        assert access.roles_on(self.w.fatima, self.w.ice) == set()
        assert self.codes(self.w.fatima) == {"DHS-CBP"}
        assert self.codes(self.w.vera) == {"DHS-ICE", "DHS-ICE-ERO"}

    def test_an_outsider_sees_no_unit(self):
        assert self.codes(self.w.oscar) == set()
        with self.assertRaises(PermissionDenied):
            access.get_unit_for_user(self.w.oscar, "DHS")

    def test_it_answers_not_found_for_unknown_units(self):
        with self.assertRaises(Http404):
            access.get_unit_for_user(self.w.cora, "NOPE")

    def test_a_deactivated_user_has_no_access(self):
        self.w.cora.is_active = False
        self.w.cora.save()
        assert self.codes(self.w.cora) == set()

    def test_a_system_administrator_sees_everything(self):
        self.w.oscar.is_superuser = True
        self.w.oscar.save()
        assert "MINUSCA-GAU" in self.codes(self.w.oscar)
        assert access.can_manage_members(self.w.oscar, self.w.gau)

    def test_only_administrators_manage_members(self):
        assert access.can_manage_members(self.w.alice, self.w.cbp)
        assert not access.can_manage_members(self.w.cora, self.w.cbp)
        assert not access.can_manage_members(self.w.alice, self.w.gau)
        assert not access.can_manage_users(self.w.fatima)

    def test_an_administrator_manages_only_people_in_their_units(self):
        users = set(access.get_users_for_user(self.w.alice).values_list("email", flat=True))
        assert "fatima@example.org" in users
        assert "oscar@example.org" not in users
        with self.assertRaises(PermissionDenied):
            access.get_users_for_user(self.w.cora)

    def test_an_administrator_cannot_deactivate_someone_who_also_belongs_elsewhere(self):
        Membership.objects.create(user=self.w.fatima, unit=self.w.gau, role=Role.VIEWER)
        assert not access.can_deactivate(self.w.alice, self.w.fatima)
        assert access.can_deactivate(self.w.alice, self.w.ravi)
        assert not access.can_deactivate(self.w.alice, self.w.alice)
