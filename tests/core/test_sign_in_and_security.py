"""Sign-in says how access is obtained; the Security page offers a password change and
keeps "Deactivate" a secondary (danger) action (issue 13)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_sign_in_page_explains_access_instead_of_sign_up(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "sign up" not in html.lower()
    assert reverse("account_signup") not in html
    assert (
        "invited by their RTO&#x27;s administrator" in html
        or "invited by their RTO's administrator" in html
    )
    assert "contacts the department" in html
    assert reverse("verify") in html


def test_security_page_has_password_change_and_deactivate_is_not_primary(world, client_for):
    c = client_for("staff_a")
    html = c.get(reverse("mfa_index")).content.decode()
    assert f'href="{reverse("account_change_password")}"' in html
    off = reverse("mfa_deactivate_totp")
    deactivate = re.search(rf'<a class="([^"]*)" href="{off}"', html)
    assert deactivate is not None
    assert deactivate.group(1).split() == ["button", "secondary", "danger"]
    assert c.get(reverse("account_change_password")).status_code == 200
