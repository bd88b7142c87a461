"""Signals the statistics app sends for apps above it (stats imports none of them)."""

from django.dispatch import Signal

# Sent after a gap recomputation that wrote or deleted results, with ``provinces`` (adcodes, or None for all).
gaps_changed = Signal()
