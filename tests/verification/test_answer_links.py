""" "View the credential" never links to the page it is on (issue 13)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from tests.verification.factories import make_award

pytestmark = pytest.mark.django_db


def test_credential_page_does_not_link_to_itself_but_verify_answer_does(world, client):
    with scopes_disabled():
        award = make_award(world.rto_a)
    url = f"/credentials/{award.public_id}"
    page = client.get(url).content.decode()
    assert "View the credential" not in page
    # the signing key id is one long token: it may break anywhere on a phone
    assert '<code class="mono break-anywhere">' in page
    assert f'href="http://testserver{url}"' not in page
    answer = client.get(
        "/verify/",
        {"certificate_number": award.certificate_number, "family_name": award.learner.family_name},
    ).content.decode()
    assert "View the credential" in answer
