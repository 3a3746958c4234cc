"""Ed25519 signing keys for credentials (architecture.md §7).

The private key never touches the database. It comes from, in order:

1. ``CQR_SIGNING_KEY`` — a PEM (PKCS#8) or a private JWK (JSON) in the environment;
2. ``CQR_SIGNING_KEY_FILE`` — a path to such a file (setting or environment variable);
3. development and tests only (``CQR_SIGNING_KEY_AUTOGENERATE``, on unless production
   settings turn it off): ``.data/signing/signing-key.pem``, generated on first use.

Only *public* keys are stored (``verification.SigningKey``, kid = RFC 7638 thumbprint),
so credentials signed with a retired key stay verifiable through ``/.well-known/jwks.json``
after ``manage.py rotate_signing_key``.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from joserfc import jws
from joserfc.jwk import KeySet, OKPKey

ALG = "EdDSA"
_lock = threading.Lock()
_cache: dict[str, tuple[float, OKPKey]] = {}


class SigningKeyUnavailable(RuntimeError):
    """No private key is configured and generating one is not allowed here."""


def default_key_path() -> Path:
    return Path(settings.BASE_DIR) / ".data" / "signing" / "signing-key.pem"


def configured_key_file() -> Path | None:
    path = getattr(settings, "CQR_SIGNING_KEY_FILE", None) or os.environ.get("CQR_SIGNING_KEY_FILE")
    return Path(path) if path else None


def _autogenerate_allowed() -> bool:
    return bool(getattr(settings, "CQR_SIGNING_KEY_AUTOGENERATE", True))


def _import(text: str) -> OKPKey:
    text = text.strip()
    if text.startswith("{"):
        key = OKPKey.import_key(json.loads(text))
    else:
        key = OKPKey.import_key(text.encode())
    if key.as_dict(private=False).get("crv") != "Ed25519" or not key.is_private:
        raise SigningKeyUnavailable("The signing key must be a private Ed25519 key.")
    return key


def write_private_key(path: Path, key: OKPKey) -> None:
    """Write a PEM readable by the owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.as_pem(private=True))
    os.replace(tmp, path)


def key_source() -> tuple[str, Path | None]:
    """Where the private key comes from: ("env", None) or ("file", path)."""
    if os.environ.get("CQR_SIGNING_KEY"):
        return "env", None
    path = configured_key_file()
    if path is not None:
        return "file", path
    return "file", default_key_path()


def private_key() -> OKPKey:
    """The current private key (cached per process, reloaded when the file changes)."""
    env_key = os.environ.get("CQR_SIGNING_KEY")
    if env_key:
        with _lock:
            cached = _cache.get("env")
            if cached is None:
                cached = (0.0, _import(env_key))
                _cache["env"] = cached
            return cached[1]
    path = configured_key_file()
    generate = False
    if path is None:
        path = default_key_path()
        generate = _autogenerate_allowed()
    with _lock:
        if not path.exists():
            if not generate:
                raise SigningKeyUnavailable(
                    f"No signing key: set CQR_SIGNING_KEY or CQR_SIGNING_KEY_FILE ({path} missing)."
                )
            write_private_key(path, OKPKey.generate_key("Ed25519"))
        mtime = path.stat().st_mtime
        cached = _cache.get(str(path))
        if cached is None or cached[0] != mtime:
            cached = (mtime, _import(path.read_text()))
            _cache[str(path)] = cached
        return cached[1]


def kid_of(key: OKPKey) -> str:
    return key.thumbprint()


def public_jwk(key: OKPKey) -> dict:
    jwk = key.as_dict(private=False)
    return {
        "kty": jwk["kty"],
        "crv": jwk["crv"],
        "x": jwk["x"],
        "kid": kid_of(key),
        "alg": ALG,
        "use": "sig",
    }


def canonical_json(data: dict) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same statement always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Signed:
    token: str
    kid: str


def sign(payload: dict) -> Signed:
    """A compact JWS (EdDSA over Ed25519) of the canonical JSON, with the key id."""
    key = private_key()
    kid = kid_of(key)
    header = {"alg": ALG, "kid": kid, "typ": "vc+jwt", "cty": "vc"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "EdDSA" is the name interfaces.md §8 promises
        token = jws.serialize_compact(header, canonical_json(payload), key, algorithms=[ALG])
    return Signed(token=token, kid=kid)


def verify(token: str, jwks: dict) -> dict:
    """Check a compact JWS against a JWKS document; return the payload (raises if bad)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=[ALG])
    return json.loads(obj.payload)


def generate_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519")


def forget_cached_keys() -> None:
    with _lock:
        _cache.clear()
