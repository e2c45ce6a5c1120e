"""Segments: the contacts a filter selects (kept current by the event stream), or a list kept by hand."""
