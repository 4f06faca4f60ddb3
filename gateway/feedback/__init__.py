"""Satisfaction (CSAT) per service: one survey per finished request, asked on the citizen's channel
(`survey`), answered by SMS (`sms`) or bot buttons (`bot`), stored per service, channel and request
(`store`), read by operators through `/api/v1/feedback` (`api`); `setup` wires it into a gateway.

Nothing is imported here: `gateway.settings` reads `gateway.feedback.settings`, which must not pull
in the services that read the settings."""
