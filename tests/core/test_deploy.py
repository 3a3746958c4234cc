"""Deployment checks: production settings pass `check --deploy`; the production build
(collectstatic with the manifest storage) succeeds and gunicorn serves its pages; the
compose file is valid."""

import http.client
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("store", ["media folder", "object store"])
def test_production_settings_pass_check_deploy(store):
    s3 = {"CQR_S3_BUCKET": "cqr-files", "AWS_S3_REGION_NAME": "ap-southeast-2"}
    env = {
        **os.environ,
        **(s3 if store == "object store" else {}),
        "DJANGO_SETTINGS_MODULE": "cqr_portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "cqr.example.gov.au",
        "DATABASE_URL": "postgres://cqr@127.0.0.1:5432/cqr",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_keep_connections_open():
    """P7: persistent connections (CONN_MAX_AGE > 0) in production."""
    text = (ROOT / "cqr_portal/settings/production.py").read_text()
    assert 'env.int("DJANGO_CONN_MAX_AGE", default=60)' in text


def _compose() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_is_consistent():
    """Issue 12 #7: validated in Python, so it runs whichever Docker client is installed
    (the compose plugin, standalone docker-compose, or none)."""
    from django.conf import settings

    compose = _compose()
    services = compose["services"]
    assert set(services) >= {"migrate", "web", "worker", "beat", "postgres", "redis"}
    app = ["migrate", "web", "worker", "beat"]
    for name in app:
        service = services[name]
        env = service["environment"]
        assert service["build"] == "." and env["DJANGO_SETTINGS_MODULE"] == (
            "cqr_portal.settings.production"
        )
        for var in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
            assert env.get(var), (name, var)
        for dep in service.get("depends_on", {}):
            assert dep in services, (name, dep)
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], (name, volume)
    # Every ${VAR:?...} the file insists on is in .env.example.
    import re

    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    assert required and all(re.search(rf"^{var}=", example, re.M) for var in required), required
    # The web command is the image's (Dockerfile CMD); the worker serves every queue.
    assert services["web"]["command"][:2] == ["gunicorn", "cqr_portal.wsgi:application"]
    assert '"gunicorn", "cqr_portal.wsgi:application"' in (ROOT / "Dockerfile").read_text()
    worker = services["worker"]["command"]
    queues = set(worker[worker.index("-Q") + 1].split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= queues
    assert [n for n, s in services.items() if "beat" in s.get("command", [])] == ["beat"]


S3_VARS = (
    "CQR_S3_BUCKET",
    "AWS_S3_ENDPOINT_URL",
    "AWS_S3_REGION_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)


def test_compose_object_store_is_optional_and_wired():
    """Issue 17: the object store is an opt-in profile; without it every service runs as
    before (nothing depends on it, its variables default to empty: the media folder); with
    it the app and MinIO use the same bucket and keys, and .env.example documents them."""
    compose = _compose()
    services = compose["services"]
    store = {n for n, s in services.items() if s.get("profiles")}
    assert store == {"minio", "minio-init"}
    assert all(services[n]["profiles"] == ["s3"] for n in store)
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("migrate", "web", "worker", "beat"):
        env = services[name]["environment"]
        for var in S3_VARS:
            assert env[var] == f"${{{var}:-}}", (name, var)  # optional: empty unless set
        assert not set(services[name].get("depends_on", {})) & store, name
    for name in store:
        env = services[name]["environment"]
        assert env["MINIO_ROOT_USER"] == "${AWS_ACCESS_KEY_ID:-}", name
        assert env["MINIO_ROOT_PASSWORD"] == "${AWS_SECRET_ACCESS_KEY:-}", name
    assert services["minio-init"]["depends_on"]["minio"]["condition"] == "service_healthy"
    init = " ".join(services["minio-init"]["entrypoint"])
    assert "mc mb --ignore-existing" in init and "mc anonymous set none" in init
    assert "objects:/data" in services["minio"]["volumes"] and "objects" in compose["volumes"]
    assert "${CQR_S3_BUCKET:?" not in text  # never required
    example = (ROOT / ".env.example").read_text()
    for var in S3_VARS:
        assert f"# {var}=" in example, var
    # the documented endpoint is the compose service's S3 port
    assert "# AWS_S3_ENDPOINT_URL=http://minio:9000" in example
    assert services["minio"]["command"][:2] == ["server", "/data"]


def test_dockerfile_builds_what_the_production_test_runs():
    """The Dockerfile's steps are the ones test_production_build_... exercises: production
    settings, the libraries WeasyPrint needs, collectstatic, gunicorn on the WSGI app."""
    text = (ROOT / "Dockerfile").read_text()
    assert "DJANGO_SETTINGS_MODULE=cqr_portal.settings.production" in text
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"):
        assert package in text
    assert "python manage.py collectstatic --noinput" in text
    assert "requirements.lock" in text
    assert 'CMD ["gunicorn", "cqr_portal.wsgi:application"' in text


def _compose_client() -> list[str] | None:
    """The compose plugin (`docker compose`) if it works, else standalone `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_passes_the_installed_compose_client(tmp_path):
    """Belt and braces: the real client's own validation, with whichever flavour exists."""
    cmd = _compose_client()
    if cmd is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())
    result = subprocess.run(
        [*cmd, "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "POSTGRES_PASSWORD": "x"},
    )
    assert result.returncode == 0, result.stderr


def _production_env(**extra) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqr_portal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, **headers) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _wait_for(port: int, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start listening in time")


@pytest.mark.django_db
def test_production_build_collects_static_and_gunicorn_serves_pages(tmp_path):
    """Issue 12 #1: the Dockerfile's collectstatic with the compressed manifest storage
    succeeds, and gunicorn with production settings then serves real pages (no 500 for a
    missing manifest entry) and the hashed static files."""
    from django.db import connection

    static_root = tmp_path / "static"
    build = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        # The Dockerfile's throwaway values: collectstatic needs no services.
        env=_production_env(
            DJANGO_STATIC_ROOT=str(static_root),
            DATABASE_URL="postgres://x@x/x",
            REDIS_URL="redis://x:6379/0",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    # The print stylesheet names its fonts by their hashed names, and those files exist.
    documents_css = (static_root / manifest["css/documents.css"]).read_text()
    serif = manifest["fonts/DejaVuSerif.ttf"]
    assert f'url("../{serif}")' in documents_css
    assert (static_root / serif).is_file()

    # gunicorn against this run's test database (migrated, empty).
    db_url = urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + connection.settings_dict["NAME"]
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "cqr_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=_production_env(
            DJANGO_STATIC_ROOT=str(static_root),
            DATABASE_URL=db_url.geturl(),
            CQR_MEDIA_ROOT=str(tmp_path / "media"),
            CACHE_KEY_PREFIX=f"cqr-deploy-{os.getpid()}",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, proc, time.monotonic() + 60)
        # Plain HTTP is sent to HTTPS; the proxy's X-Forwarded-Proto is trusted.
        status, headers, _ = _get(port, "/")
        assert status == 301 and headers["location"] == "https://127.0.0.1/"
        https = {"X-Forwarded-Proto": "https"}
        hashed_favicon = manifest["favicon.svg"]
        for path, expected in [
            ("/", 200),
            ("/accounts/login/", 200),
            ("/verify/", 200),
            ("/no-such-page/", 404),
        ]:
            status, headers, body = _get(port, path, **https)
            assert status == expected, (path, status, body[:500])
            assert headers["content-type"].startswith("text/html"), path
            # Pages link the hashed static names from the manifest.
            assert f"/static/{hashed_favicon}".encode() in body, path
        status, headers, body = _get(port, f"/static/{hashed_favicon}", **https)
        assert status == 200 and body == (ROOT / "static/favicon.svg").read_bytes()
        assert "immutable" in headers["cache-control"]
        status, _, _ = _get(port, "/static/css/no-such-file.css", **https)
        assert status == 404
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert b"Traceback" not in out, out.decode(errors="replace")[-3000:]


def test_documents_load_their_fonts(caplog):
    """The print stylesheet's relative font URLs resolve through the URL fetcher: every
    @font-face is fetched from static/fonts and WeasyPrint reports no font it could not
    load."""
    from core import pdf

    fetched = []
    real = pdf._static_file

    def spy(url):
        fetched.append(url)
        return real(url)

    caplog.set_level(logging.WARNING, logger="weasyprint")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdf, "_static_file", spy)
        body = pdf.html_to_pdf(
            '<html><head><link rel="stylesheet" href="cqr-static:css/documents.css"></head>'
            '<body><p>Sans <b>bold</b></p><div class="certificate">Serif <b>b</b> <i>i</i>'
            "</div></body></html>"
        )
    assert body.startswith(b"%PDF")
    assert {
        "cqr-static:css/documents.css",
        "cqr-static:fonts/DejaVuSans.ttf",
        "cqr-static:fonts/DejaVuSans-Bold.ttf",
        "cqr-static:fonts/DejaVuSerif.ttf",
        "cqr-static:fonts/DejaVuSerif-Bold.ttf",
        "cqr-static:fonts/DejaVuSerif-Italic.ttf",
    } <= set(fetched)
    assert not [r for r in caplog.records if "font" in r.getMessage().lower()]
