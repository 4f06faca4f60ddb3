"""Durable records (requests, events, the outbox, tokens, payments) on SQLite or PostgreSQL."""

from gateway.store.base import Database, Row, StoreError, Transaction

__all__ = ["Database", "Row", "StoreError", "Transaction"]
