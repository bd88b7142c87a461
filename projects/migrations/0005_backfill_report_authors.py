"""Record the authors of the reports not yet approved, from their history, submitter and attachments: everyone who
created, changed, attached a file to or submitted them, so that none of them approves. A history row made by a
review (a return or an approval, the row after a submitted one) is not authorship. Approved reports are final and
are left alone."""

from django.db import migrations


def record_authors(apps, schema_editor):
    ProgressReport = apps.get_model("projects", "ProgressReport")
    HistoricalProgressReport = apps.get_model("projects", "HistoricalProgressReport")
    ReportAttachment = apps.get_model("projects", "ReportAttachment")
    ReportParticipant = apps.get_model("projects", "ReportParticipant")

    rows = []
    for report in ProgressReport.objects.exclude(status="approved").only("pk", "submitted_by_id").iterator():
        authors: list[int] = []
        if report.submitted_by_id:
            authors.append(report.submitted_by_id)
        previous = None
        history = HistoricalProgressReport.objects.filter(id=report.pk).order_by("history_date", "history_id")
        for status, user_id in history.values_list("status", "history_user_id"):
            reviewed = previous == "submitted" and status in ("returned", "approved")
            if user_id and not reviewed:
                authors.append(user_id)
            previous = status
        uploaders = ReportAttachment.objects.filter(report_id=report.pk, uploaded_by_id__isnull=False)
        authors.extend(uploaders.values_list("uploaded_by_id", flat=True))
        rows.extend(
            ReportParticipant(report_id=report.pk, user_id=user_id, role="author") for user_id in dict.fromkeys(authors)
        )
    ReportParticipant.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def forget_authors(apps, schema_editor):
    apps.get_model("projects", "ReportParticipant").objects.filter(role="author").delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_report_participants")]

    operations = [migrations.RunPython(record_authors, forget_authors)]
