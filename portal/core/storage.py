"""Documents behind one interface: a local directory (embedded default) or S3.

Nothing is publicly addressable. Pages and emails carry the app's own signed, expiring link to
/documents/download/<token>; that route streams the file (local disk) or redirects to an S3
presigned URL that lives for only a minute. Expiry is therefore enforced by the app for both
backends (and again by S3 for the presigned URL).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote
from typing import Protocol

from flask import Flask, current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,250}$")


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition: attachment` for any display name. HTTP headers are Latin-1 (a WSGI server cannot
    send anything else), so a name beyond ASCII gets an ASCII fallback plus the RFC 6266 `filename*` form."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"\s+", " ", re.sub(r'[\x00-\x1f\x7f"\\]', "", ascii_name)).strip()
    if not ascii_name or ascii_name.startswith("."):
        ascii_name = "document" + ascii_name
    if ascii_name == filename:
        return f'attachment; filename="{ascii_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class StorageError(Exception):
    pass


def check_key(key: str) -> str:
    if not _KEY_RE.match(key) or ".." in key:
        raise StorageError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def link(self, key: str, filename: str, content_type: str) -> str: ...
    def open_link(self, token: str, seconds: int) -> dict: ...


class _SignedLinks:
    """The app's own expiring download links, shared by both backends."""

    def __init__(self, secret: str):
        self.signer = URLSafeTimedSerializer(secret, salt="homefinder.document-link")

    def link(self, key: str, filename: str, content_type: str) -> str:
        token = self.signer.dumps({"k": check_key(key), "f": filename, "t": content_type})
        return url_for("core.document_download", token=token)

    def open_link(self, token: str, seconds: int) -> dict:
        """Return {'k','f','t'} for a valid token; raise StorageError saying why not."""
        try:
            return self.signer.loads(token, max_age=seconds)
        except SignatureExpired as exc:
            raise StorageError("This download link has expired. Go back and open the document again.") from exc
        except BadSignature as exc:
            raise StorageError("This download link is not valid.") from exc


class LocalStorage(_SignedLinks):
    def __init__(self, root: str, secret: str):
        super().__init__(secret)
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"no document at {key!r}") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)



class S3Storage(_SignedLinks):
    PRESIGNED_SECONDS = 60

    def __init__(self, bucket: str, endpoint_url: str | None, region: str, secret: str):
        import boto3

        super().__init__(secret)
        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type,
                               ServerSideEncryption="AES256")

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise StorageError(f"no document at {key!r}") from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def presigned_url(self, key: str, filename: str, content_type: str) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": check_key(key),
                "ResponseContentDisposition": attachment_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=self.PRESIGNED_SECONDS,
        )


def init_app(app: Flask) -> None:
    if app.config["S3_BUCKET"]:
        backend: Storage = S3Storage(app.config["S3_BUCKET"], app.config["S3_ENDPOINT_URL"], app.config["S3_REGION"],
                                       app.config["SECRET_KEY"])
    else:
        backend = LocalStorage(app.config["DOCUMENTS_DIR"], app.config["SECRET_KEY"])
    app.extensions["homefinder.storage"] = backend


def storage() -> Storage:
    return current_app.extensions["homefinder.storage"]
