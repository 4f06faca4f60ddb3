"""Flow analytics: node visits, exits and drop-offs, per-service completion, SLA, payments and CSAT,
kept as daily aggregates with no phone numbers (issue 16, items 4 and 5)."""
