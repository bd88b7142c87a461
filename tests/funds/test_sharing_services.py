"""Pair industry funds and park benefit sharing: contributions are booked against the fund's total, investments
against what was paid in, and a park's tax and output are split between its partners to the fen, summing exactly."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet, Sum
from django.utils import timezone, translation

from funds.factories import FundFactory, PairIndustryFundFactory
from funds.models import Fund, FundContribution, FundInvestment, FundKind, ParkLedgerEntry, ParkLedgerShare
from funds.services import (
    fund_close_year,
    fund_contribution_create,
    fund_investment_create,
    park_ledger_record,
)
from pairing.factories import CountyFactory, PairingFactory, ParkFactory, ParkPartnerFactory
from projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 1)
STRONG, WEAK, THIRD = "370211", "370405", "370481"  # 黄岛区, 台儿庄区, 滕州市


@pytest.fixture(autouse=True)
def english():
    # The assertions read the English source strings, whatever the translations say.
    with translation.override("en"):
        yield


@pytest.fixture
def fund(pairing_a) -> Fund:
    """The 青岛西海岸—台儿庄 industry fund: ¥1,000,000 to be paid in by the two counties."""
    return PairIndustryFundFactory(pairing=pairing_a, total=Decimal("1000000.00"), name="青岛西海岸—台儿庄产业基金")


@pytest.fixture
def project(pairing_a):
    return ProjectFactory(pairing=pairing_a)


def _contributions(fund: Fund) -> tuple[Decimal, int]:
    return Fund.objects.get(pk=fund.pk).contributed, FundContribution.objects.filter(fund=fund).count()


def _investments(fund: Fund) -> tuple[Decimal, int]:
    return Fund.objects.get(pk=fund.pk).invested, FundInvestment.objects.filter(fund=fund).count()


def _contribute(fund: Fund, amount: str, county=None) -> FundContribution:
    county = county or fund.pairing.strong_county
    return fund_contribution_create(fund=fund, county=county, amount=Decimal(amount), paid_on=ON)


class TestContribution:
    def test_both_counties_pay_in(self, fund, pairing_a):
        _contribute(fund, "600000.00", pairing_a.strong_county)
        contribution = _contribute(fund, "400000.00", pairing_a.weak_county)

        assert contribution.county == pairing_a.weak_county
        assert contribution.amount == Decimal("400000.00")
        assert _contributions(fund) == (Decimal("1000000.00"), 2)

    def test_over_the_fund_total_is_refused_and_nothing_saved(self, fund):
        _contribute(fund, "999999.99")

        with pytest.raises(ValidationError) as caught:
            _contribute(fund, "0.02")

        [message] = caught.value.message_dict["amount"]
        assert message == "Exceeds what the fund can still take in (0.00 万元)."
        assert _contributions(fund) == (Decimal("999999.99"), 1)

    def test_the_last_fen_fits(self, fund):
        _contribute(fund, "999999.99")
        _contribute(fund, "0.01")

        assert _contributions(fund) == (fund.total, 2)

    def test_county_outside_the_pairing_is_refused(self, fund, pairing_b):
        with pytest.raises(ValidationError) as caught:
            _contribute(fund, "1.00", pairing_b.weak_county)

        assert caught.value.message_dict["county"] == ["蒙阴县 is not one of the two counties of the fund's pairing."]
        assert _contributions(fund) == (Decimal("0.00"), 0)

    def test_guidance_fund_is_refused(self, program, pairing_a):
        guidance = FundFactory(program=program, kind=FundKind.GUIDANCE)

        with pytest.raises(ValidationError) as caught:
            _contribute(guidance, "1.00", pairing_a.weak_county)

        assert "fund" in caught.value.message_dict
        assert _contributions(guidance) == (Decimal("0.00"), 0)

    @pytest.mark.parametrize("amount", ["0", "-1.00", "0.004"])
    def test_amount_must_be_positive(self, fund, amount):
        with pytest.raises(ValidationError) as caught:
            _contribute(fund, amount)

        assert caught.value.message_dict["amount"] == ["The amount must be greater than zero."]
        assert _contributions(fund) == (Decimal("0.00"), 0)

    def test_closed_year_is_refused(self, fund):
        _contribute(fund, "100.00")
        fund_close_year(fund=fund)

        with pytest.raises(ValidationError) as caught:
            _contribute(fund, "100.00")

        assert caught.value.messages == ["The 2025 fund year is closed: nothing more can be allocated or paid."]
        assert _contributions(fund) == (Decimal("100.00"), 1)

    def test_running_total_matches_the_contributions(self, fund, pairing_a):
        for amount in ("100000.00", "200000.50", "300000.25"):
            _contribute(fund, amount, pairing_a.weak_county)

        paid_in = FundContribution.objects.filter(fund=fund).aggregate(total=Sum("amount"))["total"]
        assert Fund.objects.get(pk=fund.pk).contributed == paid_in == Decimal("600000.75")


class TestInvestment:
    def test_within_what_was_paid_in(self, fund, project):
        _contribute(fund, "500000.00")

        investment = fund_investment_create(fund=fund, project=project, amount=Decimal("500000.00"), invested_on=ON)

        assert investment.project == project
        assert _investments(fund) == (Decimal("500000.00"), 1)

    def test_over_what_was_paid_in_is_refused_and_nothing_saved(self, fund, project):
        _contribute(fund, "300000.00")
        fund_investment_create(fund=fund, project=project, amount=Decimal("200000.00"), invested_on=ON)

        with pytest.raises(ValidationError) as caught:
            fund_investment_create(fund=fund, project=project, amount=Decimal("100000.01"), invested_on=ON)

        [message] = caught.value.message_dict["amount"]
        assert message == "Exceeds what the partners have paid in and is not yet invested (10.00 万元)."
        assert _investments(fund) == (Decimal("200000.00"), 1)

    def test_nothing_paid_in_nothing_to_invest(self, fund, project):
        with pytest.raises(ValidationError) as caught:
            fund_investment_create(fund=fund, project=project, amount=Decimal("0.01"), invested_on=ON)

        assert "amount" in caught.value.message_dict
        assert _investments(fund) == (Decimal("0.00"), 0)

    def test_project_of_another_pairing_is_refused(self, fund, pairing_b):
        _contribute(fund, "500000.00")
        elsewhere = ProjectFactory(pairing=pairing_b)

        with pytest.raises(ValidationError) as caught:
            fund_investment_create(fund=fund, project=elsewhere, amount=Decimal("1.00"), invested_on=ON)

        assert caught.value.message_dict["project"] == ["The project belongs to another pairing than the fund."]
        assert _investments(fund) == (Decimal("0.00"), 0)

    def test_guidance_fund_is_refused(self, program, project):
        guidance = FundFactory(program=program, kind=FundKind.GUIDANCE)

        with pytest.raises(ValidationError) as caught:
            fund_investment_create(fund=guidance, project=project, amount=Decimal("1.00"), invested_on=ON)

        assert "fund" in caught.value.message_dict

    def test_closed_year_is_refused(self, fund, project):
        _contribute(fund, "500000.00")
        fund_close_year(fund=fund)

        with pytest.raises(ValidationError) as caught:
            fund_investment_create(fund=fund, project=project, amount=Decimal("1.00"), invested_on=ON)

        assert caught.value.messages == ["The 2025 fund year is closed: nothing more can be allocated or paid."]
        assert _investments(fund) == (Decimal("0.00"), 0)

    @pytest.mark.parametrize("amount", ["0", "-5.00"])
    def test_amount_must_be_positive(self, fund, project, amount):
        _contribute(fund, "500000.00")

        with pytest.raises(ValidationError) as caught:
            fund_investment_create(fund=fund, project=project, amount=amount, invested_on=ON)

        assert "amount" in caught.value.message_dict
        assert _investments(fund) == (Decimal("0.00"), 0)


# --- Park benefit sharing -----------------------------------------------------------------------------------------


@pytest.fixture
def park(pairing_a):
    """台儿庄区黄岛产业园 with three partners: tax 60/40/0, output 33.33/33.33/33.34 (黄岛, 台儿庄, 滕州)."""
    park = ParkFactory(pairing=pairing_a, name="台儿庄区黄岛产业园")
    third = CountyFactory(adcode=THIRD, name="滕州市")
    for county, tax_pct, output_pct in (
        (pairing_a.strong_county, "60", "33.33"),
        (pairing_a.weak_county, "40", "33.33"),
        (third, "0", "33.34"),
    ):
        ParkPartnerFactory(
            park=park, county=county, tax_share_pct=Decimal(tax_pct), output_share_pct=Decimal(output_pct)
        )
    return park


def _shares(entry: ParkLedgerEntry) -> dict[str, tuple[Decimal, Decimal]]:
    return {share.county_id: (share.tax, share.output) for share in entry.shares.order_by("county")}


def _books(park) -> tuple[int, int]:
    return ParkLedgerEntry.objects.filter(park=park).count(), ParkLedgerShare.objects.filter(entry__park=park).count()


class TestParkLedger:
    def test_worked_example_splits_to_the_fen_by_largest_remainder(self, park, officer):
        """Tax ¥1,000,000.01 at 60/40/0: exact shares 600,000.006 and 400,000.004 — cut to the fen they leave one fen,
        which goes to the larger remainder (0.6 fen, 黄岛). Output ¥1,000,000.01 at 33.33/33.33/33.34: exact
        333,300.003333 (twice) and 333,400.003334 — the leftover fen goes to 滕州's remainder, the largest."""
        entry = park_ledger_record(
            park=park, period="2025", tax=Decimal("1000000.01"), output=Decimal("1000000.01"), by=officer
        )

        assert _shares(entry) == {
            STRONG: (Decimal("600000.01"), Decimal("333300.00")),
            WEAK: (Decimal("400000.00"), Decimal("333300.00")),
            THIRD: (Decimal("0.00"), Decimal("333400.01")),
        }
        totals = entry.shares.aggregate(tax=Sum("tax"), output=Sum("output"))
        assert (
            totals
            == {"tax": entry.tax, "output": entry.output}
            == {
                "tax": Decimal("1000000.01"),
                "output": Decimal("1000000.01"),
            }
        )
        assert entry.recorded_by == officer

    def test_equal_remainders_go_to_the_smaller_adcode(self, park):
        """Output ¥0.02 at 33.33/33.33/33.34: nobody gets a whole fen; the two leftover fen go to 滕州 (0.6668 fen)
        and then, of the two equal remainders (0.6666), to 黄岛 (370211 < 370405)."""
        entry = park_ledger_record(park=park, period="2025-06", tax=Decimal("0.01"), output=Decimal("0.02"))

        assert _shares(entry) == {
            STRONG: (Decimal("0.01"), Decimal("0.01")),
            WEAK: (Decimal("0.00"), Decimal("0.00")),
            THIRD: (Decimal("0.00"), Decimal("0.01")),
        }

    def test_the_ratios_used_are_kept_on_the_shares(self, park):
        entry = park_ledger_record(park=park, period="2024", tax=Decimal("100.00"), output=Decimal("300.00"))
        park.partners.filter(county=STRONG).update(tax_share_pct=Decimal("50"))
        park.partners.filter(county=WEAK).update(tax_share_pct=Decimal("50"))

        ratios = {s.county_id: (s.tax_share_pct, s.output_share_pct) for s in entry.shares.all()}
        assert ratios == {
            STRONG: (Decimal("60.00"), Decimal("33.33")),
            WEAK: (Decimal("40.00"), Decimal("33.33")),
            THIRD: (Decimal("0.00"), Decimal("33.34")),
        }
        assert _shares(entry)[STRONG] == (Decimal("60.00"), Decimal("99.99"))

    def test_zero_figures_give_zero_shares(self, park):
        entry = park_ledger_record(park=park, period="2025-01", tax=Decimal("0"), output=Decimal("0"))

        assert set(_shares(entry).values()) == {(Decimal("0.00"), Decimal("0.00"))}

    def test_shares_not_summing_to_100_are_refused(self, park):
        park.partners.filter(county=THIRD).update(output_share_pct=Decimal("33.33"))

        with pytest.raises(ValidationError) as caught:
            park_ledger_record(park=park, period="2025", tax=Decimal("100.00"), output=Decimal("100.00"))

        assert caught.value.message_dict["park"] == [
            "The partners' shares of 台儿庄区黄岛产业园 must each sum to 100%: the tax shares sum to 100.00% and the "
            "output shares to 99.99%."
        ]
        assert _books(park) == (0, 0)

    def test_park_without_partners_is_refused(self, pairing_a):
        bare = ParkFactory(pairing=pairing_a, name="空园区")

        with pytest.raises(ValidationError) as caught:
            park_ledger_record(park=bare, period="2025", tax=Decimal("1.00"), output=Decimal("1.00"))

        assert "park" in caught.value.message_dict
        assert _books(bare) == (0, 0)

    def test_future_periods_are_refused(self, park):
        today = timezone.localdate()
        next_month = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)

        for period in (str(today.year + 1), next_month.strftime("%Y-%m")):
            with pytest.raises(ValidationError) as caught:
                park_ledger_record(park=park, period=period, tax=Decimal("1.00"), output=Decimal("1.00"))
            assert caught.value.message_dict["period"] == [f"{period} is in the future."]
        assert _books(park) == (0, 0)

    def test_the_current_month_and_year_may_be_recorded(self, park):
        today = timezone.localdate()

        park_ledger_record(park=park, period=today.strftime("%Y-%m"), tax=Decimal("1.00"), output=Decimal("1.00"))
        park_ledger_record(park=park, period=str(today.year), tax=Decimal("1.00"), output=Decimal("1.00"))

        assert _books(park) == (2, 6)

    @pytest.mark.parametrize("period", ["2025-13", "2025-00", "25", "2025-9", "2025/09", ""])
    def test_malformed_periods_are_refused(self, park, period):
        with pytest.raises(ValidationError) as caught:
            park_ledger_record(park=park, period=period, tax=Decimal("1.00"), output=Decimal("1.00"))

        assert caught.value.message_dict["period"] == ["Use a year (2025) or a month (2025-09)."]

    @pytest.mark.parametrize("field", ["tax", "output"])
    def test_negative_figures_are_refused(self, park, field):
        figures = {"tax": Decimal("1.00"), "output": Decimal("1.00"), field: Decimal("-0.01")}

        with pytest.raises(ValidationError) as caught:
            park_ledger_record(park=park, period="2025", **figures)

        assert caught.value.message_dict[field] == ["Amounts cannot be negative."]
        assert _books(park) == (0, 0)

    def test_the_same_period_twice_is_refused(self, park):
        first = park_ledger_record(park=park, period="2025-09", tax=Decimal("100.00"), output=Decimal("200.00"))

        with pytest.raises(ValidationError) as caught:
            park_ledger_record(park=park, period="2025-09", tax=Decimal("999.00"), output=Decimal("999.00"))

        assert caught.value.message_dict["period"] == ["台儿庄区黄岛产业园 already has figures for 2025-09."]
        assert _books(park) == (1, 3)
        assert ParkLedgerEntry.objects.get(pk=first.pk).tax == Decimal("100.00")

    def test_a_duplicate_past_the_check_is_refused_by_the_database(self, park, monkeypatch):
        """Two writers can both pass the check; the unique constraint refuses the second, in words."""
        park_ledger_record(park=park, period="2025", tax=Decimal("100.00"), output=Decimal("200.00"))
        monkeypatch.setattr(QuerySet, "exists", lambda self: False)

        with pytest.raises(ValidationError) as caught:
            park_ledger_record(park=park, period="2025", tax=Decimal("1.00"), output=Decimal("1.00"))

        assert caught.value.message_dict["period"] == ["台儿庄区黄岛产业园 already has figures for 2025."]
        assert _books(park) == (1, 3)

    def test_another_park_may_record_the_same_period(self, park, pairing_b):
        other = ParkFactory(pairing=pairing_b)
        ParkPartnerFactory(park=other, tax_share_pct=100, output_share_pct=100)

        park_ledger_record(park=park, period="2025", tax=Decimal("1.00"), output=Decimal("1.00"))
        entry = park_ledger_record(park=other, period="2025", tax=Decimal("1.00"), output=Decimal("1.00"))

        assert _shares(entry) == {other.host_county_id: (Decimal("1.00"), Decimal("1.00"))}


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------------------------


