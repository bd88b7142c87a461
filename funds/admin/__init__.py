"""Admin for the money side, one module per ledger family; importing them registers their admins."""

from . import money, overview, rewards, sharing  # noqa: F401
