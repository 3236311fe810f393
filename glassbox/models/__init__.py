"""Models that are transparent by construction: each has ``fit``, ``predict``,
``explain``, ``complexity_`` and reads as text."""

__all__ = []
