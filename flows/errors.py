"""The error hierarchy: one root, a branch per kind of failure a person must act on."""

from __future__ import annotations


class PishkhanError(Exception):
    """Root of every error Pishkhan raises on purpose; anything else is a bug."""


class FlowError(PishkhanError):
    """A flow definition is wrong: says which file, which node, what is wrong and how to fix it."""

    def __init__(self, file: str, node: str | None, message: str, hint: str | None = None) -> None:
        self.file = file
        self.node = node
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}: node `{self.node}`" if self.node else self.file
        fix = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.message}{fix}"


class FlowErrors(PishkhanError):
    """Every problem found in a set of flows, reported together so an operator fixes them in one go."""

    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class ChannelError(PishkhanError):
    """A provider request we cannot accept; carries the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


class ProviderError(PishkhanError):
    """A call to an outside provider failed; `retryable` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(message)
