"""The exceptions of `assay`, with structured fields.

The Rust extension raises them; their messages come from assay's core, which
never shows a secret's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    from ._assay import Finding, Report


class AssayError(Exception):
    """Base class of every error `assay` raises."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class PolicyProblem:
    """One problem with a policy, where it is (1-based line and column)."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    rule: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        at = self.file
        if self.line is not None:
            at += f":{self.line}:{self.column}"
        return f"{at}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")


class PolicyError(AssayError):
    """A policy that does not load: bad YAML, an unknown field, a CEL error,
    an invalid JSON Schema, an unreadable path or module. `errors` lists every
    problem; `file`, `line`, `column` and `rule` are the first one's."""

    def __init__(
        self,
        message: str,
        *,
        errors: Iterable[PolicyProblem | Mapping[str, Any]] = (),
        hint: str | None = None,
    ) -> None:
        problems = tuple(
            e if isinstance(e, PolicyProblem) else PolicyProblem(**e) for e in errors
        )
        first = problems[0] if problems else None
        super().__init__(message, hint=hint if hint is not None else (first.hint if first else None))
        self.errors = problems
        self.file = first.file if first else None
        self.line = first.line if first else None
        self.column = first.column if first else None
        self.rule = first.rule if first else None


class InputError(AssayError):
    """Input that cannot be read or is not a document (a path that does not
    exist, text that does not parse where a document is required, a value
    JSON cannot hold), located where that is known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.line = line
        self.column = column
        self.rule = "parse" if line is not None else None


class LimitError(AssayError, ValueError):
    """A `limits={...}` entry that sets no limit: an unknown name, or a value
    of the wrong kind or out of range. `limit` is the name as given; the
    message says what is wrong and lists the limits (docs/limits.md)."""

    def __init__(self, message: str, *, limit: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.limit = limit


class ValidationError(AssayError):
    """Raised by `Report.raise_for_errors()` when the verdict is `fail`.
    `findings` are the error findings; `file`, `line`, `column`, `rule`,
    `policy` and `path` are the first one's."""

    def __init__(self, message: str, *, report: Report) -> None:
        super().__init__(message)
        self.report = report
        self.findings: list[Finding] = [f for f in report.findings if f.severity == "error"]
        first = self.findings[0] if self.findings else None
        self.file = first.file if first else None
        self.line = first.line if first else None
        self.column = first.column if first else None
        self.rule = first.rule if first else None
        self.policy = first.policy if first else None
        self.path = first.path if first else None

    def __reduce__(self) -> tuple[Any, ...]:
        # The default would call `ValidationError(message)`, without the report.
        return (_validation_error, (type(self), self.message, self.report))


def _validation_error(cls: type[ValidationError], message: str, report: Report) -> ValidationError:
    return cls(message, report=report)
