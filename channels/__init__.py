"""Channel adapters: each provider's protocol to and from the normalised Inbound and Reply."""
