"""USSD dialects behind one adapter interface."""

from channels.ussd.base import UssdDialect, UssdPage, dial_path, ussd_surface

__all__ = ["UssdDialect", "UssdPage", "dial_path", "ussd_surface"]
