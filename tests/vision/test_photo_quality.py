"""Photo-quality measures and verdicts on synthetic 12 MP phone photos, with the default thresholds."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from chalicelib.core.guideline import PhotoQualityRule
from chalicelib.devtools import synthetic
from chalicelib.vision.checks.photo_quality import judge, measure
from chalicelib.vision.evidence import Box, Lines, Note
from chalicelib.vision.intake import intake


def rule(check: str, **parameters) -> PhotoQualityRule:
    return PhotoQualityRule.model_validate(
        {
            "id": f"quality-{check}",
            "type": "photo_quality",
            "message": f"Please take the photo again ({check}).",
            "parameters": {"check": check, **parameters},
        }
    )


def judged(check: str, image, **parameters):
    return judge(rule(check, **parameters), measure(image))


def test_sharp_photo_passes_and_blurred_one_fails(sharp_intake, make_intake):
    # 8 px of a 12 MP photo is 2 px of the analysis scale: the blur of a missed focus.
    blurred = make_intake(blur_sigma=8.0)
    sharp_result, blurred_result = judged("sharpness", sharp_intake), judged("sharpness", blurred)
    assert sharp_result.status == "pass"
    assert sharp_result.message == "The photo is sharp."
    assert blurred_result.status == "fail"
    assert blurred_result.message == "Please take the photo again (sharpness)."
    assert sharp_result.value > 5 * blurred_result.value


def test_a_slightly_soft_photo_is_still_sharp_enough(make_intake):
    # 2 px of 12 MP is 1 px of the working image: every check still reads the window.
    assert judged("sharpness", make_intake(blur_sigma=2.0)).status == "pass"


def test_motion_blur_fails_sharpness(make_intake):
    # A horizontal shake leaves horizontal edges sharp; the weaker direction decides. (A shake
    # is a box-shaped blur, which keeps the steps of fine detail: it scores higher than a focus
    # blur of the same length, so the shake here is long.)
    assert judged("sharpness", make_intake(motion_blur_px=64)).status != "pass"


def test_sharpness_points_at_the_sharpest_area(sharp_intake):
    (area,) = judged("sharpness", sharp_intake).evidence
    assert isinstance(area, Box) and area.label == "sharpest area"
    x, y, w, h = area.box
    height, width = sharp_intake.working.shape[:2]
    assert 0 <= x and 0 <= y and x + w <= width and y + h <= height and w > 0


def test_sharpness_is_scale_aware(make_intake):
    # The same scene uploaded at 12 MP and at 4 MP scores about the same.
    big = synthetic.window_photo(11)
    small = cv2.resize(big, (2309, 1732), interpolation=cv2.INTER_AREA)
    at_12mp = measure(intake(synthetic.to_jpeg(big))).sharpness
    at_4mp = measure(intake(synthetic.to_jpeg(small))).sharpness
    assert at_4mp == pytest.approx(at_12mp, rel=0.15)


def test_dark_photo_fails_exposure(sharp_intake, make_intake):
    assert judged("exposure", make_intake(brightness=0.2)).status == "fail"
    assert judged("exposure", make_intake(ev=-5)).status == "fail"
    assert judged("exposure", sharp_intake).status == "pass"


def test_exposure_is_the_median_so_a_bright_poster_does_not_lift_a_dark_photo():
    # Three quarters of the frame dark, one quarter white: the mean (~75) would pass, the
    # median (the dark part) does not.
    rgb = np.full((1200, 1600, 3), 20, np.uint8)
    rgb[:, 1200:] = 255
    rgb = cv2.add(rgb, np.random.default_rng(3).integers(0, 6, rgb.shape, dtype=np.uint8))
    result = judged("exposure", intake(synthetic.to_jpeg(rgb)))
    assert result.value < 30 and result.status == "fail"


def test_white_and_black_content_is_not_clipping():
    # A poster that is half pure white and a shop front in black are content, not lost detail:
    # clipping is the larger of the blown and the crushed share, not their sum.
    rgb = synthetic.window_photo(4, size=(1600, 1200))
    rgb[:, :400] = 255  # a quarter blown
    rgb[:300, 400:] = 0  # and some crushed
    assert judged("clipping", intake(synthetic.to_jpeg(rgb))).status == "pass"


def test_dark_photo_is_not_called_blurred(make_intake):
    # Sharpness compares edge profiles, not contrast: a dark photo is still sharp.
    assert judged("sharpness", make_intake(brightness=0.3)).status == "pass"


def test_blown_photo_fails_clipping_and_exposure(sharp_intake, make_intake):
    blown = make_intake(brightness=2.2)
    clipped = judged("clipping", blown)
    assert clipped.status != "pass"
    assert clipped.value > 0.3
    assert judged("exposure", blown).status == "fail"
    assert judged("clipping", sharp_intake).status == "pass"


def test_tilted_photo_fails_and_straight_one_passes(sharp_intake, make_intake):
    tilted = judged("tilt", make_intake(tilt_deg=8))
    assert tilted.status == "fail"
    assert tilted.value == pytest.approx(8, abs=0.3)
    straight = judged("tilt", sharp_intake)
    assert straight.status == "pass"
    assert straight.value < 0.5


def test_tilt_evidence_is_the_dominant_lines_in_working_pixels(make_intake):
    image = make_intake(tilt_deg=8)
    (dominant,) = judged("tilt", image).evidence
    assert isinstance(dominant, Lines)
    lines = np.array(dominant.segments, float)
    assert len(lines) >= 3
    height, width = image.working.shape[:2]
    assert (lines[:, [0, 2]] >= -1).all() and (lines[:, [0, 2]] <= width + 1).all()
    assert (lines[:, [1, 3]] >= -1).all() and (lines[:, [1, 3]] <= height + 1).all()
    angles = np.degrees(np.arctan2(lines[:, 3] - lines[:, 1], lines[:, 2] - lines[:, 0])) % 90
    off_axis = np.minimum(angles, 90 - angles)
    assert np.all(np.abs(off_axis - 8) < 1.6)


def test_no_lines_means_no_tilt_and_says_so():
    flat = np.full((480, 640, 3), 128, np.uint8)
    flat = cv2.add(flat, np.random.default_rng(0).integers(0, 4, flat.shape, dtype=np.uint8))
    result = judged("tilt", intake(synthetic.to_jpeg(flat)))
    assert result.value == 0 and result.status == "pass"
    assert isinstance(result.evidence[0], Note)
    assert "No straight" in result.evidence[0].text


def test_one_megapixel_photo_fails_resolution(sharp_intake):
    small = synthetic.window_photo(5, size=(1152, 864))
    low = judged("resolution", intake(synthetic.to_jpeg(small)))
    assert low.status == "fail"
    assert low.value == pytest.approx(0.995, abs=0.01)
    assert judged("resolution", sharp_intake).status == "pass"


def test_value_near_a_threshold_is_uncertain(sharp_intake):
    measured = measure(sharp_intake).exposure
    near = judge(rule("exposure", min=measured - 2, uncertain_margin=5), measure(sharp_intake))
    assert near.status == "uncertain"
    assert near.message == "Please take the photo again (exposure)."
    assert near.threshold.min == pytest.approx(measured - 2)


def test_measure_gives_every_metric_once(sharp_intake):
    measures = measure(sharp_intake)
    assert measures.resolution == pytest.approx(12.19, abs=0.01)
    assert 80 < measures.exposure < 180
    assert 0 <= measures.clipping < 0.05
    assert measures.lines_found > 10


def test_noisy_blurred_night_shot_is_not_taken_for_sharp(make_intake):
    # Noise is mostly fine detail; the flattest tiles measure it and it is taken out.
    assert judged("sharpness", make_intake(blur_sigma=8, noise_sigma=25, brightness=0.6)).status == "fail"


@pytest.mark.parametrize("scene", ["textured", "flat"])
def test_sharp_textured_and_flat_scenes_pass_and_their_blurred_shots_fail(make_intake, scene):
    # Fine detail everywhere (knitwear, render, a large soft print) and a minimalist window with
    # few, faint edges: a sharp shot of either is sharp, a defocused one is not.
    sharp = judged("sharpness", make_intake(3, scene=scene))
    blurred = judged("sharpness", make_intake(3, scene=scene, blur_sigma=8))
    assert sharp.status == "pass" and sharp.value >= 2 * 14
    assert blurred.status == "fail"


@pytest.mark.parametrize("contrast", [1.0, 0.35])
def test_a_photo_filled_with_texture_is_judged_by_its_texture(contrast):
    # Framed tight inside the textured window (no flat wall or sky in the frame), at full and at
    # a third of the contrast: the flattest tiles are texture, not noise, so they must not raise
    # the bar for an edge above every tile (which made a sharp photo "blurred", score 0).
    def framed(blur_sigma: float) -> np.ndarray:
        photo = synthetic.window_photo(3, scene="textured", blur_sigma=blur_sigma)
        height, width = photo.shape[:2]
        inner = photo[height // 5 : 4 * height // 5, width // 5 : 4 * width // 5].astype(np.float32)
        return np.clip(128 + (inner - inner.mean()) * contrast, 0, 255).astype(np.uint8)

    sharp = judged("sharpness", intake(synthetic.to_jpeg(framed(0))))
    blurred = judged("sharpness", intake(synthetic.to_jpeg(framed(8))))
    assert sharp.status == "pass" and sharp.value >= 2 * 14
    assert blurred.status == "fail"


@pytest.mark.parametrize("scene", ["window", "textured"])
def test_a_dark_but_sharp_photo_is_dark_not_blurred(make_intake, scene):
    dark = make_intake(3, scene=scene, ev=-4, noise_sigma=6)  # a phone raises the gain: more noise
    assert judged("exposure", dark).status != "pass"
    assert judged("sharpness", dark).status == "pass"


def test_sharpness_defers_to_exposure_when_the_photo_is_too_dark_to_judge(make_intake):
    dark_and_blurred = make_intake(3, ev=-5, blur_sigma=8)
    exposure, sharpness = judged("exposure", dark_and_blurred), judged("sharpness", dark_and_blurred)
    assert exposure.status == "fail" and exposure.retake
    assert sharpness.status == "skipped" and not sharpness.retake
    assert "too dark" in sharpness.message and "too dark" in sharpness.evidence[0].text


def test_a_dim_blurred_photo_is_still_called_blurred(make_intake):
    # Only borderline dark (the exposure is uncertain): the score does not depend on contrast,
    # so the blur is still judged.
    dim = make_intake(brightness=0.4, blur_sigma=8)
    assert judged("exposure", dim).status == "uncertain"
    assert judged("sharpness", dim).status == "fail"


def test_a_blown_blurred_photo_is_bright_not_blurred(make_intake):
    # Clipping cuts soft edges into hard ones, so the sharpness may even pass: either way the
    # one reason given is the exposure's.
    blown = make_intake(3, ev=3, blur_sigma=8)
    assert judged("exposure", blown).status == "fail"
    assert judged("sharpness", blown).status in ("pass", "skipped")


def test_pure_noise_has_no_detail_to_judge():
    noise = np.random.default_rng(1).normal(128, 12, (1024, 1365, 3)).clip(0, 255).astype(np.uint8)
    result = judged("sharpness", intake(synthetic.to_jpeg(noise)))
    assert result.value == 0 and result.status == "fail"
    assert isinstance(result.evidence[0], Note)


def test_synthetic_photos_are_deterministic_and_carry_exif():
    first = synthetic.window_photo(21, size=(800, 600), tilt_deg=4, blur_sigma=1)
    again = synthetic.window_photo(21, size=(800, 600), tilt_deg=4, blur_sigma=1)
    other = synthetic.window_photo(22, size=(800, 600), tilt_deg=4, blur_sigma=1)
    assert first.shape == (600, 800, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    exif = Image.open(io.BytesIO(synthetic.to_jpeg(first, exif_orientation=3))).getexif()
    assert exif[0x010F] == "Vetrina-Synthetic" and exif[0x0112] == 3
