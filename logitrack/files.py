"""Uploaded files: check what they really are (magic bytes), not what they claim, and store them privately.

Accepted kinds are declared by the caller. An executable or script is refused whatever its name or
declared content type, and a file whose bytes do not match its extension is refused too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import uuid

from django.core.files.base import File
from django.core.files.storage import default_storage

from logitrack.exceptions import ValidationFailed

KINDS: dict[str, tuple[tuple[bytes, ...], tuple[str, ...], str]] = {
    # kind: (magic prefixes, extensions, content type)
    "pdf": ((b"%PDF-",), (".pdf",), "application/pdf"),
    "jpeg": ((b"\xff\xd8\xff",), (".jpg", ".jpeg"), "image/jpeg"),
    "png": ((b"\x89PNG\r\n\x1a\n",), (".png",), "image/png"),
}
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


def validate_upload(upload: File, *, allowed: tuple[str, ...], max_bytes: int) -> tuple[str, str]:
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


def store_private(upload: File, *, folder: str, allowed: tuple[str, ...], max_bytes: int) -> StoredFile:
    """Validate and save under a random name below MEDIA_ROOT, which no URL serves."""
    kind, content_type = validate_upload(upload, allowed=allowed, max_bytes=max_bytes)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = os.path.basename(upload.name or "upload")[:200]
    path = default_storage.save(f"private/{folder}/{uuid.uuid4().hex}{KINDS[kind][1][0]}", upload)
    return StoredFile(path, kind, content_type, upload.size, digest.hexdigest(), original)


def open_private(path: str):
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
