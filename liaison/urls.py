from django.urls import path, register_converter

from . import views


class PeriodConverter:
    """A month, YYYY-MM."""

    regex = r"[0-9]{4}-(?:0[1-9]|1[0-2])"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PeriodConverter, "liaison_period")

app_name = "liaison"
urlpatterns = [
    path("", views.my_projects, name="projects"),
    path("login/", views.LiaisonLoginView.as_view(), name="login"),
    path("logout/", views.LiaisonLogoutView.as_view(), name="logout"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("workbook/", views.workbook, name="workbook"),
    path("workbook/<liaison_period:period>.xlsx", views.workbook_download, name="workbook_download"),
    path("projects/<int:project_id>/reports/new/", views.report_new, name="report_new"),
    path("projects/<int:project_id>/reports/<liaison_period:period>/", views.report_form, name="report"),
]
