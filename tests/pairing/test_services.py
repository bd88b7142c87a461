"""Pairing services: who may be paired with whom, the roles they take, and closing pairings that have expired."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from pairing.factories import (
    CityFactory,
    CountyFactory,
    PairingFactory,
    ProgramFactory,
    ProvinceFactory,
    SourceFactory,
)
from pairing.models import CountyRole, Pairing, PairingStatus, ProgramCounty, Region, Source
from pairing.services import (
    pairing_create,
    pairing_end,
    pairings_close_expired,
    program_county_designate,
    program_get_or_create,
    source_get_or_create,
)
from pairing.tasks import close_expired_pairings_task

pytestmark = pytest.mark.django_db

START = dt.date(2024, 9, 1)


@pytest.fixture
def source():
    return SourceFactory()


@pytest.fixture
def henan_county() -> Region:
    henan = ProvinceFactory(adcode="410000", name="河南省")
    zhengzhou = CityFactory(adcode="410100", name="郑州市", parent=henan)
    return CountyFactory(adcode="410102", name="中原区", parent=zhengzhou)


def _counts() -> tuple[int, int]:
    return Pairing.objects.count(), ProgramCounty.objects.count()


class TestPairingCreate:
    def test_official_pairing_records_roles_and_provenance(self, program, source):
        strong, weak = CountyFactory(), CountyFactory()

        pairing = pairing_create(
            program=program,
            strong_county=strong,
            weak_county=weak,
            start_date=START,
            source=source,
            provenance_note="两地共建产业园",
            leader="省领导",
        )

        assert pairing.status == PairingStatus.ACTIVE
        assert pairing.is_sample is False
        assert (pairing.source, pairing.provenance_note) == (source, "两地共建产业园")
        roles = {row.county_id: (row.role, row.source_id) for row in ProgramCounty.objects.filter(program=program)}
        assert roles == {strong.pk: (CountyRole.STRONG, source.pk), weak.pk: (CountyRole.WEAK, source.pk)}

    def test_sample_pairing_needs_no_source(self, program):
        pairing = pairing_create(
            program=program,
            strong_county=CountyFactory(),
            weak_county=CountyFactory(),
            start_date=START,
            is_sample=True,
        )

        assert pairing.is_sample is True
        assert set(ProgramCounty.objects.values_list("is_sample", flat=True)) == {True}

    def test_strong_equals_weak(self, program, source):
        county = CountyFactory()

        with pytest.raises(ValidationError) as caught:
            pairing_create(program=program, strong_county=county, weak_county=county, start_date=START, source=source)

        assert "weak_county" in caught.value.message_dict
        assert _counts() == (0, 0)

    def test_official_pairing_without_source(self, program):
        with pytest.raises(ValidationError) as caught:
            pairing_create(
                program=program, strong_county=CountyFactory(), weak_county=CountyFactory(), start_date=START
            )

        assert "source" in caught.value.message_dict
        assert _counts() == (0, 0)

    def test_county_outside_the_province(self, program, source, henan_county):
        with pytest.raises(ValidationError) as caught:
            pairing_create(
                program=program,
                strong_county=henan_county,
                weak_county=CountyFactory(),
                start_date=START,
                source=source,
            )

        assert "strong_county" in caught.value.message_dict
        assert _counts() == (0, 0)

    def test_program_without_province_accepts_any_county(self, program, source, henan_county):
        program.province = None
        program.save()

        pairing_create(
            program=program, strong_county=henan_county, weak_county=CountyFactory(), start_date=START, source=source
        )

    def test_a_city_is_not_a_county(self, program, source):
        city = CityFactory(adcode="370200", name="青岛市")

        with pytest.raises(ValidationError) as caught:
            pairing_create(
                program=program, strong_county=city, weak_county=CountyFactory(), start_date=START, source=source
            )

        assert "strong_county" in caught.value.message_dict

    def test_strong_county_cannot_become_weak(self, pairing_a, source):
        before = _counts()

        with pytest.raises(ValidationError) as caught:
            pairing_create(
                program=pairing_a.program,
                strong_county=CountyFactory(),
                weak_county=pairing_a.strong_county,
                start_date=START,
                source=source,
            )

        assert "county" in caught.value.message_dict
        assert _counts() == before  # the new strong county's role was not kept either

    def test_second_active_pairing_for_a_strong_county(self, pairing_a, source):
        before = _counts()

        with pytest.raises(ValidationError) as caught:
            pairing_create(
                program=pairing_a.program,
                strong_county=pairing_a.strong_county,
                weak_county=CountyFactory(),
                start_date=START,
                source=source,
            )

        assert "strong_county" in caught.value.message_dict
        assert _counts() == before

    def test_second_active_pairing_for_a_weak_county(self, pairing_a, source):
        with pytest.raises(ValidationError) as caught:
            pairing_create(
                program=pairing_a.program,
                strong_county=CountyFactory(),
                weak_county=pairing_a.weak_county,
                start_date=START,
                source=source,
            )

        assert "weak_county" in caught.value.message_dict
        assert Pairing.objects.count() == 1

    def test_ended_pairing_frees_both_counties(self, pairing_a, source):
        pairing_end(pairing=pairing_a, end_date=dt.date(2025, 6, 30))

        again = pairing_create(
            program=pairing_a.program,
            strong_county=pairing_a.strong_county,
            weak_county=pairing_a.weak_county,
            start_date=dt.date(2025, 7, 1),
            source=source,
        )

        assert Pairing.objects.active().get() == again

    def test_the_same_counties_in_another_program(self, pairing_a, source):
        other = type(pairing_a.program).objects.create(
            code="other", name="另一个项目", province=pairing_a.program.province, start_date=START
        )

        pairing_create(
            program=other,
            strong_county=pairing_a.weak_county,  # roles are per program: the weak county may assist elsewhere
            weak_county=CountyFactory(),
            start_date=START,
            source=source,
        )


class TestProgramCountyDesignate:
    def test_idempotent(self, program, source):
        county = CountyFactory()

        first = program_county_designate(program=program, county=county, role=CountyRole.WEAK, source=source)
        second = program_county_designate(program=program, county=county, role=CountyRole.WEAK, source=source)

        assert first.pk == second.pk
        assert ProgramCounty.objects.count() == 1

    def test_official_designation_needs_a_source(self, program):
        with pytest.raises(ValidationError):
            program_county_designate(program=program, county=CountyFactory(), role=CountyRole.WEAK)

    def test_a_source_turns_a_sample_role_official(self, program, source):
        county = CountyFactory()
        program_county_designate(program=program, county=county, role=CountyRole.WEAK, is_sample=True)

        row = program_county_designate(program=program, county=county, role=CountyRole.WEAK, source=source)

        assert (row.source, row.is_sample) == (source, False)


class TestPairingEnd:
    def test_end_before_start_is_refused(self, pairing_a):
        with pytest.raises(ValidationError):
            pairing_end(pairing=pairing_a, end_date=pairing_a.start_date - dt.timedelta(days=1))

        pairing_a.refresh_from_db()
        assert pairing_a.status == PairingStatus.ACTIVE

    def test_ending_twice_keeps_the_first_end_date(self, pairing_a):
        pairing_end(pairing=pairing_a, end_date=dt.date(2025, 6, 30))
        pairing = pairing_end(pairing=pairing_a, end_date=dt.date(2025, 12, 31))

        assert (pairing.status, pairing.end_date) == (PairingStatus.ENDED, dt.date(2025, 6, 30))


class TestCloseExpired:
    TODAY = dt.date(2025, 7, 1)

    @pytest.fixture
    def pairings(self, program):
        """One expired, one ending today, one open-ended, one expired but already ended."""
        return {
            "expired": PairingFactory(program=program, end_date=dt.date(2025, 6, 30)),
            "ends_today": PairingFactory(program=program, end_date=self.TODAY),
            "open": PairingFactory(program=program, end_date=None),
            "already_ended": PairingFactory(program=program, end_date=dt.date(2025, 1, 31), status=PairingStatus.ENDED),
        }

    def _statuses(self, pairings) -> dict[str, str]:
        return {key: Pairing.objects.get(pk=row.pk).status for key, row in pairings.items()}

    def test_closes_only_what_has_expired(self, pairings):
        changed = pairings_close_expired(today=self.TODAY)

        assert changed == 1
        assert self._statuses(pairings) == {
            "expired": PairingStatus.ENDED,
            "ends_today": PairingStatus.ACTIVE,
            "open": PairingStatus.ACTIVE,
            "already_ended": PairingStatus.ENDED,
        }

    def test_second_run_changes_nothing(self, pairings):
        pairings_close_expired(today=self.TODAY)

        assert pairings_close_expired(today=self.TODAY) == 0

    def test_task_closes_expired_pairings(self, program):
        today = timezone.localdate()
        expired = PairingFactory(
            program=program, start_date=today - dt.timedelta(days=30), end_date=today - dt.timedelta(days=1)
        )
        current = PairingFactory(program=program, start_date=today - dt.timedelta(days=30), end_date=today)

        result = close_expired_pairings_task.delay()

        assert result.get(timeout=1) == 1
        assert Pairing.objects.get(pk=expired.pk).status == PairingStatus.ENDED
        assert Pairing.objects.get(pk=current.pk).status == PairingStatus.ACTIVE
        assert close_expired_pairings_task.delay().get(timeout=1) == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_pairings_of_one_county(require_postgres):
    """Eight writers pair the same strong county at once: one wins, the others get a readable refusal."""
    writers = 8
    program = ProgramFactory(code="race")
    strong = CountyFactory()
    weak_counties = [CountyFactory() for _ in range(writers)]
    source = SourceFactory()
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(weak: Region) -> None:
        try:
            barrier.wait(timeout=10)
            pairing_create(program=program, strong_county=strong, weak_county=weak, start_date=START, source=source)
            outcome = "paired"
        except ValidationError:
            outcome = "refused"
        except Exception as exc:  # an IntegrityError leaking out would show here
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=write, args=(weak,)) for weak in weak_counties]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["paired"] + ["refused"] * (writers - 1)
    assert Pairing.objects.active().filter(program=program, strong_county=strong).count() == 1
    assert ProgramCounty.objects.filter(program=program, county=strong).count() == 1


class TestProgramAndSourceForAnImport:
    """An imported pairing may name a program or a source document not seen before (stats' pairing import)."""

    def test_a_known_program_is_returned_as_it_is(self, program):
        weak = CountyFactory(adcode="370405")

        found = program_get_or_create(code=program.code, start_date=dt.date(2030, 1, 1), counties=[weak])

        assert found == program
        assert found.start_date == program.start_date

    def test_a_new_program_takes_its_code_and_its_counties_province(self):
        strong, weak = CountyFactory(adcode="370211"), CountyFactory(adcode="370405")

        created = program_get_or_create(code="new-2026", start_date=dt.date(2026, 1, 1), counties=[strong, weak])

        assert (created.code, created.name, created.start_date) == ("new-2026", "new-2026", dt.date(2026, 1, 1))
        assert created.province_id == "370000"

    def test_a_new_program_across_provinces_has_no_province(self):
        beijing = CityFactory(
            adcode="110100", name="北京市辖区", parent=ProvinceFactory(adcode="110000", name="北京市")
        )
        counties = [CountyFactory(adcode="370405"), CountyFactory(adcode="110101", parent=beijing)]

        created = program_get_or_create(code="cross-2026", start_date=dt.date(2026, 1, 1), counties=counties)

        assert created.province is None

    def test_a_source_is_recorded_once_per_title(self):
        first = source_get_or_create(title="鲁政办字〔2024〕1号")
        again = source_get_or_create(title="鲁政办字〔2024〕1号")

        assert first.pk == again.pk
        assert Source.objects.filter(title="鲁政办字〔2024〕1号").count() == 1
