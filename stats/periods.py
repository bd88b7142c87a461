"""Statistical periods under their older names; ``common.periods`` is their home (``is_stat_period``,
``same_period_year_before``). Kept for the importers, which still read them from here."""

from common.periods import STAT_PERIOD_RE as PERIOD_RE
from common.periods import is_stat_period as is_period
from common.periods import same_period_year_before as previous_period

__all__ = ["PERIOD_RE", "is_period", "previous_period"]
