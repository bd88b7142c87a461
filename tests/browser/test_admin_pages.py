"""A provincial officer works in the admin in a real browser: signs in, reads the program overview, checks the
sample pairings and the gap table — at desktop and phone sizes."""

from __future__ import annotations

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-officer-browser"


@pytest.fixture
def demo(seeded_demo, django_user_model):
    return django_user_model.objects.create_superuser("officer", "officer@example.org", PASSWORD)


def sign_in(browser, live_server, viewport, locale="zh-CN"):
    context = browser.new_context(viewport=viewport, locale=locale)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_officer_signs_in_and_reads_the_program_overview(browser, live_server, demo, screenshot, size, viewport):
    page = sign_in(browser, live_server, viewport)
    body = page.inner_text("body")
    assert "山东省强县产业帮扶弱县(2024)" in body
    assert page.locator(".program-overview").count() >= 1
    screenshot(page, f"admin-index-{size}")
    page.context.close()


def test_sample_pairings_are_marked_and_documented_ones_carry_their_source(browser, live_server, demo, screenshot):
    page = sign_in(browser, live_server, DESKTOP)
    page.goto(f"{live_server.url}/admin/pairing/pairing/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 10
    assert page.locator("#result_list .sample-badge").count() == 5
    screenshot(page, "admin-pairings")
    page.goto(f"{live_server.url}/admin/pairing/pairing/?sample=no")
    with page.expect_navigation():
        page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_load_state()
    assert "全省县域经济高质量发展暨强县产业帮扶弱县工作会议" in page.inner_text("body")
    screenshot(page, "admin-pairing-provenance")
    page.context.close()


def test_gap_table_lists_every_county_with_weak_ones_first(browser, live_server, demo, screenshot):
    page = sign_in(browser, live_server, DESKTOP)
    page.goto(f"{live_server.url}/admin/stats/gapresult/table/?program=sd-2024&period=2025&indicator=gdp")
    table = page.locator("table.gap-table").last
    assert table.locator("tbody tr").count() == 136
    assert table.locator("tbody tr.role-weak").count() == 10
    assert table.locator("tbody tr").first.get_attribute("class") == "role-weak"
    assert page.locator(".gap-ahead, .gap-behind").count() > 0
    screenshot(page, "admin-gap-table")
    page.context.close()
