"""Events to agency systems: signed Standard Webhooks deliveries through the outbox (docs-events.md)."""
