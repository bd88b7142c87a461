from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, **kwargs) -> None:
    """Give the existing role groups their permissions on this app's models, created by the migrate that just ran
    (a role's group is otherwise synced only when a user is given the role)."""
    from django.contrib.auth.models import Group

    from accounts.services import GROUP_NAMES, role_group_sync

    for role, name in GROUP_NAMES.items():
        if Group.objects.filter(name=name).exists():
            role_group_sync(role=role)


def _program_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A program starts with the default rules, as the programs that existed when this app came did (pairing sits
    below this app and cannot call it; this receiver is how a new program, from the admin, an import or the API, gets
    them). Fixtures loaded raw are left as they are."""
    if created and not raw:
        from validation.services import validation_rules_add_defaults

        validation_rules_add_defaults(program=instance)


class ValidationConfig(AppConfig):
    name = "validation"
    verbose_name = _("Validation rules")

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, sender=self)
        post_save.connect(_program_created, sender="pairing.Program", dispatch_uid="validation_program_defaults")
