"""Uploaded files: check what they really are (magic bytes), not what they claim, and store them privately.

Accepted kinds are declared by the caller. An executable or script is refused whatever its name or
declared content type, and a file whose bytes do not match its extension is refused too. Images are
never stored as they came: they are decoded within pixel limits and re-encoded as the caller's
`images.Output` says (logitrack.images), which drops their metadata. PDFs are kept as they came once
logitrack.pdfs found them readable and free of scripts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import uuid
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction

from logitrack import images, pdfs
from logitrack.db import contexts
from logitrack.exceptions import ValidationFailed

KINDS: dict[str, tuple[tuple[bytes, ...], tuple[str, ...], str]] = {
    # kind: (magic prefixes, extensions, content type)
    "pdf": ((b"%PDF-",), (".pdf",), "application/pdf"),
    "jpeg": ((b"\xff\xd8\xff",), (".jpg", ".jpeg"), "image/jpeg"),
    "png": ((b"\x89PNG\r\n\x1a\n",), (".png",), "image/png"),
}
IMAGE_KINDS = frozenset({"jpeg", "png"})
_EXECUTABLE = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xce", b"PK\x03\x04")


@dataclasses.dataclass(frozen=True)
class StoredFile:
    path: str
    kind: str
    content_type: str
    size: int
    sha256: str
    original_name: str


def sniff(head: bytes) -> str | None:
    for kind, (magics, _, _) in KINDS.items():
        if any(head.startswith(m) for m in magics):
            return kind
    return None


def validate_upload(upload: File[Any], *, allowed: tuple[str, ...], max_bytes: int) -> tuple[str, str]:
    """(kind, content type) of a valid upload, or ValidationFailed with a precise code."""
    name = os.path.basename(getattr(upload, "name", "") or "upload")
    size = upload.size or 0
    if size == 0:
        raise ValidationFailed("the file is empty", code="upload.empty")
    if size > max_bytes:
        raise ValidationFailed(f"the file is {size} bytes; at most {max_bytes} are allowed", code="upload.too_large")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if any(head.startswith(m) for m in _EXECUTABLE):
        raise ValidationFailed("executables, scripts and archives are not accepted", code="upload.forbidden_type")
    kind = sniff(head)
    if kind is None or kind not in allowed:
        wanted = ", ".join(sorted({e for k in allowed for e in KINDS[k][1]}))
        raise ValidationFailed(f"the file must be one of: {wanted}", code="upload.unsupported_type")
    extension = os.path.splitext(name)[1].lower()
    if extension not in KINDS[kind][1]:
        raise ValidationFailed(
            f"the file's content is {kind}, but its name ends in {extension or 'nothing'}", code="upload.type_mismatch"
        )
    return kind, KINDS[kind][2]


def _clean_content(upload: File[Any], kind: str, image: images.Output | None) -> tuple[bytes, str]:
    """(bytes to store, their kind): a re-encoded image, or a verified PDF as it came."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if kind in IMAGE_KINDS:
        if image is None:
            raise ValueError("store_private needs image= to accept images")  # a programming error, not input
        clean = images.sanitize(data, kind, image)
        return clean.content, clean.kind
    if kind == "pdf":
        pdfs.verify(data)
    return data, kind


def store_private(
    upload: File[Any],
    *,
    folder: str,
    allowed: tuple[str, ...],
    max_bytes: int,
    image: images.Output | None = None,
    named_by_content: bool = False,
) -> StoredFile:
    """Validate, make safe and save under a random name below MEDIA_ROOT, which no URL serves.

    `image` says how an accepted JPEG or PNG is re-encoded (required when `allowed` has an image kind).
    `named_by_content`: the name is the SHA-256 of what is stored, so its stem is a version of the content
    (a public URL to it can be cached for ever under `?v=<stem>`)."""
    if image is None and IMAGE_KINDS & set(allowed):
        raise ValueError("store_private needs image= to accept images")
    kind, _ = validate_upload(upload, allowed=allowed, max_bytes=max_bytes)
    content, kind = _clean_content(upload, kind, image)
    original = os.path.basename(upload.name or "upload")[:200]
    return _save(content, folder=folder, kind=kind, original_name=original, named_by_content=named_by_content)


def _save(content: bytes, *, folder: str, kind: str, original_name: str, named_by_content: bool = False) -> StoredFile:
    digest = hashlib.sha256(content).hexdigest()
    stem = digest if named_by_content else uuid.uuid4().hex
    path = default_storage.save(f"private/{folder}/{stem}{KINDS[kind][1][0]}", ContentFile(content))
    return StoredFile(path, kind, KINDS[kind][2], len(content), digest, original_name)


@dataclasses.dataclass(frozen=True)
class Recheck:
    """What `recheck_private` found: `unchanged` (already safe), `rewritten` (see `stored`; None on a dry
    run), `refused` (cannot be made safe: `reason`, `code`) or `missing` (no such file); `quarantined`
    from `recheck_and_tally`."""

    outcome: str
    kind: str = ""
    stored: StoredFile | None = None
    reason: str = ""
    code: str = ""


