"""Helpers shared by the services of every app."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction


@contextmanager
def constraint_as_validation_error(message: str, field: str | None = None) -> Iterator[None]:
    """Turn a database constraint violation into a ``ValidationError`` a person can read.

    Services check the rules first; this catches the race where two writers pass the check at once and the
    database's constraint is the one that refuses the second. The block runs in a savepoint, so the caller's
    transaction stays usable.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise ValidationError({field: message} if field else message) from exc
