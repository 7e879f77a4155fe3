"""HQ's numbers: outcomes and their counters (pure), the counters kept as results are written,
the compliance queries that read them, and the threshold suggester."""

from chalicelib.services.analytics.counters import Counters
from chalicelib.services.analytics.queries import MAX_PAGE, Analytics

__all__ = ["Analytics", "Counters", "MAX_PAGE"]
