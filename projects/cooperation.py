"""Writes for the other cooperation that counts (docs/domain.md §2): cross-county orders (产销对接 / 合作订单), joint
investment-promotion events (协同招商) and cadre secondments and talent exchange (干部挂职 / 人才交流).

Who writes: a county liaison for the pairings their county is part of (strong or weak side), a provincial officer for
every pairing; anyone else gets ``PermissionDenied``. Then every rule a person can break is checked and all the broken
ones are reported at once, each with a message on the field to correct; nothing is saved if any rule is broken.

Dates: an order is recorded once signed and an event once held, so neither date may be in the future; a secondment
is recorded once the person has taken up the post (start not in the future), while its end is usually the planned
end of the term and may well be.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import access_for, pairing_q
from accounts.models import Role
from common.audit import as_actor
from pairing.models import Pairing, Region

from .models import CrossCountyOrder, PromotionEvent, Secondment, SecondmentKind


def pairings_writable_by(user: AbstractBaseUser | None) -> QuerySet[Pairing]:
    """The pairings whose cooperation records ``user`` may write: every one for a provincial officer, those with
    the liaison's county on either side for a county liaison, none for anyone else."""
    access = access_for(user)
    if access.role == Role.OFFICER:
        return Pairing.objects.all()
    if access.is_liaison and access.county:
        return Pairing.objects.filter(pairing_q(access.county))
    return Pairing.objects.none()


def _check_writer(by: AbstractBaseUser | None, pairing: Pairing) -> None:
    access = access_for(by)
    if access.role == Role.OFFICER:
        return
    if access.is_liaison and access.county in (pairing.strong_county_id, pairing.weak_county_id):
        return
    raise PermissionDenied(
        _("Only a provincial officer or a liaison of one of the pairing's two counties records its cooperation.")
    )


