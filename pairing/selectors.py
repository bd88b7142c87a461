"""Reads of programs and pairings that more than one page needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from .models import CountyRole, Pairing, ProgramCounty


@dataclass(frozen=True)
class PairingCounts:
    """A program's active pairings: documented ones (with a source) and samples."""

    documented: int = 0
    sample: int = 0


def active_pairing_counts_by_program() -> dict[int, PairingCounts]:
    """Every program's active pairings, documented and sample, by program id; one query."""
    return {
        row["program"]: PairingCounts(documented=row["documented"], sample=row["sample"])
        for row in Pairing.objects.active()
        .values("program")
        .annotate(documented=Count("pk", filter=Q(is_sample=False)), sample=Count("pk", filter=Q(is_sample=True)))
    }


def weak_county_counts_by_program() -> dict[int, int]:
    """How many weak counties each program designates, by program id; one query."""
    return {
        row["program"]: row["n"]
        for row in ProgramCounty.objects.filter(role=CountyRole.WEAK).values("program").annotate(n=Count("pk"))
    }
