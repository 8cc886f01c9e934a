"""Constants shared across the analytics layers."""

from datetime import UTC, date, datetime, timedelta

# Dates a query may name. Events are stored from ingestion onwards, so nothing lies before
# the Unix epoch, and bounding the far end keeps every derived bucket (a month, a year
# later, a comparison period before) inside what Python and PostgreSQL can represent.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2100, 12, 31)
EARLIEST_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
# The end of LATEST_DATE: a plain ``date_to`` of that day ends here.
LATEST_MOMENT = datetime(2101, 1, 1, tzinfo=UTC)
DATE_BOUNDS_MESSAGE = (
    f"Dates must lie between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."
)

# Realtime rollups only cover recent minutes; older events go to hourly/daily rollups only.
REALTIME_RETENTION = timedelta(hours=2)
