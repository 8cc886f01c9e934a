"""Constants of the marketplace shared by services, selectors and views."""

# Cache namespace of everything the marketplace serves to the public; bumped (not scanned)
# when a published template changes, so every cached page and search result goes at once.
MARKETPLACE_CACHE_NAMESPACE = "templates.marketplace"

# Redis hash of view counts not yet written to the database: field = template id.
VIEW_COUNTS_KEY = "synapscale:templates:view_counts"

# PostgreSQL text search configuration of the search vector and the queries (stemming).
SEARCH_CONFIG = "english"

# How many items the marketplace home page shows in each section.
HOME_SECTION_SIZE = 8

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_DEFINITION_BYTES = 256 * 1024
