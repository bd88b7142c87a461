"""Record the hands in the reward runs made before edits were recorded, from their history: each saved draft
version is an edit by its history user (none: the scheduled job), each such person an editor of the run, and the
approver (unless they had edited the draft themselves) its approver."""

from django.db import migrations

RULE = ("threshold_pct", "basis", "cap")


def _text(name, value):
    if value is None:
        return None
    if name == "threshold_pct":
        return format(value.normalize(), "f")
    return format(value, "f") if name == "cap" else str(value)


def backfill(apps, schema_editor):
    RewardRun = apps.get_model("funds", "RewardRun")
    HistoricalRewardRun = apps.get_model("funds", "HistoricalRewardRun")
    RewardRunEdit = apps.get_model("funds", "RewardRunEdit")
    RewardRunParticipant = apps.get_model("funds", "RewardRunParticipant")
    for run in RewardRun.objects.filter(edits__isnull=True).distinct():
        versions = HistoricalRewardRun.objects.filter(id=run.pk, status="draft").order_by("history_date", "history_id")
        before = None
        editors = []
        for version in versions:
            rule = {name: _text(name, getattr(version, name)) for name in RULE}
            if before is None:
                action, changes = "start", rule
            else:
                changes = {name: [before[name], rule[name]] for name in RULE if before[name] != rule[name]}
                action = "rule" if changes else "recompute"
            person = version.history_user_id
            if action == "rule" and person is None:
                action = "recompute"
            edit = RewardRunEdit.objects.create(run=run, by_id=person, action=action, changes=changes)
            RewardRunEdit.objects.filter(pk=edit.pk).update(at=version.history_date)
            if person is not None and person not in editors:
                editors.append(person)
            before = rule
        if run.created_by_id is not None and run.created_by_id not in editors:
            editors.insert(0, run.created_by_id)
        for person in editors:
            RewardRunParticipant.objects.create(run=run, user_id=person, role="editor")
        if run.approved_by_id is not None and run.approved_by_id not in editors:
            RewardRunParticipant.objects.create(run=run, user_id=run.approved_by_id, role="approver")


def forget(apps, schema_editor):
    apps.get_model("funds", "RewardRunEdit").objects.all().delete()
    apps.get_model("funds", "RewardRunParticipant").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("funds", "0004_reward_run_edits_and_participants")]

    operations = [migrations.RunPython(backfill, forget)]
