"""Palette check: CIEDE2000 against the published test data, brand colours found in synthetic
windows, a missing colour, white balance under strong casts, and on the campaign's posters found
in generated window scenes (exposure from the artwork, a sister poster, an unjudgeable photo)."""

from __future__ import annotations

import functools
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from chalicelib.core.guideline import BrandColour, parse_guideline
from chalicelib.devtools import scenes, synthetic
from chalicelib.vision.analysis import analyse
from chalicelib.vision.checks import palette
from chalicelib.vision.context import DictPack, PhotoContext
from chalicelib.vision.evidence import ColourCells, Note, Quad, ZoneBox
from chalicelib.vision.intake import IntakeResult, intake

# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Table 1: L1 a1 b1, L2 a2 b2, dE00.
SHARMA_2005 = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]

BRAND = {"Signal red": "#D52B1E", "Lagoon teal": "#00857C", "Sun gold": "#F2A900"}
ABSENT = ("Royal purple", "#7B2D8E")
SIZE = (1024, 768)
# Linear-light gains of the casts: a tungsten-lit window and a blue-hour street (about 2700 K
# and 10000 K against daylight), stronger than a phone's auto white balance leaves.
CASTS = {"tungsten": (1.6, 1.0, 0.45), "blue hour": (0.6, 1.0, 1.7)}


def context_of(rgb: np.ndarray) -> PhotoContext:
    height, width = rgb.shape[:2]
    return PhotoContext(IntakeResult("png", (width, height), rgb, b"", b"", ()))


def palette_rule(colours=BRAND, zone=None, **parameters):
    rule = {
        "id": "brand-colours",
        "type": "palette",
        "message": "The brand colours are missing from the window.",
        "parameters": {"colours": [{"name": n, "hex": h, "min_share": 0.03} for n, h in colours.items()], **parameters},
    }
    if zone is not None:
        rule["zone"] = zone
    return parse_guideline({"rules": [rule]}).rules[0]


