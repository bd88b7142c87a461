"""The dashboard page (/dashboard/): who gets it, the program and period selects, the JSON config the browser reads
the API with — and no figure of its own: every number on the page comes from the API."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from pairing.factories import CountyFactory, PairingFactory, ProgramFactory

from .builders import project_build, statistics_build

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"
ECHARTS = "vendor/echarts/echarts.min.js"
PLANNED = "1234567891.23"  # the program's planned investment: ¥1,234,567,891.23 = 123,456.79 万元 = 12.35 亿元


@dataclass
class Page:
    """What the tests read of the page: the selects, the scripts and the classes present."""

    selects: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # name → [(value, selected)]
    scripts: list[dict[str, str]] = field(default_factory=list)  # attributes, plus "text"
    stylesheets: list[str] = field(default_factory=list)
    classes: set[str] = field(default_factory=set)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._select: str | None = None
        self._script: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.page.classes.update(attributes.get("class", "").split())
        if tag == "select":
            self._select = attributes.get("name", "")
            self.page.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self.page.selects[self._select].append((attributes.get("value", ""), "selected" in attributes))
        elif tag == "script":
            self._script = {**attributes, "text": ""}
            self.page.scripts.append(self._script)
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.page.stylesheets.append(attributes.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data


def read(response) -> Page:
    reader = _Reader()
    reader.feed(response.content.decode())
    return reader.page


def config_of(page: Page) -> dict:
    (blob,) = [s for s in page.scripts if s.get("id") == "dashboard-config"]
    assert blob["type"] == "application/json"
    return json.loads(blob["text"])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def data(program, pairing_a, pairing_b):
    project_build(pairing_a, planned="1000000000.00")
    project_build(pairing_b, planned="234567891.23")
    statistics_build()  # results for 2023, 2024, 2025 and the month 2025-09


# --- Who gets the page -----------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in_and_back():
    response = Client().get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('liaison:login')}?next=/dashboard/"
    assert response["Location"] == "/liaison/login/?next=/dashboard/"


def test_an_account_without_a_role_gets_the_no_access_page(norole, data):
    response = signed_in(norole).get(DASHBOARD)

    assert response.status_code == 403
    assert response.templates[0].name == "reporting/forbidden.html"
    assert "dashboard-config" not in response.content.decode()


def test_signing_in_as_a_leader_from_the_dashboard_lands_on_the_dashboard(leader, data):
    client = Client()
    response = client.post(
        "/liaison/login/?next=/dashboard/", {"username": "leader", "password": "pw-leader", "next": "/dashboard/"}
    )

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert client.get(response["Location"]).status_code == 200


def test_a_wrong_password_does_not_reach_the_dashboard(leader, data):
    client = Client()
    response = client.post("/liaison/login/", {"username": "leader", "password": "nope", "next": "/dashboard/"})

    assert response.status_code == 200  # the form again
    assert client.get(DASHBOARD).status_code == 302


# --- The page --------------------------------------------------------------------------------------------------------


def test_a_leader_gets_the_program_and_period_selects_newest_year_first(leader, data):
    response = signed_in(leader).get(DASHBOARD)

    assert response.status_code == 200
    page = read(response)
    assert page.selects["program"] == [("sd-test", True)]
    assert page.selects["period"] == [("2025-09", False), ("2025", True), ("2024", False), ("2023", False)]


@pytest.mark.parametrize(
    ("asked", "shown"), [("2024", "2024"), ("2025-09", "2025-09"), ("2031", "2025"), ("x", "2025")]
)
def test_the_period_asked_for_is_selected_if_there_are_results_for_it(leader, data, asked, shown):
    page = read(signed_in(leader).get(DASHBOARD, {"period": asked}))

    assert [value for value, selected in page.selects["period"] if selected] == [shown]
    assert config_of(page)["period"] == shown


def test_the_config_names_the_api_and_the_selection(leader, data):
    config = config_of(read(signed_in(leader).get(DASHBOARD)))

    assert config["api"] == "/api/v1/"
    assert (config["program"], config["period"], config["province"]) == ("sd-test", "2025", "370000")
    assert [row["code"] for row in config["indicators"]][:2] == ["gdp", "fai"]


def test_no_figure_is_baked_into_the_page(leader, data):
    html = signed_in(leader).get(DASHBOARD).content.decode()
    planned = Decimal(PLANNED)

    for text in (PLANNED, "1234567891", "1,234,567,891", "123456.79", "123,456.79", "123457", "123,457"):
        assert text not in html, text
    assert f"{planned / 10**8:.2f}亿" not in html
    # Nor a gap: 台儿庄's 2025 GDP gap is 0.581 pp
    assert "0.581" not in html
    # The cards and charts are empty frames the script fills
    assert re.search(r'<section class="cards" id="cards"[^>]*data-state="loading"></section>', html)


def test_a_liaison_sees_the_scope_note_and_only_the_programs_of_their_pairings(liaison_a, leader, data, pairing_a):
    other = ProgramFactory(code="sd-other", start_date=dt.date(2023, 1, 1))
    PairingFactory(
        program=other, strong_county=CountyFactory(adcode="370602"), weak_county=CountyFactory(adcode="371423")
    )

    mine = read(signed_in(liaison_a).get(DASHBOARD))
    theirs = read(signed_in(leader).get(DASHBOARD))

    assert "scope-note" in mine.classes
    assert "scope-note" not in theirs.classes
    assert [value for value, _selected in mine.selects["program"]] == ["sd-test"]
    assert [value for value, _selected in theirs.selects["program"]] == ["sd-test", "sd-other"]


def test_another_program_can_be_chosen(leader, data):
    other = ProgramFactory(code="sd-other", start_date=dt.date(2023, 1, 1))

    page = read(signed_in(leader).get(DASHBOARD, {"program": "sd-other"}))

    assert page.selects["program"] == [("sd-test", False), (other.code, True)]
    assert page.selects["period"] == []  # no results for its counties
    assert (config_of(page)["program"], config_of(page)["period"]) == ("sd-other", "")


def test_the_sample_note_shows_while_sample_pairings_are_in_the_program(leader, data):
    assert "sample-note" in read(signed_in(leader).get(DASHBOARD)).classes


def test_without_a_program_the_page_says_so(leader):
    page = read(signed_in(leader).get(DASHBOARD))

    assert "empty" in page.classes
    assert config_of(page)["program"] is None
    assert page.selects["program"] == []


# --- Scripts are served locally --------------------------------------------------------------------------------------


def test_echarts_is_found_by_the_staticfiles_finders():
    found = finders.find(ECHARTS)

    assert found is not None
    assert Path(found).stat().st_size > 100_000
    assert Path(found).is_relative_to(Path(settings.BASE_DIR))


def test_the_page_loads_its_scripts_and_styles_from_this_site_only(leader, data):
    page = read(signed_in(leader).get(DASHBOARD))

    sources = [s["src"] for s in page.scripts if "src" in s]
    assert f"/static/{ECHARTS}" in sources
    for url in [*sources, *page.stylesheets]:
        assert url.startswith("/") and not url.startswith("//"), url
        assert finders.find(url.removeprefix("/static/")) is not None, url


def test_the_template_references_no_remote_script():
    source = Path(get_template("reporting/dashboard.html").origin.name).read_text(encoding="utf-8")

    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", source)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", source)
    assert "{% static 'vendor/echarts/echarts.min.js' %}" in source
