from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("attachments/<int:attachment_id>/", views.report_attachment, name="report_attachment"),
]
