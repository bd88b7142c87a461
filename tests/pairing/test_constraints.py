"""The database itself refuses what must never happen to regions, roles, pairings and parks.

Every write here goes straight through the ORM, past the services, so only the constraints stand in the way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from pairing.factories import (
    CityFactory,
    CountyFactory,
    ParkFactory,
    ParkPartnerFactory,
    ProgramFactory,
    ProvinceFactory,
    SourceFactory,
)
from pairing.models import (
    CountyRole,
    Pairing,
    PairingStatus,
    Park,
    ParkPartner,
    Program,
    ProgramCounty,
    Region,
    RegionLevel,
)

pytestmark = pytest.mark.django_db


@contextmanager
def refused_by(*constraints: str, columns: tuple[str, ...] = ()) -> Iterator[None]:
    """The block must be refused by one of the named constraints (a row may break several; the database reports
    one). SQLite names only the ``columns`` of a unique index."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
    message = str(caught.value)
    if connection.vendor == "sqlite" and message.startswith("UNIQUE"):
        assert columns, message
        assert all(column in message for column in columns), message
    else:
        assert any(name in message for name in constraints), message


def _pairing(program: Program, strong: Region, weak: Region, **extra) -> Pairing:
    fields = {"start_date": dt.date(2024, 9, 1), "is_sample": True, **extra}
    return Pairing.objects.create(program=program, strong_county=strong, weak_county=weak, **fields)


@pytest.fixture
def counties() -> list[Region]:
    return [CountyFactory() for _ in range(4)]


class TestRegion:
    @pytest.mark.parametrize("adcode", ["37040", "37a401", "37040 ", "      "])
    def test_adcode_must_be_six_digits(self, adcode):
        city = CityFactory(adcode="370400", name="枣庄市")

        with refused_by("region_adcode_six_digits"):
            Region.objects.create(adcode=adcode, name="坏代码", level=RegionLevel.COUNTY, parent=city)

    def test_six_digit_adcode_is_accepted(self):
        city = CityFactory(adcode="370400", name="枣庄市")

        Region.objects.create(adcode="370499", name="好代码", level=RegionLevel.COUNTY, parent=city)

    def test_county_needs_a_parent(self):
        with refused_by("region_non_province_has_parent"):
            Region.objects.create(adcode="370499", name="孤县", level=RegionLevel.COUNTY)

    def test_province_has_no_parent(self):
        other = ProvinceFactory(adcode="410000", name="河南省")

        with refused_by("region_province_code_and_no_parent"):
            Region.objects.create(adcode="370000", name="山东省", level=RegionLevel.PROVINCE, parent=other)

    def test_province_code_ends_in_four_zeros(self):
        with refused_by("region_province_code_and_no_parent"):
            Region.objects.create(adcode="370100", name="不是省", level=RegionLevel.PROVINCE)


class TestProgramCounty:
    def test_a_county_has_one_role_per_program(self, program, counties):
        ProgramCounty.objects.create(program=program, county=counties[0], role=CountyRole.STRONG, is_sample=True)

        with refused_by("program_county_one_role", columns=("program_id", "county_id")):
            ProgramCounty.objects.create(program=program, county=counties[0], role=CountyRole.WEAK, is_sample=True)

    def test_the_same_county_may_have_a_role_in_another_program(self, program, counties):
        ProgramCounty.objects.create(program=program, county=counties[0], role=CountyRole.STRONG, is_sample=True)

        ProgramCounty.objects.create(program=ProgramFactory(), county=counties[0], role=CountyRole.WEAK, is_sample=True)

    def test_an_official_role_needs_a_source(self, program, counties):
        with refused_by("program_county_has_provenance"):
            ProgramCounty.objects.create(program=program, county=counties[0], role=CountyRole.WEAK, is_sample=False)