class _Errors:
    """Every broken rule, by field, so the person sees them all at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _text(errors: _Errors, model: type[models.Model], field: str, value: str | None, *, required: bool) -> str:
    """``value`` stripped; an error if it is required and empty or longer than the column."""
    value = (value or "").strip()
    model_field = model._meta.get_field(field)
    if required and not value:
        errors.add(field, _("Enter the %(field)s.") % {"field": model_field.verbose_name})
    elif model_field.max_length is not None and len(value) > model_field.max_length:
        errors.add(field, _("At most %(max)d characters.") % {"max": model_field.max_length})
    return value


def _amount(
    errors: _Errors, model: type[models.Model], field: str, value: Decimal | None, *, positive: bool
) -> Decimal | None:
    """``value`` in yuan; an error if it is missing, negative (or zero when ``positive``), finer than the fen or
    larger than the column holds."""
    if value is None:
        errors.add(field, _("Enter the amount in yuan."))
        return None
    value = Decimal(value)
    model_field = model._meta.get_field(field)
    if not value.is_finite():
        errors.add(field, _("Enter the amount in yuan."))
        return None
    if positive and value <= 0:
        errors.add(field, _("The amount must be greater than zero."))
    elif value < 0:
        errors.add(field, _("The amount cannot be negative."))
    if value != value.quantize(Decimal(1).scaleb(-model_field.decimal_places)):
        errors.add(field, _("Amounts are in yuan with at most two decimals."))
    elif abs(value) >= Decimal(10) ** (model_field.max_digits - model_field.decimal_places):
        errors.add(field, _("The amount is too large."))
    return value


def _past(errors: _Errors, field: str, day: dt.date | None, today: dt.date) -> None:
    if day is None:
        errors.add(field, _("Enter the date."))
    elif day > today:
        errors.add(field, _("The date cannot be in the future."))


def _in_pairing(errors: _Errors, field: str, county: Region | None, pairing: Pairing, message: str) -> None:
    if county is None:
        errors.add(field, _("Choose a county."))
    elif county.pk not in (pairing.strong_county_id, pairing.weak_county_id):
        errors.add(
            field,
            message % {"county": county.name, "strong": pairing.strong_county.name, "weak": pairing.weak_county.name},
        )


@transaction.atomic
def cross_county_order_create(
    *,
    pairing: Pairing,
    buyer: str,
    seller: str,
    seller_county: Region,
    amount: Decimal,
    signed_date: dt.date,
    goods: str = "",
    by: AbstractBaseUser | None,
    today: dt.date | None = None,
) -> CrossCountyOrder:
    """Record an order or purchase agreement between firms of the pairing's two counties (产销对接): the seller is
    in one of them, the buyer (by implication) in the other. The amount is in yuan and greater than zero."""
    _check_writer(by, pairing)
    today = today or timezone.localdate()
    errors = _Errors()
    buyer = _text(errors, CrossCountyOrder, "buyer", buyer, required=True)
    seller = _text(errors, CrossCountyOrder, "seller", seller, required=True)
    goods = _text(errors, CrossCountyOrder, "goods", goods, required=False)
    _in_pairing(
        errors,
        "seller_county",
        seller_county,
        pairing,
        _("%(county)s is not in the pairing: the seller must be in %(strong)s or %(weak)s."),
    )
    amount = _amount(errors, CrossCountyOrder, "amount", amount, positive=True)
    _past(errors, "signed_date", signed_date, today)
    errors.raise_any()
    order = CrossCountyOrder(
        pairing=pairing,
        buyer=buyer,
        seller=seller,
        seller_county=seller_county,
        goods=goods,
        amount=amount,
        signed_date=signed_date,
    )
    as_actor(order, by)
    order.save(force_insert=True)
    return order


@transaction.atomic
def promotion_event_create(
    *,
    pairing: Pairing,
    title: str,
    held_on: dt.date,
    location: str = "",
    projects_signed: int = 0,
    intended_investment: Decimal = Decimal("0"),
    by: AbstractBaseUser | None,
    today: dt.date | None = None,
) -> PromotionEvent:
    """Record a joint investment-promotion event the pairing held (协同招商), with the projects signed there and
    the intended investment in yuan (zero when none was announced)."""
    _check_writer(by, pairing)
    today = today or timezone.localdate()
    errors = _Errors()
    title = _text(errors, PromotionEvent, "title", title, required=True)
    location = _text(errors, PromotionEvent, "location", location, required=False)
    _past(errors, "held_on", held_on, today)
    if projects_signed is None or projects_signed < 0:
        errors.add("projects_signed", _("The number cannot be negative."))
    intended_investment = _amount(errors, PromotionEvent, "intended_investment", intended_investment, positive=False)
    errors.raise_any()
    event = PromotionEvent(
        pairing=pairing,
        title=title,
        held_on=held_on,
        location=location,
        projects_signed=projects_signed,
        intended_investment=intended_investment,
    )
    as_actor(event, by)
    event.save(force_insert=True)
    return event


@transaction.atomic
def secondment_create(
    *,
    pairing: Pairing,
    person: str,
    from_county: Region,
    to_county: Region,
    post: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    kind: str = SecondmentKind.CADRE,
    by: AbstractBaseUser | None,
    today: dt.date | None = None,
) -> Secondment:
    """Record a cadre secondment or a talent exchange between the pairing's two counties (干部挂职 / 人才交流): the
    person goes from one of them to the other for a post, from the start date (not in the future) to the end date
    (if known; not before the start)."""
    _check_writer(by, pairing)
    today = today or timezone.localdate()
    errors = _Errors()
    if kind not in SecondmentKind.values:
        errors.add("kind", _("Choose cadre secondment or talent exchange."))
    person = _text(errors, Secondment, "person", person, required=True)
    post = _text(errors, Secondment, "post", post, required=True)
    outside = _("%(county)s is not in the pairing: a secondment is between %(strong)s and %(weak)s.")
    _in_pairing(errors, "from_county", from_county, pairing, outside)
    _in_pairing(errors, "to_county", to_county, pairing, outside)
    if from_county is not None and to_county is not None and from_county.pk == to_county.pk:
        errors.add("to_county", _("The person goes from one of the pairing's counties to the other."))
    _past(errors, "start_date", start_date, today)
    if start_date is not None and end_date is not None and end_date < start_date:
        errors.add("end_date", _("The end date cannot be before the start date."))
    errors.raise_any()
    secondment = Secondment(
        pairing=pairing,
        kind=kind,
        person=person,
        from_county=from_county,
        to_county=to_county,
        post=post,
        start_date=start_date,
        end_date=end_date,
    )
    as_actor(secondment, by)
    secondment.save(force_insert=True)
    return secondment
