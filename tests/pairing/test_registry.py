"""The county registry (``load_regions``) and the documented program (``load_reference``)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from demo.reference import reference_load
from pairing.models import CountyRole, Pairing, Program, ProgramCounty, Region, RegionLevel, Source
from pairing.registry import read_registry, regions_load

pytestmark = pytest.mark.django_db

DOCUMENTED_PAIRS = {
    ("370211", "370405"),  # 黄岛区 → 台儿庄区
    ("370202", "371603"),  # 市南区 → 沾化区
    ("370112", "371328"),  # 历城区 → 蒙阴县
    ("370681", "371428"),  # 龙口市 → 武城县
    ("370602", "371423"),  # 芝罘区 → 庆云县
}
GAOQING = "370322"


def _load_regions() -> str:
    out = StringIO()
    call_command("load_regions", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Region, Source, Program, ProgramCounty, Pairing)}


class TestLoadRegions:
    def test_shandong(self):
        _load_regions()

        shandong = Region.objects.filter(adcode__startswith="37")
        assert shandong.filter(level=RegionLevel.PROVINCE).count() == 1
        assert shandong.filter(level=RegionLevel.CITY).count() == 16
        assert shandong.filter(level=RegionLevel.COUNTY).count() == 136
        province = Region.objects.get(pk="370000")
        assert (province.name, province.level, province.parent_id) == ("山东省", RegionLevel.PROVINCE, None)
        assert Region.objects.within(province).counties().count() == 136

    def test_every_division_hangs_from_its_parent(self):
        _load_regions()

        assert not Region.objects.exclude(level=RegionLevel.PROVINCE).filter(parent__isnull=True).exists()
        assert not Region.objects.filter(level=RegionLevel.PROVINCE, parent__isnull=False).exists()
        # A city hangs from its province; a county from its city or, without one, from its province.
        for region in Region.objects.exclude(level=RegionLevel.PROVINCE).select_related("parent"):
            assert region.adcode.startswith(region.parent.adcode_prefix), region.adcode
            assert region.parent.level != RegionLevel.COUNTY

    def test_known_counties(self):
        _load_regions()

        gaoqing = Region.objects.select_related("parent").get(pk=GAOQING)
        assert (gaoqing.name, gaoqing.level, gaoqing.parent.name) == ("高青县", RegionLevel.COUNTY, "淄博市")
        assert gaoqing.longitude is not None and gaoqing.latitude is not None

    def test_county_directly_under_a_province(self):
        _load_regions()

        jiyuan = Region.objects.get(pk="419001")
        assert (jiyuan.name, jiyuan.level, jiyuan.parent_id) == ("济源市", RegionLevel.COUNTY, "410000")
        assert jiyuan.parent.name == "河南省"

    def test_second_run_changes_nothing(self):
        first = regions_load()
        snapshot = list(Region.objects.values_list("adcode", "name", "level", "parent_id", "longitude", "latitude"))

        second = regions_load()

        assert first["created"] == len(snapshot) > 3000
        assert second == {"created": 0, "updated": 0, "unchanged": len(snapshot)}
        assert list(Region.objects.values_list("adcode", "name", "level", "parent_id", "longitude", "latitude")) == (
            snapshot
        )
        assert "0 created, 0 updated" in _load_regions()

    def test_a_changed_name_is_updated(self):
        regions_load()
        Region.objects.filter(pk=GAOQING).update(name="旧名")

        counts = regions_load()

        assert (counts["created"], counts["updated"]) == (0, 1)
        assert Region.objects.get(pk=GAOQING).name == "高青县"

    def test_registry_rows_are_ordered_parents_first(self):
        rows = read_registry()

        seen: set[str] = set()
        for row in rows:
            assert row.parent is None or row.parent in seen, row
            seen.add(row.adcode)


class TestLoadReference:
    @pytest.fixture
    def loaded(self) -> Program:
        call_command("load_reference", stdout=StringIO())
        return Program.objects.get(code="sd-2024")

    def test_program(self, loaded):
        assert loaded.province_id == "370000"
        assert loaded.source is not None

    def test_documented_pairings(self, loaded):
        pairings = Pairing.objects.filter(program=loaded).select_related("source")

        assert {(p.strong_county_id, p.weak_county_id) for p in pairings} == DOCUMENTED_PAIRS
        for pairing in pairings:
            assert pairing.is_sample is False
            assert pairing.source is not None and pairing.source.reference.startswith("fixtures/sources/")
            assert pairing.provenance_note.strip()
        assert set(pairings.values_list("status", flat=True)) == {"active"}

    def test_roles_follow_the_pairings(self, loaded):
        roles = dict(ProgramCounty.objects.filter(program=loaded).values_list("county_id", "role"))

        for strong, weak in DOCUMENTED_PAIRS:
            assert (roles[strong], roles[weak]) == (CountyRole.STRONG, CountyRole.WEAK)
        assert not ProgramCounty.objects.filter(program=loaded, source__isnull=True).exists()

    def test_gaoqing_is_weak_without_a_partner(self, loaded):
        role = ProgramCounty.objects.get(program=loaded, county_id=GAOQING)

        assert (role.role, role.is_sample) == (CountyRole.WEAK, False)
        assert role.source is not None
        assert not Pairing.objects.involving(GAOQING).exists()
        assert ProgramCounty.objects.filter(program=loaded, role=CountyRole.WEAK).count() == 6

    def test_no_sample_rows(self, loaded):
        assert not Pairing.objects.filter(is_sample=True).exists()
        assert not ProgramCounty.objects.filter(is_sample=True).exists()

    def test_second_run_changes_nothing(self, loaded):
        before = _counts()
        pairings = list(Pairing.objects.order_by("pk").values_list("pk", "source_id", "provenance_note", "status"))

        call_command("load_reference", stdout=StringIO())

        assert _counts() == before
        assert list(Pairing.objects.order_by("pk").values_list("pk", "source_id", "provenance_note", "status")) == (
            pairings
        )

    def test_restores_a_tampered_provenance(self, loaded):
        pairing = Pairing.objects.get(program=loaded, weak_county_id="371328")
        Pairing.objects.filter(pk=pairing.pk).update(provenance_note="改过的说明")

        reference_load()

        assert "钻机" in Pairing.objects.get(pk=pairing.pk).provenance_note
        assert Pairing.objects.count() == len(DOCUMENTED_PAIRS)
