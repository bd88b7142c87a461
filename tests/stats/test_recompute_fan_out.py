"""The nightly gap recompute fans out one recompute per province (``fan_out=True``, as the schedule runs it): the
results are those of one run over every province, and each province's run is idempotent. On PostgreSQL the runs of
two provinces do not wait for each other; a run of every province waits for any of them."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections, transaction

from pairing.factories import CityFactory, CountyFactory, ProvinceFactory
from stats.models import GapResult, StatValue
from stats.selectors import provinces_with_figures
from stats.services import RECOMPUTE_LOCK_KEY, _recompute_lock
from stats.tasks import recompute_growth_gaps_task

pytestmark = pytest.mark.django_db


def _province(adcode: str, name: str, counties: int) -> list[str]:
    ProvinceFactory(adcode=adcode, name=name)
    city = CityFactory(adcode=adcode[:2] + "0100", name=f"{name}一市")
    codes = []
    for i in range(counties):
        code = f"{adcode[:2]}01{i + 2:02d}"
        CountyFactory(adcode=code, name=f"{name}县{i}", parent=city)
        codes.append(code)
    return codes


def _put(region: str, period: str, value: int | None = None, growth: str | None = None) -> None:
    StatValue.objects.create(
        region_id=region,
        indicator="gdp",
        period=period,
        value=None if value is None else Decimal(value),
        growth_pct=None if growth is None else Decimal(growth),
        release="preliminary",
    )


@pytest.fixture
def two_provinces():
    for adcode, name in (("370000", "山东省"), ("410000", "河南省")):
        codes = _province(adcode, name, 3)
        _put(adcode, "2025", growth="5")
        for i, code in enumerate(codes):
            _put(code, "2024", 100 * (i + 1))
            _put(code, "2025", 100 * (3 - i) + 7)
    return ["370000", "410000"]


def _results() -> list[tuple]:
    return list(
        GapResult.objects.order_by("region_id", "indicator", "period").values_list(
            "region_id", "period", "growth_pct", "gap_pp", "rank", "rank_change"
        )
    )


def test_provinces_with_figures(two_provinces):
    ProvinceFactory(adcode="110000", name="北京市")  # no figures: no task
    assert provinces_with_figures() == two_provinces


def test_fan_out_gives_what_one_run_gives_and_again_nothing(two_provinces):
    whole = recompute_growth_gaps_task.delay().get()
    expected = _results()
    GapResult.objects.all().delete()

    queued = recompute_growth_gaps_task.delay(fan_out=True).get()
    first = _results()
    again = recompute_growth_gaps_task.delay(provinces=["410000"]).get()

    assert queued == {"provinces": two_provinces}
    assert whole["written"] == len(expected) == 12
    assert first == expected
    assert again["written"] == 0 and again["deleted"] == 0
    assert _results() == expected


def _try_lock(*key: int) -> bool:
    outcome = []

    def attempt():
        other = connections["default"]
        try:
            with other.cursor() as cursor:
                placeholders = ", ".join(["%s"] * len(key))
                cursor.execute(f"SELECT pg_try_advisory_lock({placeholders})", list(key))
                got = cursor.fetchone()[0]
                if got:
                    cursor.execute(f"SELECT pg_advisory_unlock({placeholders})", list(key))
                outcome.append(got)
        finally:
            other.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=30)
    return outcome[0]


def test_province_runs_lock_their_province_only(require_postgres):
    with transaction.atomic():
        _recompute_lock(["370000"])
        assert not _try_lock(RECOMPUTE_LOCK_KEY, 37)
        assert _try_lock(RECOMPUTE_LOCK_KEY, 41)
        assert not _try_lock(RECOMPUTE_LOCK_KEY)
