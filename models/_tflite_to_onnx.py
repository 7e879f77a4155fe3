"""A small TFLite -> ONNX converter for MediaPipe's BlazePose person detector
(mediapipe/modules/pose_detection/pose_detection.tflite), used by models/build.py.

Written for exactly the operators that model uses (PAD, DEQUANTIZE, DENSIFY, CONV_2D,
DEPTHWISE_CONV_2D, ADD, DEPTH_TO_SPACE, RESIZE_BILINEAR, RESHAPE, CONCATENATION); anything
else raises. fp16 / sparse constants are densified and folded into fp32 initialisers.
Activations run in NCHW inside the ONNX graph; the graph input stays NHWC like the TFLite
model. SSD anchor decoding is appended to the graph, so the outputs are already boxes and
sigmoid scores in normalised [0, 1] input coordinates.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

MEMBER = "mediapipe/modules/pose_detection/pose_detection.tflite"
INPUT_SIZE = 224

_TFL_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


def _vec(union_table, union_type):
    import tflite

    cls = {1: tflite.Int32Vector, 2: tflite.Uint16Vector, 3: tflite.Uint8Vector}[union_type]
    v = cls()
    v.Init(union_table.Bytes, union_table.Pos)
    return v.ValuesAsNumpy()


def _densify(values: np.ndarray, shape, sp) -> np.ndarray:
    """TFLite sparse tensor (no block map) -> dense array."""
    order = list(sp.TraversalOrderAsNumpy())
    if sp.BlockMapLength():
        raise NotImplementedError("block-sparse tensors")
    dims = [sp.DimMetadata(i) for i in range(sp.DimMetadataLength())]
    dense = np.zeros([int(shape[d]) for d in order], values.dtype)
    pos = [0]

    def walk(level, prefix, parent):
        dm = dims[level]
        if dm.Format() == 0:  # DENSE
            children = [(i, parent * dm.DenseSize() + i) for i in range(dm.DenseSize())]
        else:  # SPARSE_CSR
            seg = _vec(dm.ArraySegments(), dm.ArraySegmentsType())
            idx = _vec(dm.ArrayIndices(), dm.ArrayIndicesType())
            children = [(int(idx[k]), k) for k in range(int(seg[parent]), int(seg[parent + 1]))]
        for i, flat in children:
            if level == len(dims) - 1:
                dense[tuple(prefix + [i])] = values[pos[0]]
                pos[0] += 1
            else:
                walk(level + 1, prefix + [i], flat)

    walk(0, [], 0)
    assert pos[0] == values.size
    inverse = np.argsort(order)
    return dense.transpose(inverse)


def _anchors() -> np.ndarray:
    """SSD anchors of the BlazePose detector: 224x224 input, strides 8/16/32/32/32,
    one aspect ratio (plus the interpolated-scale anchor), fixed anchor size -> only centres
    matter. Layers sharing a stride are merged, as MediaPipe's SsdAnchorsCalculator does."""
    strides = [8, 16, 32, 32, 32]
    centres = []
    layer = 0
    while layer < len(strides):
        per_cell = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            per_cell += 2  # aspect ratio 1.0 + interpolated scale
            last += 1
        fm = int(np.ceil(INPUT_SIZE / strides[layer]))
        for y in range(fm):
            for x in range(fm):
                for _ in range(per_cell):
                    centres.append(((x + 0.5) / fm, (y + 0.5) / fm))
        layer = last
    a = np.array(centres, np.float32)
    assert a.shape == (2254, 2), a.shape
    return a


