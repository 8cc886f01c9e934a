"""The demo marketplace's catalogue: 50 realistic templates across the 13 categories.

By category: (name, short description, space-separated tags, complexity 1-5, licence,
definition pattern). The pattern names a definition builder in templates_app.demo.
"""

from decimal import Decimal

# Price of each licence in the demo.
PRICES = {"free": Decimal("0"), "premium": Decimal("19.00"), "enterprise": Decimal("149.00")}

# fmt: off
CATALOGUE = {
    "automation": [
        ("Nightly database backup check", "Verify last night's backup and alert on gaps",
         "backup ops slack", 2, "free", "webhook"),
        ("Stale ticket auto-closer", "Close support tickets idle for 30 days",
         "tickets cleanup", 2, "free", "branch"),
        ("Weekly report scheduler", "Assemble and send the Monday metrics report",
         "reports email schedule", 3, "premium", "pipeline"),
        ("Server health pinger", "Ping endpoints and escalate repeated failures",
         "monitoring uptime", 2, "free", "webhook"),
    ],
    "data-processing": [
        ("CSV cleanup and dedupe", "Normalise emails and drop duplicate rows",
         "csv dedupe cleaning", 2, "free", "pipeline"),
        ("JSON to spreadsheet exporter", "Flatten nested JSON records into columns",
         "json spreadsheet export", 3, "free", "pipeline"),
        ("Address enrichment", "Add country and timezone to postal addresses",
         "enrichment geocoding", 3, "premium", "webhook"),
        ("Data quality gate", "Reject batches with missing required fields",
         "validation quality", 4, "enterprise", "branch"),
    ],
    "ai-workflows": [
        ("Support email classifier", "Label incoming emails as billing, bug or question",
         "llm classification email", 3, "premium", "branch"),
        ("Meeting notes summarizer", "Turn a transcript into decisions and action items",
         "llm summarization meetings", 3, "free", "pipeline"),
        ("Invoice data extractor", "Pull vendor, amount and due date out of invoices",
         "llm extraction invoice", 4, "enterprise", "pipeline"),
        ("Sentiment monitor for reviews", "Score product reviews and flag angry customers",
         "sentiment reviews llm", 3, "free", "branch"),
    ],
    "marketing": [
        ("Newsletter signup to CRM", "Add new subscribers to the CRM with their source",
         "newsletter crm leads", 1, "free", "webhook"),
        ("UTM campaign tracker", "Record campaign parameters of every signup",
         "utm campaigns attribution", 2, "free", "pipeline"),
        ("Social post scheduler", "Queue posts for LinkedIn and X at peak hours",
         "social schedule linkedin", 2, "premium", "webhook"),
        ("Lead scoring", "Score leads from firmographics and engagement",
         "leads scoring crm", 4, "premium", "branch"),
    ],
    "productivity": [
        ("Daily standup digest", "Collect standup answers and post one summary",
         "standup slack team", 1, "free", "webhook"),
        ("Calendar conflict finder", "Spot double bookings across team calendars",
         "calendar meetings", 2, "free", "branch"),
        ("Inbox zero triage", "Archive newsletters and star mail from your boss",
         "email triage", 2, "free", "branch"),
        ("Task reminder bot", "Nudge owners of overdue tasks every morning",
         "tasks reminders slack", 1, "free", "webhook"),
    ],
    "integration": [
        ("Stripe to QuickBooks sync", "Mirror Stripe payouts as QuickBooks deposits",
         "stripe quickbooks accounting", 4, "enterprise", "webhook"),
        ("GitHub issues to Jira", "Copy labelled GitHub issues into a Jira project",
         "github jira issues", 3, "premium", "pipeline"),
        ("HubSpot and Salesforce contact sync", "Keep contacts identical in both CRMs",
         "hubspot salesforce crm", 5, "enterprise", "branch"),
        ("Webhook relay with retries", "Forward webhooks and retry failed deliveries",
         "webhooks retries", 2, "free", "webhook"),
    ],
    "analytics": [
        ("KPI anomaly alert", "Alert when a daily KPI leaves its usual range",
         "kpi anomaly alerts", 4, "premium", "branch"),
        ("Funnel conversion report", "Compute step conversion of the signup funnel",
         "funnel conversion reports", 3, "free", "pipeline"),
        ("Churn risk dashboard feed", "Feed churn risk scores to the dashboard",
         "churn dashboard", 4, "enterprise", "pipeline"),
        ("Website traffic digest", "Email yesterday's visits, sources and top pages",
         "traffic email reports", 2, "free", "webhook"),
    ],
    "content-creation": [
        ("Blog post outline generator", "Draft an outline from a topic and keywords",
         "blog writing llm", 2, "free", "pipeline"),
        ("Podcast show notes", "Write show notes and chapters from a transcript",
         "podcast transcript", 3, "premium", "pipeline"),
        ("Content translation pipeline", "Translate articles and route them for review",
         "translation localization", 3, "premium", "branch"),
        ("SEO meta description writer", "Generate meta descriptions under 160 characters",
         "seo writing", 1, "free", "pipeline"),
    ],
    "customer-service": [
        ("Ticket priority router", "Send urgent tickets to the on-call agent",
         "tickets routing priority", 2, "free", "branch"),
        ("Customer satisfaction survey", "Send a CSAT survey after each resolved ticket",
         "csat survey email", 1, "free", "webhook"),
        ("Refund request handler", "Approve small refunds, escalate large ones",
         "refunds approvals", 3, "premium", "branch"),
        ("FAQ auto-responder", "Answer common questions from the help center",
         "faq llm support", 3, "free", "pipeline"),
    ],
    "finance": [
        ("Invoice payment reminders", "Remind customers before and after the due date",
         "invoice reminders email", 2, "free", "branch"),
        ("Expense report approval", "Route expense reports by amount to approvers",
         "expenses approvals", 3, "premium", "branch"),
        ("Monthly revenue reconciliation", "Match payouts to invoices and list mismatches",
         "reconciliation revenue stripe", 5, "enterprise", "pipeline"),
        ("Currency conversion rates", "Fetch daily exchange rates for reporting",
         "currency rates", 1, "free", "webhook"),
    ],
    "hr": [
        ("New hire onboarding checklist", "Create accounts and tasks for a new employee",
         "onboarding checklist", 3, "premium", "pipeline"),
        ("Time off request approval", "Approve leave requests and update the calendar",
         "leave approvals calendar", 2, "free", "branch"),
        ("Candidate screening summary", "Summarise a CV against the job requirements",
         "recruiting llm cv", 3, "premium", "pipeline"),
    ],
    "sales": [
        ("Deal won celebration", "Announce closed deals in the sales channel",
         "deals slack crm", 1, "free", "webhook"),
        ("Follow-up email sequence", "Send three follow-ups until a prospect replies",
         "followup email prospects", 3, "premium", "branch"),
        ("Quote generator", "Build a quote from the price list and discounts",
         "quotes pricing", 4, "enterprise", "pipeline"),
        ("Pipeline hygiene report", "List deals without next steps or close dates",
         "pipeline crm reports", 2, "free", "pipeline"),
    ],
    "other": [
        ("Weather-based reminders", "Remind the team to bring umbrellas on rainy days",
         "weather fun", 1, "free", "webhook"),
        ("Office snack reorder", "Reorder snacks when the inventory runs low",
         "office inventory", 1, "free", "branch"),
        ("Birthday greetings", "Post birthday wishes in the team channel",
         "team slack birthdays", 1, "free", "webhook"),
    ],
}
# fmt: on

