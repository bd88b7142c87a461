"""The one API router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from funds.api.views import FundViewSet
from pairing.api.views import PairingViewSet, ParkViewSet, ProgramViewSet, RegionViewSet
from projects.api.views import ProjectViewSet
from stats.api.views import GapViewSet, StatValueViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("programs", ProgramViewSet, basename="program")
router.register("pairings", PairingViewSet, basename="pairing")
router.register("parks", ParkViewSet, basename="park")
router.register("projects", ProjectViewSet, basename="project")
router.register("funds", FundViewSet, basename="fund")
router.register("gaps", GapViewSet, basename="gap")
router.register("statistics", StatValueViewSet, basename="statistic")
