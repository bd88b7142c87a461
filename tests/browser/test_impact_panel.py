"""The dashboard's impact panel in a real browser (1440 px and 375 px): for a weak county its actual and synthetic
growth, the placebo ratios and the event study are drawn from /api/v1/impact/chart/; a hostile county name stays
text; a liaison's panel offers their own county only."""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.services import user_set_role
from impact.factories import ImpactCountyFactory, ImpactResultFactory

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-impact-browser"
WIDE = {"width": 1440, "height": 900}
HOSTILE = '<img src=x onerror="window.__xss=1">县'


@pytest.fixture
def estimates(program, pairing_a, pairing_b, django_user_model):
    result = ImpactResultFactory(program=program, indicator="gdp")
    ImpactCountyFactory(result=result, region=pairing_a.weak_county)
    hostile = pairing_b.weak_county
    hostile.name = HOSTILE
    hostile.save()
    ImpactCountyFactory(result=result, region=hostile, effects=[], placebo_p=None, note="帮扶前拟合误差过大。")
    leader = django_user_model.objects.create_user("leader", password=PASSWORD)
    user_set_role(user=leader, role=Role.LEADER)
    liaison = django_user_model.objects.create_user("liaison", password=PASSWORD)
    user_set_role(user=liaison, role=Role.LIAISON, county=pairing_a.weak_county)
    return result


def open_panel(browser, live_server, viewport, username):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_url("**/liaison/login/**")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#impact-panel[data-state=ready]")
    return page


def drawn(page, name: str) -> list[int]:
    return page.evaluate(
        """name => {
            const chart = echarts.getInstanceByDom(document.querySelector(`[data-impact-chart='${name}']`));
            return chart.getOption().series.map(s => (s.data || []).filter(v => v !== null).length);
        }""",
        name,
    )


@pytest.mark.parametrize(("size", "viewport"), [("desktop", WIDE), ("phone", PHONE)])
def test_the_panel_draws_paths_placebos_and_the_event_study(
    browser, live_server, estimates, screenshot, size, viewport
):
    page = open_panel(browser, live_server, viewport, "leader")
    assert drawn(page, "path") == [2, 2]  # actual and synthetic, 2024–2025
    assert drawn(page, "placebo")[0] == 5  # five donors' ratios
    assert drawn(page, "event")[2] == 2  # two event-study coefficients
    assert page.locator("[data-impact-chart] canvas").count() == 3
    assert "1.2" in page.inner_text("[data-impact-summary]")
    assert page.get_attribute("#impact-panel", "data-title-path") == "增速：实际与合成对照（%）"
    assert page.get_attribute("#impact-panel", "data-title-event").endswith("95% 置信区间")
    options = page.locator("[data-impact-county] option").all_inner_texts()
    assert options == ["台儿庄区", HOSTILE]  # the hostile name is text, not markup
    page.select_option("[data-impact-county]", "371328")
    assert page.inner_text("[data-impact-note]") == "帮扶前拟合误差过大。"
    assert page.evaluate("() => window.__xss") is None
    screenshot(page, f"impact-panel-{size}")
    page.context.close()


def test_a_liaison_chooses_among_their_own_county_only(browser, live_server, estimates):
    page = open_panel(browser, live_server, WIDE, "liaison")
    assert page.locator("[data-impact-county] option").all_inner_texts() == ["台儿庄区"]
    page.context.close()
