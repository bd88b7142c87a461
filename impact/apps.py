from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactConfig(AppConfig):
    name = "impact"
    verbose_name = _("Impact of the pairings")

    def ready(self) -> None:
        from stats.signals import gaps_changed

        from .tasks import enqueue_after_gaps

        gaps_changed.connect(enqueue_after_gaps, dispatch_uid="impact-after-gaps")
