"""Every upload that is not a usable photo gets a clear answer through the whole loop, on both
backends: stored as S3 would store it (the emulator checks no policy), analysed, and ending as
``rejected`` with a reason and a code — never a crash or a lost submission."""

import pytest

from chalicelib.analyzer.processing import processor_for
from chalicelib.storage.notifications import object_created_event
from tests.support import bad_files
from tests.support.helpers import hq_caller, seed_campaign


@pytest.fixture
def submit(svc):
    seed_campaign(svc, "c1")

    def submit(data: bytes) -> dict:
        created = svc.submissions.create(hq_caller(), "c1", {"store_id": "S001", "content_type": "image/jpeg"})
        key = created["upload"]["fields"]["key"]
        svc.blobs.put(key, data, "image/jpeg")
        processor_for(svc).handle_message(object_created_event("bucket", key, len(data)))
        return svc.submissions.get(hq_caller(), created["submission_id"])

    return submit


@pytest.mark.parametrize("name", list(bad_files.REFUSED))
def test_bad_upload_is_rejected_with_its_reason(submit, name):
    build, code = bad_files.REFUSED[name]
    status = submit(build())
    assert status["status"] == "rejected", status
    assert status["reason_code"] == code
    assert len(status["reason"]) > 20  # plain words that say what to do


def test_corrupt_exif_is_accepted_with_orientation_ignored(submit):
    status = submit(bad_files.jpeg_with_corrupt_exif())
    assert status["status"] == "done"
    assert "EXIF data unreadable: orientation ignored" in status["result"]["warnings"]