def _race(writers: int, write) -> list[str]:
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            write()
            outcome = "booked"
        except ValidationError:
            outcome = "refused"
        except Exception as exc:  # anything else is a failure the caller's assertion shows
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_contributions_never_pass_the_fund(require_postgres):
    """Eight payments race for a fund that holds three of them: exactly three are booked."""
    writers, amount = 8, Decimal("300000.00")
    pairing = PairingFactory()
    fund = PairIndustryFundFactory(pairing=pairing, total=Decimal("1000000.00"))
    fits = int(fund.total // amount)

    outcomes = _race(
        writers,
        lambda: fund_contribution_create(fund=fund, county=pairing.weak_county, amount=amount, paid_on=ON),
    )

    assert sorted(outcomes) == ["booked"] * fits + ["refused"] * (writers - fits)
    fund.refresh_from_db()
    paid_in = FundContribution.objects.filter(fund=fund).aggregate(total=Sum("amount"))["total"]
    assert fund.contributed == paid_in == amount * fits
    assert fund.contributed <= fund.total


@pytest.mark.django_db(transaction=True)
def test_concurrent_records_of_one_period_book_one_entry(require_postgres):
    """Four writers record the same park and period at once: one entry with its shares, three refusals."""
    park = ParkFactory()
    ParkPartnerFactory(park=park, county=park.pairing.strong_county, tax_share_pct=70, output_share_pct=50)
    ParkPartnerFactory(park=park, county=park.pairing.weak_county, tax_share_pct=30, output_share_pct=50)

    outcomes = _race(
        4, lambda: park_ledger_record(park=park, period="2025", tax=Decimal("100.01"), output=Decimal("0.03"))
    )

    assert sorted(outcomes) == ["booked"] + ["refused"] * 3
    assert _books(park) == (1, 2)
