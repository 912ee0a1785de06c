"""The sourced, as-of-aware history of the Korean nuclear standoff."""

from standoff.history.core import History

__all__ = ["History"]
