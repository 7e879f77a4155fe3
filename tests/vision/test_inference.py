"""The model registry: sha256 checked before a session exists, one session per model per process,
and a missing or corrupt file a clear error at start instead of a wrong verdict."""

import shutil

import pytest

from chalicelib.vision.inference import DEFAULT_FOLDER, ModelError, Models

SMALL_MODEL = "ocr_cls_ppocr_mobile_v2"


@pytest.fixture
def model_copy(tmp_path):
    """The manifest and one small model, in a folder of the test's own."""
    shutil.copy(DEFAULT_FOLDER / "manifest.json", tmp_path / "manifest.json")
    file = Models().path(SMALL_MODEL).name
    shutil.copy(DEFAULT_FOLDER / file, tmp_path / file)
    return tmp_path, file


def test_every_shipped_model_matches_its_manifest():
    Models().verify()


def test_a_session_is_created_once_with_the_configured_threads(model_copy):
    folder, _ = model_copy
    models = Models(folder, threads=1)
    first = models.session(SMALL_MODEL)
    assert models.session(SMALL_MODEL) is first
    assert first.get_session_options().intra_op_num_threads == 1


def test_a_corrupt_model_file_is_a_clear_error(model_copy):
    folder, file = model_copy
    data = bytearray((folder / file).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / file).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its sha256"):
        Models(folder).verify([SMALL_MODEL])
    with pytest.raises(ModelError, match="does not match its sha256"):
        Models(folder).session(SMALL_MODEL)


def test_a_missing_model_file_is_a_clear_error(model_copy):
    folder, file = model_copy
    (folder / file).unlink()
    with pytest.raises(ModelError, match="is missing"):
        Models(folder).verify([SMALL_MODEL])


def test_an_unknown_model_name_lists_the_known_ones():
    with pytest.raises(ModelError, match="not in the manifest; known: .*ocr_det_ppocrv4"):
        Models().spec("yolo-that-does-not-exist")


def test_the_models_the_checks_use_are_in_the_manifest():
    from chalicelib.vision.analysis import BUNDLED_MODELS

    Models().verify(list(BUNDLED_MODELS))
