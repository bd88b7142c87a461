"""Names from the database are shown as text on the dashboard and the liaison pages, never run as markup.

The threat: a region called ``台儿庄区<img src=x onerror=…>`` ran its script in the map tooltip of every dashboard
viewer, since ECharts tooltip formatters return HTML. Here a region, the strong county of its pairing, the program,
a project, the pairing's leader and a target carry payloads that set ``window.__xss``; every chart's tooltip is
shown (ECharts ``showTip``), every table view opened, and the liaison's pages visited. No payload may run, no dialog
may open, and the names must show as their literal text.
"""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.services import user_set_role
from pairing.models import Pairing, Program, Region
from projects.models import Project
from reporting.models import Target

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-xss-browser"
WAIT_MS = 30_000
CHARTS = ("map", "gaps", "funnel", "gap-trend", "rank-trend", "targets")
# Each payload sets window.__xss to its own number, so a failure says which one ran.
WEAK = '台儿庄区<img src=x onerror="window.__xss=1">'
STRONG = '黄岛区<svg onload="window.__xss=2"></svg>'
PROGRAM = '帮扶<img src=x onerror="window.__xss=3"><script>window.__xss=3</script>'
PROJECT = '项目<img src=x onerror="window.__xss=4">'
LEADER = '<img src=x onerror="window.__xss=5">'
TARGET = '目标<img src=x onerror="window.__xss=6">'


@pytest.fixture
def hostile(seeded_demo, django_user_model):
    Region.objects.filter(pk="370405").update(name=WEAK)
    Region.objects.filter(pk="370211").update(name=STRONG)
    program = Program.objects.get(code="sd-2024")
    Program.objects.filter(pk=program.pk).update(name=PROGRAM)
    pairing = Pairing.objects.get(program=program, weak_county="370405", status="active")
    Pairing.objects.filter(pk=pairing.pk).update(leader=LEADER)
    assert Project.objects.filter(pairing=pairing).update(name=PROJECT)
    assert Target.objects.filter(program=program, county="370405").update(title=TARGET)
    leader = django_user_model.objects.create_user("leader", password=PASSWORD)
    user_set_role(user=leader, role=Role.LEADER)
    liaison = django_user_model.objects.create_user("liaison", password=PASSWORD)
    user_set_role(user=liaison, role=Role.LIAISON, county=Region.objects.get(pk="370405"))
    return program


def signed_in(browser, live_server, viewport, username: str, path: str):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    dialogs: list[str] = []
    page = context.new_page()
    page.add_init_script("window.__xss = 0;")
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}{path}", timeout=WAIT_MS)
    page.wait_for_url("**/liaison/login/**", timeout=WAIT_MS)
    page.fill("#id_username", username, timeout=WAIT_MS)
    page.fill("#id_password", PASSWORD, timeout=WAIT_MS)
    page.click("button[type=submit], input[type=submit]", timeout=WAIT_MS)
    page.wait_for_url(f"{live_server.url}{path}", timeout=WAIT_MS)
    return context, page, dialogs


def wait_for_charts(page) -> None:
    page.wait_for_function(
        "names => names.every(n => { const s = document.querySelector(`[data-chart='${n}']`);"
        " return s.dataset.rendered === 'true' || s.dataset.error || s.dataset.rows === '0'; })",
        arg=list(CHARTS),
        timeout=WAIT_MS,
    )
    page.wait_for_selector("#cards[data-state=ready]", timeout=WAIT_MS)


# Where each hostile name sits in a chart: (chart, seriesIndex, a JS predicate on the series' data item and index).
TIPS = [
    ("map", 0, "(d) => d.name === '370405'"),  # the weak county's area
    ("map", 1, "(d) => d.name === '370211'"),  # the strong county's point
    ("map", 2, "(d) => d.name === '370405'"),  # the weak county's point
    ("map", 3, "(d) => d.name.includes('onload')"),  # the pairing's line: "strong → weak"
    ("gaps", 0, "(d, i, chart) => chart.getOption().yAxis[0].data[i].includes('onerror')"),
    ("gap-trend", 0, "(d, i) => i === 0"),
    ("rank-trend", 0, "(d, i) => i === 0"),
    ("funnel", 0, "(d, i) => i === 0"),
    ("targets", 0, "(d, i, chart) => chart.getOption().yAxis[0].data[i].includes('onerror')"),
]


