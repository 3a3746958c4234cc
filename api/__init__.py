"""The API for student-management systems (issue 16; interfaces.md §9): per-RTO API tokens,
``/api/v1/…`` (django-ninja, OpenAPI 3.1), problem+json errors and signed webhooks."""
