"""The impact estimates as JSON: numbers as JSON numbers (floats at six decimals), a note in words where the data
cannot support a number."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.api.fields import SlugRelatedField
from pairing.models import Program
from stats.models import Indicator

NUMBER = {"read_only": True, "allow_null": True}


class ImpactQuerySerializer(serializers.Serializer):
    program = SlugRelatedField(slug_field="code", queryset=Program.objects.all())
    indicator = serializers.ChoiceField(choices=Indicator.choices, default=Indicator.GDP)


class EventStudySerializer(serializers.Serializer):
    period = serializers.IntegerField(read_only=True, help_text=_("Years relative to the first treated year."))
    coef = serializers.FloatField(**NUMBER)
    ci_low = serializers.FloatField(**NUMBER)
    ci_high = serializers.FloatField(**NUMBER)


class PooledSerializer(serializers.Serializer):
    effect_pp = serializers.FloatField(**NUMBER)
    ci_low = serializers.FloatField(**NUMBER)
    ci_high = serializers.FloatField(**NUMBER)
    p_value = serializers.FloatField(**NUMBER)
    event_study = EventStudySerializer(many=True, read_only=True)
    pre_trend = serializers.BooleanField(read_only=True, help_text=_("A differential pre-trend was found (p < 0.05)."))
    note = serializers.CharField(read_only=True, help_text=_("Why there is no number, or how to read it; else empty."))


class EffectSerializer(serializers.Serializer):
    period = serializers.CharField(read_only=True)
    effect_pp = serializers.FloatField(**NUMBER)


class DonorSerializer(serializers.Serializer):
    region = serializers.CharField(read_only=True)
    weight = serializers.FloatField(**NUMBER)


class ImpactCountySerializer(serializers.Serializer):
    region = serializers.CharField(source="region_id", read_only=True)
    name = serializers.CharField(source="region.name", read_only=True)
    effects = EffectSerializer(many=True, read_only=True)
    pre_rmspe = serializers.FloatField(**NUMBER)
    placebo_p = serializers.FloatField(**NUMBER)
    donors = DonorSerializer(many=True, read_only=True)
    note = serializers.CharField(read_only=True)


class ImpactSerializer(serializers.Serializer):
    program = serializers.CharField(source="program.code", read_only=True)
    indicator = serializers.CharField(read_only=True)
    first_treated_period = serializers.CharField(read_only=True)
    pre_periods = serializers.ListField(child=serializers.CharField(), read_only=True)
    post_periods = serializers.ListField(child=serializers.CharField(), read_only=True)
    pooled = PooledSerializer(read_only=True)
    counties = ImpactCountySerializer(many=True, read_only=True)


class PathPointSerializer(serializers.Serializer):
    period = serializers.CharField(read_only=True)
    actual = serializers.FloatField(**NUMBER)
    synthetic = serializers.FloatField(**NUMBER)


class ImpactChartCountySerializer(serializers.Serializer):
    region = serializers.CharField(source="region_id", read_only=True)
    name = serializers.CharField(source="region.name", read_only=True)
    path = PathPointSerializer(many=True, read_only=True)
    ratio = serializers.FloatField(**NUMBER)
    placebo_ratios = serializers.ListField(child=serializers.FloatField(), read_only=True)
    note = serializers.CharField(read_only=True)


class ImpactChartSerializer(serializers.Serializer):
    program = serializers.CharField(source="program.code", read_only=True)
    indicator = serializers.CharField(read_only=True)
    first_treated_period = serializers.CharField(read_only=True)
    pooled = PooledSerializer(read_only=True)
    counties = ImpactChartCountySerializer(many=True, read_only=True)
