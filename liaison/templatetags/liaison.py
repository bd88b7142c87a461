from decimal import Decimal

from django import template

from liaison.forms import wan_text

register = template.Library()


@register.filter
def wan_exact(value: Decimal | None) -> str:
    """Yuan shown in 万元 without losing a fen: '1234.5678 万元'."""
    if value is None:
        return "—"
    return f"{wan_text(value)} 万元"


@register.filter
def file_size(value: int | None) -> str:
    if not value:
        return "0 KB"
    if value >= 1024 * 1024:
        return f"{value / (1024 * 1024):.1f} MB"
    return f"{max(1, round(value / 1024))} KB"
