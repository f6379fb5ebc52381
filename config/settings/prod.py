"""Production: hardening only. Refuses to start with an insecure secret key or DEBUG on, without a way to
email people links they can open (a real email backend and LOGITRACK_APP_URL), or without a JWT signing key of its
own (JWT_SIGNING_KEY)."""

import sys

from django.core.exceptions import ImproperlyConfigured

from apps.identity.checks import email_delivery_problems, jwt_key_problems
from config.settings.base import *  # noqa: F403
from config.settings.base import JWT_SIGNING_KEY, JWT_VERIFICATION_KEYS, SECRET_KEY, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production settings")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY to a random value of at least 50 characters")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

# Emailed links (invitations, password resets) must reach people: SMTP by default, and no default address.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="")
LOGITRACK_APP_URL = env.str("LOGITRACK_APP_URL", default="").rstrip("/")
_refusals = [
    problem
    for problem in email_delivery_problems(
        email_backend=EMAIL_BACKEND, email_host=EMAIL_HOST, app_url=LOGITRACK_APP_URL
    )
    if problem.is_serious()
] + jwt_key_problems(signing_pem=JWT_SIGNING_KEY, verification_pems=JWT_VERIFICATION_KEYS)
# `manage.py check --deploy` lists them as system checks (identity.E00x, with hints); every other process refuses.
if _refusals and not {"check", "--deploy"} <= set(sys.argv[1:]):
    raise ImproperlyConfigured(" ".join(f"{p.id}: {p.msg}" for p in _refusals) + " Run manage.py check --deploy.")
