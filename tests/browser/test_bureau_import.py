"""An officer uploads the statistics bureau's table in the admin, checks how it was understood and confirms it —
at desktop and phone sizes."""

from __future__ import annotations

import pytest

from stats.models import StatValue
from tests.stats import bureau

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-officer-browser"
WIDE = {"width": 1440, "height": 900}


@pytest.mark.parametrize(("size", "viewport"), [("desktop", WIDE), ("phone", PHONE)])
def test_upload_preview_confirm(browser, live_server, django_user_model, screenshot, tmp_path, size, viewport):
    bureau.regions()
    django_user_model.objects.create_superuser("officer", "officer@example.org", PASSWORD)
    table = tmp_path / "2025年主要经济指标.xlsx"
    table.write_bytes(bureau.xlsx_bytes())
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/stats/importbatch/upload/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/stats/importbatch/upload/")
    assert page.locator("a[href$='/template/wide/']").count() == 1
    screenshot(page, f"admin-import-upload-{size}")
    page.select_option("#id_kind", "indicators")
    page.set_input_files("#id_file", str(table))
    page.check("#id_skip_unknown")
    page.click("input[type=submit].default")

    page.wait_for_selector("table.import-rows")
    rows = page.locator("table.import-rows tbody tr")
    assert rows.count() == 7
    assert "370402" in rows.nth(5).inner_text() and "市中区" in rows.nth(5).inner_text()
    assert "济南高新区" in page.locator("table.import-skipped").inner_text()
    assert "亿元" in page.locator("table.import-columns").inner_text()
    assert StatValue.objects.count() == 0
    screenshot(page, f"admin-import-preview-{size}")

    page.click("text=确认导入")
    page.wait_for_selector("ul.messagelist li.success")
    assert "28" in page.locator("ul.messagelist li.success").inner_text()
    assert "济南高新区" in page.locator("ul.messagelist li.warning").last.inner_text()
    screenshot(page, f"admin-import-confirmed-{size}")
    assert StatValue.objects.count() == 28
