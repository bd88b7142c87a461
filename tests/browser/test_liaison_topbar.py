"""The liaison pages' top bar fits a 375 px phone on one line: the title, the dashboard link, the liaison's name and
the sign-out button, none of them broken across lines (Chinese breaks between any two characters otherwise)."""

from __future__ import annotations

import pytest

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# For each part of the bar, the number of lines its text takes.
LINES = """() => [...document.querySelectorAll('.topbar .brand, .topbar .nav-link, .topbar .who, .topbar button')]
  .map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    return [el.className, tops.size];
  })"""


def test_the_top_bar_is_one_line_on_a_phone(browser, live_server, screenshot, liaison_a):
    liaison_a.first_name, liaison_a.last_name = "晓明", "台儿庄区联络员王"
    liaison_a.save()
    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/liaison/login/")
    page.fill("#id_username", "liaison_a")
    page.fill("#id_password", "pw-liaison-a")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/liaison/")
    screenshot(page, "liaison-topbar-375")

    lines = dict(page.evaluate(LINES))
    height = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")

    assert len(lines) == 4
    assert all(count == 1 for count in lines.values()), lines
    assert height <= 60, f"the bar is {height}px high"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
