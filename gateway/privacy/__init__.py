"""The citizen's privacy: the statement every channel shows, what is kept about a number, erasure on
request and after `privacy.retention_days`."""
