"""The dashboard in a real browser: a leader sees the demo program's cards, the county map with the pairing lines
and every chart drawn with data, at desktop and phone sizes; each chart's table view and CSV download hold the
rows the API gave; a liaison's dashboard covers their own pairing."""

from __future__ import annotations

import csv
import io

import pytest

from accounts.models import Role
from accounts.services import user_set_role
from pairing.models import Region

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-dashboard-browser"
CHARTS = ("map", "gaps", "funnel", "gap-trend", "rank-trend", "targets")


@pytest.fixture
def demo(seeded_demo, django_user_model):
    leader = django_user_model.objects.create_user("leader", password=PASSWORD)
    user_set_role(user=leader, role=Role.LEADER)
    liaison = django_user_model.objects.create_user("liaison", password=PASSWORD)
    user_set_role(user=liaison, role=Role.LIAISON, county=Region.objects.get(pk="370405"))
    return leader


def open_dashboard(browser, live_server, viewport, username: str):
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/dashboard/")
    # Not signed in: the sign-in page, then back to the dashboard.
    page.wait_for_url("**/liaison/login/**")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.wait_for_function(
        "names => names.every(n => { const s = document.querySelector(`[data-chart='${n}']`);"
        " return s.dataset.rendered === 'true' || s.dataset.error || s.dataset.rows === '0'; })",
        arg=list(CHARTS),
        timeout=30_000,
    )
    page.wait_for_selector("#cards[data-state=ready]")
    return page


def chart_series_lengths(page, name: str) -> list[int]:
    return page.evaluate(
        """name => {
            const box = document.querySelector(`[data-chart='${name}'] .chart`);
            const chart = echarts.getInstanceByDom(box);
            const drawn = d => {
                if (d && d.coords) return true;  // a line
                const v = d && typeof d === "object" && !Array.isArray(d) ? d.value : d;
                return v !== null && v !== undefined && !(typeof v === "number" && isNaN(v));
            };
            return chart.getOption().series.map(s => (s.data || []).filter(drawn).length);
        }""",
        name,
    )


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_leader_sees_the_map_and_every_chart_with_data(browser, live_server, demo, screenshot, size, viewport):
    page = open_dashboard(browser, live_server, viewport, "leader")
    for name in CHARTS:
        section = page.locator(f"[data-chart='{name}']")
        assert section.get_attribute("data-error") is None, name
        assert section.get_attribute("data-rendered") == "true", name
        assert int(section.get_attribute("data-rows")) > 0, name
        assert page.locator(f"[data-chart='{name}'] .chart canvas").count() >= 1, name
        assert sum(chart_series_lengths(page, name)) > 0, name

    # The map: 10 weak counties coloured by their gap, a line for every active pairing.
    map_series = chart_series_lengths(page, "map")
    assert map_series[0] == 10  # weak counties with a GDP gap
    assert map_series[3] == 10  # pairing lines
    regions = page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector(\"[data-chart='map'] .chart\"))"
        ".getModel().getComponent('geo').coordinateSystem.regions.length"
    )
    assert regions == 136

    cards = page.inner_text("#cards")
    assert "结对" in cards and ("万元" in cards or "亿元" in cards)
    screenshot(page, f"dashboard-{size}")
    page.context.close()


def test_table_view_and_download_hold_the_rows_of_the_api(browser, live_server, demo, screenshot):
    page = open_dashboard(browser, live_server, DESKTOP, "leader")
    section = page.locator("[data-chart='gaps']")
    section.locator("[data-action=table]").click()
    table_rows = section.locator(".table-view tbody tr")
    assert section.locator(".table-view").is_visible()
    api_rows = page.evaluate("() => fetch('/api/v1/reports/gap-bars/?program=sd-2024&period=2025').then(r => r.json())")
    assert table_rows.count() == len(api_rows) > 0
    assert "台儿庄区" in section.locator(".table-view").inner_text()
    screenshot(page, "dashboard-table-view")

    with page.expect_download() as download_info:
        section.locator("[data-action=download]").click()
    text = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["county"] for row in rows] == [row["county"] for row in api_rows]
    assert [row["gap_pp"] for row in rows] == [row["gap_pp"] for row in api_rows]
    page.context.close()


def test_liaison_dashboard_covers_their_pairing(browser, live_server, demo, screenshot):
    page = open_dashboard(browser, live_server, PHONE, "liaison")
    assert page.locator(".scope-note").count() == 1
    assert chart_series_lengths(page, "map")[3] == 1  # one pairing line: 黄岛区 → 台儿庄区
    targets = page.locator("[data-chart='targets']")
    targets.locator("[data-action=table]").click()
    assert set(targets.locator(".table-view tbody tr td:first-child").all_inner_texts()) == {"370405"}
    screenshot(page, "dashboard-liaison-phone")
    page.context.close()
