"""Constants of the marketplace shared by services, selectors and views."""

# Cache namespace of everything the marketplace serves to the public; bumped (not scanned)
# when a published template changes, so every cached page and search result goes at once.
MARKETPLACE_CACHE_NAMESPACE = "templates.marketplace"

# Redis hash of view counts not yet written to the database: field = template id.
VIEW_COUNTS_KEY = "synapscale:templates:view_counts"
# Keys "<prefix>:<UTC day>:<template id>:<visitor>": a visitor's view counts once a day.
VIEW_SEEN_PREFIX = "synapscale:templates:view_seen"

# PostgreSQL text search configuration of the search vector and the queries (stemming).
SEARCH_CONFIG = "english"

# How many items the marketplace home page shows in each section.
HOME_SECTION_SIZE = 8

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_DEFINITION_BYTES = 256 * 1024
# Levels of objects and lists in a definition (the definition itself is level 1): far more
# than any workflow needs, few enough for every recursive walk of it.
MAX_DEFINITION_DEPTH = 32

# The marketplace's categories: (slug, name, description), in display order. Migration 0002
# seeds a frozen copy; categories_ensure() restores them where a database lost them.
CATEGORIES = (
    ("automation", "Automation", "Hands-off routines that run on a schedule or a trigger."),
    ("data-processing", "Data processing", "Clean, transform, enrich and move data."),
    ("ai-workflows", "AI workflows", "Language models, classification, extraction, agents."),
    ("marketing", "Marketing", "Campaigns, leads, newsletters and social media."),
    ("productivity", "Productivity", "Tasks, calendars, notes and personal routines."),
    ("integration", "Integration", "Connect SaaS tools and keep them in sync."),
    ("analytics", "Analytics", "Metrics, reports, dashboards and alerts."),
    ("content-creation", "Content creation", "Write, summarise, translate and publish content."),
    ("customer-service", "Customer service", "Tickets, triage, replies and satisfaction."),
    ("finance", "Finance", "Invoices, payments, expenses and reconciliation."),
    ("hr", "HR", "Hiring, onboarding, time off and people operations."),
    ("sales", "Sales", "Pipelines, CRM hygiene, follow-ups and quotes."),
    ("other", "Other", "Everything that does not fit elsewhere."),
)
