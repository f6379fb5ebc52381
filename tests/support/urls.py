"""The platform's URLs plus the test-only ping endpoint, for a real server a test starts
(LOGITRACK_TEST_URLCONF=tests.support.urls; in-process tests mount `tests.support.ping.views` instead)."""

from config.urls import handler404, handler500, urlpatterns
from tests.support.ping.views import urlpatterns as ping_urlpatterns

urlpatterns = [*urlpatterns, *ping_urlpatterns]
__all__ = ["handler404", "handler500", "urlpatterns"]