def recheck_private(path: str, *, image: images.Output, dry_run: bool = False) -> Recheck:
    """Check a stored file as an upload is checked today; an image not yet re-encoded is written anew
    (the caller points its row at `stored` and deletes the old file). Idempotent: a re-encoded image
    is recognised (images.is_sanitized) and left alone."""
    if not path or not default_storage.exists(path):
        return Recheck("missing")
    with default_storage.open(path, "rb") as handle:
        data = handle.read()
    kind = sniff(data[:16]) or ""
    try:
        if kind == "pdf":
            pdfs.verify(data)
            return Recheck("unchanged", kind)
        if kind not in IMAGE_KINDS:
            raise ValidationFailed("the file is not a JPEG, PNG or PDF", code="upload.unsupported_type")
        if images.is_sanitized(data, image):
            return Recheck("unchanged", kind)
        # the ceiling, not the use's limit: files people sent before per-use limits are re-encoded
        clean = images.sanitize(data, kind, image, limit=images.max_pixels())
    except ValidationFailed as exc:
        return Recheck("refused", kind, reason=exc.message, code=exc.code)
    if dry_run:
        return Recheck("rewritten", kind)
    folder = os.path.basename(os.path.dirname(path))
    stored = _save(clean.content, folder=folder, kind=clean.kind, original_name=os.path.basename(path))
    return Recheck("rewritten", kind, stored)


def quarantine_private(path: str) -> str:
    """Copy a stored file that must no longer be served to private/quarantine/<folder>/ for a person to
    look at; the caller clears its row and deletes the original once that commits."""
    folder = os.path.basename(os.path.dirname(path))
    with default_storage.open(path, "rb") as handle:
        return default_storage.save(f"private/quarantine/{folder}/{os.path.basename(path)}", handle)


def recheck_and_tally(
    path: str, *, image: images.Output, label: str, report: RecheckReport, dry_run: bool = False
) -> Recheck:
    """recheck_private one row's file, quarantine an image that cannot be made safe, count it in `report`,
    and delete the replaced or quarantined original once the caller's transaction commits. The caller
    points its row at `stored` when the outcome is `rewritten`, and clears it when `quarantined`."""
    result = recheck_private(path, image=image, dry_run=dry_run)
    if result.outcome == "unchanged":
        report.unchanged += 1
    elif result.outcome == "missing":
        report.missing.append(f"{label}: {path}")  # maybe another host's storage: never cleared from here
    elif result.outcome == "rewritten":
        report.rewritten += 1
    elif result.kind == "pdf":
        report.flagged.append(f"{label}: {result.reason} ({path})")
    else:
        where = "" if dry_run else f" → {quarantine_private(path)}"
        report.quarantined.append(f"{label}: {result.reason}{where}")
        result = dataclasses.replace(result, outcome="quarantined")
    if not dry_run and result.outcome in ("rewritten", "quarantined"):
        transaction.on_commit(lambda: delete_private(path), using=contexts.current_alias())
    return result


@dataclasses.dataclass
class RecheckReport:
    """The tally of an operator's re-check of stored uploads (the `<app>_sanitize_uploads` commands)."""

    unchanged: int = 0
    rewritten: int = 0
    quarantined: list[str] = dataclasses.field(default_factory=list)  # images that cannot be made safe
    flagged: list[str] = dataclasses.field(default_factory=list)  # PDFs refused today, kept for a person
    missing: list[str] = dataclasses.field(default_factory=list)  # rows whose file is not in this storage

    def lines(self, *, dry_run: bool = False) -> list[str]:
        verb = "would re-encode" if dry_run else "re-encoded"
        checked = self.unchanged + self.rewritten + len(self.quarantined) + len(self.flagged) + len(self.missing)
        head = (
            f"{checked} file(s) checked: {self.rewritten} {verb}, {self.unchanged} already safe, "
            f"{len(self.quarantined)} {'to quarantine' if dry_run else 'quarantined'}, "
            f"{len(self.flagged)} flagged, {len(self.missing)} missing"
        )
        return [
            head,
            *(f"  quarantined {q}" for q in self.quarantined),
            *(f"  flagged {f}" for f in self.flagged),
            *(f"  missing {m}" for m in self.missing),
        ]


def open_private(path: str) -> File[Any]:
    return default_storage.open(path, "rb")


def delete_private(path: str) -> None:
    if path and default_storage.exists(path):
        default_storage.delete(path)


def content_type_of(path: str) -> str:
    """The content type of a stored file, from the extension store_private gave it."""
    extension = os.path.splitext(path)[1].lower()
    for _, extensions, content_type in KINDS.values():
        if extension in extensions:
            return content_type
    return "application/octet-stream"
