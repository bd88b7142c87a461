from decimal import Decimal

from django import template

from common.money import format_money, format_wan, format_yi

register = template.Library()


@register.filter
def wan(value: Decimal | None) -> str:
    return format_wan(value)


@register.filter
def yi(value: Decimal | None) -> str:
    return format_yi(value)


@register.filter
def money(value: Decimal | None) -> str:
    return format_money(value)
