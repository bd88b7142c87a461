import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

USERNAME = "admin"
# One account per role to try the other views of the program (same password as the admin, DEBUG only).
DEMO_ACCOUNTS = [
    ("liaison-370405", "liaison", "370405"),  # 台儿庄区, a documented weak county
    ("finance", "finance", None),
    ("leader", "leader", None),
]
PASSWORD_ENV = "LOCAL_ADMIN_PASSWORD"
PASSWORD_FILE = "local-admin-password"


def _stored_password(path: Path) -> str | None:
    if path.exists():
        return path.read_text(encoding="utf-8").strip() or None
    return None


def _store_password(path: Path, password: str) -> None:
    """Write the password readable by its owner only (mode 600), never over an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(password + "\n")


class Command(BaseCommand):
    help = (
        "For `make run` on a developer machine (DEBUG only): create the superuser 'admin' once and print how to "
        f"sign in. The password comes from ${PASSWORD_ENV}, else it is generated and kept in VAR_DIR/{PASSWORD_FILE}."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where the server listens.")

    def handle(self, *args, base_url: str = "http://127.0.0.1:8000", **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "ensure_local_admin only runs with DEBUG on (a developer machine); "
                "create production accounts with `createsuperuser`."
            )
        path = Path(settings.VAR_DIR) / PASSWORD_FILE
        password = os.environ.get(PASSWORD_ENV) or _stored_password(path)
        if not password:
            password = secrets.token_urlsafe(16)
            _store_password(path, password)
            self.stdout.write(f"Generated a password for '{USERNAME}' and stored it in {path}")
        User = get_user_model()
        try:
            # The admin's and the demo accounts' password: as strong as the admin's password form would ask.
            validate_password(password, user=User(username=USERNAME))
        except ValidationError as exc:
            message = f"The password (${PASSWORD_ENV} or {path}) is too weak: "
            raise CommandError(message + " ".join(exc.messages)) from exc
        user = User.objects.filter(username=USERNAME).first()
        if user is None:
            User.objects.create_superuser(USERNAME, "", password)
            self.stdout.write(f"Created the superuser '{USERNAME}'.")
        elif not user.check_password(password):
            password = (
                f"(not the configured one: the account's password was changed; "
                f"reset it with `manage.py changepassword {USERNAME}`)"
            )
        demo_accounts = self._demo_accounts(User, password)
        base_url = base_url.rstrip("/")
        self.stdout.write(f"Admin: {base_url}{reverse('admin:index')}  user: {USERNAME}  password: {password}")
        for username, role in demo_accounts:
            page = reverse("liaison:projects") if role == "liaison" else reverse("admin:index")
            self.stdout.write(f"  {role}: {base_url}{page}  user: {username}  (same password)")
        self.stdout.write(f"API docs: {base_url}{reverse('swagger-ui')}")
        self.stdout.write(f"Dashboard: {base_url}{reverse('reporting:dashboard')}  (every account above)")

    def _demo_accounts(self, User, password: str) -> list[tuple[str, str]]:
        """The role accounts (created once; a liaison's county must be loaded, in a program). Returns (username, role)
        pairs."""
        from accounts.services import county_in_a_program, user_set_role
        from pairing.models import Region

        made = []
        for username, role, adcode in DEMO_ACCOUNTS:
            county = Region.objects.filter(adcode=adcode).first() if adcode else None
            if adcode and (county is None or not county_in_a_program(county=county)):
                continue
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username, "", password)
                user_set_role(user=user, role=role, county=county)
            made.append((username, role))
        return made
