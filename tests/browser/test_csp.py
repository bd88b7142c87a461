"""The Content-Security-Policy in a real browser: every main page — the admin and its own pages, the dashboard, the
liaison pages, the API docs — is served with the policy and works under it. The browser reports every violation
(``securitypolicyviolation``), every console error and every uncaught script error; there must be none. The
controls that used inline handlers before (the language switch, the dashboard's selectors, the bulletin's print
button) are used, so a handler that did not make it into a static file shows here."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_set_role
from common.periods import month_add, month_of
from funds.models import BondPlan
from pairing.models import Program, Region
from projects.bulletins import bulletin_generate
from projects.models import Project

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-csp-browser-check"
LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""


@pytest.fixture
def demo(seeded_demo, django_user_model):
    officer = django_user_model.objects.create_superuser("officer", "officer@example.org", PASSWORD)
    liaison = django_user_model.objects.create_user("liaison", password=PASSWORD)
    user_set_role(user=liaison, role=Role.LIAISON, county=Region.objects.get(pk="370405"))
    program = Program.objects.get(code="sd-2024")
    bulletin = bulletin_generate(program=program, period=month_add(month_of(timezone.localdate()), -1))
    return {
        "officer": officer,
        "bulletin": bulletin,
        "plan": BondPlan.objects.order_by("pk").first(),
        "project": Project.objects.order_by("pk").first(),
    }


class Watched:
    """A browser context whose violations, console errors and page errors are all kept, across navigations."""

    def __init__(self, browser, live_server, viewport) -> None:
        self.base = live_server.url
        self.problems: list[str] = []
        self.context = browser.new_context(viewport=viewport, locale="zh-CN")
        self.context.expose_function("__reportViolation", lambda text: self.problems.append(f"CSP: {text}"))
        self.context.add_init_script(LISTEN)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message) -> None:
        # The browser asks for /favicon.ico on its own; the site has none to give (a 404, not a page's fault).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.problems.append(f"console: {message.text} ({message.location.get('url')} on {self.page.url})")

    def visit(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status == 200, f"{path}: {response.status}"
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, f"{path} is served without the policy: {policy!r}"
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        return response

    def sign_in(self, login_path: str, username: str) -> None:
        self.page.goto(self.base + login_path)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button[type=submit], input[type=submit]")

    def settle(self) -> None:
        self.page.wait_for_load_state("load")


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_admin_s_pages_work_under_the_policy(browser, live_server, demo, screenshot, size, viewport):
    watched = Watched(browser, live_server, viewport)
    page = watched.page
    watched.sign_in("/admin/login/", "officer")

    for path in [
        "/admin/",
        "/admin/pairing/pairing/",
        "/admin/projects/project/",
        "/admin/projects/projectwarning/",
        "/admin/projects/projectwarning/reporting-rates/",
        "/admin/stats/gapresult/table/?program=sd-2024&period=2025&indicator=gdp",
        f"/admin/funds/bondplan/{demo['plan'].pk}/usage/",
        f"/admin/projects/project/{demo['project'].pk}/change/",
        "/admin/auth/user/",
        "/admin/accounts/apitoken/add/",
    ]:
        watched.visit(path)
        watched.settle()

    # The language switch submits itself (static/admin_extra/language.js, once an inline onchange).
    watched.visit("/admin/")
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "welcome" in page.inner_text("#user-tools").lower()

    # The bulletin's print button (static/admin_extra/print.js, once an inline onclick).
    watched.visit(f"/admin/projects/bulletin/{demo['bulletin'].pk}/print/")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.click("[data-print]")
    assert page.evaluate("window.__printed === true")
    screenshot(page, f"csp-admin-{size}")

    assert watched.problems == []
    watched.context.close()


def test_the_warnings_refresh_button_keeps_its_look(browser, live_server, demo):
    watched = Watched(browser, live_server, DESKTOP)
    watched.sign_in("/admin/login/", "officer")

    watched.visit("/admin/projects/projectwarning/")

    style = watched.page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('.warning-refresh'));"
        " const form = getComputedStyle(document.querySelector('.warning-refresh-form'));"
        " return [s.borderRadius, s.textTransform, form.display]; })()"
    )
    assert style == ["15px", "uppercase", "inline"]
    assert watched.problems == []
    watched.context.close()


def test_the_dashboard_draws_every_chart_under_the_policy(browser, live_server, demo, screenshot):
    watched = Watched(browser, live_server, DESKTOP)
    page = watched.page
    watched.sign_in("/liaison/login/?next=/dashboard/", "officer")

    watched.visit("/dashboard/")
    page.wait_for_selector("#cards[data-state=ready]", timeout=30_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every(s => s.dataset.rendered === 'true'"
        " || s.dataset.error || s.dataset.rows === '0')",
        timeout=30_000,
    )
    assert page.locator("[data-chart][data-error]").count() == 0
    # Hovering a chart shows ECharts' tooltip, whose markers are drawn with style attributes.
    page.locator("[data-chart='gaps'] .chart").hover()
    # The selectors submit themselves (dashboard.js, once an inline onchange).
    periods = page.eval_on_selector_all("select[name=period] option", "options => options.map(o => o.value)")
    if len(periods) > 1:
        with page.expect_navigation():
            page.select_option("select[name=period]", periods[-1])
        assert f"period={periods[-1]}" in page.url
    watched.settle()
    screenshot(page, "csp-dashboard")

    assert watched.problems == []
    watched.context.close()


def test_the_liaison_pages_work_under_the_policy(browser, live_server, demo, screenshot):
    watched = Watched(browser, live_server, PHONE)
    page = watched.page
    watched.sign_in("/liaison/login/", "liaison")

    watched.visit("/liaison/")
    project = page.locator(".card-title a").first
    if project.count():
        with page.expect_navigation():
            project.click()  # the project page
        page.wait_for_load_state("load")
    watched.visit("/liaison/workbook/")
    watched.visit("/liaison/")
    link = page.locator("a.button").first
    if link.count():
        with page.expect_navigation():
            link.click()
        page.wait_for_load_state("load")
        if page.locator("#id_stage").count():
            page.select_option("#id_stage", index=1)  # the form's own script shows the stage's fields
    screenshot(page, "csp-liaison")

    assert watched.problems == []
    watched.context.close()


def test_the_api_docs_load_swagger_ui_from_our_static_files(browser, live_server, demo, screenshot):
    watched = Watched(browser, live_server, DESKTOP)
    page = watched.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    watched.sign_in("/admin/login/", "officer")

    watched.visit("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    screenshot(page, "csp-api-docs")

    assert "Tracker API" in page.inner_text(".swagger-ui .info .title")
    assert [url for url in requested if not url.startswith(live_server.url)] == []  # no CDN
    assert watched.problems == []
    watched.context.close()


def test_the_policy_is_sent_before_sign_in_too(browser, live_server, db):
    watched = Watched(browser, live_server, PHONE)

    for path in ["/admin/login/", "/liaison/login/"]:
        watched.visit(path)

    assert watched.problems == []
    watched.context.close()