def show_tip(page, chart: str, series: int, predicate: str) -> str:
    """Show the tooltip of the first matching data item and return the tooltip's text."""
    return page.evaluate(
        """([name, series, predicate]) => {
            const box = document.querySelector(`[data-chart='${name}'] .chart`);
            const chart = echarts.getInstanceByDom(box);
            const match = eval(predicate);
            const data = chart.getOption().series[series].data;
            const index = data.findIndex((d, i) => match(d, i, chart));
            if (index < 0) return null;
            chart.dispatchAction({ type: "showTip", seriesIndex: series, dataIndex: index });
            const tips = [...box.querySelectorAll("div")].filter((d) => d.style.zIndex === "9999999");
            return tips.map((d) => d.textContent).join(" | ");
        }""",
        [chart, series, predicate],
    )


def test_hostile_names_stay_text_on_the_dashboard(browser, live_server, hostile, screenshot):
    context, page, dialogs = signed_in(browser, live_server, DESKTOP, "leader", "/dashboard/")
    try:
        wait_for_charts(page)
        texts = {}
        for chart, series, predicate in TIPS:
            texts[(chart, series)] = show_tip(page, chart, series, predicate)
            page.wait_for_timeout(300)  # an <img onerror> fires once its request has failed
            assert page.evaluate("window.__xss") == 0, f"a payload ran in the {chart} tooltip ({series})"
        assert WEAK in texts[("map", 0)] and STRONG in texts[("map", 3)] and WEAK in texts[("map", 3)]
        assert STRONG in texts[("map", 1)] and WEAK in texts[("gaps", 0)]
        assert WEAK in texts[("targets", 0)]
        screenshot(page, "dashboard-hostile-names-tooltip")

        for chart in CHARTS:
            page.locator(f"[data-chart='{chart}'] [data-action=table]").click(timeout=WAIT_MS)
        page.wait_for_timeout(300)
        for chart in ("map", "gaps", "gap-trend", "targets"):
            assert WEAK in page.locator(f"[data-chart='{chart}'] .table-view").inner_text(timeout=WAIT_MS), chart
        assert PROGRAM in page.locator("select[name=program]").inner_text(timeout=WAIT_MS)
        assert page.evaluate("window.__xss") == 0 and dialogs == []
        screenshot(page, "dashboard-hostile-names-tables")
    finally:
        context.close()


def test_hostile_names_stay_text_on_the_liaison_pages(browser, live_server, hostile, screenshot):
    context, page, dialogs = signed_in(browser, live_server, PHONE, "liaison", "/liaison/")
    try:
        page.wait_for_selector("body", timeout=WAIT_MS)
        page.wait_for_timeout(300)
        assert PROJECT in page.inner_text("body", timeout=WAIT_MS)
        page.locator(".card-title a").first.click(timeout=WAIT_MS)  # the project page
        page.wait_for_url("**/liaison/projects/*/", timeout=WAIT_MS)
        page.wait_for_timeout(300)
        assert PROJECT in page.inner_text("body", timeout=WAIT_MS)
        page.goto(f"{live_server.url}/liaison/workbook/", timeout=WAIT_MS)
        page.wait_for_timeout(300)
        assert PROJECT in page.inner_text("body", timeout=WAIT_MS)
        page.goto(f"{live_server.url}/dashboard/", timeout=WAIT_MS)
        wait_for_charts(page)
        for chart, series, predicate in TIPS:
            show_tip(page, chart, series, predicate)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") == 0 and dialogs == []
        screenshot(page, "liaison-hostile-names")
    finally:
        context.close()
