from django.core import mail

from wpstrack.accounts.models import Membership, Role, User
from wpstrack.audit.models import AuditEvent
from wpstrack.testing import PASSWORD, PersonasTestCase


class UserListTestCase(PersonasTestCase):
    def test_it_lists_people_in_the_administrators_units(self):
        self.client.force_login(self.w.alice)
        emails = [u["email"] for u in self.client.get("/users.json").json()["users"]]
        assert "fatima@example.org" in emails and "oscar@example.org" not in emails

    def test_it_is_forbidden_to_non_administrators(self):
        for user in (self.w.cora, self.w.fatima, self.w.ravi, self.w.vera, self.w.oscar):
            self.client.force_login(user)
            assert self.client.get("/users").status_code == 403
            assert self.client.get("/users.json").json()["status"] == 403


class InviteTestCase(PersonasTestCase):
    def invite(self, **fields):
        data = {
            "email": "nora@example.org",
            "full_name": "Nora New",
            "unit": "DHS-CBP",
            "role": "viewer",
        }
        data.update(fields)
        return self.client.post("/users/invite", data)

    def test_it_creates_the_account_and_role_and_emails_a_link(self):
        self.client.force_login(self.w.alice)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.invite()
        nora = User.objects.get(email="nora@example.org")
        self.assertRedirects(response, f"/users/{nora.pk}")
        assert not nora.has_usable_password()
        assert Membership.objects.get(user=nora).role == Role.VIEWER
        assert len(mail.outbox) == 1
        assert "/password/reset/" in mail.outbox[0].body

    def test_it_audits_the_new_account_and_role(self):
        self.client.force_login(self.w.alice)
        self.invite()
        actions = list(
            AuditEvent.objects.filter(actor=self.w.alice).values_list("action", flat=True)
        )
        assert sorted(actions) == ["membership.create", "user.create"]
        event = AuditEvent.objects.get(action="membership.create")
        assert event.changes["role"] == [None, "viewer"]

    def test_it_adds_a_role_to_an_existing_account(self):
        self.client.force_login(self.w.alice)
        self.invite(email="Vera@Example.org", full_name="", unit="DHS-CBP")
        assert Membership.objects.filter(user=self.w.vera).count() == 2

    def test_it_rerenders_the_form_with_field_errors(self):
        self.client.force_login(self.w.alice)
        response = self.invite(email="not-an-email", role="king")
        self.assertContains(response, "Enter a valid email address", status_code=400)
        self.assertContains(response, "Select a valid choice", status_code=400)
        assert not User.objects.filter(email="not-an-email").exists()

    def test_it_refuses_a_unit_the_administrator_does_not_administer(self):
        self.client.force_login(self.w.alice)
        response = self.invite(unit="MINUSCA-GAU")
        self.assertContains(response, "Choose one of the units you administer", status_code=400)
        assert not User.objects.filter(email="nora@example.org").exists()

    def test_it_requires_a_name_for_a_new_account(self):
        self.client.force_login(self.w.alice)
        response = self.invite(full_name="")
        self.assertContains(response, "Give the new user&#x27;s full name", status_code=400)
        assert not User.objects.filter(email="nora@example.org").exists()

    def test_it_refuses_a_second_role_on_the_same_unit(self):
        self.client.force_login(self.w.alice)
        response = self.invite(email="fatima@example.org", unit="DHS-CBP")
        self.assertContains(response, "already has the role", status_code=400)
        assert Membership.objects.get(user=self.w.fatima).role == Role.FOCAL_POINT

    def test_its_json_form_answers_the_canonical_error_body(self):
        self.client.force_login(self.w.alice)
        body = self.client.post("/users/invite.json", {"email": "x"}).json()
        assert body["ok"] is False and body["status"] == 400 and body["code"] == "invalid-form"
        assert {e["field"] for e in body["errors"]} >= {"email", "unit", "role"}

    def test_it_is_forbidden_to_non_administrators(self):
        self.client.force_login(self.w.cora)
        assert self.invite().status_code == 403
        assert not User.objects.filter(email="nora@example.org").exists()


class DeactivateTestCase(PersonasTestCase):
    def test_it_deactivates_with_a_reason_and_audits_it(self):
        self.client.force_login(self.w.alice)
        self.client.post(f"/users/{self.w.ravi.pk}/deactivate", {"reason": "left CBP"})
        self.w.ravi.refresh_from_db()
        assert not self.w.ravi.is_active
        event = AuditEvent.objects.get(action="user.deactivate")
        assert event.reason == "left CBP" and event.changes == {"is_active": [True, False]}

    def test_a_deactivated_user_cannot_sign_in(self):
        self.client.force_login(self.w.alice)
        self.client.post(f"/users/{self.w.ravi.pk}/deactivate", {"reason": "left"})
        self.client.logout()
        response = self.client.post(
            "/login", {"username": "ravi@example.org", "password": PASSWORD}
        )
        self.assertContains(response, "The email address or password is not right")

    def test_it_requires_a_reason(self):
        self.client.force_login(self.w.alice)
        response = self.client.post(
            f"/users/{self.w.ravi.pk}/deactivate", {"reason": ""}, follow=True
        )
        self.assertContains(response, "Give a reason for deactivating")
        self.w.ravi.refresh_from_db()
        assert self.w.ravi.is_active

    def test_it_refuses_to_deactivate_yourself(self):
        self.client.force_login(self.w.alice)
        response = self.client.post(
            f"/users/{self.w.alice.pk}/deactivate", {"reason": "x"}, follow=True
        )
        self.assertContains(response, "cannot deactivate your own account")

    def test_it_reactivates(self):
        self.w.ravi.is_active = False
        self.w.ravi.save()
        self.client.force_login(self.w.alice)
        self.client.post(f"/users/{self.w.ravi.pk}/reactivate")
        self.w.ravi.refresh_from_db()
        assert self.w.ravi.is_active


class MembershipTestCase(PersonasTestCase):
    def test_it_adds_and_removes_a_role(self):
        self.client.force_login(self.w.alice)
        self.client.post(f"/users/{self.w.vera.pk}/roles", {"unit": "DHS-CBP", "role": "reviewer"})
        added = Membership.objects.get(user=self.w.vera, unit=self.w.cbp)
        self.client.post(f"/users/{self.w.vera.pk}/roles/{added.pk}/remove")
        assert not Membership.objects.filter(pk=added.pk).exists()
        assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
            "membership.create",
            "membership.delete",
        ]

    def test_it_refuses_to_remove_a_role_on_a_unit_not_administered(self):
        gau_role = Membership.objects.create(user=self.w.fatima, unit=self.w.gau, role=Role.VIEWER)
        self.client.force_login(self.w.alice)
        response = self.client.post(f"/users/{self.w.fatima.pk}/roles/{gau_role.pk}/remove")
        assert response.status_code == 403
        assert Membership.objects.filter(pk=gau_role.pk).exists()

    def test_an_invalid_role_rerenders_the_user_page(self):
        self.client.force_login(self.w.alice)
        response = self.client.post(
            f"/users/{self.w.vera.pk}/roles", {"unit": "DHS-CBP", "role": "x"}
        )
        self.assertContains(response, "Select a valid choice", status_code=400)

    def test_the_user_page_is_forbidden_for_people_outside_the_administrators_units(self):
        self.client.force_login(self.w.alice)
        assert self.client.get(f"/users/{self.w.oscar.pk}").status_code == 403
        assert self.client.get("/users/99999.json").json()["code"] == "not-found"
