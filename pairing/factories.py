"""factory_boy factories for programs and pairings; used by the tests and by ``seed_demo``.

Counties come from the loaded registry when it is there (so demo data uses real adcodes) and are created on the
fly otherwise, so a test needs no reference data.
"""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from .models import (
    CountyRole,
    Pairing,
    Park,
    ParkKind,
    ParkPartner,
    Program,
    ProgramCounty,
    Region,
    RegionLevel,
    Source,
)


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("adcode",)

    adcode = "370000"
    name = "山东省"
    level = RegionLevel.PROVINCE
    parent = None


class CityFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("adcode",)

    parent = factory.SubFactory(ProvinceFactory)
    adcode = factory.Sequence(lambda n: f"{37 + n // 90:02d}{10 + n % 90:02d}00")
    name = factory.Sequence(lambda n: f"示例市{n}")
    level = RegionLevel.CITY


class CountyFactory(DjangoModelFactory):
    """A county-level unit under Shandong's 枣庄市 unless told otherwise; adcodes 3704xx are free in tests
    without the registry, and real ones are reused when the registry is loaded."""

    class Meta:
        model = Region
        django_get_or_create = ("adcode",)

    parent = factory.SubFactory(CityFactory, adcode="370400", name="枣庄市")
    adcode = factory.Sequence(lambda n: f"3704{10 + n % 90:02d}")
    name = factory.Sequence(lambda n: f"示例县{n}")
    level = RegionLevel.COUNTY


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"关于强县产业帮扶弱县工作的通知(第{n}号)")
    issuer = "山东省发展和改革委员会"
    published_on = dt.date(2024, 9, 1)


class ProgramFactory(DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"program-{n}")
    name = factory.Sequence(lambda n: f"强县产业帮扶弱县试点{n}")
    province = factory.SubFactory(ProvinceFactory)
    start_date = dt.date(2024, 9, 1)


class ProgramCountyFactory(DjangoModelFactory):
    class Meta:
        model = ProgramCounty

    program = factory.SubFactory(ProgramFactory)
    county = factory.SubFactory(CountyFactory)
    role = CountyRole.WEAK
    is_sample = True


class PairingFactory(DjangoModelFactory):
    """A sample pairing; the counties' roles in the program are recorded as the service would."""

    class Meta:
        model = Pairing
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    strong_county = factory.SubFactory(CountyFactory)
    weak_county = factory.SubFactory(CountyFactory)
    start_date = dt.date(2024, 9, 1)
    leader = "省领导(示例)"
    assistance_team = "省发展改革委、省财政厅(示例)"
    is_sample = True

    @factory.post_generation
    def roles(obj: Pairing, create: bool, extracted, **kwargs) -> None:
        if not create:
            return
        for county, role in ((obj.strong_county, CountyRole.STRONG), (obj.weak_county, CountyRole.WEAK)):
            ProgramCounty.objects.get_or_create(
                program=obj.program,
                county=county,
                defaults={"role": role, "is_sample": obj.is_sample, "source": obj.source},
            )


class ParkFactory(DjangoModelFactory):
    class Meta:
        model = Park

    pairing = factory.SubFactory(PairingFactory)
    name = factory.Sequence(lambda n: f"共建产业园{n}(示例)")
    kind = ParkKind.CO_BUILT
    host_county = factory.SelfAttribute("pairing.weak_county")
    planned_area_mu = factory.Faker("pydecimal", left_digits=4, right_digits=0, positive=True)
    established_on = dt.date(2025, 3, 1)
    is_sample = True


class ParkPartnerFactory(DjangoModelFactory):
    class Meta:
        model = ParkPartner

    park = factory.SubFactory(ParkFactory)
    county = factory.SelfAttribute("park.host_county")
    capital_contribution = factory.Faker("pydecimal", left_digits=9, right_digits=0, positive=True)
    tax_share_pct = 50
    output_share_pct = 50
