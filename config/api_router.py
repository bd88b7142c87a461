"""The one API router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from common.api.export_jobs import ExportJobViewSet
from funds.api.sharing import FundContributionViewSet, FundInvestmentViewSet, ParkLedgerViewSet
from funds.api.usage import BondUsageViewSet, FundUsageViewSet
from funds.api.views import (
    AllocationViewSet,
    BondIssueViewSet,
    BondPlanViewSet,
    BondQuotaViewSet,
    DisbursementViewSet,
    FundViewSet,
    RewardRunViewSet,
)
from impact.api.views import ImpactViewSet
from pairing.api.views import PairingViewSet, ParkViewSet, ProgramViewSet, RegionViewSet
from projects.api.cooperation import CrossCountyOrderViewSet, PromotionEventViewSet, SecondmentViewSet
from projects.api.reports import ProgressReportViewSet
from projects.api.views import ProjectViewSet
from projects.api.warnings import ProjectWarningViewSet
from reporting.api.dashboard import ReportViewSet, TargetViewSet
from reporting.api.evaluation import EvaluationReportViewSet
from stats.api.views import GapViewSet, StatValueViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("programs", ProgramViewSet, basename="program")
router.register("pairings", PairingViewSet, basename="pairing")
router.register("parks", ParkViewSet, basename="park")
router.register("projects", ProjectViewSet, basename="project")
router.register("warnings", ProjectWarningViewSet, basename="warning")
router.register("progress-reports", ProgressReportViewSet, basename="progress-report")
router.register("cross-county-orders", CrossCountyOrderViewSet, basename="cross-county-order")
router.register("promotion-events", PromotionEventViewSet, basename="promotion-event")
router.register("secondments", SecondmentViewSet, basename="secondment")
router.register("funds", FundViewSet, basename="fund")
router.register("fund-usage", FundUsageViewSet, basename="fund-usage")
router.register("bond-usage", BondUsageViewSet, basename="bond-usage")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("disbursements", DisbursementViewSet, basename="disbursement")
router.register("bond-plans", BondPlanViewSet, basename="bond-plan")
router.register("bond-quotas", BondQuotaViewSet, basename="bond-quota")
router.register("bond-issues", BondIssueViewSet, basename="bond-issue")
router.register("reward-runs", RewardRunViewSet, basename="reward-run")
router.register("fund-contributions", FundContributionViewSet, basename="fund-contribution")
router.register("fund-investments", FundInvestmentViewSet, basename="fund-investment")
router.register("park-ledger", ParkLedgerViewSet, basename="park-ledger")
router.register("gaps", GapViewSet, basename="gap")
router.register("statistics", StatValueViewSet, basename="statistic")
router.register("targets", TargetViewSet, basename="target")
router.register("reports", ReportViewSet, basename="report")
router.register("evaluation-reports", EvaluationReportViewSet, basename="evaluation-report")
router.register("impact", ImpactViewSet, basename="impact")
router.register("exports", ExportJobViewSet, basename="export")
