"""What is in the real photographs used to measure the COCO detector, counted by hand.

Counts per COCO label of everything a person would box (more than about half visible). Labels
in ``ignore`` are arguable in that photo (the coffee's table top is a "dining table" or not) and
are counted neither way. Photos with nothing of COCO's 80 classes measure false positives.

scikit-image photos ship in the scikit-image wheel (a test dependency). The ultralytics photos
are read from an ultralytics wheel only if bench/bench_detector.py is given one (``--ultralytics-wheel``);
the code of that wheel is AGPL-3.0 and nothing of it is copied here, only the counts.
"""

SKIMAGE = {
    "astronaut": {"person": 1},  # the rocket model and the flag are not COCO classes
    "camera": {"person": 1},  # grayscale; the camera's tripod is not a COCO class
    "chelsea": {"cat": 1},
    "coffee": {"cup": 1, "spoon": 1, "ignore": ["dining table", "bowl"]},
    "rocket": {"ignore": ["airplane"]},
    "horse": {"horse": 1},  # a black silhouette on white
    "hubble_deep_field": {},
    "immunohistochemistry": {},
    "retina": {},
    "coins": {},
    "page": {},
    "brick": {},
    "grass": {},
    "gravel": {},
    "colorwheel": {},
}

ULTRALYTICS = {  # ultralytics/assets/*.jpg
    "bus.jpg": {
        "person": 4,
        "bus": 1,
        "ignore": ["stop sign", "traffic light"],
    },  # a 5th person, cut at the left edge, is arguable
    "zidane.jpg": {"person": 2, "tie": 2},  # the blurred crowd behind is not counted
}
