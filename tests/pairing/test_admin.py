"""The admin of regions, sources, programs, county roles, pairings and parks, tried as the provincial officer."""

from __future__ import annotations

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Group, User
from django.urls import reverse

from pairing.factories import CountyFactory, ParkFactory, ParkPartnerFactory, SourceFactory
from pairing.models import Pairing, Park, Program, ProgramCounty, Region, Source
from pairing.services import pairing_create

pytestmark = pytest.mark.django_db

PAIRING_MODELS = [Region, Source, Program, ProgramCounty, Pairing, Park]


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    # The assertions read the English source strings, whatever the translations say.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def documented_pairing(program):
    """A pairing with its source document, made the way the reference loader makes it."""
    return pairing_create(
        program=program,
        strong_county=CountyFactory(adcode="370681", name="龙口市"),
        weak_county=CountyFactory(adcode="371428", name="武城县"),
        start_date=program.start_date,
        source=SourceFactory(title="强县帮弱县 共建促发展"),
        provenance_note="共建二手车出口基地,开拓出口市场50个。",
    )


@pytest.fixture
def dataset(pairing_a, documented_pairing):
    ParkPartnerFactory(park=ParkFactory(pairing=pairing_a, name="台儿庄区黄岛产业园"))
    return pairing_a


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_is_registered():
    from funds.models import Allocation, BondIssue, BondPlan, BondQuota, Disbursement, Fund
    from projects.models import (
        CrossCountyOrder,
        FinanceSupport,
        ProgressReport,
        Project,
        PromotionEvent,
        Secondment,
    )

    expected = {
        *PAIRING_MODELS,
        Project,
        ProgressReport,
        CrossCountyOrder,
        PromotionEvent,
        Secondment,
        FinanceSupport,
        Fund,
        Allocation,
        Disbursement,
        BondPlan,
        BondQuota,
        BondIssue,
        User,
        Group,
    }
    assert expected <= set(site._registry)


@pytest.mark.parametrize("model", PAIRING_MODELS, ids=lambda m: m.__name__)
def test_changelist_add_and_change_pages_open(officer_client, dataset, model):
    obj = model.objects.first()

    for page in (url(model, "changelist"), url(model, "add"), url(model, "change", obj.pk)):
        assert officer_client.get(page).status_code == 200, page


def test_index_groups_apps_in_program_order_with_overview(officer_client, dataset, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        response = officer_client.get(reverse("admin:index"))

    assert response.status_code == 200
    app_list = response.context["app_list"]
    names = [str(app["name"]) for app in app_list]
    program_groups = ["Programs & pairings", "Projects & cooperation", "Funds & bonds", "Reference data"]
    assert [name for name in names if name in program_groups] == program_groups
    assert names.index("Programs & pairings") == 0
    assert [app["app_label"] for app in app_list][-2:] == ["accounts", "auth"]
    [overview] = response.context["program_overviews"]
    assert (overview.pairings_documented, overview.pairings_sample, overview.weak_counties) == (1, 1, 2)
    assert reverse("admin:pairing_pairing_changelist") + f"?program__id__exact={overview.program.pk}" in (
        response.content.decode()
    )


def test_app_index_page_opens(officer_client, dataset):
    assert officer_client.get(reverse("admin:app_list", args=["pairing"])).status_code == 200


def test_region_search_by_adcode(officer_client, dataset):
    response = officer_client.get(url(Region, "changelist"), {"q": "370405"})

    assert [r.adcode for r in response.context["cl"].result_list] == ["370405"]


def test_region_autocomplete_for_a_pairing_county(officer_client, dataset):
    response = officer_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "pairing", "model_name": "pairing", "field_name": "weak_county", "term": "台儿庄"},
    )

    assert [r["id"] for r in response.json()["results"]] == ["370405"]


def test_sample_pairing_shows_the_badge_and_the_filter_separates_it(officer_client, dataset, documented_pairing):
    listing = officer_client.get(url(Pairing, "changelist"))
    documented_only = officer_client.get(url(Pairing, "changelist"), {"sample": "no"})

    assert 'class="sample-badge"' in listing.content.decode()
    assert list(documented_only.context["cl"].result_list) == [documented_pairing]
    assert 'class="sample-badge"' not in documented_only.content.decode()


