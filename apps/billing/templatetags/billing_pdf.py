from django import template

from apps.billing.money_format import format_money, format_rate

register = template.Library()


@register.filter
def money(amount_minor, currency):
    return (int(amount_minor), currency)


@register.filter
def localised(pair, locale):
    amount_minor, currency = pair
    return format_money(amount_minor, currency, locale)


@register.filter
def rate(rate_bps):
    return format_rate(int(rate_bps))
