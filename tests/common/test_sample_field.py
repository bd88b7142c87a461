"""Sample data comes from ``seed_demo`` alone: the "sample data" (示例数据) box is on no admin add form, nor on the
change form of a documented row; a sample row still says what it is."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _admins_of_sample_models():
    return sorted(
        (model._meta.label, model)
        for model in admin.site._registry
        if any(field.name == "is_sample" for field in model._meta.get_fields())
    )


SAMPLE_MODELS = _admins_of_sample_models()


@pytest.fixture
def staff(officer) -> Client:
    client = Client()
    client.force_login(officer)
    return client


@pytest.mark.parametrize("model", [model for _label, model in SAMPLE_MODELS], ids=[label for label, _ in SAMPLE_MODELS])
def test_no_add_form_offers_the_sample_box(staff, model):
    try:
        add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    except NoReverseMatch:
        pytest.skip("no add page")
    response = staff.get(add)
    if response.status_code == 403:
        pytest.skip("rows of this model are not added in the admin")

    assert response.status_code == 200
    assert 'name="is_sample"' not in response.content.decode()


def test_a_documented_project_shows_no_sample_box(staff, pairing_a):
    project = ProjectFactory(pairing=pairing_a, is_sample=False)

    html = staff.get(reverse("admin:projects_project_change", args=[project.pk])).content.decode()

    assert "field-is_sample" not in html


def test_a_sample_project_still_says_so(staff, pairing_a):
    project = ProjectFactory(pairing=pairing_a, is_sample=True)

    html = staff.get(reverse("admin:projects_project_change", args=[project.pk])).content.decode()

    assert "field-is_sample" in html
