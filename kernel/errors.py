"""Error families of both services: HTTP APIs (RFC 9457 problem+json) and CLIs (exit codes).

Every error carries a stable ``code`` (snake_case, never reworded once published) and belongs to
one family; the family decides the HTTP status (``kernel.problems``) and the CLI exit code
(``kernel.cli``) in one place. Only base classes end in ``Error``. Each service declares its own
errors on these bases, beside the code that raises them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """One problem found in an input: every issue is reported, not just the first."""

    code: str
    message: str
    line: int | None = None
    path: str | None = None


class GedsaeError(Exception):
    """Base of every error the users of either service (the GED, the repository) may see."""

    status = 500
    code = "internal_error"
    title = "Erreur interne"

    def __init__(self, detail: str = "", **extra: object) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class BadRequestError(GedsaeError):
    status = 400
    code = "bad_request"
    title = "Requête incorrecte"


class AuthenticationError(GedsaeError):
    status = 401
    code = "unauthenticated"
    title = "Authentification requise"
    challenge = "Bearer"  # the WWW-Authenticate scheme the answer names


class ForbiddenError(GedsaeError):
    status = 403
    code = "forbidden"
    title = "Action non autorisée pour ce rôle"


class NotFoundError(GedsaeError):
    """Also raised for another organisation's objects: their existence is never disclosed."""

    status = 404
    code = "not_found"
    title = "Introuvable"


class ConflictError(GedsaeError):
    status = 409
    code = "conflict"
    title = "Conflit avec l'état actuel"


class PayloadTooLargeError(GedsaeError):
    status = 413
    code = "payload_too_large"
    title = "Contenu trop volumineux"


class InvalidError(GedsaeError):
    """Invalid input; ``issues`` lists every problem found (line, path, code, message)."""

    status = 422
    code = "invalid"
    title = "Données invalides"

    def __init__(
        self, detail: str = "", issues: list[Issue] | None = None, **extra: object
    ) -> None:
        super().__init__(detail, **extra)
        self.issues = list(issues or [])


class UnavailableError(GedsaeError):
    """A dependency (database, storage) cannot serve now; the client may retry later."""

    status = 503
    code = "unavailable"
    title = "Service momentanément indisponible"

    def __init__(self, detail: str = "", retry_after: int = 5, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class RateLimitedError(GedsaeError):
    """Too many attempts (logins): refused for ``retry_after`` seconds (RFC 6585, 429)."""

    status = 429
    code = "rate_limited"
    title = "Trop de requêtes"

    def __init__(self, detail: str = "", retry_after: int = 60, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class InsufficientStorageError(GedsaeError):
    status = 507
    code = "insufficient_storage"
    title = "Espace de stockage insuffisant"


@dataclass
class IssueList:
    """Collects issues while validating, then raises them all at once."""

    issues: list[Issue] = field(default_factory=list)

    def add(
        self, code: str, message: str, *, line: int | None = None, path: str | None = None
    ) -> None:
        self.issues.append(Issue(code=code, message=message, line=line, path=path))

    def raise_if_any(self, detail: str, error: type[InvalidError] = InvalidError) -> None:
        if self.issues:
            raise error(detail, issues=self.issues)