def test_documented_pairing_shows_provenance_read_only(officer_client, documented_pairing):
    response = officer_client.get(url(Pairing, "change", documented_pairing.pk))
    html = response.content.decode()

    assert "强县帮弱县 共建促发展" in html
    assert "共建二手车出口基地" in html
    assert 'name="source"' not in html
    assert 'name="provenance_note"' not in html
    assert 'name="leader"' in html


def test_pairing_a_county_with_itself_is_refused_and_nothing_saved(officer_client, program):
    county = CountyFactory(adcode="370322", name="高青县")
    pairings, roles = Pairing.objects.count(), ProgramCounty.objects.count()

    response = officer_client.post(
        url(Pairing, "add"),
        {
            "program": program.pk,
            "strong_county": county.pk,
            "weak_county": county.pk,
            "start_date": "2024-09-01",
            "is_sample": "on",
        },
    )

    assert response.status_code == 200
    assert "A county cannot be paired with itself." in response.context["adminform"].form.errors["weak_county"]
    assert (Pairing.objects.count(), ProgramCounty.objects.count()) == (pairings, roles)


def test_official_pairing_without_source_is_refused(officer_client, program):
    response = officer_client.post(
        url(Pairing, "add"),
        {
            "program": program.pk,
            "strong_county": CountyFactory(adcode="370202").pk,
            "weak_county": CountyFactory(adcode="371603").pk,
            "start_date": "2024-09-01",
        },
    )

    assert "source" in response.context["adminform"].form.errors
    assert not Pairing.objects.exists()
    assert not ProgramCounty.objects.exists()


def test_adding_a_pairing_goes_through_the_service(officer_client, program):
    response = officer_client.post(
        url(Pairing, "add"),
        {
            "program": program.pk,
            "strong_county": CountyFactory(adcode="370602", name="芝罘区").pk,
            "weak_county": CountyFactory(adcode="371423", name="庆云县").pk,
            "start_date": "2024-09-01",
            "source": SourceFactory().pk,
            "provenance_note": "供应链闭环",
        },
    )

    assert response.status_code == 302
    pairing = Pairing.objects.get()
    assert str(pairing) == "芝罘区 → 庆云县"
    # The service designates both counties' roles in the program.
    assert set(ProgramCounty.objects.values_list("county", "role")) == {("370602", "strong"), ("371423", "weak")}


def test_a_county_already_paired_is_refused(officer_client, pairing_a):
    response = officer_client.post(
        url(Pairing, "add"),
        {
            "program": pairing_a.program.pk,
            "strong_county": CountyFactory(adcode="370612").pk,
            "weak_county": pairing_a.weak_county.pk,
            "start_date": "2024-09-01",
            "is_sample": "on",
        },
    )

    assert response.context["adminform"].form.errors
    assert Pairing.objects.count() == 1


def test_end_today_action_ends_pairings(officer_client, pairing_a):
    officer_client.post(url(Pairing, "changelist"), {"action": "end_today", "_selected_action": [pairing_a.pk]})

    pairing_a.refresh_from_db()
    assert pairing_a.status == "ended"


def test_park_shows_partners_capital_in_wan(officer_client, pairing_a):
    park = ParkFactory(pairing=pairing_a)
    ParkPartnerFactory(park=park, capital_contribution="150000000.00")

    listing = officer_client.get(url(Park, "changelist")).content.decode()
    change = officer_client.get(url(Park, "change", park.pk)).content.decode()

    assert "15,000.00 万元" in listing
    assert "15,000.00 万元" in change


def test_a_pairings_and_a_parks_pages_end_with_their_projects(officer_client, pairing_a):
    """projects adds the list to pairing's admin pages (pairing itself knows nothing of projects)."""
    from projects.factories import ProjectFactory

    park = ParkFactory(pairing=pairing_a)
    ProjectFactory(pairing=pairing_a, park=park, code="TP-0042", name="钻机液压核心部件")

    for page in (url(Pairing, "change", pairing_a.pk), url(Park, "change", park.pk)):
        assert "TP-0042" in officer_client.get(page).content.decode()