class TestPairing:
    def test_strong_differs_from_weak(self, program, counties):
        with refused_by("pairing_strong_differs_from_weak"):
            _pairing(program, counties[0], counties[0])

    def test_update_cannot_make_strong_equal_weak(self, pairing_a):
        with refused_by("pairing_strong_differs_from_weak"):
            Pairing.objects.filter(pk=pairing_a.pk).update(weak_county=pairing_a.strong_county)

    def test_second_active_pairing_for_a_strong_county(self, program, counties):
        _pairing(program, counties[0], counties[1])

        with refused_by("pairing_one_active_per_strong_county", columns=("program_id", "strong_county_id")):
            _pairing(program, counties[0], counties[2])

    def test_second_active_pairing_for_a_weak_county(self, program, counties):
        _pairing(program, counties[0], counties[1])

        with refused_by("pairing_one_active_per_weak_county", columns=("program_id", "weak_county_id")):
            _pairing(program, counties[2], counties[1])

    def test_reactivating_a_second_pairing_is_refused(self, program, counties):
        _pairing(program, counties[0], counties[1])
        ended = _pairing(program, counties[0], counties[2], status=PairingStatus.ENDED)

        with refused_by("pairing_one_active_per_strong_county", columns=("program_id", "strong_county_id")):
            Pairing.objects.filter(pk=ended.pk).update(status=PairingStatus.ACTIVE)

    def test_ending_a_pairing_frees_the_county(self, program, counties):
        first = _pairing(program, counties[0], counties[1])
        Pairing.objects.filter(pk=first.pk).update(status=PairingStatus.ENDED, end_date=dt.date(2025, 6, 30))

        again = _pairing(program, counties[0], counties[2], start_date=dt.date(2025, 7, 1))
        other_weak = _pairing(program, counties[3], counties[1], start_date=dt.date(2025, 7, 1))

        assert Pairing.objects.filter(program=program, strong_county=counties[0]).count() == 2
        assert {again.status, other_weak.status} == {PairingStatus.ACTIVE}

    def test_suspended_pairings_do_not_block(self, program, counties):
        # Only active pairings are unique; a suspended one leaves room (the service decides whether to allow it).
        _pairing(program, counties[0], counties[1], status=PairingStatus.SUSPENDED)

        _pairing(program, counties[0], counties[2])

    def test_same_counties_may_pair_in_another_program(self, program, counties):
        _pairing(program, counties[0], counties[1])

        _pairing(ProgramFactory(), counties[0], counties[1])

    def test_official_pairing_needs_a_source(self, program, counties):
        with refused_by("pairing_has_provenance"):
            _pairing(program, counties[0], counties[1], is_sample=False)

    def test_official_pairing_with_a_source_is_accepted(self, program, counties):
        _pairing(program, counties[0], counties[1], is_sample=False, source=SourceFactory())

    def test_clearing_the_source_of_an_official_pairing_is_refused(self, program, counties):
        pairing = _pairing(program, counties[0], counties[1], is_sample=False, source=SourceFactory())

        with refused_by("pairing_has_provenance"):
            Pairing.objects.filter(pk=pairing.pk).update(source=None)

    def test_end_not_before_start(self, pairing_a):
        with refused_by("pairing_end_after_start"):
            Pairing.objects.filter(pk=pairing_a.pk).update(end_date=pairing_a.start_date - dt.timedelta(days=1))


class TestPark:
    def test_capital_contribution_not_negative(self):
        partner = ParkPartnerFactory(capital_contribution=Decimal("150000000.00"))

        with refused_by("park_partner_capital_not_negative"):
            ParkPartner.objects.filter(pk=partner.pk).update(capital_contribution=Decimal("-0.01"))

    @pytest.mark.parametrize("field", ["tax_share_pct", "output_share_pct"])
    @pytest.mark.parametrize("value", [Decimal("-0.01"), Decimal("100.01")])
    def test_shares_are_percentages(self, field, value):
        partner = ParkPartnerFactory()

        with refused_by(f"park_partner_{field}_range"):
            ParkPartner.objects.filter(pk=partner.pk).update(**{field: value})

    def test_a_county_is_a_partner_once(self):
        partner = ParkPartnerFactory()

        with refused_by("park_partner_once", columns=("park_id", "county_id")):
            ParkPartner.objects.create(park=partner.park, county=partner.county)

    def test_area_not_negative(self):
        park = ParkFactory()

        with refused_by("park_area_not_negative"):
            Park.objects.filter(pk=park.pk).update(planned_area_mu=Decimal("-1"))
