"""At 1440 px, in a real browser: the project, report and pairing lists keep their status and the 示例 badge on
screen (long names cut, whole in the tooltip); an officer types money in 万元 with separators and the tracker stores
the exact yuan; the dashboard opens on the latest year with statistics and money, says 暂无数据 where a card has
nothing, and leaves a year without ranks out of the rank chart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.services import user_set_role
from funds.models import Allocation, Disbursement
from pairing.models import Program, ProgramCounty
from projects.models import CrossCountyOrder
from stats.models import GapResult, Indicator

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-money-browser"
WIDE = {"width": 1440, "height": 900}
LISTS = {
    "projects": ("/admin/projects/project/", "health"),
    "reports": ("/admin/projects/progressreport/", "status"),
    "pairings": ("/admin/pairing/pairing/", "status"),
    "reward-runs": ("/admin/funds/rewardrun/", "status"),
}


@pytest.fixture
def demo(seeded_demo, django_user_model):
    officer = django_user_model.objects.create_superuser("officer", "officer@example.org", PASSWORD)
    leader = django_user_model.objects.create_user("leader", password=PASSWORD)
    user_set_role(user=leader, role=Role.LEADER)
    return officer


def sign_in(browser, live_server, username: str = "officer", viewport: dict = WIDE):
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.mark.parametrize("name", list(LISTS))
def test_the_status_and_the_sample_badge_are_inside_the_viewport_at_1440(browser, live_server, demo, screenshot, name):
    path, status = LISTS[name]
    if name == "reward-runs":
        from funds.models import Fund, FundKind
        from funds.reward_runs import reward_run_start

        fund = Fund.objects.filter(kind=FundKind.GUIDANCE).order_by("-year").first()
        reward_run_start(fund=fund, by=demo)
    page = sign_in(browser, live_server)
    page.goto(f"{live_server.url}{path}")

    edges = page.evaluate(
        """status => {
            const box = document.querySelector('#changelist .results').getBoundingClientRect();
            const right = (selector) => Math.max(...[...document.querySelectorAll(selector)]
                .map(cell => cell.getBoundingClientRect().right));
            return {
                viewport: window.innerWidth,
                box: box.right,
                status: right(`#result_list td.field-${status}`),
                badge: right('#result_list td.field-sample_badge'),
                last: right('#result_list thead th:last-child'),
                scrolled: document.querySelector('#changelist .results').scrollWidth
                    - document.querySelector('#changelist .results').clientWidth,
            };
        }""",
        status,
    )
    screenshot(page, f"list-{name}-1440")

    assert edges["status"] <= edges["box"] <= edges["viewport"], edges
    assert edges["badge"] <= edges["box"], edges
    assert edges["last"] <= edges["box"] + 1, edges  # the whole table fits: nothing to scroll sideways
    assert edges["scrolled"] <= 1, edges
    if name not in ("pairings", "reward-runs"):
        cut = page.locator("#result_list .truncated").first
        assert cut.get_attribute("title") == cut.inner_text()  # the whole name in the tooltip
        assert page.locator("#result_list .sample-badge").count() > 0


@pytest.mark.parametrize(("size", "viewport"), [("1440", WIDE), ("375", PHONE)])
def test_an_officer_types_wan_with_separators_and_the_exact_yuan_is_stored(
    browser, live_server, demo, screenshot, size, viewport
):
    allocation = max(Allocation.objects.all(), key=lambda a: a.amount - a.disbursed)
    assert allocation.amount - allocation.disbursed >= Decimal("10005000.00")
    page = sign_in(browser, live_server, viewport=viewport)
    # The allocation comes preselected (an autocomplete box otherwise), as from the allocation's own page
    page.goto(f"{live_server.url}/admin/funds/disbursement/add/?allocation={allocation.pk}")

    unit = page.locator(".wan-field .unit")
    assert unit.inner_text() == "万元"
    box = unit.bounding_box()
    assert box is not None and box["x"] + box["width"] <= viewport["width"]  # the unit is on screen beside the box
    page.fill("#id_amount", "1,000.5")
    page.fill("#id_paid_on", "2025-11-20")
    screenshot(page, f"money-wan-entry-{size}")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    assert page.locator(".errorlist").count() == 0, page.locator(".errornote, .errorlist").all_inner_texts()
    page.wait_for_url(f"{live_server.url}/admin/funds/disbursement/")

    assert Disbursement.objects.filter(allocation=allocation, paid_on=dt.date(2025, 11, 20)).get().amount == Decimal(
        "10005000.00"
    )


def rank_chart(page) -> dict:
    return page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.querySelector("[data-chart='rank-trend'] .chart"));
            const option = chart.getOption();
            return {periods: option.xAxis[0].data, series: option.series.map(s => s.data)};
        }"""
    )


def test_the_dashboard_opens_on_a_year_with_data_and_says_when_there_is_none(browser, live_server, demo, screenshot):
    # Given statistics for a new year (2026) whose figures are not ranked yet, and no money in it
    program = Program.objects.get(code="sd-2024")
    weak = list(ProgramCounty.objects.filter(program=program, role="weak").values_list("county", flat=True))
    province = GapResult.objects.filter(period="2025").values_list("province", flat=True).first()
    GapResult.objects.bulk_create(
        GapResult(province_id=province, region_id=county, indicator=Indicator.GDP, period="2026") for county in weak
    )
    Disbursement.objects.filter(paid_on__year=2026).delete()
    CrossCountyOrder.objects.filter(signed_date__year=2026).delete()

    # When the leader opens the dashboard
    page = browser.new_context(viewport=WIDE, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/liaison/login/?next=/dashboard/")
    page.fill("#id_username", "leader")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#cards[data-state=ready]")
    page.wait_for_selector("[data-chart='rank-trend'][data-rendered='true']")

    # Then it opens on 2025, not on the empty 2026, and the rank chart has no 2026 point
    assert page.locator("select[name=period]").input_value() == "2025"
    assert page.locator("#cards .card-empty").count() == 0
    chart = rank_chart(page)
    assert "2026" not in chart["periods"]
    assert all(value is None or value >= 1 for series in chart["series"] for value in series)
    screenshot(page, "dashboard-default-period-1440")

    # And a year without money says 暂无数据 on its money cards
    page.select_option("select[name=period]", "2023")
    page.wait_for_url("**period=2023**")
    page.wait_for_selector("#cards[data-state=ready]")
    empty = page.locator("#cards .card-empty")
    assert empty.count() >= 2
    assert "暂无数据" in empty.first.inner_text()
    screenshot(page, "dashboard-no-data-1440")
