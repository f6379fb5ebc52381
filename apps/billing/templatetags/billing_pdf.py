from django import template

from logitrack import formatting

register = template.Library()


@register.filter
def money(amount_minor, currency):
    return (int(amount_minor), currency)


@register.filter
def localised(pair, locale):
    amount_minor, currency = pair
    return formatting.money(amount_minor, currency, locale)


@register.filter
def rate(rate_bps, locale=formatting.DEFAULT_LOCALE):
    return formatting.rate_bps(int(rate_bps), locale)
