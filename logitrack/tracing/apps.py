from django.apps import AppConfig


class TracingConfig(AppConfig):
    """Turns tracing on in every process (web, workers, beat, relay, commands) once settings are loaded, before the
    first request builds the middleware chain (the Django instrumentation adds its middleware to MIDDLEWARE)."""

    name = "logitrack.tracing"
    label = "tracing"
    verbose_name = "Tracing"

    def ready(self) -> None:
        from django.conf import settings

        from logitrack import tracing

        tracing.configure(
            endpoint=settings.TRACING_OTLP_ENDPOINT,
            ratio=settings.TRACING_SAMPLE_RATIO,
            service_name=settings.TRACING_SERVICE_NAME,
        )
