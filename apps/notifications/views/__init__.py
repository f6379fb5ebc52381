"""The notifications context's pages: the one-click unsubscribe (`unsubscribe`), and the console's "Your
notifications" for the admin's users (`preferences`). Each module is imported by name from urls.py."""
