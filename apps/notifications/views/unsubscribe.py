"""The one-click unsubscribe link in every message (`/notifications/unsubscribe/<token>/`).

GET shows a small confirmation page with a button (mail scanners that open links must not unsubscribe anyone);
POST turns the channel off. POST is also RFC 8058's one-click request a mail client sends from the
List-Unsubscribe-Post header, without a cookie or a CSRF token: the signed token is the authority, so the view is
CSRF-exempt, and all it can do is turn one channel off."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.notifications import selectors, tokens
from apps.notifications.services import preferences

WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop {channel} messages from {fleet} about your bookings?",
        "button": "Unsubscribe",
        "done": "You will no longer receive {channel} messages from {fleet}. You can turn them on again in the app.",
        "bad": "This unsubscribe link does not work. It may be incomplete: open it from the message again.",
        "channels": {"email": "email", "sms": "text", "push": "push"},
    },
    "de": {
        "title": "Abbestellen",
        "ask": "Keine {channel}-Nachrichten von {fleet} zu Ihren Buchungen mehr erhalten?",
        "button": "Abbestellen",
        "done": "Sie erhalten keine {channel}-Nachrichten von {fleet} mehr. "
        "In der App können Sie sie wieder einschalten.",
        "bad": "Dieser Abmeldelink funktioniert nicht. Öffnen Sie ihn bitte erneut aus der Nachricht.",
        "channels": {"email": "E-Mail", "sms": "SMS", "push": "Push"},
    },
}


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = selectors.unsubscribe_link(token=token)
    except tokens.BadToken:
        words = WORDS["en"]
        return render(request, "notifications/unsubscribe.html", {"words": words, "bad": True}, status=404)
    words = WORDS[link.language]
    channel = words["channels"].get(link.channel, link.channel)
    context = {
        "words": words,
        "link": link,
        "ask": words["ask"].format(channel=channel, fleet=link.fleet_name),
        "done_text": words["done"].format(channel=channel, fleet=link.fleet_name),
        "token": token,
    }
    if request.method == "POST":
        preferences.channel_opt_out(user_id=link.user_id, channel=link.channel)
        return render(request, "notifications/unsubscribe.html", {**context, "done": True})
    return render(request, "notifications/unsubscribe.html", context)
