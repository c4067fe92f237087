"""Walk every URL pattern: nobody without a role reaches anything but sign-in and their own account."""

from django.urls import URLPattern, URLResolver, get_resolver

from wpstrack.testing import PersonasTestCase

SAMPLE_KWARGS = {
    "slug": "dhs-wps-2024",
    "code": "DHS-CBP",
    "user_id": "1",
    "round_id": "1",
    "token_id": "1",
    "assignment_id": "1",
    "membership_id": "1",
    "uidb64": "MQ",
    "token": "x",
    "fmt": "xlsx",
    "period": "FY2025-Q3",
    "kind": "trend",
    "build_id": "1",
    "upload_id": "8d5e0f3a-0000-4000-8000-000000000001",
    "run_id": "1",
    "mapping_slug": "nfc",
}
PUBLIC = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
OWN_ACCOUNT = {
    "home",
    "home-json",
    "password_change",
    "password_change_done",
    "logout",
    "api-keys",
    "api-keys-json",
}
EMPTY_FOR_OUTSIDERS = {
    "round-list",
    "round-list-json",
    "unit-list",
    "unit-list-json",
    "plan-list",
    "plan-list-json",
    "crosswalk",
    "crosswalk-json",
}

# The API's lists answer an outsider with nothing in them; its schema describes no data.
API_EMPTY_FOR_OUTSIDERS = {
    "/api/openapi.json",
    "/api/plans",
    "/api/rounds",
}


def all_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                yield "admin", "/admin/"
                continue
            yield from all_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            url = "/" + route
            for key, value in SAMPLE_KWARGS.items():
                for converter in (
                    "str",
                    "int",
                    "id",
                    "unitcode",
                    "planslug",
                    "elementcode",
                    "tableformat",
                    "period",
                    "chartkind",
                    "uuid",
                    "slug",
                ):
                    url = url.replace(f"<{converter}:{key}>", value)
                url = url.replace(f"<{key}>", value)
            yield pattern.name, url


class EveryUrlTestCase(PersonasTestCase):
    def test_the_walk_covers_every_page(self):
        names = {name for name, _ in all_patterns()}
        assert {
            "unit-detail",
            "unit-detail-json",
            "user-invite",
            "membership-remove",
            "admin",
        } <= names

    def test_anonymous_visitors_are_sent_to_sign_in(self):
        for name, url in all_patterns():
            if name in PUBLIC:
                continue
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                if url.startswith("/api/") and response.status_code in (404, 405):
                    # a wrong method or the bare prefix: the canonical body, and no data either way
                    assert response.json()["code"] in ("method-not-allowed", "not-found")
                elif url.endswith(".json") or url.startswith("/api/"):
                    assert response.status_code == 401, (method, url)
                    assert response.json()["code"] == "not-signed-in"
                elif name == "admin":
                    assert response.status_code == 302 and "/admin/login/" in response.url
                else:
                    assert response.status_code == 302, (method, url, response.status_code)
                    assert response.url.startswith("/login?next="), (method, url)

    def test_an_outsider_reaches_nothing_but_their_own_account(self):
        self.client.force_login(self.w.oscar)
        for name, url in all_patterns():
            if name in PUBLIC or name in OWN_ACCOUNT:
                continue
            if name in EMPTY_FOR_OUTSIDERS or url in API_EMPTY_FOR_OUTSIDERS:
                self.assertNotContains(self.client.get(url), "DHS")
                continue
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                if name == "admin":
                    assert response.status_code == 302 and "/admin/login/" in response.url
                    continue
                allowed = (400, 403, 404, 405) if url.startswith("/api/") else (403, 404, 405)
                assert response.status_code in allowed, (method, url, response.status_code)
        self.client.force_login(self.w.oscar)
        assert self.client.get("/index.json").json()["responsibilities"] == []

    def test_the_admin_site_is_for_administrators_only(self):
        for user in (self.w.cora, self.w.fatima, self.w.oscar):
            self.client.force_login(user)
            assert self.client.get("/admin/").status_code == 302
        self.client.force_login(self.w.alice)
        assert self.client.get("/admin/").status_code == 200
        assert self.client.get("/admin/accounts/orgunit/").status_code == 200
        assert self.client.get("/admin/accounts/orgunit/add/").status_code == 403

    def test_a_disallowed_method_gets_a_clear_answer(self):
        self.client.force_login(self.w.cora)
        response = self.client.delete("/units.json")
        assert response.status_code == 405
        assert response.json()["code"] == "method-not-allowed"
        self.assertContains(self.client.put("/units"), "not allowed here", status_code=405)
