"""RTO roles and what each may do (screens.md Roles), and what a department officer's grant
allows. A membership (``rtos.RtoMembership``) holds a role; an invitation names one; the
tenant door (``rtos.access``) turns a role or grant into permissions. They live here, below
the tenant app, so that accounts never imports rtos (rtos imports accounts)."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    DATA_OFFICER = "data_officer", "Data officer"
    VIEWER = "viewer", "Viewer"


class Perm:
    """Explicit permissions; roles and grants map to sets of these (screens.md Roles)."""

    VIEW = "view"
    EDIT_RECORDS = "edit_records"
    SUBMIT = "submit"
    ISSUE_DOCUMENTS = "issue_documents"
    PREPARE_CLAIMS = "prepare_claims"
    LODGE_CLAIMS = "lodge_claims"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SETTINGS = "manage_settings"

    WRITE = frozenset(
        {
            EDIT_RECORDS,
            SUBMIT,
            ISSUE_DOCUMENTS,
            PREPARE_CLAIMS,
            LODGE_CLAIMS,
            MANAGE_STAFF,
            MANAGE_SETTINGS,
        }
    )


ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({Perm.VIEW}) | Perm.WRITE,
    Role.DATA_OFFICER: frozenset(
        {Perm.VIEW, Perm.EDIT_RECORDS, Perm.SUBMIT, Perm.ISSUE_DOCUMENTS, Perm.PREPARE_CLAIMS}
    ),
    Role.VIEWER: frozenset({Perm.VIEW}),
}
# An officer acting under a grant may correct records and issue documents, never manage
# the RTO's own staff or lodge its claims.
GRANT_READ_PERMS = frozenset({Perm.VIEW})
GRANT_ACT_PERMS = frozenset({Perm.VIEW, Perm.EDIT_RECORDS, Perm.SUBMIT, Perm.ISSUE_DOCUMENTS})
