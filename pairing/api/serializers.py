"""Read serializers for regions, programs, pairings and parks."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from pairing.models import Pairing, Park, ParkPartner, Program, Region, Source


class RegionRefSerializer(serializers.ModelSerializer):
    """A region as other rows point to it: adcode and name."""

    class Meta:
        model = Region
        fields = ["adcode", "name"]
        read_only_fields = fields


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["adcode", "name", "level", "parent", "longitude", "latitude"]
        read_only_fields = fields


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "issuer", "published_on", "url", "reference"]
        read_only_fields = fields


class ProvenanceSerializer(serializers.Serializer):
    """Where a row's facts come from: the source document (empty for sample data) and what it says."""

    source = SourceSerializer(read_only=True, allow_null=True)
    note = serializers.CharField(
        source="provenance_note", read_only=True, help_text=_("What the source document says about the row.")
    )


class ProgramSerializer(serializers.ModelSerializer):
    pairing_count = serializers.IntegerField(read_only=True, help_text=_("Pairings of the program, in any status."))
    weak_county_count = serializers.IntegerField(
        read_only=True, help_text=_("Counties designated as weak counties of the program.")
    )

    class Meta:
        model = Program
        fields = [
            "id",
            "code",
            "name",
            "province",
            "start_date",
            "end_date",
            "description",
            "pairing_count",
            "weak_county_count",
        ]
        read_only_fields = fields


class PairingSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Program code."))
    strong_county = RegionRefSerializer(read_only=True)
    weak_county = RegionRefSerializer(read_only=True)
    provenance = ProvenanceSerializer(source="*", read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "program",
            "strong_county",
            "weak_county",
            "start_date",
            "end_date",
            "status",
            "leader",
            "assistance_team",
            "is_sample",
            "provenance",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ParkPartnerSerializer(serializers.ModelSerializer):
    county = RegionRefSerializer(read_only=True)

    class Meta:
        model = ParkPartner
        fields = ["county", "capital_contribution", "tax_share_pct", "output_share_pct"]
        read_only_fields = fields


class ParkSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(
        source="pairing.program", slug_field="code", read_only=True, help_text=_("Program code.")
    )
    host_county = RegionRefSerializer(read_only=True)
    partners = ParkPartnerSerializer(many=True, read_only=True)
    project_count = serializers.IntegerField(read_only=True, help_text=_("Projects located in the park."))

    class Meta:
        model = Park
        fields = [
            "id",
            "program",
            "pairing",
            "name",
            "kind",
            "host_county",
            "planned_area_mu",
            "status",
            "established_on",
            "description",
            "is_sample",
            "partners",
            "project_count",
        ]
        read_only_fields = fields
