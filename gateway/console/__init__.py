"""The operator console: server-rendered pages for staff, at `/console` (gateway.console.mount)."""
