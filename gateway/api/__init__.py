"""The operator API under `/api/v1` (`gateway.api.mount`): JSON, bearer tokens with roles, an OpenAPI document."""