# Left in review or in draft so staff have something to moderate in the admin.
PENDING_REVIEW = ("Office snack reorder", "Currency conversion rates")
DRAFTS = ("Birthday greetings",)
FEATURED = (
    "Meeting notes summarizer",
    "Stripe to QuickBooks sync",
    "Daily standup digest",
    "Invoice payment reminders",
    "Lead scoring",
)
VERIFIED = (
    "Nightly database backup check",
    "Support email classifier",
    "GitHub issues to Jira",
    "Funnel conversion report",
    "Ticket priority router",
    "Expense report approval",
    "Quote generator",
    "CSV cleanup and dedupe",
)
STARTER_COLLECTION = (
    "Daily standup digest",
    "Meeting notes summarizer",
    "Inbox zero triage",
    "Newsletter signup to CRM",
    "Ticket priority router",
    "Invoice payment reminders",
)
REVIEWERS = ("ana", "ben", "chen", "dara", "eli")
REVIEW_TEXTS = {
    5: ("Works out of the box", "Installed it, filled two variables and it ran first time."),
    4: ("Very useful", "Saved us an afternoon; had to tweak one field for our setup."),
    3: ("Decent start", "Does the job but the defaults need adjusting."),
    2: ("Needs work", "Missing error handling for our edge cases."),
}
