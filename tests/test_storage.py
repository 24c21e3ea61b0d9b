"""Documents through one interface: local disk with signed expiring links, or S3 with presigned URLs."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from freezegun import freeze_time

from portal.core.storage import S3Storage, StorageError, storage
from tests.conftest import make_app


def test_local_storage_round_trip_and_signed_download(app, client):
    with app.test_request_context():
        backend = storage()
        backend.put("providers/1/insurance.pdf", b"%PDF-1.7 certificate", "application/pdf")
        assert backend.get("providers/1/insurance.pdf") == b"%PDF-1.7 certificate"
        link = backend.link("providers/1/insurance.pdf", "insurance.pdf", "application/pdf")
    response = client.get(link)
    assert response.status_code == 200 and response.data == b"%PDF-1.7 certificate"
    assert response.headers["Content-Disposition"] == 'attachment; filename="insurance.pdf"'


def test_local_link_expires_and_cannot_be_forged(app, client):
    with freeze_time() as frozen:
        with app.test_request_context():
            storage().put("a/doc.pdf", b"%PDF", "application/pdf")
            link = storage().link("a/doc.pdf", "doc.pdf", "application/pdf")
        frozen.tick(app.config["DOCUMENT_LINK_SECONDS"] + 1)
        expired = client.get(link)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    forged = client.get(link[:-3] + "abc")
    assert forged.status_code == 410 and expired.data != b"%PDF"


def test_keys_cannot_escape_the_storage_root(app):
    with app.app_context(), pytest.raises(StorageError):
        storage().put("../../etc/passwd", b"x", "text/plain")


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_app(moto_server, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="eu-west-2")
    if "homefinder-docs" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket="homefinder-docs", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    application = make_app(database_url, tmp_path, S3_BUCKET="homefinder-docs", S3_ENDPOINT_URL=moto_server)
    yield application
    application.extensions["homefinder.engine"].dispose()


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_s3_backend_stores_and_serves_through_a_presigned_redirect(s3_app):
    client = s3_app.test_client()
    with s3_app.test_request_context():
        backend = storage()
        assert isinstance(backend, S3Storage)
        backend.put("providers/7/policy.pdf", b"%PDF-1.7 safeguarding policy", "application/pdf")
        assert backend.get("providers/7/policy.pdf") == b"%PDF-1.7 safeguarding policy"
        link = backend.link("providers/7/policy.pdf", "policy.pdf", "application/pdf")
    response = client.get(link)
    assert response.status_code == 302
    presigned = response.headers["Location"]
    assert "X-Amz-Signature" in presigned and f"X-Amz-Expires={S3Storage.PRESIGNED_SECONDS}" in presigned
    assert _fetch(presigned) == (200, b"%PDF-1.7 safeguarding policy")
    unsigned = presigned.split("?")[0]
    with s3_app.app_context(), pytest.raises(StorageError):
        storage().get("providers/7/missing.pdf")
    assert unsigned.endswith("/homefinder-docs/providers/7/policy.pdf")


def test_s3_expired_link_is_refused(s3_app):
    client = s3_app.test_client()
    with freeze_time() as frozen:
        with s3_app.test_request_context():
            storage().put("p/x.pdf", b"%PDF secret", "application/pdf")
            link = storage().link("p/x.pdf", "x.pdf", "application/pdf")
        frozen.tick(s3_app.config["DOCUMENT_LINK_SECONDS"] + 1)
        response = client.get(link)
    assert response.status_code == 410 and b"%PDF secret" not in response.data
    assert "expired" in response.get_data(as_text=True)