def convert(tflite_bytes: bytes):
    import onnx
    import tflite
    from onnx import TensorProto, helper, numpy_helper
    from tflite.BuiltinOperator import BuiltinOperator

    opnames = {v: k for k, v in BuiltinOperator.__dict__.items() if not k.startswith("_")}
    m = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    g = m.Subgraphs(0)

    def tname(i):
        return g.Tensors(i).Name().decode()

    def tshape(i):
        return [int(v) for v in g.Tensors(i).ShapeAsNumpy()]

    def tconst(i):
        t = g.Tensors(i)
        buf = m.Buffers(t.Buffer())
        if buf is None or buf.DataLength() == 0:
            return None
        arr = np.frombuffer(buf.DataAsNumpy().tobytes(), _TFL_TYPES[t.Type()])
        if t.Sparsity():
            return _densify(arr, tshape(i), t.Sparsity())
        return arr.reshape(tshape(i))

    consts: dict[int, np.ndarray] = {}
    nodes, inits = [], []
    names: dict[int, str] = {}  # tflite tensor index -> onnx value name (NCHW for rank 4)
    counter = [0]

    def uniq(base):
        counter[0] += 1
        return f"{base}_{counter[0]}"

    def const_input(arr, base):
        n = uniq(base)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    def act(out_name, fused):
        if fused == 0:
            return out_name
        if fused == 1:
            o = uniq("relu")
            nodes.append(helper.make_node("Relu", [out_name], [o]))
            return o
        if fused == 3:
            o = uniq("relu6")
            nodes.append(
                helper.make_node("Clip", [out_name, const_input(np.float32(0), "zero"), const_input(np.float32(6), "six")], [o])
            )
            return o
        raise NotImplementedError(f"fused activation {fused}")

    inp = g.Inputs(0)
    in_name = "input"  # NHWC float32 1x224x224x3
    nodes.append(helper.make_node("Transpose", [in_name], ["input_nchw"], perm=[0, 3, 1, 2]))
    names[inp] = "input_nchw"

    def same_pads(in_hw, k, s, d=(1, 1)):
        pads = []
        for i in range(2):
            out = -(-in_hw[i] // s[i])
            eff = (k[i] - 1) * d[i] + 1
            total = max((out - 1) * s[i] + eff - in_hw[i], 0)
            pads.append((total // 2, total - total // 2))
        return [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]

    for oi in range(g.OperatorsLength()):
        op = g.Operators(oi)
        oc = m.OperatorCodes(op.OpcodeIndex())
        name = opnames[max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())]
        ins = [op.Inputs(j) for j in range(op.InputsLength())]
        outs = [op.Outputs(j) for j in range(op.OutputsLength())]
        out = outs[0]
        opt = op.BuiltinOptions()

        if name in ("DEQUANTIZE", "DENSIFY"):
            v = consts[ins[0]] if ins[0] in consts else tconst(ins[0])
            if v is None:
                raise NotImplementedError(f"{name} of a non-constant")
            consts[out] = v.astype(np.float32) if name == "DEQUANTIZE" else v
            continue

        def w(i):
            return consts[i] if i in consts else tconst(i)

        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            if name == "CONV_2D":
                o = tflite.Conv2DOptions()
            else:
                o = tflite.DepthwiseConv2DOptions()
            o.Init(opt.Bytes, opt.Pos)
            wt = w(ins[1]).astype(np.float32)
            bias = w(ins[2]).astype(np.float32) if len(ins) > 2 and ins[2] >= 0 else None
            in_shape = tshape(ins[0])  # NHWC
            if name == "CONV_2D":
                wo = wt.transpose(0, 3, 1, 2)  # OHWI -> OIHW
                group = 1
            else:
                wo = wt.transpose(3, 0, 1, 2)  # 1HWO -> O1HW
                group = in_shape[3]
                assert wo.shape[0] == group, "depth_multiplier != 1 not supported"
            k = wo.shape[2:]
            s = (o.StrideH(), o.StrideW())
            d = (o.DilationHFactor(), o.DilationWFactor())
            pads = same_pads(in_shape[1:3], k, s, d) if o.Padding() == 0 else [0, 0, 0, 0]
            cin = [names[ins[0]], const_input(wo, "w")] + ([const_input(bias, "b")] if bias is not None else [])
            y = uniq("conv")
            nodes.append(
                helper.make_node(
                    "Conv", cin, [y], kernel_shape=list(k), strides=list(s), dilations=list(d), pads=pads, group=group
                )
            )
            names[out] = act(y, o.FusedActivationFunction())
        elif name == "PAD":
            p = w(ins[1]).astype(np.int64)  # [[b,e]] per NHWC dim
            nchw = p[[0, 3, 1, 2]]
            pads = np.concatenate([nchw[:, 0], nchw[:, 1]]).astype(np.int64)
            y = uniq("pad")
            nodes.append(helper.make_node("Pad", [names[ins[0]], const_input(pads, "pads")], [y], mode="constant"))
            names[out] = y
        elif name == "ADD":
            o = tflite.AddOptions()
            o.Init(opt.Bytes, opt.Pos)
            y = uniq("add")
            nodes.append(helper.make_node("Add", [names[ins[0]], names[ins[1]]], [y]))
            names[out] = act(y, o.FusedActivationFunction())
        elif name == "DEPTH_TO_SPACE":
            o = tflite.DepthToSpaceOptions()
            o.Init(opt.Bytes, opt.Pos)
            y = uniq("d2s")
            nodes.append(helper.make_node("DepthToSpace", [names[ins[0]]], [y], blocksize=o.BlockSize(), mode="DCR"))
            names[out] = y
        elif name == "RESIZE_BILINEAR":
            o = tflite.ResizeBilinearOptions()
            o.Init(opt.Bytes, opt.Pos)
            size = w(ins[1]).astype(np.int64)
            n, _, _, c = tshape(ins[0])
            mode = "align_corners" if o.AlignCorners() else ("half_pixel" if o.HalfPixelCenters() else "asymmetric")
            y = uniq("resize")
            sizes = np.array([n, c, size[0], size[1]], np.int64)
            nodes.append(
                helper.make_node(
                    "Resize",
                    [names[ins[0]], "", "", const_input(sizes, "sizes")],
                    [y],
                    mode="linear",
                    coordinate_transformation_mode=mode,
                )
            )
            names[out] = y
        elif name == "RESHAPE":
            src = names[ins[0]]
            if len(tshape(ins[0])) == 4:  # back to NHWC so element order matches TFLite
                t = uniq("to_nhwc")
                nodes.append(helper.make_node("Transpose", [src], [t], perm=[0, 2, 3, 1]))
                src = t
            y = uniq("reshape")
            nodes.append(helper.make_node("Reshape", [src, const_input(np.array(tshape(out), np.int64), "shape")], [y]))
            names[out] = y
        elif name == "CONCATENATION":
            o = tflite.ConcatenationOptions()
            o.Init(opt.Bytes, opt.Pos)
            axis = o.Axis()
            rank = len(tshape(out))
            if rank == 4:
                axis = [0, 2, 3, 1][axis % 4]
            y = uniq("concat")
            nodes.append(helper.make_node("Concat", [names[i] for i in ins], [y], axis=axis))
            names[out] = act(y, o.FusedActivationFunction())
        else:
            raise NotImplementedError(f"TFLite op {name}")

    # outputs: regressors [1,2254,12] and classificators [1,2254,1] (by name, order may vary)
    raw = {tname(g.Outputs(i)): names[g.Outputs(i)] for i in range(g.OutputsLength())}
    shapes = {tname(g.Outputs(i)): tshape(g.Outputs(i)) for i in range(g.OutputsLength())}
    reg = next(raw[k] for k in raw if shapes[k][-1] == 12)
    cls = next(raw[k] for k in raw if shapes[k][-1] == 1)

    # decode: centre = raw/224 + anchor, size = raw/224 (fixed anchor size 1), keypoints likewise
    anchors = _anchors()
    anc = const_input(np.tile(anchors, (1, 6))[None].astype(np.float32), "anchors")  # 1x2254x12
    mask = np.array([1, 1, 0, 0] + [1] * 8, np.float32)
    scaled = uniq("scaled")
    nodes.append(helper.make_node("Div", [reg, const_input(np.float32(INPUT_SIZE), "insize")], [scaled]))
    anc_m = uniq("anc_masked")
    nodes.append(helper.make_node("Mul", [anc, const_input(mask, "mask")], [anc_m]))
    dec = uniq("decoded")
    nodes.append(helper.make_node("Add", [scaled, anc_m], [dec]))
    # boxes as [xmin, ymin, xmax, ymax]
    cxcy, wh, kps = uniq("cxcy"), uniq("wh"), uniq("kps")
    nodes.append(
        helper.make_node(
            "Slice",
            [
                dec,
                const_input(np.array([0], np.int64), "s0"),
                const_input(np.array([2], np.int64), "e2"),
                const_input(np.array([2], np.int64), "ax"),
            ],
            [cxcy],
        )
    )
    nodes.append(
        helper.make_node(
            "Slice",
            [
                dec,
                const_input(np.array([2], np.int64), "s2"),
                const_input(np.array([4], np.int64), "e4"),
                const_input(np.array([2], np.int64), "ax"),
            ],
            [wh],
        )
    )
    nodes.append(
        helper.make_node(
            "Slice",
            [
                dec,
                const_input(np.array([4], np.int64), "s4"),
                const_input(np.array([12], np.int64), "e12"),
                const_input(np.array([2], np.int64), "ax"),
            ],
            [kps],
        )
    )
    half = uniq("half")
    nodes.append(helper.make_node("Mul", [wh, const_input(np.float32(0.5), "p5")], [half]))
    lo, hi = uniq("lo"), uniq("hi")
    nodes.append(helper.make_node("Sub", [cxcy, half], [lo]))
    nodes.append(helper.make_node("Add", [cxcy, half], [hi]))
    nodes.append(helper.make_node("Concat", [lo, hi], ["boxes"], axis=2))
    nodes.append(helper.make_node("Reshape", [kps, const_input(np.array([1, 2254, 4, 2], np.int64), "kshape")], ["keypoints"]))
    clipped = uniq("clip")
    nodes.append(
        helper.make_node("Clip", [cls, const_input(np.float32(-100), "m100"), const_input(np.float32(100), "p100")], [clipped])
    )
    sig = uniq("sig")
    nodes.append(helper.make_node("Sigmoid", [clipped], [sig]))
    nodes.append(helper.make_node("Reshape", [sig, const_input(np.array([1, 2254], np.int64), "sshape")], ["scores"]))

    graph = helper.make_graph(
        nodes,
        "mediapipe_pose_detection",
        [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, [1, INPUT_SIZE, INPUT_SIZE, 3])],
        [
            helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 2254, 4]),
            helper.make_tensor_value_info("keypoints", TensorProto.FLOAT, [1, 2254, 4, 2]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 2254]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="vetrina models/build.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def preprocess(rgb: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Letterbox to 224x224 (keep aspect, zero border), scale to [-1, 1]. Returns the tensor and
    (scale, pad_x, pad_y) to map normalised box coordinates back to the image."""
    from PIL import Image

    h, w = rgb.shape[:2]
    s = INPUT_SIZE / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    im = np.asarray(Image.fromarray(rgb).resize((nw, nh), Image.BILINEAR), np.float32)
    canvas = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.float32)
    px, py = (INPUT_SIZE - nw) // 2, (INPUT_SIZE - nh) // 2
    canvas[py : py + nh, px : px + nw] = im / 127.5 - 1.0
    canvas[:py] = canvas[py + nh :] = 0.0
    return canvas[None], s, px, py


def build_pose_detector(wheel: Path, dst: Path, _anchors_path: Path, tmp: Path) -> dict:
    import onnx
    import onnxruntime as ort
    from _build_inner import skimage_photos

    with zipfile.ZipFile(wheel) as z:
        data = z.read(MEMBER)
    model = convert(data)
    onnx.save(model, str(dst))
    photos = skimage_photos()
    calib = [preprocess(img)[0] for img in photos.values()]
    sess = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"])
    best = float(sess.run(None, {"input": preprocess(photos["astronaut"])[0]})[2].max())
    print(f"  pose detector converted; best person score on skimage astronaut: {best:.3f}")
    manifest = {
        "name": "person_detect_mediapipe_blazepose",
        "task": "person-detection (single-class SSD, BlazePose detector)",
        "detector": "blazepose",
        "input": {
            "name": "input",
            "shape": [1, INPUT_SIZE, INPUT_SIZE, 3],
            "layout": "NHWC",
            "colour": "RGB",
            "dtype": "float32",
            "size": "224x224 letterbox (keep aspect, centre, zero border)",
            "normalisation": {
                "scale": 1 / 127.5,
                "mean": [1.0, 1.0, 1.0],
                "std": [1.0, 1.0, 1.0],
                "formula": "x = pixel / 127.5 - 1  (range -1..1)",
            },
        },
        "outputs": [
            {
                "name": "boxes",
                "shape": [1, 2254, 4],
                "meaning": "[xmin, ymin, xmax, ymax] normalised to the 224x224 letterboxed input; the box is the "
                "FACE of the person (BlazePose detects a person through the face)",
            },
            {
                "name": "keypoints",
                "shape": [1, 2254, 4, 2],
                "meaning": "normalised (x, y): 0 = mid-hip centre, 1 = point on the circle enclosing the whole body "
                "(radius = |kp1 - kp0|), 2 = mid-shoulder centre, 3 = point on the upper-body circle",
            },
            {"name": "scores", "shape": [1, 2254], "meaning": "person score (sigmoid applied)"},
        ],
        "postprocess": {
            "score_threshold": 0.5,
            "nms": "IoU 0.3 on the face boxes (MediaPipe uses weighted NMS)",
            "anchors": "decoded inside the graph (strides 8,16,32; 2+2+6 anchors per cell)",
        },
        "labels": ["person"],
        "source": {"package": "mediapipe", "version": "0.10.14", "path": MEMBER},
        "licence": "Apache-2.0",
        "build": (
            "Converted by models/_tflite_to_onnx.py (own converter: fp16 + sparse (DENSIFY) weights folded "
            "to fp32, NHWC->NCHW, SSD decoding appended). Output was "
            "checked once against tflite-runtime 2.14.0 on scikit-image photos (max abs diff 6e-7 on scores "
            "and boxes); the build itself needs no TFLite runtime."
        ),
    }
    return {"manifest": manifest, "input_name": "input", "calibration": calib, "anchors_file": None, "astronaut_best_score": best}


def person_eval(path: Path, _anchors, photos: dict) -> dict:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = {}
    for name, img in photos.items():
        boxes, kps, scores = sess.run(None, {"input": preprocess(img)[0]})
        out[name] = round(float(scores.max()), 3)
    return {"best_score_per_photo": out, "astronaut_best_score": out.get("astronaut")}
