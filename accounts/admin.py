from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import ServiceAdmin

from .models import ApiToken, Membership
from .services import api_token_create, api_token_revoke, user_set_role

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
    list_select_related = ["user", "county"]  # one query for the page, not two per row
    list_filter = ["role"]
    search_fields = ["user__username", "county__name", "county__adcode"]
    autocomplete_fields = ["county"]

    def has_add_permission(self, request) -> bool:
        return False  # roles are given on the user's page or with `add_user`

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceAdmin):
    """Named API tokens of reporting tools. The key is shown once, in a message after the token is created; only
    its hash is kept. A token is never edited: revoke it (the list's action) and create another."""

    list_display = ["name", "user", "prefix", "read_only", "status", "created_at", "last_used_at", "expires_at"]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    autocomplete_fields = ["user"]
    fields = ["user", "name", "read_only", "expires_at", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("status"))
    def status(self, obj: ApiToken) -> str:
        if obj.revoked_at is not None:
            return _("revoked")
        if not obj.is_usable(timezone.now()):
            return _("expired")
        return _("active")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return ["prefix", "created_at", "last_used_at", "revoked_at"]
        return list(self.fields)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return ["user", "name", "read_only", "expires_at"]
        return list(self.fields)

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # nothing of a token is edited; it is revoked

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> ApiToken:
        data = form.cleaned_data
        token, key = api_token_create(
            user=data["user"], name=data["name"], read_only=data["read_only"], expires_at=data.get("expires_at")
        )
        # Kept for save_model's message; the validation run's key is overwritten by the real one.
        request._new_api_token_key = key
        return token

    def save_model(self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                _("The key of %(token)s, shown this once (copy it now; only its hash is kept): %(key)s")
                % {"token": obj.name, "key": request._new_api_token_key},
                messages.WARNING,
            )

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        live = list(queryset.filter(revoked_at__isnull=True))
        for token in live:
            api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", len(live)) % {"n": len(live)},
            messages.SUCCESS,
        )
