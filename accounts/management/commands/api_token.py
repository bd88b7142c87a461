import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = (
        "Named API tokens for reporting tools. `create USER --name NAME` prints a new read-only key once "
        "(`--write` for a token that may also write as far as the user's role allows; `--expires YYYY-MM-DD` for "
        "the last day it works); `revoke USER --name NAME` (or `revoke --prefix trk_…`) revokes one; `list [USER]` "
        "shows them."
    )

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a token and print its key once.")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="What the token is for, e.g. the tool using it.")
        create.add_argument("--write", action="store_true", help="Allow writes (default: read-only).")
        create.add_argument("--expires", type=dt.date.fromisoformat, help="Last day the token works (YYYY-MM-DD).")
        revoke = actions.add_parser("revoke", help="Revoke a token.")
        revoke.add_argument("username", nargs="?")
        revoke.add_argument("--name", help="The token's name (with USER).")
        revoke.add_argument("--prefix", help="The key's visible beginning, as `list` shows it.")
        listing = actions.add_parser("list", help="List tokens.")
        listing.add_argument("username", nargs="?")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Unknown user {username}.")
        return user

    def _create(self, *, username: str, name: str, write: bool, expires: dt.date | None, **options) -> None:
        expires_at = None
        if expires is not None:
            # The token works through the whole of that day, local time.
            expires_at = timezone.make_aware(dt.datetime.combine(expires + dt.timedelta(days=1), dt.time()))
        try:
            token, key = api_token_create(
                user=self._user(username), name=name, read_only=not write, expires_at=expires_at
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        kind = "read-only" if token.read_only else "read-write"
        until = f", expires {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M %Z}" if token.expires_at else ""
        self.stdout.write(f"Created {kind} token {token.name!r} for {username}{until}.")
        self.stdout.write(f"Key (shown once; send it as `Authorization: Bearer <key>`): {key}")

    def _revoke(self, *, username: str | None, name: str | None, prefix: str | None, **options) -> None:
        live = ApiToken.objects.filter(revoked_at__isnull=True)
        if prefix:
            tokens = live.filter(prefix=prefix.rstrip("…"))
            if username:
                tokens = tokens.filter(user__username=username)
        elif username and name:
            tokens = live.filter(user=self._user(username), name=name)
        else:
            raise CommandError("Name the token: USER --name NAME, or --prefix PREFIX.")
        token = tokens.first()
        if token is None or tokens.count() > 1:
            raise CommandError("No such live token." if token is None else "Several tokens match; name one.")
        api_token_revoke(token=token)
        self.stdout.write(f"Revoked token {token.name!r} ({token.prefix}…) of {token.user.get_username()}.")

    def _list(self, *, username: str | None, **options) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "name", "id")
        if username:
            tokens = tokens.filter(user=self._user(username))
        now = timezone.now()
        for token in tokens:
            state = "revoked" if token.revoked_at else ("active" if token.is_usable(now) else "expired")
            used = f"{timezone.localtime(token.last_used_at):%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            access = "read-only" if token.read_only else "read-write"
            self.stdout.write(
                f"{token.user.get_username()}\t{token.name}\t{token.prefix}…\t{access}\t{state}\tlast used {used}"
            )
