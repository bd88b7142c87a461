"""Serializers for statistics and growth gaps. Growth and gaps are decimal strings at full stored precision;
round them for display only."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.fields import SlugRelatedField
from common.periods import is_stat_period
from pairing.models import Program, Region
from stats.models import Indicator, StatValue

GROWTH = {"max_digits": 24, "decimal_places": 12, "read_only": True, "allow_null": True}
LEVEL = {"max_digits": 20, "decimal_places": 2, "read_only": True, "allow_null": True}


def stat_period_validator(value: str) -> str:
    """A serializer field validator: ``value`` is a statistical period (a year or a year-to-date month)."""
    if not is_stat_period(value):
        raise serializers.ValidationError(_("Use a year (2025) or a year-to-date month (2025-09)."))
    return value


class GapQuerySerializer(serializers.Serializer):
    program = SlugRelatedField(slug_field="code", queryset=Program.objects.all())
    period = serializers.CharField(validators=[stat_period_validator])
    indicator = serializers.ChoiceField(choices=Indicator.choices, default=Indicator.GDP)
    role = serializers.ChoiceField(choices=[("weak", "weak"), ("strong", "strong")], required=False)
    region = serializers.RegexField(r"^[0-9]{6}$", required=False)


class SummaryQuerySerializer(serializers.Serializer):
    program = SlugRelatedField(slug_field="code", queryset=Program.objects.all())
    period = serializers.CharField(validators=[stat_period_validator])


class HistoryQuerySerializer(serializers.Serializer):
    region = SlugRelatedField(slug_field="adcode", queryset=Region.objects.counties())
    indicator = serializers.ChoiceField(choices=Indicator.choices, required=False)


class GapRowSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.adcode", read_only=True)
    name = serializers.CharField(source="region.name", read_only=True)
    role = serializers.CharField(read_only=True, allow_null=True, help_text=_("weak / strong in the program, or null"))
    growth_pct = serializers.DecimalField(source="result.growth_pct", **GROWTH)
    growth_derived = serializers.BooleanField(source="result.growth_derived", read_only=True, allow_null=True)
    province_growth_pct = serializers.DecimalField(source="result.province_growth_pct", **GROWTH)
    gap_pp = serializers.DecimalField(source="result.gap_pp", **GROWTH)
    level = serializers.DecimalField(source="result.level", **LEVEL)
    rank = serializers.IntegerField(source="result.rank", read_only=True, allow_null=True)
    previous_rank = serializers.IntegerField(source="result.previous_rank", read_only=True, allow_null=True)
    rank_change = serializers.IntegerField(source="result.rank_change", read_only=True, allow_null=True)
    in_bottom_ten = serializers.BooleanField(source="result.in_bottom_ten", read_only=True, allow_null=True)
    release = serializers.CharField(source="result.release", read_only=True, allow_null=True)
    release_as_of = serializers.DateField(source="result.release_as_of", read_only=True, allow_null=True)


class IndicatorSummarySerializer(serializers.Serializer):
    group_growth_pct = serializers.DecimalField(**GROWTH)
    province_growth_pct = serializers.DecimalField(**GROWTH)
    gap_pp = serializers.DecimalField(**GROWTH)
    members_covered = serializers.IntegerField(read_only=True)
    members_total = serializers.IntegerField(read_only=True)
    release = serializers.CharField(read_only=True)


class GapSummarySerializer(serializers.Serializer):
    program = serializers.CharField(read_only=True)
    period = serializers.CharField(read_only=True)
    indicators = serializers.DictField(child=IndicatorSummarySerializer(), read_only=True)
    moved_up = serializers.ListField(child=serializers.CharField(), read_only=True)
    exited_bottom_ten = serializers.ListField(child=serializers.CharField(), read_only=True)


class GapHistorySerializer(serializers.Serializer):
    indicator = serializers.CharField(read_only=True)
    period = serializers.CharField(read_only=True)
    growth_pct = serializers.DecimalField(**GROWTH)
    growth_derived = serializers.BooleanField(read_only=True)
    province_growth_pct = serializers.DecimalField(**GROWTH)
    gap_pp = serializers.DecimalField(**GROWTH)
    level = serializers.DecimalField(**LEVEL)
    rank = serializers.IntegerField(read_only=True, allow_null=True)
    rank_change = serializers.IntegerField(read_only=True, allow_null=True)
    in_bottom_ten = serializers.BooleanField(read_only=True)
    release = serializers.CharField(read_only=True)


class StatValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatValue
        fields = ["id", "region", "indicator", "period", "release", "as_of", "value", "growth_pct", "source"]
        read_only_fields = fields
