"""OpenAPI generation tweaks shared by every app."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Names components after their full qualified name, so each view's nested InputSerializer /
    OutputSerializer (HackSoft style) gets its own component: `TokenObtainApi.InputSerializer` →
    `TokenObtainApiInput`."""

    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname and "<locals>" not in qualname:
            name = qualname.replace(".", "")
            if name.endswith("Serializer"):
                name = name[: -len("Serializer")]
        return name
