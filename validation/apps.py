from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, **kwargs) -> None:
    """Give the existing role groups their permissions on this app's models, created by the migrate that just ran
    (a role's group is otherwise synced only when a user is given the role)."""
    from django.contrib.auth.models import Group

    from accounts.services import GROUP_NAMES, role_group_sync

    for role, name in GROUP_NAMES.items():
        if Group.objects.filter(name=name).exists():
            role_group_sync(role=role)


class ValidationConfig(AppConfig):
    name = "validation"
    verbose_name = _("Validation rules")

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, sender=self)
