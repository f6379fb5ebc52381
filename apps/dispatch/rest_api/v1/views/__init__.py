"""Dispatch's REST views, one module per topic: positions (uploads, trails), routing (jobs, plans), board
(the screen's snapshot). Each parses its input, asks dispatch's selectors what the caller may see, calls one
service or selector and renders the answer."""
