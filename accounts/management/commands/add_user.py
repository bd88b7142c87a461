import datetime as dt
import os

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from accounts.services import api_token_create, user_create, user_set_role
from pairing.models import Region

PASSWORD_ENV = "NEW_USER_PASSWORD"
TOKEN_DAYS = 90


class Command(BaseCommand):
    help = (
        "Create a user with a role (officer, finance, liaison, leader); a liaison needs --county ADCODE, a county of "
        f"a program. The password comes from ${PASSWORD_ENV}, else it is generated and printed once; it must pass "
        "the password validators. For an existing user, --update changes the role and leaves the password alone. "
        f"--token also prints the key of a named API token, read-only and valid for {TOKEN_DAYS} days unless "
        "--write / --expires-days say otherwise (`manage.py api_token` manages it afterwards)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--county", help="6-digit adcode of a liaison's county.")
        parser.add_argument("--email", default="")
        parser.add_argument("--update", action="store_true", help="Change the role of an existing user.")
        parser.add_argument("--token", action="store_true", help="Also create a named API token and print its key.")
        parser.add_argument("--token-name", default="scripts", help="The token's name (default: scripts).")
        parser.add_argument("--write", action="store_true", help="Let the token write (default: read-only).")
        parser.add_argument(
            "--expires-days", type=int, default=TOKEN_DAYS, help=f"Days the token works (default: {TOKEN_DAYS})."
        )

    def handle(
        self,
        *args,
        username: str,
        role: str,
        county: str | None,
        email: str,
        update: bool,
        token: bool,
        token_name: str,
        write: bool,
        expires_days: int,
        **options,
    ) -> None:
        region = None
        if county:
            region = Region.objects.filter(adcode=county).first()
            if region is None:
                raise CommandError(f"Unknown adcode {county} (run load_regions first).")
        if token and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        User = get_user_model()
        lines = []
        try:
            # One transaction: a token that cannot be made leaves no half-made account behind.
            with transaction.atomic():
                existing = User.objects.filter(username=username).first()
                if existing is not None and update:
                    user_set_role(user=existing, role=role, county=region)
                    user, password = existing, None
                    lines.append(f"Updated {username}: role {role}" + (f", county {county}" if county else "") + ".")
                else:
                    user, password = user_create(
                        username=username,
                        role=role,
                        county=region,
                        email=email,
                        password=os.environ.get(PASSWORD_ENV) or None,
                    )
                    lines.append(f"Created {username}: role {role}" + (f", county {county}" if county else "") + ".")
                if password and not os.environ.get(PASSWORD_ENV):
                    lines.append(f"Password (shown once): {password}")
                if token:
                    api_token, key = api_token_create(
                        user=user,
                        name=token_name,
                        read_only=not write,
                        expires_at=timezone.now() + dt.timedelta(days=expires_days),
                    )
                    kind = "read-only" if api_token.read_only else "read-write"
                    lines.append(
                        f"API token (shown once; {kind} {api_token.name!r}, expires "
                        f"{timezone.localtime(api_token.expires_at):%Y-%m-%d %H:%M %Z}; send it as "
                        f"`Authorization: Bearer <key>`): {key}"
                    )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        for line in lines:
            self.stdout.write(line)
