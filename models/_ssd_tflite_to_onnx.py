"""TFLite -> ONNX for Google's quantised SSD-MobileNetV2 COCO detector
(`mobilenet_ssd_v2_coco_quant_postprocess.tflite`), used by models/build.py.

Written for exactly the operators that model has (CONV_2D, DEPTHWISE_CONV_2D, ADD, RESHAPE,
CONCATENATION, LOGISTIC and the custom TFLite_Detection_PostProcess); anything else raises.
The model is uint8, per-tensor quantised. The ONNX keeps that as QDQ:

* weights stay uint8 initialisers followed by DequantizeLinear (so the file stays ~6 MB);
* biases are int32 in TFLite with scale = input_scale * weight_scale; they are folded to fp32;
* every activation that TFLite quantises gets a QuantizeLinear -> DequantizeLinear pair with
  TFLite's own scale / zero point (``act_qdq=True``), so onnxruntime fuses the convolutions into
  QLinearConv and computes what the TFLite kernels compute. With ``act_qdq=False`` activations
  run in fp32 (slower, slightly different numbers; kept for the comparison in the build log).

The custom TFLite_Detection_PostProcess op is not converted as such: its box decoding is built
into the graph (anchors and the y/x/h/w scales read from the model), and the NMS is left to the
runtime (chalicelib/vision/detection.py), so there is no 20-box cap and the thresholds are ours.

Graph input  ``image``  uint8 [1, 300, 300, 3] RGB (NHWC, like the TFLite model);
outputs      ``boxes``  float32 [1, 1917, 4]  [xmin, ymin, xmax, ymax], normalised to the input,
             ``scores`` float32 [1, 1917, 90] sigmoid per class (COCO ids 0..89; background dropped).
"""

from __future__ import annotations

import numpy as np

MEMBER = "fs/mobilenet_ssd_v2_coco_quant_postprocess.tflite"
LABELS_MEMBER = "fs/coco_labels.txt"
INPUT_SIZE = 300
N_ANCHORS = 1917
N_CLASSES = 90


def _custom_options(op) -> dict:
    from flatbuffers import flexbuffers

    return dict(flexbuffers.Loads(bytes(op.CustomOptionsAsNumpy())))


