"""Signed credentials: verifiable with only the JWKS document and a standard JOSE library;
a one-byte change fails; key rotation keeps old credentials verifiable."""

import base64
import json

import pytest
from django.core.management import call_command
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from verification import signing

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def _verify_with_jwks(token: str, jwks: dict) -> dict:
    obj = jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=["EdDSA"])
    return json.loads(obj.payload)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.django_db
def test_jwt_verifies_with_only_the_jwks_and_a_byte_change_fails(client, award):
    token = client.get(f"/credentials/{award.public_id}.jwt").content.decode()
    jwks = client.get("/.well-known/jwks.json").json()
    assert all("d" not in k for k in jwks["keys"]), "private parts must never be published"

    header = json.loads(_unb64(token.split(".")[0]))
    assert header["alg"] == "EdDSA" and header["kid"] in {k["kid"] for k in jwks["keys"]}

    payload = _verify_with_jwks(token, jwks)
    assert "VerifiableCredential" in payload["type"]
    assert "AchievementCredential" in payload["type"]  # OB 3.0 (alias: OpenBadgeCredential)
    assert payload["document"]["certificate_number"] == award.certificate_number
    assert payload["document"]["award"]["code"] == "BSB30120"
    assert payload["document"]["learner_name"] == "Mai Nguyen"
    assert payload["id"].endswith(f"/credentials/{award.public_id}")

    h, p, s = token.split(".")
    raw = bytearray(_unb64(p))
    raw[raw.index(b"Nguyen")] ^= 0x01  # one byte: "Nguyen" → "Oguyen"
    tampered = ".".join([h, _b64(bytes(raw)), s])
    with pytest.raises(BadSignatureError):
        _verify_with_jwks(tampered, jwks)


@pytest.mark.django_db
def test_rotation_keeps_old_credentials_verifiable(client, award, key_file):
    old_token = client.get(f"/credentials/{award.public_id}.jwt").content.decode()
    old_kid = json.loads(_unb64(old_token.split(".")[0]))["kid"]

    call_command("rotate_signing_key", "--json")

    new_token = client.get(f"/credentials/{award.public_id}.jwt").content.decode()
    new_kid = json.loads(_unb64(new_token.split(".")[0]))["kid"]
    assert new_kid != old_kid
    jwks = client.get("/.well-known/jwks.json").json()
    assert jwks["keys"][0]["kid"] == new_kid
    assert old_kid in {k["kid"] for k in jwks["keys"]}
    assert _verify_with_jwks(old_token, jwks)["id"] == _verify_with_jwks(new_token, jwks)["id"]
    assert "PRIVATE" in key_file.read_text()


def test_private_key_from_environment(monkeypatch):
    key = signing.generate_key()
    monkeypatch.setenv("CQR_SIGNING_KEY", key.as_pem(private=True).decode())
    signing.forget_cached_keys()
    try:
        assert signing.kid_of(signing.private_key()) == signing.kid_of(key)
        signed = signing.sign({"a": 1})
        jwks = {"keys": [signing.public_jwk(key)]}
        assert signing.verify(signed.token, jwks) == {"a": 1}
    finally:
        monkeypatch.delenv("CQR_SIGNING_KEY")
        signing.forget_cached_keys()


def test_missing_key_file_is_refused_when_generation_is_off(settings, tmp_path):
    settings.CQR_SIGNING_KEY_FILE = str(tmp_path / "absent.pem")
    signing.forget_cached_keys()
    with pytest.raises(signing.SigningKeyUnavailable):
        signing.private_key()
    signing.forget_cached_keys()
