"""Record who closed the fund years closed before closing was a step of its own.

Until now the first draft of a reward run closed its fund's year as a side effect. Each closed year keeps its closing
time and gets its closer from the fund's history (the first version with the year closed; none: the system or the
scheduled job). A fund with a reward run also gets the closing recorded on the run, as a hand in it (the closer is an
editor of the run unless they approved it). Nothing is reopened: a year whose run is still a draft can now be
reopened by a finance or provincial officer, on the reward run's page."""

from django.db import migrations


def record(apps, schema_editor):
    Fund = apps.get_model("funds", "Fund")
    HistoricalFund = apps.get_model("funds", "HistoricalFund")
    RewardRun = apps.get_model("funds", "RewardRun")
    RewardRunEdit = apps.get_model("funds", "RewardRunEdit")
    RewardRunParticipant = apps.get_model("funds", "RewardRunParticipant")
    for fund in Fund.objects.filter(frozen_at__isnull=False, closed_by__isnull=True):
        first_closed = (
            HistoricalFund.objects.filter(id=fund.pk, frozen_at__isnull=False).order_by("history_date", "history_id")
        ).first()
        person = first_closed.history_user_id if first_closed is not None else None
        if person is not None:
            Fund.objects.filter(pk=fund.pk).update(closed_by_id=person)
        run = RewardRun.objects.filter(fund_id=fund.pk).first()
        if run is None or RewardRunEdit.objects.filter(run=run, action="close").exists():
            continue
        edit = RewardRunEdit.objects.create(run=run, by_id=person, action="close", changes={})
        RewardRunEdit.objects.filter(pk=edit.pk).update(at=fund.frozen_at)
        if person is not None and not RewardRunParticipant.objects.filter(run=run, user_id=person).exists():
            RewardRunParticipant.objects.create(run=run, user_id=person, role="editor")


def forget(apps, schema_editor):
    apps.get_model("funds", "RewardRunEdit").objects.filter(action="close").delete()
    apps.get_model("funds", "Fund").objects.update(closed_by=None)


class Migration(migrations.Migration):
    dependencies = [("funds", "0006_fund_year_closed_by")]

    operations = [migrations.RunPython(record, forget)]
