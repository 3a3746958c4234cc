import io

import pytest
from django_scopes import scopes_disabled

from achievements.models import Award


@pytest.mark.django_db
def test_demo_learner_loader_is_idempotent():
    from core.demo import load_demo

    load_demo(io.StringIO())
    load_demo(io.StringIO())
    with scopes_disabled():
        assert Award.objects.filter(certificate_number="DEMO-2025-0001").count() == 1
