"""OpenAPI generation tweaks shared by every app."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Component names that cannot collide across views or contexts.

    A view's nested serializer is named after its qualified name (`TokenObtainApi.InputSerializer` →
    `TokenObtainApiInput`), and every serializer of a context is prefixed with the context
    (`apps.partner...DocumentOutput` → `PartnerDocumentOutput`), so two apps may both have one.
    """

    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        cls = type(serializer)
        if "." in cls.__qualname__ and "<locals>" not in cls.__qualname__:
            name = cls.__qualname__.replace(".", "")
            if name.endswith("Serializer"):
                name = name[: -len("Serializer")]
        parts = cls.__module__.split(".")
        if len(parts) > 1 and parts[0] == "apps":
            prefix = parts[1].capitalize()
            if not name.startswith(prefix):
                name = prefix + name
        return name
