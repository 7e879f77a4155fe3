"""Blob store adapter on an S3 bucket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.storage.ports import BlobNotFound, PresignedPost


class S3BlobStore:
    def __init__(self, s3_client: Any, bucket: str):
        self._s3 = s3_client
        self._bucket = bucket

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        # boto3's managed transfer: multipart above its threshold, parts retried on their own.
        self._s3.upload_file(str(path), self._bucket, key, ExtraArgs={"ContentType": content_type})

    def get(self, key: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise BlobNotFound(key) from None
            raise

    def get_version(self, key: str, version_id: str | None = None) -> tuple[bytes, str | None]:
        extra = {"VersionId": version_id} if version_id else {}
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key, **extra)
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "NoSuchVersion", "404"):
                raise BlobNotFound(key) from None
            raise
        version = response.get("VersionId")
        return response["Body"].read(), (version if version and version != "null" else None)

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
            return True
        except ClientError as err:
            if err.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def copy(self, source_key: str, target_key: str) -> None:
        self._s3.copy_object(Bucket=self._bucket, Key=target_key, CopySource={"Bucket": self._bucket, "Key": source_key})

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)

    def presigned_get(self, key: str, expires_in: int, *, version_id: str | None = None, attachment: bool = False) -> str:
        params: dict[str, str] = {"Bucket": self._bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id  # the judged bytes, whatever was written over the key since
        if attachment:
            params["ResponseContentDisposition"] = "attachment"
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> PresignedPost:
        # boto3 adds the bucket and key conditions itself; S3 enforces all of them on upload.
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=post["url"], fields=post["fields"])
