"""Pishkhan's server: HTTP app, sessions, catalogue, requests, payments, storage and the CLI."""
