"""The container stack, checked without a Docker engine: docker-compose.yml and the Dockerfile are read as data,
their commands are resolved against the code, production settings are loaded with the stack's environment, and
the entry point script is run on this machine."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker", "beat")
SECRET = "compose-test-secret-that-is-long-and-random-0123456789abcdef"
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``."""

    def replace(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = env.get(name, "")
        if current:
            return current
        if op == ":?":
            raise ValueError(f"{name}: {arg}")
        return arg if op == ":-" else ""

    return INTERPOLATION.sub(replace, value)


def app_env(service: dict, **host_env: str) -> dict[str, str]:
    return {key: interpolate(str(value), host_env) for key, value in service["environment"].items()}


def command_of(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestServices:
    def test_the_five_services(self, services):
        assert set(services) == {"web", "worker", "beat", "db", "redis"}

    def test_app_services_share_one_image_built_here(self, services):
        for name in APP_SERVICES:
            build = services[name]["build"]
            context = build if isinstance(build, str) else build["context"]
            assert (BASE_DIR / context / "Dockerfile").is_file(), name
        assert len({services[name]["image"] for name in APP_SERVICES}) == 1

    def test_backing_services_images(self, services):
        assert services["db"]["image"] == "postgres:16"
        assert services["redis"]["image"] == "redis:7"

    def test_healthchecks(self, services):
        assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
        assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
        for name in ("db", "redis", "web"):
            assert services[name]["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}, name

    def test_app_services_wait_for_healthy_db_and_redis(self, services):
        for name in APP_SERVICES:
            depends = services[name]["depends_on"]
            assert depends["db"] == {"condition": "service_healthy"}, name
            assert depends["redis"] == {"condition": "service_healthy"}, name
        # Worker and beat start once the web container has migrated.
        assert services["worker"]["depends_on"]["web"]["condition"] == "service_healthy"

    def test_database_keeps_its_data(self, compose, services):
        volume = services["db"]["volumes"][0].split(":")
        assert volume[1] == "/var/lib/postgresql/data"
        assert volume[0] in compose["volumes"]


class TestCommands:
    def test_web_runs_gunicorn_on_8000(self, services):
        command = command_of(services["web"])

        assert command == ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
        # The settings file binds every interface on 8000 (GUNICORN_BIND overrides) with threaded workers.
        settings: dict = {}
        exec(compile((BASE_DIR / "config" / "gunicorn.py").read_text(), "gunicorn.py", "exec"), settings)
        assert settings["bind"] == "0.0.0.0:8000"
        assert settings["worker_class"] == "gthread" and settings["threads"] >= 2
        assert any(port.endswith(":8000") for port in services["web"]["ports"])

    def test_worker_and_beat(self, services):
        assert command_of(services["worker"])[:4] == ["celery", "-A", "config", "worker"]
        assert command_of(services["beat"])[:4] == ["celery", "-A", "config", "beat"]

    def test_only_web_migrates(self, services):
        assert services["web"]["environment"]["RUN_MIGRATIONS"] == "1"
        for name in ("worker", "beat"):
            assert services[name]["environment"].get("RUN_MIGRATIONS", "0") != "1"

    def test_targets_import_with_the_stack_environment(self, services):
        """What gunicorn and ``celery -A config`` load, loaded with the environment the stack gives them."""
        env = app_env(services["web"], DJANGO_SECRET_KEY=SECRET)
        module, attribute = command_of(services["web"])[-1].split(":")
        code = (
            "import importlib, django.conf\n"
            f"application = getattr(importlib.import_module({module!r}), {attribute!r})\n"
            "from celery.app.utils import find_app\n"
            "celery_app = find_app('config')\n"
            "s = django.conf.settings\n"
            "print(type(application).__name__, celery_app.main, s.SETTINGS_MODULE, s.DEBUG,\n"
            "      s.DATABASES['default']['HOST'], celery_app.conf.broker_url)\n"
        )

        result = run_python(code, env)

        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [
            "WSGIHandler",
            "tracker",
            "config.settings.production",
            "False",
            "db",
            "redis://redis:6379/0",
        ]


class TestEnvironment:
    def test_shared_environment(self, services):
        for name in APP_SERVICES:
            env = app_env(services[name], DJANGO_SECRET_KEY=SECRET)
            assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
            assert env["DATABASE_URL"] == "postgres://tracker:tracker@db:5432/tracker", name
            assert env["REDIS_URL"] == "redis://redis:6379/0", name
            assert env["DJANGO_SECRET_KEY"] == SECRET, name
            assert env["DJANGO_ALLOWED_HOSTS"], name

    def test_database_url_matches_the_db_service(self, services):
        url = dj_database_url.parse(app_env(services["web"], DJANGO_SECRET_KEY=SECRET)["DATABASE_URL"])
        db = services["db"]["environment"]

        assert url["ENGINE"] == "django.db.backends.postgresql"
        assert (url["HOST"], url["PORT"]) == ("db", 5432)
        assert (url["NAME"], url["USER"], url["PASSWORD"]) == (
            db["POSTGRES_DB"],
            db["POSTGRES_USER"],
            db["POSTGRES_PASSWORD"],
        )

    def test_secret_key_is_required(self, services):
        with pytest.raises(ValueError, match="DJANGO_SECRET_KEY"):
            app_env(services["web"])

    def test_allowed_hosts_can_be_set(self, services):
        env = app_env(services["web"], DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS="tracker.example.org")

        assert env["DJANGO_ALLOWED_HOSTS"] == "tracker.example.org"


class TestDeployCheck:
    def test_check_deploy_with_the_stack_environment(self, services):
        # No database check: the db host only exists inside the stack.
        result = run_python("", app_env(services["web"], DJANGO_SECRET_KEY=SECRET), "manage.py", "check", "--deploy")

        assert result.returncode == 0, result.stderr
        assert "ERROR" not in result.stderr

    def test_check_deploy_against_postgres(self, services, require_postgres):
        from django.db import connection

        db = connection.settings_dict
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        env = {**app_env(services["web"], DJANGO_SECRET_KEY=SECRET), "DATABASE_URL": url}

        result = run_python("", env, "manage.py", "check", "--deploy", "--database", "default")

        assert result.returncode == 0, result.stderr


class TestDockerfile:
    @pytest.fixture(scope="class")
    def dockerfile(self) -> str:
        return (BASE_DIR / "Dockerfile").read_text(encoding="utf-8")

    def _instructions(self, dockerfile: str, keyword: str) -> list[str]:
        joined = dockerfile.replace("\\\n", " ")
        return [line.split(None, 1)[1] for line in joined.splitlines() if line.upper().startswith(keyword + " ")]

    def test_base_image(self, dockerfile):
        assert self._instructions(dockerfile, "FROM") == ["python:3.11-slim"]

    def test_installs_the_runtime_requirements(self, dockerfile):
        runs = " ".join(self._instructions(dockerfile, "RUN"))

        assert re.search(r"pip install (-r|--requirement) requirements/base\.txt", runs)
        assert "collectstatic --noinput" in runs

    def test_runs_as_a_user_other_than_root(self, dockerfile):
        users = self._instructions(dockerfile, "USER")

        assert users
        assert users[-1].split(":")[0] not in {"root", "0"}

    def test_entrypoint_and_default_command(self, dockerfile):
        assert self._instructions(dockerfile, "ENTRYPOINT") == ['["/app/docker/entrypoint.sh"]']
        assert "config.wsgi:application" in self._instructions(dockerfile, "CMD")[0]

    def test_build_time_collectstatic_runs_with_the_placeholders(self, dockerfile, tmp_path):
        """The build step as the Dockerfile writes it: production settings and the build-only placeholders."""
        runs = " ".join(self._instructions(dockerfile, "RUN"))
        exported = re.search(r"export (.+?) &&", runs)
        assert exported, "the build step exports its placeholders"
        env = dict(item.split("=", 1) for item in shlex.split(exported[1]))
        image_env = dict(item.split("=", 1) for item in shlex.split(" ".join(self._instructions(dockerfile, "ENV"))))
        env["DJANGO_SETTINGS_MODULE"] = image_env["DJANGO_SETTINGS_MODULE"]
        env["TRACKER_VAR_DIR"] = str(tmp_path)

        result = run_python("", env, "manage.py", "collectstatic", "--noinput")

        assert result.returncode == 0, result.stderr
        assert (tmp_path / "staticfiles" / "admin").is_dir()

    def test_dockerignore_keeps_local_state_out(self):
        ignored = (BASE_DIR / ".dockerignore").read_text(encoding="utf-8").split()

        assert {".git", ".venv", "var", ".env", "*.sqlite3"} <= set(ignored)


class TestEntrypoint:
    SCRIPT = BASE_DIR / "docker" / "entrypoint.sh"

    def test_is_an_executable_posix_script(self):
        assert self.SCRIPT.stat().st_mode & stat.S_IXUSR
        assert subprocess.run(["sh", "-n", str(self.SCRIPT)], capture_output=True).returncode == 0

    def _run(self, env: dict[str, str], path: str | None = None) -> subprocess.CompletedProcess:
        clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
        clean["PATH"] = path or f"{Path(sys.executable).parent}{os.pathsep}{clean['PATH']}"
        return subprocess.run(
            ["sh", str(self.SCRIPT), "sh", "-c", 'echo "SERVED $*"', "sh", "gunicorn"],
            cwd=BASE_DIR,
            env={**clean, **env},
            capture_output=True,
            text=True,
            timeout=240,
        )

    def test_migrates_and_loads_reference_data_only_when_asked(self, tmp_path):
        # A stand-in for python that records how it is called, so only the script's own logic runs.
        log = tmp_path / "calls.log"
        fake = tmp_path / "bin" / "python"
        fake.parent.mkdir()
        fake.write_text(f'#!/bin/sh\necho "$*" >> {log}\n[ "$1" = "-" ] && cat > /dev/null\nexit 0\n')
        fake.chmod(0o755)
        path = f"{fake.parent}{os.pathsep}{os.environ['PATH']}"

        migrating = self._run({"RUN_MIGRATIONS": "1"}, path=path)
        calls_when_migrating = log.read_text().splitlines()
        log.unlink()
        plain = self._run({}, path=path)

        assert migrating.returncode == 0, migrating.stderr
        assert migrating.stdout.strip() == "SERVED gunicorn"
        assert calls_when_migrating == ["-", "manage.py migrate --noinput", "manage.py load_reference"]
        assert plain.stdout.strip() == "SERVED gunicorn"
        assert log.read_text().splitlines() == ["-"]

    def test_gives_up_when_the_database_never_answers(self):
        result = self._run(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "DJANGO_SECRET_KEY": SECRET,
                "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "DB_WAIT_TIMEOUT": "1",
            }
        )

        assert result.returncode != 0
        assert "not reachable" in result.stderr
        assert "SERVED" not in result.stdout

    def test_runs_the_command_once_the_database_answers(self, require_postgres):
        from django.db import connection

        db = connection.settings_dict
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

        result = self._run(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "DJANGO_SECRET_KEY": SECRET,
                "DATABASE_URL": url,
                "REDIS_URL": "redis://127.0.0.1:6379/0",  # production refuses to start without one; nothing connects
            }
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "SERVED gunicorn"
