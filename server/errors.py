"""Errors of the server package; each carries the ids it is about."""


class CrashdeskError(Exception):
    """Base error of the ``server`` package."""


class ConfigError(CrashdeskError):
    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable


class NotFound(CrashdeskError):
    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind
        self.ident = ident


class Conflict(CrashdeskError):
    """A name that must be unique is taken."""
