"""JWT signing keys for operators: generate a key pair, show a key's public half, list the configured key set.

Rotation (docs/production.md, "JWT signing keys"): generate a key, publish its public half in JWT_VERIFICATION_KEYS,
make it JWT_SIGNING_KEY with the old key's public half moved to JWT_VERIFICATION_KEYS, and remove that once the
refresh lifetime has passed."""

import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.identity import signing
from logitrack import jwks


class Command(BaseCommand):
    help = "JWT signing keys: generate a key pair, print a key's public half and kid, list the configured keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser("generate", help="a new private key (Ed25519 unless --rsa) as PEM")
        generate.add_argument("--out", type=Path, help="write the private key to this new file (mode 600)")
        generate.add_argument(
            "--rsa", dest="use_rsa", action="store_true", help="RSA 3072 (RS256) for verifiers without EdDSA"
        )
        generate.add_argument(
            "--one-line", action="store_true", help=r"print the PEM on one line with \n, for an environment variable"
        )
        public = sub.add_parser("public", help="the public half and kid of a private key (for JWT_VERIFICATION_KEYS)")
        public.add_argument("file", help="the private key's PEM file, or - for standard input")
        sub.add_parser("list", help="the keys this configuration signs and verifies with (their kids)")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except jwks.UnusableKey as exc:
            raise CommandError(str(exc)) from None

    def _generate(self, *, out, use_rsa, one_line, **_):
        key = jwks.Key.of(_rsa_key()) if use_rsa else jwks.Key.generate()
        pem = key.private_pem()
        if out is not None:
            try:
                fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                raise CommandError(f"{out} exists: a key is never overwritten") from None
            with os.fdopen(fd, "w") as file:
                file.write(pem)
            self.stderr.write(f"private key {key.kid} ({key.alg}) written to {out}")
        else:
            self.stdout.write(pem.replace("\n", "\\n") if one_line else pem, ending="\n" if one_line else "")
        self.stderr.write(f"kid {key.kid}; its public half, for JWT_VERIFICATION_KEYS:\n{key.public_pem()}")

    def _public(self, *, file, **_):
        text = sys.stdin.read() if file == "-" else Path(file).read_text()
        blocks = jwks.pem_blocks(text)
        if not blocks:
            raise CommandError("no PEM key given")
        for block in blocks:
            key = jwks.Key.from_pem(block)
            self.stderr.write(f"kid {key.kid} ({key.alg})")
            self.stdout.write(key.public_pem(), ending="")

    def _list(self, **_):
        keys = signing.key_set()
        origin = "derived from DJANGO_SECRET_KEY: development only" if signing.uses_dev_key() else "JWT_SIGNING_KEY"
        self.stdout.write(f"signs     {keys.signing.kid}  {keys.signing.alg}  ({origin})")
        for key in keys.verification[1:]:
            self.stdout.write(f"verifies  {key.kid}  {key.alg}  (JWT_VERIFICATION_KEYS)")
        self.stdout.write(f"issuer {settings.JWT_ISSUER!r}, audience {settings.JWT_AUDIENCE!r}")


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)
