"""Read serializers for projects and their stage log."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from projects.models import Project, ProjectStageChange


class StageChangeSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: as enums they would give the stage choice set a second and third name, which
    # drf-spectacular warns about unless SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] names it once.
    from_stage = serializers.CharField(read_only=True, help_text=_("Stage code before the change (as `stage`)."))
    to_stage = serializers.CharField(read_only=True, help_text=_("Stage code after the change (as `stage`)."))
    changed_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=_("Username of who made the change; empty for changes made by the system."),
    )

    class Meta:
        model = ProjectStageChange
        fields = ["from_stage", "to_stage", "changed_at", "changed_by", "note"]
        read_only_fields = fields


class ProjectSerializer(serializers.ModelSerializer):
    program = serializers.SlugRelatedField(
        source="pairing.program", slug_field="code", read_only=True, help_text=_("Program code.")
    )
    county_name = serializers.CharField(source="county.name", read_only=True, help_text=_("Location county name."))

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "program",
            "pairing",
            "park",
            "county",
            "county_name",
            "enterprise",
            "industry",
            "category",
            "stage",
            "health",
            "planned_investment",
            "completed_investment",
            "signed_date",
            "planned_start_date",
            "planned_production_date",
            "actual_start_date",
            "actual_production_date",
            "description",
            "is_sample",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProjectDetailSerializer(ProjectSerializer):
    stage_log = StageChangeSerializer(
        source="stage_changes", many=True, read_only=True, help_text=_("Every change of stage, oldest first.")
    )

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "stage_log"]
        read_only_fields = fields
