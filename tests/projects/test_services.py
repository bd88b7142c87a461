"""Project services: where a project may be, the stage gates, and the stage log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pairing.factories import CountyFactory, ParkFactory
from projects.models import Project, ProjectStageChange, Stage
from projects.services import project_change_stage, project_create, project_version_claim

pytestmark = pytest.mark.django_db

SIGNED = dt.date(2025, 3, 15)
START = dt.date(2025, 6, 1)
PRODUCTION = dt.date(2026, 3, 1)


def _create(pairing, **extra) -> Project:
    fields = {"code": "TP-0001", "name": "智能钻机项目", "stage": Stage.SIGNED, "signed_date": SIGNED, **extra}
    return project_create(pairing=pairing, **fields)


def _log(project: Project) -> list[tuple[str, str]]:
    return list(ProjectStageChange.objects.filter(project=project).order_by("id").values_list("from_stage", "to_stage"))


class TestProjectCreate:
    def test_defaults_to_the_weak_county_and_opens_the_log(self, pairing_a, officer):
        project = _create(pairing_a, planned_investment=Decimal("300000000.00"), by=officer)

        assert project.county == pairing_a.weak_county
        assert project.planned_investment == Decimal("300000000.00")
        change = ProjectStageChange.objects.get(project=project)
        assert (change.from_stage, change.to_stage, change.changed_by) == ("", Stage.SIGNED, officer)

    def test_may_be_in_the_strong_county(self, pairing_a):
        project = _create(pairing_a, county=pairing_a.strong_county)

        assert project.county == pairing_a.strong_county

    def test_county_outside_the_pairing(self, pairing_a, pairing_b):
        for county in (pairing_b.weak_county, CountyFactory()):
            with pytest.raises(ValidationError) as caught:
                _create(pairing_a, county=county)

            assert "county" in caught.value.message_dict
        assert Project.objects.count() == 0

    def test_park_of_the_pairing(self, pairing_a):
        park = ParkFactory(pairing=pairing_a)

        assert _create(pairing_a, park=park).park == park

    def test_park_of_another_pairing(self, pairing_a, pairing_b):
        with pytest.raises(ValidationError) as caught:
            _create(pairing_a, park=ParkFactory(pairing=pairing_b))

        assert "park" in caught.value.message_dict
        assert Project.objects.count() == 0

    @pytest.mark.parametrize(
        ("stage", "dates", "field"),
        [
            (Stage.SIGNED, {"signed_date": None}, "signed_date"),
            (Stage.STARTED, {}, "actual_start_date"),
            (Stage.PRODUCING, {"actual_start_date": START}, "actual_production_date"),
            (Stage.AT_CAPACITY, {"actual_start_date": START}, "actual_production_date"),
            (
                Stage.PRODUCING,
                {"actual_start_date": START, "actual_production_date": START - dt.timedelta(days=1)},
                "actual_production_date",
            ),
        ],
    )
    def test_stage_gates(self, pairing_a, stage, dates, field):
        with pytest.raises(ValidationError) as caught:
            _create(pairing_a, stage=stage, **dates)

        assert field in caught.value.message_dict
        assert Project.objects.count() == ProjectStageChange.objects.count() == 0

    def test_created_in_production_with_its_dates(self, pairing_a):
        project = _create(pairing_a, stage=Stage.PRODUCING, actual_start_date=START, actual_production_date=PRODUCTION)

        assert project.stage == Stage.PRODUCING

    def test_pipeline_needs_no_dates(self, pairing_a):
        assert _create(pairing_a, stage=Stage.PIPELINE, signed_date=None).stage == Stage.PIPELINE

    def test_negative_planned_investment(self, pairing_a):
        with pytest.raises(ValidationError) as caught:
            _create(pairing_a, planned_investment=Decimal("-0.01"))

        assert "planned_investment" in caught.value.message_dict

    def test_duplicate_code(self, pairing_a):
        _create(pairing_a)

        with pytest.raises(ValidationError) as caught:
            _create(pairing_a)

        assert "code" in caught.value.message_dict
        assert Project.objects.count() == ProjectStageChange.objects.count() == 1


class TestProjectChangeStage:
    @pytest.fixture
    def project(self, pairing_a, officer) -> Project:
        return _create(pairing_a, by=officer)

    def test_forward_move_is_logged_with_who(self, project, liaison_a):
        moved = project_change_stage(project=project, to_stage=Stage.STARTED, actual_start_date=START, by=liaison_a)

        assert (moved.stage, moved.actual_start_date) == (Stage.STARTED, START)
        assert Project.objects.get(pk=project.pk).stage == Stage.STARTED
        last = ProjectStageChange.objects.filter(project=project).latest("id")
        assert (last.from_stage, last.to_stage, last.changed_by) == (Stage.SIGNED, Stage.STARTED, liaison_a)
        assert _log(project) == [("", Stage.SIGNED), (Stage.SIGNED, Stage.STARTED)]

    def test_through_every_stage(self, project, officer):
        project_change_stage(project=project, to_stage=Stage.STARTED, actual_start_date=START, by=officer)
        project_change_stage(project=project, to_stage=Stage.PRODUCING, actual_production_date=PRODUCTION, by=officer)
        project_change_stage(project=project, to_stage=Stage.AT_CAPACITY, by=officer)

        assert _log(project)[1:] == [
            (Stage.SIGNED, Stage.STARTED),
            (Stage.STARTED, Stage.PRODUCING),
            (Stage.PRODUCING, Stage.AT_CAPACITY),
        ]

    def test_same_stage_twice_logs_once(self, project, officer):
        project_change_stage(project=project, to_stage=Stage.STARTED, actual_start_date=START, by=officer)
        project_change_stage(project=project, to_stage=Stage.STARTED, actual_start_date=START, by=officer)

        assert _log(project) == [("", Stage.SIGNED), (Stage.SIGNED, Stage.STARTED)]

    def test_backward_move_needs_a_note(self, project, officer):
        project_change_stage(project=project, to_stage=Stage.STARTED, actual_start_date=START, by=officer)

        for note in ("", "   "):
            with pytest.raises(ValidationError) as caught:
                project_change_stage(project=project, to_stage=Stage.SIGNED, by=officer, note=note)
            assert "note" in caught.value.message_dict

        assert Project.objects.get(pk=project.pk).stage == Stage.STARTED
        assert len(_log(project)) == 2

    def test_backward_move_with_a_note(self, project, officer):
        project_change_stage(project=project, to_stage=Stage.STARTED, actual_start_date=START, by=officer)

        project_change_stage(project=project, to_stage=Stage.SIGNED, by=officer, note="开工许可被撤回")

        last = ProjectStageChange.objects.filter(project=project).latest("id")
        assert (last.from_stage, last.to_stage, last.note) == (Stage.STARTED, Stage.SIGNED, "开工许可被撤回")

    @pytest.mark.parametrize(
        ("to_stage", "field"),
        [(Stage.STARTED, "actual_start_date"), (Stage.PRODUCING, "actual_start_date")],
    )
    def test_dates_are_required(self, project, officer, to_stage, field):
        with pytest.raises(ValidationError) as caught:
            project_change_stage(project=project, to_stage=to_stage, by=officer)

        assert field in caught.value.message_dict
        assert Project.objects.get(pk=project.pk).stage == Stage.SIGNED
        assert len(_log(project)) == 1

    def test_production_date_is_required(self, project, officer):
        project_change_stage(project=project, to_stage=Stage.STARTED, actual_start_date=START, by=officer)

        with pytest.raises(ValidationError) as caught:
            project_change_stage(project=project, to_stage=Stage.PRODUCING, by=officer)

        assert "actual_production_date" in caught.value.message_dict

    def test_production_before_start_is_refused(self, project, officer):
        with pytest.raises(ValidationError) as caught:
            project_change_stage(
                project=project,
                to_stage=Stage.PRODUCING,
                actual_start_date=START,
                actual_production_date=START - dt.timedelta(days=1),
                by=officer,
            )

        assert "actual_production_date" in caught.value.message_dict
        assert Project.objects.get(pk=project.pk).actual_start_date is None

    def test_works_from_a_stale_instance(self, project, officer):
        stale = Project.objects.get(pk=project.pk)
        project_change_stage(project=project, to_stage=Stage.STARTED, actual_start_date=START, by=officer)

        # The service reads the locked row, not the caller's copy: the stale copy still says "signed".
        project_change_stage(project=stale, to_stage=Stage.STARTED, by=officer)

        assert len(_log(project)) == 2


class TestProjectVersionClaim:
    """The edit form's optimistic lock: a save claims the version the form was opened on."""

    def test_the_version_the_form_saw_moves_on_by_one(self, pairing_a):
        project = _create(pairing_a)
        seen = project.version

        project_version_claim(project=project, seen_version=seen)

        assert project.version == seen + 1
        project.refresh_from_db()
        assert project.version == seen + 1

    def test_a_version_someone_else_moved_on_is_refused_and_left_alone(self, pairing_a):
        project = _create(pairing_a)
        seen = project.version
        project_version_claim(project=Project.objects.get(pk=project.pk), seen_version=seen)  # another editor saved

        with translation.override("en"), pytest.raises(ValidationError, match="Someone else changed this project"):
            project_version_claim(project=project, seen_version=seen)

        project.refresh_from_db()
        assert project.version == seen + 1
