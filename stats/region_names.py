"""Region names as the statistics bureau writes them → regions of one province (read by ``stats.wide``).

A table names the province (全省, 山东省), its cities (济南市, 济南) and their county-level units, with or without
the suffix (历下区, 历下) or abbreviated; a county is looked for within the city of the subtotal row above it, since
names repeat across cities (济南's and 枣庄's 市中区). Zones and notes (济南高新区, 注：…) are never a county.
"""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _

from pairing.models import Region, RegionLevel

PROVINCE_ROWS = ("全省", "全省合计", "全省总计", "合计", "总计")
# Parts of a name that make it a zone or a note, never a county-level unit, whatever letters it shares with one.
NOT_A_COUNTY = ("开发区", "高新区", "高新技术产业", "园区", "起步区", "示范区", "保税区", "功能区", "管委会", "注")
COUNTY_SUFFIXES = ("自治县", "县", "区", "市", "旗")
# Names the province is guessed from when the table does not say (enough for any province; a bounded query).
VOTING_NAMES = 500


def _bare(name: str) -> str:
    for suffix in COUNTY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _name_score(written: str, name: str) -> int:
    """How well a name as written matches a region's name: 3 the same, 2 without its suffix (历下 for 历下区),
    1 an abbreviation (its characters in order, from the first: 高新 is not 高唐县), 0 not at all."""
    if written == name:
        return 3
    if written == _bare(name) or _bare(written) == _bare(name):
        return 2
    if len(written) >= 2 and written[0] == name[0]:
        rest = iter(name[1:])
        if all(char in rest for char in written[1:]):
            return 1
    return 0


class RegionNames:
    """Names as the bureau writes them → regions of one province; a county is looked for within the city of the
    subtotal row above it (both 济南's and 枣庄's 市中区), then, if the name is unmistakable, in the province."""

    def __init__(self, *, names: list[str], title: str):
        """``names``: every row's name, cleaned of spaces; ``title``: the table's title, cleaned the same way."""
        provinces = list(Region.objects.filter(level=RegionLevel.PROVINCE).only("adcode", "name"))
        self.province = self._province(provinces, names, title)
        self.city: Region | None = None
        if self.province is None:
            return
        within = Region.objects.filter(adcode__startswith=self.province.adcode[:2]).only(
            "adcode", "name", "level", "parent_id"
        )
        self.by_code = {region.adcode: region for region in within}
        self.by_code[self.province.adcode] = self.province
        name = self.province.name
        self.province_names = {name, name.removesuffix("省"), f"{name}合计", f"全{name[-1]}"}
        self.cities = [r for r in self.by_code.values() if r.level == RegionLevel.CITY]
        self.counties = [r for r in self.by_code.values() if r.level == RegionLevel.COUNTY]

    @staticmethod
    def _province(provinces: list[Region], names: list[str], title: str) -> Region | None:
        for province in provinces:
            short = province.name.removesuffix("省").removesuffix("市").removesuffix("自治区")
            if province.name in title or province.name in names or (short and short in names):
                return province
        if not provinces:
            return None
        if len(provinces) == 1:
            return provinces[0]
        # The province whose cities, else whose county-level units, the rows name most often (a table of a few
        # counties may have neither a province row nor city rows).
        named = [name for name in names if name][:VOTING_NAMES]
        for level, suffixes in ((RegionLevel.CITY, ("市",)), (RegionLevel.COUNTY, COUNTY_SUFFIXES)):
            variants = {*named, *(f"{name}{suffix}" for name in named for suffix in suffixes)}
            votes = Counter(
                code[:2]
                for code in Region.objects.filter(level=level, name__in=variants).values_list("adcode", flat=True)
            ).most_common(2)
            if votes and (len(votes) == 1 or votes[0][1] > votes[1][1]):
                return next((p for p in provinces if p.adcode.startswith(votes[0][0])), None)
        return None

    def resolve(self, written: str, code: str) -> tuple[Region | None, str]:
        """The region a row names, and the city it sets for the rows below; or None and why."""
        if code:
            region = self.by_code.get(code)
            if region is None:
                return None, _("adcode %(code)s is no region of %(province)s") % {
                    "code": code,
                    "province": self.province.name,
                }
            if written and not _name_score(written, region.name):
                return None, _("the name does not match adcode %(code)s (%(name)s)") % {
                    "code": code,
                    "name": region.name,
                }
            if region.level == RegionLevel.CITY:
                self.city = region
            return region, ""
        if not written:
            return None, _("a blank line names no region")
        if written in PROVINCE_ROWS or written in self.province_names:
            return self.province, ""
        if any(word in written for word in NOT_A_COUNTY):
            return None, _("names no county-level unit (a zone or a note)")
        # A city by its name, with or without 市 only: 东营区 is a county of 东营市, not the city.
        city = next((c for c in self.cities if written in (c.name, c.name.removesuffix("市"))), None)
        if city is not None:
            self.city = city
            return city, ""
        if self.city is not None:
            found = self._best(written, [c for c in self.counties if c.adcode[:4] == self.city.adcode[:4]], minimum=1)
            if isinstance(found, Region):
                return found, ""
        found = self._best(written, self.counties, minimum=2)
        if isinstance(found, Region):
            return found, ""
        if isinstance(found, list):
            return None, _(
                "more than one county-level unit is called that (%(names)s): put it under its city's row"
            ) % {
                "names": "、".join(
                    f"{self.by_code[c.parent_id].name if c.parent_id in self.by_code else ''}{c.name}" for c in found
                )
            }
        if self.city is not None:
            return None, _("names no county-level unit of %(city)s") % {"city": self.city.name}
        return None, _("names no county-level unit of %(province)s") % {"province": self.province.name}

    def full_name(self, region: Region) -> str:
        """A county's name after its city's (济南市市中区), so two of the same name are told apart."""
        city = self.by_code.get(region.parent_id or "")
        if region.level == RegionLevel.COUNTY and city is not None and city.level == RegionLevel.CITY:
            return f"{city.name}{region.name}"
        return region.name

    @staticmethod
    def _best(written: str, candidates: list[Region], *, minimum: int) -> Region | list[Region] | None:
        scored = [(_name_score(written, region.name), region) for region in candidates]
        best = max((score for score, _region in scored), default=0)
        if best < minimum:
            return None
        found = [region for score, region in scored if score == best]
        return found[0] if len(found) == 1 else found
