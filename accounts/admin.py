from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Membership
from .services import user_set_role

User = get_user_model()


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    extra = 0
    max_num = 1
    autocomplete_fields = ["county"]
    verbose_name = _("role in the program")


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users with their role; saving a role sets the staff flag and admin group through the same service as the
    ``add_user`` command."""

    inlines = [MembershipInline]
    list_display = ["username", "role", "county", "is_active", "last_login"]
    list_filter = ["membership__role", "is_active", "is_superuser"]
    list_select_related = ["membership__county"]

    @admin.display(description=_("role"), ordering="membership__role")
    def role(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return membership.get_role_display() if membership else "—"

    @admin.display(description=_("county"), ordering="membership__county")
    def county(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return str(membership.county) if membership and membership.county_id else "—"

    def save_related(self, request, form, formsets, change) -> None:
        # The inline's own save would bypass the staff flag and groups; the service does all three, after the
        # form's many-to-many save (which would otherwise reset the groups to what the form showed).
        membership_sets = [f for f in formsets if f.model is Membership]
        super().save_related(request, form, [f for f in formsets if f.model is not Membership], change)
        for formset in membership_sets:
            for inline_form in formset.forms:
                data = getattr(inline_form, "cleaned_data", None) or {}
                if data.get("role") and not data.get("DELETE"):
                    try:
                        user_set_role(user=form.instance, role=data["role"], county=data.get("county"))
                    except ValidationError as exc:
                        self.message_user(request, "; ".join(exc.messages), level="error")
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "county"]
    list_filter = ["role"]
    search_fields = ["user__username", "county__name", "county__adcode"]
    autocomplete_fields = ["county"]

    def has_add_permission(self, request) -> bool:
        return False  # roles are given on the user's page or with `add_user`

    def has_change_permission(self, request, obj=None) -> bool:
        return False
