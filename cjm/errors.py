"""One small exception hierarchy: the CLI prints these as one-line messages, never a traceback."""

from __future__ import annotations


class CjmError(Exception):
    """Base of every error cjm raises on purpose (bad input, bad codebook, bad options)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def location(self) -> str:
        """`file:line` (or just `file`) for messages; empty when the error has no file."""
        if not self.path:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(CjmError):
    """A transcript that cannot be read: the run skips it and reports it."""


class CodebookError(CjmError):
    """A codebook that is not valid YAML or names unknown labels: nothing can be tagged with it."""


class UsageError(CjmError):
    """Options or arguments that make no sense together (an empty folder, an unknown group)."""
