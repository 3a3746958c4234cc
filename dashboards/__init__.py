"""Pages that compose every app: the RTO dashboard and the department overview.

They sit above the apps whose panels they show (the register, claims and payments,
verification), so no app imports them; ``dashboards.urls`` adds them to the ``rto`` and
``department`` URL namespaces, under the same paths and names as before.
"""
