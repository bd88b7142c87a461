"""The old home of the sample statistics' source label, kept for ``reporting.evaluation``'s import until it reads
``stats.models.DEMO_SOURCE``; the sample statistics themselves are in ``demo.statistics``."""

from stats.models import DEMO_SOURCE

__all__ = ["DEMO_SOURCE"]