def poster_boxes(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of the three brand posters: about 5% of the photo each."""
    return [(int(width * (0.14 + 0.26 * i)), int(height * 0.33), int(width * 0.14), int(height * 0.35)) for i in range(3)]


@functools.cache
def branded_window(seed: int) -> np.ndarray:
    rgb = synthetic.window_photo(seed, size=SIZE).copy()
    for (x, y, w, h), hex_colour in zip(poster_boxes(*SIZE), BRAND.values()):
        colour = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        cv2.rectangle(rgb, (x, y), (x + w, y + h), colour, -1)
    return rgb


def with_cast(rgb: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    """The photo under a differently coloured light: linear channels scaled, re-encoded as sRGB."""
    linear = np.clip(palette.SRGB_TO_LINEAR[rgb] * np.float32(gains), 0, 1)
    encoded = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(encoded * 255 + 0.5, 0, 255).astype(np.uint8)


def test_delta_e_2000_matches_sharma_2005_test_data():
    data = np.array(SHARMA_2005)
    computed = palette.delta_e_2000(data[:, 0:3], data[:, 3:6])
    np.testing.assert_allclose(computed, data[:, 6], atol=1e-4)
    np.testing.assert_allclose(palette.delta_e_2000(data[:, 3:6], data[:, 0:3]), data[:, 6], atol=1e-4)


def test_hex_colours_convert_to_the_known_lab_values():
    np.testing.assert_allclose(palette.hex_to_lab("#FF0000"), [53.24, 80.09, 67.20], atol=0.05)
    np.testing.assert_allclose(palette.hex_to_lab("#FFFFFF"), [100.0, 0.0, 0.0], atol=0.05)


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_brand_colours_are_found_where_the_posters_are(seed):
    result = palette.evaluate(palette_rule(), context_of(branded_window(seed)))
    assert result.status == "pass", result
    assert result.message == "The brand colours are in the window."
    colours = {e.name: e for e in result.evidence if isinstance(e, ColourCells)}
    assert set(colours) == set(BRAND)
    for (x, y, w, h), name in zip(poster_boxes(*SIZE), BRAND):
        entry = colours[name]
        assert entry.hex == BRAND[name] and 0.045 <= entry.share <= 0.08
        assert entry.cells, name
        for cx, cy, cw, ch in entry.cells:  # every cell shown touches that colour's poster
            assert cx < x + w and x < cx + cw and cy < y + h and y < cy + ch, (name, entry.cells)
    assert result.value == min(e.share for e in colours.values())
    assert result.threshold.min == 0.03


def test_a_missing_colour_fails_and_decides_the_value():
    colours = {**BRAND, ABSENT[0]: ABSENT[1]}
    result = palette.evaluate(palette_rule(colours), context_of(branded_window(1)))
    assert result.status == "fail"
    assert result.message == "The brand colours are missing from the window."
    assert result.value < 0.005
    purple = next(e for e in result.evidence if isinstance(e, ColourCells) and e.name == ABSENT[0])
    assert purple.share == result.value and purple.cells == ()


def test_the_zone_limits_where_colours_count():
    # The gold poster is in the right half; the left half has red and teal only.
    result = palette.evaluate(palette_rule(zone="left_half"), context_of(branded_window(1)))
    assert result.status == "fail"
    assert result.evidence[0] == ZoneBox((0, 0, 512, 768))
    shares = {e.name: e.share for e in result.evidence if isinstance(e, ColourCells)}
    assert shares["Sun gold"] < 0.01 and shares["Signal red"] > 0.08


@pytest.mark.parametrize("cast", CASTS)
@pytest.mark.parametrize("seed", (1, 2))
def test_a_strong_colour_cast_passes_with_white_balance_and_fails_without(seed, cast):
    photo = context_of(with_cast(branded_window(seed), CASTS[cast]))
    corrected = palette.evaluate(palette_rule(white_balance="grey_edge"), photo)
    uncorrected = palette.evaluate(palette_rule(white_balance="none"), photo)
    assert corrected.status == "pass", corrected
    assert uncorrected.status == "fail", uncorrected


def test_white_balance_leaves_a_neutral_photo_nearly_unchanged():
    rgb = branded_window(3)
    corrected = palette.lab_of(rgb, "grey_edge")
    plain = palette.lab_of(rgb, "none")
    # The synthetic scene is not exactly grey on average: a small shift, well inside max_delta_e.
    assert float(np.median(palette.delta_e_2000(corrected, plain))) < 4.5


def _patches(*rgbs: tuple[int, int, int]) -> np.ndarray:
    """Side by side flat patches, one per colour."""
    return np.concatenate([np.full((64, 64, 3), rgb, np.uint8) for rgb in rgbs], axis=1)


def _exposed(hex_colour: str, stops: float) -> tuple[int, int, int]:
    """The sRGB of a print of that colour photographed ``stops`` from its reference exposure."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    linear = palette.SRGB_TO_LINEAR[rgb] * 2.0**stops
    encoded = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return tuple(int(v) for v in np.clip(np.round(encoded * 255), 0, 255))


@pytest.mark.parametrize("hex_colour", ["#FFF8E1", "#B71C1C", "#4A148C"])
def test_a_print_photographed_a_stop_darker_keeps_its_brand_colour(hex_colour):
    # A cream, a red, a purple as a photo exposed for the scene shows them: lightness moves
    # (cream L* 98 -> 76), hue and chroma hold; a neighbouring hue at the same lightness does not match.
    darker = _exposed(hex_colour, -1.0)
    ((share, _),) = palette.measure(_patches(darker), [BrandColour(name="brand", hex=hex_colour)], 12.0, "none")
    assert share == 1.0
    other_hue = {"#FFF8E1": "#E1F1FF", "#B71C1C": "#1C6BB7", "#4A148C": "#148C3A"}[hex_colour]
    ((share, _),) = palette.measure(
        _patches(_exposed(other_hue, -1.0)), [BrandColour(name="brand", hex=hex_colour)], 12.0, "none"
    )
    assert share == 0.0


# --- on the campaign's posters (a guideline that names its artworks) ---------------------------

SCENE_SIZE = (1600, 1200)
# The brand colours of the scenes' two poster templates: the frame and the paper.
TEMPLATE_COLOURS = {
    template: {role: "#{:02X}{:02X}{:02X}".format(*scenes.TEMPLATES[template][role]) for role in ("frame", "paper")}
    for template in ("brand-a", "brand-b")
}


@functools.cache
def scene(seed: int, present: tuple[str, ...], distractors: int = 0, defects: tuple[str, ...] = ()) -> IntakeResult:
    others = scenes._distractor_posters()[:distractors]  # other-0, other-1: brand-a, like summer-sale
    return intake(scenes.window_scene(seed, scenes.campaign_pack(), list(present), others, defects, SCENE_SIZE).jpeg)


def on_posters(image: IntakeResult, artworks: tuple[str, ...]) -> PhotoContext:
    return PhotoContext(image, DictPack(scenes.campaign_pack()), artworks=artworks)


@pytest.mark.parametrize("seed", (11, 12))
def test_the_colours_are_measured_on_the_found_poster_as_a_share_of_it(seed):
    result = palette.evaluate(
        palette_rule(TEMPLATE_COLOURS["brand-a"]), on_posters(scene(seed, ("summer-sale.png",)), ("summer-sale.png",))
    )
    assert result.status == "pass", result
    (quad,) = [e for e in result.evidence if isinstance(e, Quad)]
    assert quad.label == "summer-sale.png"
    shares = {e.name: e.share for e in result.evidence if isinstance(e, ColourCells)}
    # The artwork file's own shares, measured the same way: the poster's, not the photo's.
    art = np.asarray(Image.open(io.BytesIO(scenes.campaign_pack()["summer-sale.png"])).convert("RGB"))
    own = dict(
        zip(
            ("frame", "paper"),
            (
                s
                for s, _ in palette.measure(
                    art, [BrandColour(name=n, hex=h) for n, h in TEMPLATE_COLOURS["brand-a"].items()], 12.0, "none"
                )
            ),
        )
    )
    for role in ("frame", "paper"):
        assert abs(shares[role] - own[role]) < 0.35 * own[role], (role, shares, own)
    xs = [x for x, _ in quad.points]
    for cells in (e.cells for e in result.evidence if isinstance(e, ColourCells)):
        assert cells and all(min(xs) - 40 <= cx and cx + cw <= max(xs) + 40 for cx, _, cw, _ in cells)


def test_another_poster_in_the_brand_colours_does_not_stand_in_for_an_absent_artwork():
    # A sister poster of the same template (the same frame and paper) is in the window, the
    # guideline's artwork is not: measured over the whole photo the colours pass, on the posters not.
    image = scene(13, (), distractors=2)
    colours = palette_rule(TEMPLATE_COLOURS["brand-a"])
    assert palette.evaluate(colours, on_posters(image, ())).status == "pass"
    result = palette.evaluate(colours, on_posters(image, ("summer-sale.png",)))
    assert result.status == "fail" and result.value == 0.0
    assert any(isinstance(e, Note) and "summer-sale.png" in e.text for e in result.evidence)


def test_a_rule_on_the_zone_measures_the_window_even_when_the_guideline_shows_artworks():
    # The colours of the decor or the products, not the poster's: the sister poster's colours count.
    image = scene(13, (), distractors=2)
    colours = palette_rule(TEMPLATE_COLOURS["brand-a"], on="zone")
    result = palette.evaluate(colours, on_posters(image, ("summer-sale.png",)))
    assert result.status == "pass" and not any(isinstance(e, Note) for e in result.evidence)


@pytest.mark.parametrize("defects", [("dark",), ("colour_cast",), ("glare", "reflection")])
def test_a_dark_or_cast_photo_of_the_poster_keeps_its_brand_colours(defects):
    image = scene(14, ("garden-week.png",), defects=defects)
    result = palette.evaluate(palette_rule(TEMPLATE_COLOURS["brand-b"]), on_posters(image, ("garden-week.png",)))
    assert result.status == "pass", result


def test_a_poster_crushed_to_black_is_not_judged():
    image = scene(15, ("garden-week.png",))
    crushed = IntakeResult(image.format, image.original_size, (image.working // 24).astype(np.uint8), b"", b"", ())
    result = palette.evaluate(palette_rule(TEMPLATE_COLOURS["brand-b"]), on_posters(crushed, ("garden-week.png",)))
    assert result.status == "uncertain" and result.value is None
    assert any(isinstance(e, Note) and "too dark or too bright" in e.text for e in result.evidence)


def test_the_exposure_of_a_poster_comes_from_its_artwork():
    rng = np.random.default_rng(0)
    reference = rng.uniform(0.05, 0.9, (40, 30, 3)).astype(np.float32)
    inside = np.ones((40, 30), bool)
    assert palette.exposure_gain(reference * 0.25, reference, inside) == pytest.approx(4.0, rel=1e-3)
    assert palette.exposure_gain(np.minimum(reference * 1.5, 1.0), reference, inside) == pytest.approx(1 / 1.5, rel=0.02)
    assert palette.exposure_gain(reference * 0.001, reference, inside) is None  # crushed: nothing to judge
    assert palette.exposure_gain(np.ones_like(reference), reference, inside) is None  # blown


def test_an_overexposed_poster_is_darkened_to_its_artwork_but_its_clipped_white_stays_white():
    # +2 EV, clipped, then saved 0.3 EV darker: the green frame is far too light until darkened,
    # and the paper, clipped at ~231 rather than 255, must not be darkened to a grey.
    image = scene(17, ("garden-week.png",))
    bright = np.clip(palette.SRGB_TO_LINEAR[image.working] * 4.0, 0, 1) * 0.8
    encoded = np.where(bright <= 0.0031308, bright * 12.92, 1.055 * bright ** (1 / 2.4) - 0.055)
    photo = np.clip(encoded * 255 + 0.5, 0, 255).astype(np.uint8)
    context = on_posters(IntakeResult(image.format, image.original_size, photo, b"", b"", ()), ("garden-week.png",))
    result = palette.evaluate(palette_rule(TEMPLATE_COLOURS["brand-b"]), context)
    assert result.status == "pass", result
    shares = {e.name: e.share for e in result.evidence if isinstance(e, ColourCells)}
    assert shares["frame"] > 0.15 and shares["paper"] > 0.25


def test_a_withdrawn_artwork_is_not_where_the_brand_colours_are_looked_for():
    # The guideline forbids the old poster and asks for the brand-b colours: with no artwork to
    # show, the colours are measured over the window (garden-week's frame and paper), not failed
    # as "none of the artworks found" (which is what a forbidden artwork taken as shown gives).
    colours = [{"name": n, "hex": h, "min_share": 0.005} for n, h in TEMPLATE_COLOURS["brand-b"].items()]
    old_poster = {"artwork": "summer-sale.png", "mode": "forbidden"}
    guideline = parse_guideline(
        {
            "rules": [
                {"id": "old-poster", "type": "artwork_present", "message": "Take down the old poster.", "parameters": old_poster},
                {"id": "colours", "type": "palette", "message": "Show the brand colours.", "parameters": {"colours": colours}},
            ]
        }
    )
    photo = scenes.window_scene(16, scenes.campaign_pack(), ["garden-week.png"], size=SCENE_SIZE).jpeg
    rules = {r.id: r for r in analyse(photo, guideline, DictPack(scenes.campaign_pack())).outcome.rules}
    assert rules["old-poster"].status == "pass"
    assert rules["colours"].status == "pass", rules["colours"]
    assert not any(isinstance(e, Quad | Note) for e in rules["colours"].evidence)
    taken_as_shown = palette.evaluate(guideline.rules[1], on_posters(intake(photo), ("summer-sale.png",)))
    assert taken_as_shown.status == "fail" and taken_as_shown.value == 0.0
