"""Trips REST API views, one module per topic: parse the input, call one service or selector, render."""
