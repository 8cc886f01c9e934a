"""The one rule for a moment a client sends: one that PostgreSQL's timestamptz can store.

Python accepts UTC offsets up to ±23:59; PostgreSQL refuses ±16:00 and beyond with a
DataError. Every parser of client timestamps (list filters, request bodies, ingestion,
analysis specs) checks the offset here, so the answer is a 400 naming the field (or, in a
batch, the refusal of that one event) and never the safety net's generic 400.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_UTC_OFFSET = timedelta(hours=15, minutes=59, seconds=59)
OFFSET_MESSAGE = "The UTC offset must lie between -15:59 and +15:59."


def offset_error(moment: datetime) -> str | None:
    """The message for a moment whose UTC offset PostgreSQL cannot store, else None."""
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return OFFSET_MESSAGE
    return None
