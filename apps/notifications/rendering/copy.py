"""What customers read, in each language LogiTrack speaks. Plain Python, not gettext catalogues: the texts are few,
reviewed together, and work on a clean clone without compiling anything. `{name}` placeholders are filled from the
message's context; a language without a text falls back to English."""

from __future__ import annotations

LANGUAGES = ("en", "de")

COPY: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "trip.confirmed": {
            "subject": "Your booking with {fleet} is confirmed",
            "heading": "Booking confirmed",
            "intro": "Thank you, {name}. {fleet} has your booking from {pickup} to {dropoff}.",
            "sms": "{fleet}: your booking is confirmed. Follow it here: {tracking_url}",
        },
        "trip.driver_assigned": {
            "subject": "{driver} is on the way with your delivery",
            "heading": "Your driver",
            "intro": "{driver_line} will take your booking from {pickup} to {dropoff}.",
            "sms": "{fleet}: {driver_line} has your booking. Follow it: {tracking_url}",
        },
        "trip.arriving": {
            "subject": "{fleet} arrives at about {eta}",
            "heading": "Arriving soon",
            "intro": "{driver_line} expects to reach {stop} at about {eta}.",
            "sms": "{fleet}: arriving at {stop} at about {eta}. {tracking_url}",
        },
        "trip.completed": {
            "subject": "Delivered: your booking with {fleet}",
            "heading": "Delivered",
            "intro": "Your booking from {pickup} to {dropoff} was completed at {completed_at}.",
            "sms": "{fleet}: your booking was completed at {completed_at}.",
        },
        "trip.failed": {
            "subject": "We could not complete your booking with {fleet}",
            "heading": "Delivery attempt failed",
            "intro": "We could not complete your booking from {pickup} to {dropoff}. Reason: {reason}",
            "sms": "{fleet}: the delivery attempt failed ({reason}).",
        },
        "trip.cancelled": {
            "subject": "Your booking with {fleet} was cancelled",
            "heading": "Booking cancelled",
            "intro": "Your booking from {pickup} to {dropoff} was cancelled. {reason_line}",
            "sms": "{fleet}: your booking was cancelled.",
        },
        "manager.webhook_disabled": {
            "subject": "{fleet}: webhook endpoint switched off ({host})",
            "heading": "A webhook endpoint was switched off",
            "intro": (
                "LogiTrack switched off the webhook endpoint {url} of {fleet}: it has failed without a success "
                "since {failing_since}. No events are sent to it until someone switches it on again."
            ),
            "sms": "{fleet}: webhook endpoint {url} switched off after failing since {failing_since}.",
            "action": "Open the endpoint",
            "footer": (
                'You receive this message as a manager of {fleet}. To switch the endpoint on again, tick "Active" '
                "on its page and save (or PATCH /api/v1/notifications/webhooks/endpoints/{endpoint_id}/ with "
                '{{"is_active": true}}); repair the receiver first, or it will be switched off again.'
            ),
            "endpoint": "Endpoint",
            "description": "Description",
            "failing_since": "Failing since",
            "last_error": "Last error",
            "switch_on": "Switch it on again",
            "switch_on_how": 'tick "Active" on the endpoint\'s page and save',
        },
        "manager.digest": {
            "subject": "{fleet}: your day, {day}",
            "heading": "Good morning: {fleet} on {day}",
            "intro": "{summary}",
            "sms": "{fleet}: {summary}",
            "action": "Open the overview",
            "footer": (
                "You receive this daily summary as a manager of {fleet} because you asked for it; switch it off in "
                "your notification preferences."
            ),
            "attention": "Here is what needs your attention.",
            "all_clear": "All clear: nothing waits for you today.",
            "kyc": "Documents waiting for review",
            "payouts": "Payouts waiting for approval",
            "expiring": "Documents expiring within {days} days",
            "ended_badly": "Trips failed or cancelled yesterday",
            "ended_badly_value": "{failed} failed, {cancelled} cancelled",
            "completed": "Trips completed yesterday",
            "revenue": "Revenue yesterday",
            "oldest": "{count} (oldest since {since})",
            "expiring_value": "{drivers} of drivers, {vehicles} of vehicles",
            "none": "none",
        },
        "driver.offer": {
            "subject": "New trip offer from {fleet}",
            "heading": "New trip offer",
            "intro": "{fleet} offers you a trip from {pickup} to {dropoff}. Answer in the driver app by {expires}.",
            "sms": "{pickup} → {dropoff}. Answer by {expires}.",
            "footer": "You receive this message because you drive for {fleet} with LogiTrack.",
        },
        "fleet.vehicle_document_expiring": {
            "subject": "{vehicle}: the {document} expires on {expires_on}",
            "heading": "Vehicle document expires soon",
            "intro": (
                "The {document} of {vehicle} expires on {expires_on}. Add the renewed document before then, or the "
                "vehicle cannot be assigned trips."
            ),
            "sms": "{vehicle}: the {document} expires on {expires_on}.",
            "footer": "You receive this message because you manage {fleet} on LogiTrack.",
        },
        "driver.trip_assigned": {
            "subject": "{fleet} gave you a trip",
            "heading": "Trip assigned to you",
            "intro": "{fleet} put a trip from {pickup} to {dropoff} on your shift ({when}). Open the driver app.",
            "sms": "{pickup} → {dropoff}, {when}.",
            "footer": "You receive this message because you drive for {fleet} with LogiTrack.",
        },
        "driver.vehicle_document_expiring": {
            "subject": "{vehicle}: the {document} expires on {expires_on}",
            "heading": "Your vehicle's papers run out",
            "intro": (
                "Hello {name}, the {document} of {vehicle}, which you have a shift on with {fleet}, expires on "
                "{expires_on}. {fleet} has been told; until it is renewed, the vehicle cannot take trips after "
                "that day."
            ),
            "sms": "{vehicle}: the {document} expires on {expires_on}. {fleet} has been told.",
            "footer": "You receive this message because you drive for {fleet} with LogiTrack.",
        },
        "driver.kyc_expiring": {
            "subject": "Your {document} expires on {expires_on}",
            "heading": "Document expires soon",
            "intro": (
                "Hello {name}, your {document} on file with {fleet} expires on {expires_on}. Upload the renewed "
                "document in the driver app before then, or you cannot be assigned trips."
            ),
            "sms": "Your {document} expires on {expires_on}. Upload the renewed one in the driver app.",
            "footer": "You receive this message because you drive for {fleet} with LogiTrack.",
        },
        "driver.payout_rejected": {
            "subject": "{fleet} did not approve your payout of {amount}",
            "heading": "Payout not approved",
            "intro": "Hello {name}, your payout of {amount} was not approved. The amount is back in your wallet.",
            "sms": "Your payout of {amount} was not approved: {reason}",
            "footer": "You receive this message because you drive for {fleet} with LogiTrack.",
        },
        "driver.payout_paid": {
            "subject": "{fleet} paid out {amount}",
            "heading": "Payout paid",
            "intro": "Hello {name}, your payout of {amount} is on its way to your bank account.",
            "sms": "Your payout of {amount} is on its way to your bank account.",
            "footer": "You receive this message because you drive for {fleet} with LogiTrack.",
        },
        "account.password_reset": {
            "subject": "Reset your LogiTrack password",
            "heading": "Choose a new password",
            "intro": (
                "{greeting} someone asked to reset the password of the LogiTrack account {email}. Choose a new one "
                "with the button below: the link works once and expires in {minutes} minutes. If it was not you, "
                "ignore this email; your password stays as it is."
            ),
            "sms": "Reset your LogiTrack password with the link in your email.",
            "action": "Choose a new password",
            "footer": (
                "You receive this email because a password reset was asked for your LogiTrack account. Account "
                "emails are sent even if you turned other emails off."
            ),
        },
        "account.welcome": {
            "subject": "{fleet} made you a LogiTrack account",
            "heading": "Welcome to {fleet}",
            "intro": (
                "{greeting} {fleet} made you a LogiTrack account for {email}. Choose your password with the button "
                "below: the link works once and expires in {minutes} minutes. After that, ask for a new one with "
                '"Forgot password" on the sign-in page.'
            ),
            "sms": "{fleet} made you a LogiTrack account: choose your password with the link in your email.",
            "action": "Choose your password",
            "footer": "You receive this email because {fleet} made a LogiTrack account for this address.",
        },
        "account.invitation": {
            "subject": "You are invited to join {fleet} on LogiTrack",
            "heading": "Join {fleet}",
            "intro": (
                "{who} invites you to join {fleet} on LogiTrack as {role}. Accept with the button below: choose a "
                "password, or sign in with yours if {email} already has an account. The invitation is valid until "
                "{expires}."
            ),
            "sms": "You are invited to join {fleet} on LogiTrack: see your email.",
            "action": "Accept the invitation",
            "footer": (
                "You receive this email because someone at {fleet} invited this address. If you did not expect it, "
                "ignore it: nothing happens unless you accept."
            ),
        },
        "_": {
            "hello_name": "Hello {name},",
            "hello": "Hello,",
            "role_driver": "driver",
            "role_dispatcher": "dispatcher",
            "role_fleet_manager": "fleet manager",
            "track": "Follow your booking",
            "pickup": "Pickup",
            "dropoff": "Drop-off",
            "when": "Booked for",
            "asap": "as soon as possible",
            "at_time": "at {time}",
            "driver": "Driver",
            "vehicle": "Vehicle",
            "eta": "Expected",
            "reason": "Reason",
            "stops_done": "Stops completed",
            "proof": "Proof of delivery",
            "proof_signed": "signed by {signer}",
            "proof_photo": "photo taken",
            "proof_pin": "PIN confirmed",
            "receipt": "Your receipt {number} of {total} is attached.",
            "cancelled_by": "Cancelled by {who}.",
            "who_customer": "you",
            "who_fleet": "{fleet}",
            "who_system": "{fleet}",
            "footer": "You receive this message because you booked with {fleet} through LogiTrack.",
            "unsubscribe": "Unsubscribe from these emails",
            "customer": "customer",
            "amount": "Amount",
            "expires_on": "Expires on",
            "doc_driving_licence": "driving licence",
            "doc_identity_document": "identity document",
            "doc_background_check": "background check",
            "vdoc_registration": "registration",
            "vdoc_insurance": "insurance",
            "vdoc_inspection": "inspection certificate",
        },
    },
    "de": {
        "trip.confirmed": {
            "subject": "Ihre Buchung bei {fleet} ist bestätigt",
            "heading": "Buchung bestätigt",
            "intro": "Vielen Dank, {name}. {fleet} hat Ihre Buchung von {pickup} nach {dropoff} erhalten.",
            "sms": "{fleet}: Ihre Buchung ist bestätigt. Verfolgen Sie sie hier: {tracking_url}",
        },
        "trip.driver_assigned": {
            "subject": "{driver} ist mit Ihrer Sendung unterwegs",
            "heading": "Ihr Fahrer",
            "intro": "{driver_line} übernimmt Ihre Buchung von {pickup} nach {dropoff}.",
            "sms": "{fleet}: {driver_line} übernimmt Ihre Buchung. Verfolgen: {tracking_url}",
        },
        "trip.arriving": {
            "subject": "{fleet} kommt gegen {eta} Uhr",
            "heading": "Gleich da",
            "intro": "{driver_line} erreicht {stop} voraussichtlich gegen {eta} Uhr.",
            "sms": "{fleet}: Ankunft bei {stop} gegen {eta} Uhr. {tracking_url}",
        },
        "trip.completed": {
            "subject": "Zugestellt: Ihre Buchung bei {fleet}",
            "heading": "Zugestellt",
            "intro": "Ihre Buchung von {pickup} nach {dropoff} wurde am {completed_at} abgeschlossen.",
            "sms": "{fleet}: Ihre Buchung wurde am {completed_at} abgeschlossen.",
        },
        "trip.failed": {
            "subject": "Ihre Buchung bei {fleet} konnte nicht ausgeführt werden",
            "heading": "Zustellversuch fehlgeschlagen",
            "intro": "Ihre Buchung von {pickup} nach {dropoff} konnte nicht ausgeführt werden. Grund: {reason}",
            "sms": "{fleet}: Der Zustellversuch ist fehlgeschlagen ({reason}).",
        },
        "trip.cancelled": {
            "subject": "Ihre Buchung bei {fleet} wurde storniert",
            "heading": "Buchung storniert",
            "intro": "Ihre Buchung von {pickup} nach {dropoff} wurde storniert. {reason_line}",
            "sms": "{fleet}: Ihre Buchung wurde storniert.",
        },
        "manager.webhook_disabled": {
            "subject": "{fleet}: Webhook-Endpunkt abgeschaltet ({host})",
            "heading": "Ein Webhook-Endpunkt wurde abgeschaltet",
            "intro": (
                "LogiTrack hat den Webhook-Endpunkt {url} von {fleet} abgeschaltet: Er schlägt seit "
                "{failing_since} ohne einen Erfolg fehl. Bis ihn jemand wieder einschaltet, werden ihm keine "
                "Ereignisse gesendet."
            ),
            "sms": "{fleet}: Webhook-Endpunkt {url} abgeschaltet, fehlerhaft seit {failing_since}.",
            "action": "Endpunkt öffnen",
            "footer": (
                "Sie erhalten diese Nachricht als Manager von {fleet}. Zum Wiedereinschalten auf der Seite des "
                'Endpunkts "Aktiv" ankreuzen und speichern (oder PATCH '
                '/api/v1/notifications/webhooks/endpoints/{endpoint_id}/ mit {{"is_active": true}}); beheben Sie '
                "zuerst den Fehler beim Empfänger, sonst wird er wieder abgeschaltet."
            ),
            "endpoint": "Endpunkt",
            "description": "Beschreibung",
            "failing_since": "Fehlerhaft seit",
            "last_error": "Letzter Fehler",
            "switch_on": "Wieder einschalten",
            "switch_on_how": 'auf der Seite des Endpunkts "Aktiv" ankreuzen und speichern',
        },
        "manager.digest": {
            "subject": "{fleet}: Ihr Tag, {day}",
            "heading": "Guten Morgen: {fleet} am {day}",
            "intro": "{summary}",
            "sms": "{fleet}: {summary}",
            "action": "Übersicht öffnen",
            "footer": (
                "Sie erhalten diese tägliche Zusammenfassung als Manager von {fleet}, weil Sie sie bestellt haben; "
                "abbestellen können Sie sie in Ihren Benachrichtigungseinstellungen."
            ),
            "attention": "Das wartet auf Sie.",
            "all_clear": "Alles erledigt: Heute wartet nichts auf Sie.",
            "kyc": "Dokumente zur Prüfung",
            "payouts": "Auszahlungen zur Freigabe",
            "expiring": "Dokumente, die in {days} Tagen ablaufen",
            "ended_badly": "Fahrten gestern fehlgeschlagen oder storniert",
            "ended_badly_value": "{failed} fehlgeschlagen, {cancelled} storniert",
            "completed": "Fahrten gestern abgeschlossen",
            "revenue": "Umsatz gestern",
            "oldest": "{count} (die älteste seit {since})",
            "expiring_value": "{drivers} von Fahrern, {vehicles} von Fahrzeugen",
            "none": "keine",
        },
        "driver.offer": {
            "subject": "Neues Fahrtangebot von {fleet}",
            "heading": "Neues Fahrtangebot",
            "intro": (
                "{fleet} bietet Ihnen eine Fahrt von {pickup} nach {dropoff} an. "
                "Antworten Sie in der Fahrer-App bis {expires} Uhr."
            ),
            "sms": "{pickup} → {dropoff}. Antworten bis {expires} Uhr.",
            "footer": "Sie erhalten diese Nachricht, weil Sie für {fleet} mit LogiTrack fahren.",
        },
        "fleet.vehicle_document_expiring": {
            "subject": "{vehicle}: {document} läuft am {expires_on} ab",
            "heading": "Fahrzeugdokument läuft bald ab",
            "intro": (
                "{document} von {vehicle} läuft am {expires_on} ab. Hinterlegen Sie das erneuerte Dokument vorher, "
                "sonst kann das Fahrzeug keinen Fahrten zugewiesen werden."
            ),
            "sms": "{vehicle}: {document} läuft am {expires_on} ab.",
            "footer": "Sie erhalten diese Nachricht, weil Sie {fleet} auf LogiTrack verwalten.",
        },
        "driver.trip_assigned": {
            "subject": "{fleet} hat Ihnen eine Fahrt zugeteilt",
            "heading": "Neue Fahrt für Sie",
            "intro": (
                "{fleet} hat Ihrer Schicht eine Fahrt von {pickup} nach {dropoff} zugeteilt ({when}). "
                "Öffnen Sie die Fahrer-App."
            ),
            "sms": "{pickup} → {dropoff}, {when}.",
            "footer": "Sie erhalten diese Nachricht, weil Sie für {fleet} mit LogiTrack fahren.",
        },
        "driver.vehicle_document_expiring": {
            "subject": "{vehicle}: {document} läuft am {expires_on} ab",
            "heading": "Papiere Ihres Fahrzeugs laufen ab",
            "intro": (
                "Hallo {name}, {document} von {vehicle}, auf dem Sie eine Schicht bei {fleet} haben, läuft am "
                "{expires_on} ab. {fleet} weiß Bescheid; bis zur Erneuerung kann das Fahrzeug danach keine Fahrten "
                "übernehmen."
            ),
            "sms": "{vehicle}: {document} läuft am {expires_on} ab. {fleet} weiß Bescheid.",
            "footer": "Sie erhalten diese Nachricht, weil Sie für {fleet} mit LogiTrack fahren.",
        },
        "driver.kyc_expiring": {
            "subject": "Ihr Dokument „{document}“ läuft am {expires_on} ab",
            "heading": "Dokument läuft bald ab",
            "intro": (
                "Hallo {name}, Ihr Dokument „{document}“ bei {fleet} läuft am {expires_on} ab. Laden Sie das "
                "erneuerte Dokument vorher in der Fahrer-App hoch, sonst können Ihnen keine Fahrten zugewiesen werden."
            ),
            "sms": "Ihr Dokument „{document}“ läuft am {expires_on} ab. Bitte in der Fahrer-App erneuern.",
            "footer": "Sie erhalten diese Nachricht, weil Sie für {fleet} mit LogiTrack fahren.",
        },
        "driver.payout_rejected": {
            "subject": "{fleet} hat Ihre Auszahlung über {amount} nicht freigegeben",
            "heading": "Auszahlung nicht freigegeben",
            "intro": (
                "Hallo {name}, Ihre Auszahlung über {amount} wurde nicht freigegeben. "
                "Der Betrag ist wieder in Ihrem Guthaben."
            ),
            "sms": "Ihre Auszahlung über {amount} wurde nicht freigegeben: {reason}",
            "footer": "Sie erhalten diese Nachricht, weil Sie für {fleet} mit LogiTrack fahren.",
        },
        "driver.payout_paid": {
            "subject": "{fleet} hat {amount} ausgezahlt",
            "heading": "Auszahlung überwiesen",
            "intro": "Hallo {name}, Ihre Auszahlung über {amount} ist auf dem Weg zu Ihrem Bankkonto.",
            "sms": "Ihre Auszahlung über {amount} ist auf dem Weg zu Ihrem Bankkonto.",
            "footer": "Sie erhalten diese Nachricht, weil Sie für {fleet} mit LogiTrack fahren.",
        },
        "account.password_reset": {
            "subject": "Ihr LogiTrack-Passwort zurücksetzen",
            "heading": "Neues Passwort wählen",
            "intro": (
                "{greeting} für das LogiTrack-Konto {email} wurde ein neues Passwort angefordert. Wählen Sie es über "
                "die Schaltfläche unten: Der Link funktioniert einmal und läuft in {minutes} Minuten ab. Wenn Sie das "
                "nicht waren, ignorieren Sie diese E-Mail; Ihr Passwort bleibt unverändert."
            ),
            "sms": "Setzen Sie Ihr LogiTrack-Passwort mit dem Link in Ihrer E-Mail zurück.",
            "action": "Neues Passwort wählen",
            "footer": (
                "Sie erhalten diese E-Mail, weil für Ihr LogiTrack-Konto ein neues Passwort angefordert wurde. "
                "Konto-E-Mails werden auch gesendet, wenn Sie andere E-Mails abbestellt haben."
            ),
        },
        "account.welcome": {
            "subject": "{fleet} hat Ihnen ein LogiTrack-Konto angelegt",
            "heading": "Willkommen bei {fleet}",
            "intro": (
                "{greeting} {fleet} hat Ihnen ein LogiTrack-Konto für {email} angelegt. Wählen Sie Ihr Passwort über "
                "die Schaltfläche unten: Der Link funktioniert einmal und läuft in {minutes} Minuten ab. Danach "
                "fordern Sie auf der Anmeldeseite unter „Passwort vergessen“ einen neuen an."
            ),
            "sms": "{fleet} hat Ihnen ein LogiTrack-Konto angelegt: Passwort über den Link in Ihrer E-Mail wählen.",
            "action": "Passwort wählen",
            "footer": "Sie erhalten diese E-Mail, weil {fleet} für diese Adresse ein LogiTrack-Konto angelegt hat.",
        },
        "account.invitation": {
            "subject": "Einladung zu {fleet} auf LogiTrack",
            "heading": "{fleet} beitreten",
            "intro": (
                "{who} lädt Sie ein, {fleet} auf LogiTrack als {role} beizutreten. Nehmen Sie die Einladung über die "
                "Schaltfläche unten an: Wählen Sie ein Passwort, oder melden Sie sich mit Ihrem an, falls {email} "
                "schon ein Konto hat. Die Einladung gilt bis {expires}."
            ),
            "sms": "Sie sind eingeladen, {fleet} auf LogiTrack beizutreten: siehe E-Mail.",
            "action": "Einladung annehmen",
            "footer": (
                "Sie erhalten diese E-Mail, weil jemand bei {fleet} diese Adresse eingeladen hat. Wenn Sie nichts "
                "erwartet haben, ignorieren Sie sie: Ohne Ihre Zusage passiert nichts."
            ),
        },
        "_": {
            "hello_name": "Hallo {name},",
            "hello": "Guten Tag,",
            "role_driver": "Fahrer/in",
            "role_dispatcher": "Disponent/in",
            "role_fleet_manager": "Flottenmanager/in",
            "track": "Buchung verfolgen",
            "pickup": "Abholung",
            "dropoff": "Zustellung",
            "when": "Gebucht für",
            "asap": "so bald wie möglich",
            "at_time": "um {time} Uhr",
            "driver": "Fahrer",
            "vehicle": "Fahrzeug",
            "eta": "Erwartet",
            "reason": "Grund",
            "stops_done": "Erledigte Stopps",
            "proof": "Zustellnachweis",
            "proof_signed": "unterschrieben von {signer}",
            "proof_photo": "Foto aufgenommen",
            "proof_pin": "PIN bestätigt",
            "receipt": "Ihre Quittung {number} über {total} finden Sie im Anhang.",
            "cancelled_by": "Storniert durch {who}.",
            "who_customer": "Sie",
            "who_fleet": "{fleet}",
            "who_system": "{fleet}",
            "footer": "Sie erhalten diese Nachricht, weil Sie bei {fleet} über LogiTrack gebucht haben.",
            "unsubscribe": "Diese E-Mails abbestellen",
            "customer": "Kunde",
            "amount": "Betrag",
            "expires_on": "Läuft ab am",
            "doc_driving_licence": "Führerschein",
            "doc_identity_document": "Ausweisdokument",
            "doc_background_check": "Führungszeugnis",
            "vdoc_registration": "Zulassung",
            "vdoc_insurance": "Versicherung",
            "vdoc_inspection": "Hauptuntersuchung",
        },
    },
}


def language_of(wanted: str) -> str:
    return wanted if wanted in LANGUAGES else "en"


def has_text(language: str, kind: str, part: str) -> bool:
    return bool(COPY[language_of(language)].get(kind, {}).get(part) or COPY["en"].get(kind, {}).get(part))


def text(language: str, kind: str, part: str) -> str:
    return COPY[language_of(language)].get(kind, {}).get(part) or COPY["en"][kind][part]