def convert(tflite_bytes: bytes, act_qdq: bool = True):
    import onnx
    import tflite
    from onnx import TensorProto, helper, numpy_helper
    from tflite.BuiltinOperator import BuiltinOperator

    opnames = {v: k for k, v in BuiltinOperator.__dict__.items() if not k.startswith("_")}
    m = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    g = m.Subgraphs(0)

    def tshape(i):
        return [int(v) for v in g.Tensors(i).ShapeAsNumpy()]

    def qparams(i):
        q = g.Tensors(i).Quantization()
        if q is None or q.ScaleLength() == 0:
            return None
        assert q.ScaleLength() == 1, "per-channel quantisation not expected in this model"
        return float(q.Scale(0)), int(q.ZeroPoint(0))

    def traw(i):
        t = g.Tensors(i)
        buf = m.Buffers(t.Buffer())
        if buf is None or buf.DataLength() == 0:
            return None
        dtype = {0: np.float32, 2: np.int32, 3: np.uint8}[t.Type()]
        return np.frombuffer(buf.DataAsNumpy().tobytes(), dtype).reshape(tshape(i))

    def tdeq(i):
        arr = traw(i)
        qp = qparams(i)
        if qp is None:
            return arr.astype(np.float32)
        s, z = qp
        return ((arr.astype(np.float32) - z) * s).astype(np.float32)

    nodes, inits = [], []
    names: dict[int, str] = {}
    tflite_order: set[int] = set()  # tensors kept in TFLite's element order (not NCHW)
    counter = [0]

    def uniq(base):
        counter[0] += 1
        return f"{base}_{counter[0]}"

    def const(arr, base):
        n = uniq(base)
        inits.append(numpy_helper.from_array(np.asarray(arr) if np.ndim(arr) == 0 else np.ascontiguousarray(arr), n))
        return n

    def qdq(x, tensor_index):
        """QuantizeLinear -> DequantizeLinear with the TFLite tensor's own uint8 parameters."""
        qp = qparams(tensor_index)
        if not act_qdq or qp is None or g.Tensors(tensor_index).Type() != 3:
            return x
        s, z = qp
        sn, zn = const(np.float32(s), "s"), const(np.uint8(z), "zp")
        q, d = uniq("q"), uniq("dq")
        nodes.append(helper.make_node("QuantizeLinear", [x, sn, zn], [q]))
        nodes.append(helper.make_node("DequantizeLinear", [q, sn, zn], [d]))
        return d

    def weight(i, perm):
        """uint8 weight initialiser (transposed to ONNX layout) + DequantizeLinear."""
        s, z = qparams(i)
        raw = np.ascontiguousarray(traw(i).transpose(perm))
        wn = const(raw, "w_u8")
        d = uniq("w")
        nodes.append(helper.make_node("DequantizeLinear", [wn, const(np.float32(s), "ws"), const(np.uint8(z), "wz")], [d]))
        return d

    def act(x, fused):
        if fused == 0:
            return x
        if fused == 1:
            o = uniq("relu")
            nodes.append(helper.make_node("Relu", [x], [o]))
            return o
        if fused == 3:
            o = uniq("relu6")
            nodes.append(helper.make_node("Clip", [x, const(np.float32(0), "zero"), const(np.float32(6), "six")], [o]))
            return o
        raise NotImplementedError(f"fused activation {fused}")

    def same_pads(in_hw, k, s, d=(1, 1)):
        pads = []
        for i in range(2):
            out = -(-in_hw[i] // s[i])
            eff = (k[i] - 1) * d[i] + 1
            total = max((out - 1) * s[i] + eff - in_hw[i], 0)
            pads.append((total // 2, total - total // 2))
        return [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]

    # input: uint8 NHWC -> float (TFLite's dequantisation: (p - 128) / 128) -> NCHW
    inp = g.Inputs(0)
    s_in, z_in = qparams(inp)
    nodes.append(
        helper.make_node("DequantizeLinear", ["image", const(np.float32(s_in), "s"), const(np.uint8(z_in), "zp")], ["image_f"])
    )
    nodes.append(helper.make_node("Transpose", ["image_f"], ["image_nchw"], perm=[0, 3, 1, 2]))
    names[inp] = "image_nchw"

    post = None
    for oi in range(g.OperatorsLength()):
        op = g.Operators(oi)
        oc = m.OperatorCodes(op.OpcodeIndex())
        name = opnames[max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())]
        if name == "CUSTOM":
            name = oc.CustomCode().decode()
        ins = [op.Inputs(j) for j in range(op.InputsLength())]
        out = op.Outputs(0)
        opt = op.BuiltinOptions()

        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            o = tflite.Conv2DOptions() if name == "CONV_2D" else tflite.DepthwiseConv2DOptions()
            o.Init(opt.Bytes, opt.Pos)
            in_shape = tshape(ins[0])
            w_shape = tshape(ins[1])
            if name == "CONV_2D":
                wn = weight(ins[1], (0, 3, 1, 2))  # OHWI -> OIHW
                group, k = 1, w_shape[1:3]
            else:
                wn = weight(ins[1], (3, 0, 1, 2))  # 1HWO -> O1HW
                group, k = in_shape[3], w_shape[1:3]
                assert w_shape[3] == group, "depth_multiplier != 1 not supported"
            bias = tdeq(ins[2])
            if qparams(ins[2]) is None:  # int32 bias without its own scale: in_scale * w_scale
                bias = traw(ins[2]).astype(np.float64) * qparams(ins[0])[0] * qparams(ins[1])[0]
            s = (o.StrideH(), o.StrideW())
            d = (o.DilationHFactor(), o.DilationWFactor())
            pads = same_pads(in_shape[1:3], k, s, d) if o.Padding() == 0 else [0, 0, 0, 0]
            y = uniq("conv")
            nodes.append(
                helper.make_node(
                    "Conv",
                    [names[ins[0]], wn, const(bias.astype(np.float32), "b")],
                    [y],
                    kernel_shape=list(k),
                    strides=list(s),
                    dilations=list(d),
                    pads=pads,
                    group=group,
                )
            )
            names[out] = qdq(act(y, o.FusedActivationFunction()), out)
        elif name == "ADD":
            o = tflite.AddOptions()
            o.Init(opt.Bytes, opt.Pos)
            y = uniq("add")
            nodes.append(helper.make_node("Add", [names[ins[0]], names[ins[1]]], [y]))
            names[out] = qdq(act(y, o.FusedActivationFunction()), out)
        elif name == "RESHAPE":
            src = names[ins[0]]
            if len(tshape(ins[0])) == 4 and ins[0] not in tflite_order:  # NCHW -> NHWC: TFLite element order
                t = uniq("to_nhwc")
                nodes.append(helper.make_node("Transpose", [src], [t], perm=[0, 2, 3, 1]))
                src = t
            y = uniq("reshape")
            nodes.append(helper.make_node("Reshape", [src, const(np.array(tshape(out), np.int64), "shape")], [y]))
            names[out] = y
            tflite_order.add(out)
        elif name == "CONCATENATION":
            o = tflite.ConcatenationOptions()
            o.Init(opt.Bytes, opt.Pos)
            axis = o.Axis()
            if any(i not in tflite_order for i in ins):
                raise NotImplementedError("concat of NCHW activations not needed for this model")
            y = uniq("concat")
            nodes.append(helper.make_node("Concat", [names[i] for i in ins], [y], axis=axis))
            names[out] = act(y, o.FusedActivationFunction())
            tflite_order.add(out)
        elif name == "LOGISTIC":
            y = uniq("sigmoid")
            nodes.append(helper.make_node("Sigmoid", [names[ins[0]]], [y]))
            names[out] = y
        elif name == "TFLite_Detection_PostProcess":
            post = (ins, _custom_options(op))
        else:
            raise NotImplementedError(f"TFLite op {name}")

    if post is None:
        raise ValueError("no TFLite_Detection_PostProcess in the model")
    (enc_i, score_i, anchor_i), opts = post
    assert int(opts["num_classes"]) == N_CLASSES
    anchors = tdeq(anchor_i).reshape(N_ANCHORS, 4)  # [yc, xc, h, w]
    enc = names[enc_i]  # [1, 1917, 4] = [ty, tx, th, tw]
    scales = np.array([opts["y_scale"], opts["x_scale"], opts["h_scale"], opts["w_scale"]], np.float32)
    e = uniq("enc_scaled")
    nodes.append(helper.make_node("Div", [enc, const(scales, "box_scales")], [e]))

    def sl(x, a, b, base):
        y = uniq(base)
        nodes.append(
            helper.make_node(
                "Slice",
                [
                    x,
                    const(np.array([a], np.int64), "st"),
                    const(np.array([b], np.int64), "en"),
                    const(np.array([2], np.int64), "ax"),
                ],
                [y],
            )
        )
        return y

    tyx, thw = sl(e, 0, 2, "tyx"), sl(e, 2, 4, "thw")
    a_yx = const(anchors[None, :, 0:2].copy(), "anc_yx")
    a_hw = const(anchors[None, :, 2:4].copy(), "anc_hw")
    c1, c2, hw1, hw2 = uniq("c"), uniq("c"), uniq("hw"), uniq("hw")
    nodes.append(helper.make_node("Mul", [tyx, a_hw], [c1]))
    nodes.append(helper.make_node("Add", [c1, a_yx], [c2]))  # centre (y, x)
    nodes.append(helper.make_node("Exp", [thw], [hw1]))
    nodes.append(helper.make_node("Mul", [hw1, a_hw], [hw2]))  # size (h, w)
    half, lo, hi = uniq("half"), uniq("lo"), uniq("hi")
    nodes.append(helper.make_node("Mul", [hw2, const(np.float32(0.5), "p5")], [half]))
    nodes.append(helper.make_node("Sub", [c2, half], [lo]))  # ymin, xmin
    nodes.append(helper.make_node("Add", [c2, half], [hi]))  # ymax, xmax
    yxyx = uniq("yxyx")
    nodes.append(helper.make_node("Concat", [lo, hi], [yxyx], axis=2))
    # [ymin, xmin, ymax, xmax] -> [xmin, ymin, xmax, ymax]
    nodes.append(helper.make_node("Gather", [yxyx, const(np.array([1, 0, 3, 2], np.int64), "perm")], ["boxes"], axis=2))
    sc = names[score_i]  # [1, 1917, 91] sigmoid, class 0 = background
    nodes.append(
        helper.make_node(
            "Slice",
            [
                sc,
                const(np.array([1], np.int64), "st"),
                const(np.array([N_CLASSES + 1], np.int64), "en"),
                const(np.array([2], np.int64), "ax"),
            ],
            ["scores"],
        )
    )

    graph = helper.make_graph(
        nodes,
        "ssd_mobilenet_v2_coco",
        [helper.make_tensor_value_info("image", TensorProto.UINT8, [1, INPUT_SIZE, INPUT_SIZE, 3])],
        [
            helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, N_ANCHORS, 4]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, N_ANCHORS, N_CLASSES]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="vetrina models/build.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, {k: (v if isinstance(v, (int, float, bool)) else str(v)) for k, v in opts.items()}


def read_labels(text: str) -> list[str]:
    """coco_labels.txt ('<id>  <name>' with gaps) -> list of 90 names, '' for unused ids."""
    labels = [""] * N_CLASSES
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        idx, name = line.split(None, 1)
        labels[int(idx)] = name.strip()
    return labels
