"""Record the authors of the reports not yet approved, from their history, submitter and attachments: everyone who
created, changed, attached a file to or submitted them, so that none of them approves. A history row made by a
review (a return or an approval, the row after a submitted one) is not authorship. Approved reports are final and
are left alone."""

from django.db import migrations

BATCH = 5000


def record_authors(apps, schema_editor):
    ProgressReport = apps.get_model("projects", "ProgressReport")
    HistoricalProgressReport = apps.get_model("projects", "HistoricalProgressReport")
    ReportAttachment = apps.get_model("projects", "ReportAttachment")
    ReportParticipant = apps.get_model("projects", "ReportParticipant")

    # Three streamed reads in all (a national database holds a million reports), not two queries per report.
    open_reports = ProgressReport.objects.exclude(status="approved")
    authors: dict[int, dict[int, None]] = {}
    for pk, submitted_by in open_reports.values_list("pk", "submitted_by_id").iterator(chunk_size=BATCH):
        authors[pk] = {submitted_by: None} if submitted_by else {}

    history = (
        HistoricalProgressReport.objects.filter(id__in=open_reports.values("pk"))
        .order_by("id", "history_date", "history_id")
        .values_list("id", "status", "history_user_id")
    )
    current, previous = None, None
    for pk, status, user_id in history.iterator(chunk_size=BATCH):
        if pk != current:
            current, previous = pk, None
        reviewed = previous == "submitted" and status in ("returned", "approved")
        if user_id and not reviewed and pk in authors:
            authors[pk][user_id] = None
        previous = status

    uploads = ReportAttachment.objects.filter(report__in=open_reports, uploaded_by_id__isnull=False)
    for pk, user_id in uploads.values_list("report_id", "uploaded_by_id").iterator(chunk_size=BATCH):
        authors[pk][user_id] = None

    rows = []
    for pk, users in authors.items():
        rows.extend(ReportParticipant(report_id=pk, user_id=user_id, role="author") for user_id in users)
        if len(rows) >= BATCH:
            ReportParticipant.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
            rows = []
    ReportParticipant.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def forget_authors(apps, schema_editor):
    apps.get_model("projects", "ReportParticipant").objects.filter(role="author").delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_report_participants")]

    operations = [migrations.RunPython(record_authors, forget_authors)]
