"""The service catalogue: identity cards (`model`), kept in the store (`store`), and the menus and
request flows made from it (`flows`)."""

from gateway.catalogue.model import Agency, Catalogue, Category, Service, ServiceInput, parse_catalogue, parse_service

__all__ = ["Agency", "Catalogue", "Category", "Service", "ServiceInput", "parse_catalogue", "parse_service"]
