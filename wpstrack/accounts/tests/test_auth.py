import re

from django.conf import settings
from django.core import mail

from wpstrack.audit.models import AuditEvent
from wpstrack.testing import PASSWORD, PersonasTestCase


class LoginTestCase(PersonasTestCase):
    def test_it_signs_in_with_email_and_password(self):
        response = self.client.post(
            "/login", {"username": "cora@example.org", "password": PASSWORD}
        )
        self.assertRedirects(response, "/")

    def test_it_says_what_is_wrong_with_a_bad_password(self):
        response = self.client.post("/login", {"username": "cora@example.org", "password": "nope"})
        self.assertContains(response, "The email address or password is not right")

    def test_it_rerenders_with_field_errors_when_blank(self):
        response = self.client.post("/login", {"username": "", "password": ""})
        self.assertContains(response, "This field is required")

    def test_it_locks_out_after_repeated_failures(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.client.post("/login", {"username": "cora@example.org", "password": "wrong"})
        response = self.client.post(
            "/login", {"username": "cora@example.org", "password": PASSWORD}
        )
        self.assertContains(response, "Sign-in locked for now", status_code=429)

    def test_it_signs_out_on_post(self):
        self.client.force_login(self.w.cora)
        self.client.post("/logout")
        self.assertRedirects(self.client.get("/"), "/login?next=/")


class PasswordTestCase(PersonasTestCase):
    def test_it_changes_the_password_and_audits_the_fact(self):
        self.client.force_login(self.w.cora)
        new = "a-new-and-long-passphrase"
        response = self.client.post(
            "/password/change",
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
        self.assertRedirects(response, "/password/change/done")
        self.w.cora.refresh_from_db()
        assert self.w.cora.check_password(new)
        event = AuditEvent.objects.get(action="user.password_changed")
        assert event.changes == {"password": ["***", "***"]}

    def test_it_rejects_a_weak_password(self):
        self.client.force_login(self.w.cora)
        response = self.client.post(
            "/password/change",
            {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
        )
        self.assertContains(response, "too short")
        self.w.cora.refresh_from_db()
        assert self.w.cora.check_password(PASSWORD)

    def test_it_resets_a_forgotten_password_by_email(self):
        response = self.client.post("/password/reset", {"email": "fatima@example.org"})
        self.assertRedirects(response, "/password/reset/sent")
        link = re.search(r"http://testserver(/password/reset/\S+)", mail.outbox[0].body).group(1)
        form_url = self.client.get(link).url  # Django swaps the token for a session marker
        new = "another-long-passphrase"
        response = self.client.post(form_url, {"new_password1": new, "new_password2": new})
        self.assertRedirects(response, "/password/reset/complete")
        self.w.fatima.refresh_from_db()
        assert self.w.fatima.check_password(new)
        assert AuditEvent.objects.filter(action="user.password_reset", actor=self.w.fatima).exists()

    def test_it_says_when_a_reset_link_is_no_longer_valid(self):
        response = self.client.get("/password/reset/MQ/bad-token", follow=True)
        self.assertContains(response, "This link has expired or has already been used")

    def test_it_does_not_reveal_whether_an_address_has_an_account(self):
        response = self.client.post("/password/reset", {"email": "nobody@example.org"})
        self.assertRedirects(response, "/password/reset/sent")
        assert mail.outbox == []
