"""Cooperation records (cross-county orders, joint promotion events, secondments): who may write them and every rule
of their services. A refused write saves nothing; every broken rule is reported at once, on its field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts.services import user_set_role
from pairing.factories import CountyFactory
from projects.cooperation import (
    cross_county_order_create,
    pairings_writable_by,
    promotion_event_create,
    secondment_create,
)
from projects.models import CrossCountyOrder, PromotionEvent, Secondment, SecondmentKind

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 20)
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def english():
    # The assertions read the English source strings, whatever the translations say.
    with translation.override("en"):
        yield


@pytest.fixture
def liaison_strong_a(django_user_model, pairing_a):
    """The liaison of 黄岛区, the strong county of pairing A."""
    user = django_user_model.objects.create_user("liaison_strong_a", "s@example.org", "pw-liaison-s")
    user_set_role(user=user, role="liaison", county=pairing_a.strong_county)
    return user


def order(pairing, by, **changes) -> CrossCountyOrder:
    values = {
        "buyer": "台儿庄区某食品有限公司",
        "seller": "黄岛区某包装材料有限公司",
        "seller_county": pairing.strong_county,
        "goods": "食品包装膜",
        "amount": Decimal("20000000.00"),
        "signed_date": dt.date(2025, 5, 20),
        **changes,
    }
    return cross_county_order_create(pairing=pairing, by=by, today=TODAY, **values)


def event(pairing, by, **changes) -> PromotionEvent:
    values = {
        "title": "黄岛—台儿庄协同招商推介会",
        "held_on": dt.date(2025, 4, 18),
        "location": "青岛",
        "projects_signed": 3,
        "intended_investment": Decimal("450000000.00"),
        **changes,
    }
    return promotion_event_create(pairing=pairing, by=by, today=TODAY, **values)


def secondment(pairing, by, **changes) -> Secondment:
    values = {
        "person": "张三",
        "from_county": pairing.strong_county,
        "to_county": pairing.weak_county,
        "post": "副区长(挂职)",
        "start_date": dt.date(2024, 11, 1),
        "end_date": dt.date(2026, 10, 31),
        **changes,
    }
    return secondment_create(pairing=pairing, by=by, today=TODAY, **values)


WRITERS = {"order": order, "event": event, "secondment": secondment}
MODELS = {"order": CrossCountyOrder, "event": PromotionEvent, "secondment": Secondment}


def refused(write, pairing, by, **changes) -> dict[str, list[str]]:
    """The field messages of a refused write (and the proof that nothing was saved)."""
    model = MODELS[next(name for name, fn in WRITERS.items() if fn is write)]
    before = model.objects.count()
    with pytest.raises(ValidationError) as caught:
        write(pairing, by, **changes)
    assert model.objects.count() == before
    return caught.value.message_dict


# --- Who writes ------------------------------------------------------------------------------------------------------


class TestWriters:
    @pytest.mark.parametrize("kind", WRITERS)
    def test_the_weak_countys_liaison_writes_for_their_pairing(self, liaison_a, pairing_a, kind):
        row = WRITERS[kind](pairing_a, liaison_a)

        assert MODELS[kind].objects.get() == row
        assert row.pairing == pairing_a
        assert row.is_sample is False
        assert row._history_user == liaison_a  # the actor is named for the history the models will keep

    @pytest.mark.parametrize("kind", WRITERS)
    def test_the_strong_countys_liaison_writes_for_the_same_pairing(self, liaison_strong_a, pairing_a, kind):
        assert WRITERS[kind](pairing_a, liaison_strong_a).pairing == pairing_a

    @pytest.mark.parametrize("kind", WRITERS)
    def test_a_provincial_officer_writes_for_any_pairing(self, officer, pairing_a, pairing_b, kind):
        WRITERS[kind](pairing_a, officer)
        WRITERS[kind](pairing_b, officer)

        assert MODELS[kind].objects.count() == 2

    @pytest.mark.parametrize("persona", ["liaison_b", "finance", "leader", "norole"])
    @pytest.mark.parametrize("kind", WRITERS)
    def test_anyone_else_is_refused_and_nothing_is_saved(self, request, pairing_a, kind, persona):
        by = request.getfixturevalue(persona)

        with pytest.raises(PermissionDenied):
            WRITERS[kind](pairing_a, by)

        assert not MODELS[kind].objects.exists()

    @pytest.mark.parametrize("kind", WRITERS)
    def test_nobody_at_all_is_refused(self, pairing_a, kind):
        with pytest.raises(PermissionDenied):
            WRITERS[kind](pairing_a, None)

    def test_the_writer_is_checked_before_the_rules(self, liaison_b, pairing_a):
        # Another county's liaison learns nothing about the rules of a pairing that is not theirs.
        with pytest.raises(PermissionDenied):
            order(pairing_a, liaison_b, amount=Decimal("0"), buyer="")

    def test_writable_pairings_by_persona(
        self, officer, finance, liaison_a, liaison_b, liaison_strong_a, pairing_a, pairing_b
    ):
        assert set(pairings_writable_by(officer)) == {pairing_a, pairing_b}
        assert set(pairings_writable_by(liaison_a)) == {pairing_a}
        assert set(pairings_writable_by(liaison_strong_a)) == {pairing_a}
        assert set(pairings_writable_by(liaison_b)) == {pairing_b}
        assert not pairings_writable_by(finance).exists()
        assert not pairings_writable_by(None).exists()


# --- Cross-county orders ---------------------------------------------------------------------------------------------


class TestCrossCountyOrder:
    def test_recorded_as_entered_with_the_text_trimmed(self, liaison_a, pairing_a):
        row = order(pairing_a, liaison_a, buyer="  台儿庄区某食品有限公司 ", amount=Decimal("0.01"), signed_date=TODAY)

        row.refresh_from_db()
        assert row.buyer == "台儿庄区某食品有限公司"
        assert row.seller_county == pairing_a.strong_county
        assert (row.amount, row.signed_date) == (Decimal("0.01"), TODAY)

    def test_the_seller_may_be_in_the_weak_county(self, liaison_a, pairing_a):
        assert order(pairing_a, liaison_a, seller_county=pairing_a.weak_county).seller_county == pairing_a.weak_county

    def test_the_seller_county_must_be_one_of_the_pairings(self, liaison_a, pairing_a, pairing_b):
        for county in (pairing_b.weak_county, CountyFactory(adcode="370481", name="滕州市")):
            errors = refused(order, pairing_a, liaison_a, seller_county=county)

            assert list(errors) == ["seller_county"]
            assert county.name in errors["seller_county"][0]

    @pytest.mark.parametrize("amount", ["0", "-0.01", "-20000000"])
    def test_the_amount_is_greater_than_zero(self, liaison_a, pairing_a, amount):
        errors = refused(order, pairing_a, liaison_a, amount=Decimal(amount))

        assert errors == {"amount": ["The amount must be greater than zero."]}

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("100.001", "Amounts are in yuan with at most two decimals."),
            ("100000000000000.00", "The amount is too large."),
            ("NaN", "Enter the amount in yuan."),
            (None, "Enter the amount in yuan."),
        ],
    )
    def test_the_amount_fits_the_column(self, liaison_a, pairing_a, amount, message):
        errors = refused(order, pairing_a, liaison_a, amount=None if amount is None else Decimal(amount))

        assert errors == {"amount": [message]}

    def test_signed_date_not_in_the_future(self, liaison_a, pairing_a):
        assert refused(order, pairing_a, liaison_a, signed_date=TOMORROW) == {
            "signed_date": ["The date cannot be in the future."]
        }

    @pytest.mark.parametrize("field", ["buyer", "seller"])
    def test_buyer_and_seller_are_named(self, liaison_a, pairing_a, field):
        errors = refused(order, pairing_a, liaison_a, **{field: "   "})

        assert list(errors) == [field]

    def test_text_longer_than_the_column(self, liaison_a, pairing_a):
        assert refused(order, pairing_a, liaison_a, goods="零" * 256) == {"goods": ["At most 255 characters."]}

    def test_every_broken_rule_at_once(self, liaison_a, pairing_a, pairing_b):
        errors = refused(
            order,
            pairing_a,
            liaison_a,
            buyer="",
            seller_county=pairing_b.weak_county,
            amount=Decimal("0"),
            signed_date=TOMORROW,
        )

        assert set(errors) == {"buyer", "seller_county", "amount", "signed_date"}


# --- Joint promotion events ------------------------------------------------------------------------------------------


class TestPromotionEvent:
    def test_recorded_as_entered(self, liaison_a, pairing_a):
        row = event(pairing_a, liaison_a, held_on=TODAY)

        row.refresh_from_db()
        assert (row.title, row.held_on, row.projects_signed) == ("黄岛—台儿庄协同招商推介会", TODAY, 3)
        assert row.intended_investment == Decimal("450000000.00")

    def test_an_event_without_signings_or_announced_investment(self, liaison_a, pairing_a):
        row = event(pairing_a, liaison_a, projects_signed=0, intended_investment=Decimal("0"), location="")

        assert (row.projects_signed, row.intended_investment, row.location) == (0, Decimal("0"), "")

    def test_held_on_not_in_the_future(self, liaison_a, pairing_a):
        assert refused(event, pairing_a, liaison_a, held_on=TOMORROW) == {
            "held_on": ["The date cannot be in the future."]
        }

    def test_the_intended_investment_is_not_negative(self, liaison_a, pairing_a):
        assert refused(event, pairing_a, liaison_a, intended_investment=Decimal("-1.00")) == {
            "intended_investment": ["The amount cannot be negative."]
        }

    def test_projects_signed_is_not_negative(self, liaison_a, pairing_a):
        assert refused(event, pairing_a, liaison_a, projects_signed=-1) == {
            "projects_signed": ["The number cannot be negative."]
        }

    def test_the_title_is_given(self, liaison_a, pairing_a):
        assert list(refused(event, pairing_a, liaison_a, title="")) == ["title"]

    def test_every_broken_rule_at_once(self, liaison_a, pairing_a):
        errors = refused(
            event,
            pairing_a,
            liaison_a,
            title=" ",
            held_on=TOMORROW,
            projects_signed=-2,
            intended_investment=Decimal("-5"),
        )

        assert set(errors) == {"title", "held_on", "projects_signed", "intended_investment"}


# --- Secondments -----------------------------------------------------------------------------------------------------


class TestSecondment:
    def test_recorded_as_entered_with_a_planned_end_in_the_future(self, liaison_a, pairing_a):
        row = secondment(pairing_a, liaison_a, start_date=TODAY, end_date=dt.date(2027, 10, 31))

        row.refresh_from_db()
        assert (row.from_county, row.to_county) == (pairing_a.strong_county, pairing_a.weak_county)
        assert (row.start_date, row.end_date, row.kind) == (TODAY, dt.date(2027, 10, 31), SecondmentKind.CADRE)

    def test_a_talent_exchange_from_the_weak_county_without_an_end(self, liaison_a, pairing_a):
        row = secondment(
            pairing_a,
            liaison_a,
            kind=SecondmentKind.TALENT,
            from_county=pairing_a.weak_county,
            to_county=pairing_a.strong_county,
            end_date=None,
        )

        assert (row.kind, row.end_date, row.to_county) == (SecondmentKind.TALENT, None, pairing_a.strong_county)

    def test_a_one_day_secondment(self, liaison_a, pairing_a):
        day = dt.date(2025, 6, 1)

        assert secondment(pairing_a, liaison_a, start_date=day, end_date=day).end_date == day

    @pytest.mark.parametrize("field", ["from_county", "to_county"])
    def test_both_counties_are_the_pairings(self, liaison_a, pairing_a, pairing_b, field):
        errors = refused(secondment, pairing_a, liaison_a, **{field: pairing_b.weak_county})

        assert list(errors) == [field]
        assert pairing_b.weak_county.name in errors[field][0]

    def test_from_and_to_differ(self, liaison_a, pairing_a):
        errors = refused(secondment, pairing_a, liaison_a, to_county=pairing_a.strong_county)

        assert errors == {"to_county": ["The person goes from one of the pairing's counties to the other."]}

    def test_the_end_is_not_before_the_start(self, liaison_a, pairing_a):
        errors = refused(secondment, pairing_a, liaison_a, end_date=dt.date(2024, 10, 31))

        assert errors == {"end_date": ["The end date cannot be before the start date."]}

    def test_the_start_is_not_in_the_future(self, liaison_a, pairing_a):
        errors = refused(secondment, pairing_a, liaison_a, start_date=TOMORROW, end_date=None)

        assert errors == {"start_date": ["The date cannot be in the future."]}

    def test_the_kind_is_known(self, liaison_a, pairing_a):
        assert list(refused(secondment, pairing_a, liaison_a, kind="intern")) == ["kind"]

    @pytest.mark.parametrize("field", ["person", "post"])
    def test_person_and_post_are_given(self, liaison_a, pairing_a, field):
        assert list(refused(secondment, pairing_a, liaison_a, **{field: ""})) == [field]

    def test_the_persons_name_fits_the_column(self, liaison_a, pairing_a):
        assert refused(secondment, pairing_a, liaison_a, person="张" * 65) == {"person": ["At most 64 characters."]}

    def test_every_broken_rule_at_once(self, liaison_a, pairing_a, pairing_b):
        errors = refused(
            secondment,
            pairing_a,
            liaison_a,
            kind="intern",
            person="",
            post="",
            from_county=pairing_b.strong_county,
            to_county=pairing_b.strong_county,
            start_date=TOMORROW,
            end_date=TODAY,
        )

        assert set(errors) == {"kind", "person", "post", "from_county", "to_county", "start_date", "end_date"}
        assert len(errors["to_county"]) == 2  # outside the pairing, and the same county as from_county
