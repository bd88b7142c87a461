import os

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from accounts.models import Role
from accounts.services import user_create, user_set_role
from pairing.models import Region

PASSWORD_ENV = "NEW_USER_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a user with a role (officer, finance, liaison, leader); a liaison needs --county ADCODE. The password "
        f"comes from ${PASSWORD_ENV}, else it is generated and printed once. For an existing user, --update changes "
        "the role and leaves the password alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--county", help="6-digit adcode of a liaison's county.")
        parser.add_argument("--email", default="")
        parser.add_argument("--update", action="store_true", help="Change the role of an existing user.")
        parser.add_argument("--token", action="store_true", help="Also print an API token for scripts.")

    def handle(self, *args, username: str, role: str, county: str | None, email: str, update: bool, token: bool,
               **options) -> None:
        region = None
        if county:
            region = Region.objects.filter(adcode=county).first()
            if region is None:
                raise CommandError(f"Unknown adcode {county} (run load_regions first).")
        User = get_user_model()
        try:
            existing = User.objects.filter(username=username).first()
            if existing is not None and update:
                user_set_role(user=existing, role=role, county=region)
                user, password = existing, None
                self.stdout.write(f"Updated {username}: role {role}" + (f", county {county}" if county else "") + ".")
            else:
                user, password = user_create(
                    username=username, role=role, county=region, email=email,
                    password=os.environ.get(PASSWORD_ENV) or None,
                )
                self.stdout.write(f"Created {username}: role {role}" + (f", county {county}" if county else "") + ".")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if password and not os.environ.get(PASSWORD_ENV):
            self.stdout.write(f"Password (shown once): {password}")
        if token:
            key, _created = Token.objects.get_or_create(user=user)
            self.stdout.write(f"API token: {key.key}")
