import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from common import periods


def test_month_arithmetic_crosses_years():
    assert periods.month_add("2025-01", -1) == "2024-12"
    assert periods.month_add("2024-12", 1) == "2025-01"
    assert periods.month_add("2025-03", 24) == "2027-03"
    assert periods.month_before("2025-01") == "2024-12"
    assert periods.months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert periods.months_between("2025-02", "2025-01") == []
    assert periods.months_between("2025-02", "2025-02") == ["2025-02"]
    # Every month of a long span, as one month_add after another gives it.
    span = periods.months_between("1999-07", "2031-02")
    assert span[0] == "1999-07" and span[-1] == "2031-02"
    assert all(periods.month_add(earlier, 1) == later for earlier, later in itertools.pairwise(span))


def test_current_month_is_beijing_not_utc(settings):
    # 2025-01-31 17:00 UTC is 2025-02-01 01:00 in Beijing.
    settings.TIME_ZONE = "Asia/Shanghai"
    instant = dt.datetime(2025, 1, 31, 17, 0, tzinfo=dt.UTC)
    assert periods.month_of(timezone.localdate(instant)) == "2025-02"
    assert periods.current_month(dt.date(2025, 2, 1)) == "2025-02"


def test_the_two_previous_periods_differ():
    assert periods.month_before("2025-09") == "2025-08"
    assert periods.same_period_year_before("2025-09") == "2024-09"
    assert periods.same_period_year_before("2025") == "2024"
    with pytest.raises(ValueError):
        periods.same_period_year_before("2025-13")


def test_patterns():
    assert periods.is_month("2025-09") and not periods.is_month("2025") and not periods.is_month(None)
    assert periods.is_stat_period("2025") and periods.is_stat_period("2025-09")
    assert not periods.is_stat_period("2025-00") and not periods.is_stat_period("25")


def test_rate_pct():
    assert periods.rate_pct(1, 4) == Decimal(25)
    assert periods.rate_pct(Decimal("1.5"), Decimal(3)) == Decimal(50)
    assert periods.rate_pct(1, 0) is None
