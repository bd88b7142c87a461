import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)

from common.api.examples import EXAMPLES_FILE
from demo.api_examples import ExampleError, generate_examples


def write_examples(examples: dict, path: Path) -> None:
    path.write_text(json.dumps(examples, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


class Command(BaseCommand):
    help = (
        "Record an answer of the API for every operation of its schema, on a small fixed data set built in a "
        "throwaway test database, into common/api/examples.json (the schema's examples). Run it after changing an "
        "endpoint; the test suite fails while the file is out of date."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, default=EXAMPLES_FILE, help="Where to write (default: %(default)s).")

    def handle(self, *args, output: Path, **options) -> None:
        # The data set is built in a database of its own, so the examples never show real or demo rows; its name is
        # not the test suite's, which a parallel `pytest --reuse-db` may be using.
        if connection.vendor != "sqlite":
            test = connection.settings_dict.setdefault("TEST", {})
            test["NAME"] = f"{connection.settings_dict['NAME']}_api_examples"
        setup_test_environment()
        old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        try:
            with transaction.atomic():
                examples = generate_examples()
                transaction.set_rollback(True)
        except ExampleError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            teardown_databases(old_config, verbosity=0)
            teardown_test_environment()
        write_examples(examples, output)
        self.stdout.write(f"Wrote {len(examples)} examples to {output}.")
