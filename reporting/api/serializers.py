"""Serializers of the reporting API: the dashboard's figures and the targets with their computed actuals."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.fields import MoneySerializerField, SlugRelatedField, in_yuan
from pairing.models import Program
from reporting.models import Target
from reporting.targets import TargetProgress, targets_progress
from stats.api.serializers import GROWTH, stat_period_validator
from stats.models import Indicator

PLACES = Decimal("0.0001")
PCT = {"max_digits": 24, "decimal_places": 4, "read_only": True, "allow_null": True}


class ProgramPeriodQuerySerializer(serializers.Serializer):
    program = SlugRelatedField(slug_field="code", queryset=Program.objects.all(), help_text=_("Program code"))
    period = serializers.CharField(
        validators=[stat_period_validator], help_text=_("A year (2025) or a year-to-date month (2025-09)")
    )


class ProgramQuerySerializer(serializers.Serializer):
    program = SlugRelatedField(slug_field="code", queryset=Program.objects.all(), help_text=_("Program code"))


class TrendQuerySerializer(ProgramQuerySerializer):
    indicator = serializers.ChoiceField(choices=Indicator.choices, default=Indicator.GDP)


class BoundaryQuerySerializer(serializers.Serializer):
    province = serializers.RegexField(r"^[0-9]{2}0000$", help_text=_("Province adcode, e.g. 370000"))


class _PairingCounts(serializers.Serializer):
    active = serializers.IntegerField()
    documented = serializers.IntegerField()
    sample = serializers.IntegerField()


class _StageCount(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class _Projects(serializers.Serializer):
    total = serializers.IntegerField()
    by_stage = _StageCount(many=True)
    planned_investment = MoneySerializerField()
    completed_investment = MoneySerializerField()


class _GuidanceFund(serializers.Serializer):
    total = MoneySerializerField(help_text=_("The year's guidance fund (a liaison: what was allocated to the county)"))
    allocated = MoneySerializerField()
    disbursed = MoneySerializerField()
    used_pct = serializers.DecimalField(**PCT)


class _Bonds(serializers.Serializer):
    quota = MoneySerializerField()
    issued = MoneySerializerField()


class _Orders(serializers.Serializer):
    count = serializers.IntegerField()
    amount = MoneySerializerField()


class _Warnings(serializers.Serializer):
    red = serializers.IntegerField()
    yellow = serializers.IntegerField()
    blue = serializers.IntegerField()


class _Gdp(serializers.Serializer):
    group_growth_pct = serializers.DecimalField(**GROWTH)
    province_growth_pct = serializers.DecimalField(**GROWTH)
    gap_pp = serializers.DecimalField(**GROWTH)
    members_covered = serializers.IntegerField()
    members_total = serializers.IntegerField()


class ProgramSummarySerializer(serializers.Serializer):
    program = serializers.CharField()
    program_name = serializers.CharField()
    period = serializers.CharField()
    year = serializers.IntegerField()
    scope = serializers.CharField(help_text=_("'province', or 'county:<adcode>' for a liaison"))
    pairings = _PairingCounts()
    weak_counties = serializers.IntegerField()
    projects = _Projects()
    guidance_fund = _GuidanceFund()
    bonds = _Bonds()
    orders = _Orders()
    warnings = _Warnings()
    gdp = _Gdp()
    moved_up = serializers.ListField(child=serializers.CharField())
    exited_bottom_ten = serializers.ListField(child=serializers.CharField())


class _MapCounty(serializers.Serializer):
    adcode = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    paired = serializers.BooleanField()
    gdp_gap_pp = serializers.DecimalField(**GROWTH)
    gdp_rank = serializers.IntegerField(allow_null=True)


class _MapLink(serializers.Serializer):
    strong = serializers.CharField()
    strong_name = serializers.CharField()
    weak = serializers.CharField()
    weak_name = serializers.CharField()
    from_point = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    to_point = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    is_sample = serializers.BooleanField()


class MapSerializer(serializers.Serializer):
    program = serializers.CharField()
    period = serializers.CharField()
    province = serializers.CharField(allow_null=True)
    counties = _MapCounty(many=True)
    links = _MapLink(many=True)


class GapBarSerializer(serializers.Serializer):
    county = serializers.CharField()
    name = serializers.CharField()
    indicator = serializers.CharField()
    indicator_label = serializers.CharField()
    growth_pct = serializers.DecimalField(**GROWTH)
    province_growth_pct = serializers.DecimalField(**GROWTH)
    gap_pp = serializers.DecimalField(**GROWTH)


class TrendSerializer(serializers.Serializer):
    county = serializers.CharField()
    name = serializers.CharField()
    period = serializers.CharField()
    gap_pp = serializers.DecimalField(**GROWTH)
    rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True)


class FunnelSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    reached = serializers.IntegerField(help_text=_("Live projects at this stage or beyond"))
    now = serializers.IntegerField(help_text=_("Live projects at this stage now"))


class TargetListSerializer(serializers.ListSerializer):
    """Computes the actuals of the targets it lists in one go (a fixed number of queries per page)."""

    def to_representation(self, data):
        targets = list(data.all() if hasattr(data, "all") else data)
        self.context.setdefault("progress", {}).update({p.target.pk: p for p in targets_progress(targets)})
        return super().to_representation(targets)


class TargetSerializer(serializers.ModelSerializer):
    """A target with its actual, computed from the data (``actual`` is null while there is nothing to compute)."""

    program = serializers.CharField(source="program.code", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    metric_label = serializers.CharField(source="get_metric_display", read_only=True)
    # Declared: a read-only model field loses `allow_blank`, and the schema would refuse the empty indicator of a
    # target that is not about a statistic.
    indicator = serializers.ChoiceField(choices=Indicator.choices, allow_blank=True, read_only=True)
    unit = serializers.CharField(read_only=True)
    actual = serializers.SerializerMethodField()
    met = serializers.SerializerMethodField()
    progress_pct = serializers.SerializerMethodField()

    class Meta:
        model = Target
        list_serializer_class = TargetListSerializer
        fields = [
            "id",
            "program",
            "county",
            "county_name",
            "year",
            "metric",
            "metric_label",
            "indicator",
            "threshold",
            "direction",
            "unit",
            "baseline",
            "target",
            "actual",
            "met",
            "progress_pct",
            "title",
            "is_sample",
        ]
        extra_kwargs = {"threshold": {"help_text": in_yuan(Target._meta.get_field("threshold").help_text)}}
        read_only_fields = fields

    def _progress(self, target: Target) -> TargetProgress:
        # A list computes the progress of its whole page at once (TargetListSerializer); a single target its own.
        progress = self.context.setdefault("progress", {})
        if target.pk not in progress:
            progress.update({p.target.pk: p for p in targets_progress([target])})
        return progress[target.pk]

    @staticmethod
    def _text(value):
        return None if value is None else str(value.quantize(PLACES))

    def get_actual(self, target: Target) -> str | None:
        return self._text(self._progress(target).actual)

    def get_met(self, target: Target) -> bool | None:
        return self._progress(target).met

    def get_progress_pct(self, target: Target) -> str | None:
        return self._text(self._progress(target).progress_pct)
