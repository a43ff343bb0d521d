"""The shipped 3-layer model as an ONNX graph, for the ONNX Runtime Web comparison.

    python -m venv target/ort-venv && target/ort-venv/bin/pip install -r tools/ort/requirements.txt
    target/ort-venv/bin/python tools/ort/export_onnx.py   # writes target/ort/minilm3.onnx

The graph is what a web developer would give ONNX Runtime Web instead of kernelscope's forward
pass: the same weights (assets/, dequantised by numpy to float32), the same computation (BERT
embeddings, then per layer self-attention and the GELU feed-forward, each with its residual and
LayerNorm), built node by node with the `onnx` package (no torch). Input `input_ids` (1 × n,
int64); outputs the last hidden state (n × 384) and each layer's attention (12 × n × n), as
kernelscope's forward pass keeps them. Before writing, the graph is run by onnx's reference
evaluator on two texts and held to the numpy forward pass (tools/model/convert.py) within 1e-4.
"""

import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "model"))
import convert as C  # noqa: E402
import model_golden  # noqa: E402

OUT = ROOT / "target" / "ort" / "minilm3.onnx"
OPSET = 17  # LayerNormalization is in opset 17; GELU is written with Erf


class Graph:
    """Nodes and initialisers, named as they are added."""

    def __init__(self, weights):
        self.weights, self.nodes, self.initializers, self.count = weights, [], [], 0

    def const(self, name, value):
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(self, name, transpose=False):
        w = np.asarray(self.weights[name], dtype=np.float32)
        return self.const(name, np.ascontiguousarray(w.T if transpose else w))

    def op(self, kind, *inputs, **attrs):
        self.count += 1
        out = f"{kind.lower()}_{self.count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [out], **attrs))
        return out

    def linear(self, x, name):
        """x · Wᵀ + b, with W stored transposed so the product is a plain MatMul."""
        return self.op("Add", self.op("MatMul", x, self.weight(name + ".weight", transpose=True)), self.weight(name + ".bias"))

    def layer_norm(self, x, name):
        return self.op("LayerNormalization", x, self.weight(name + ".weight"), self.weight(name + ".bias"), axis=-1, epsilon=C.EPS)


def build(weights):
    g = Graph(weights)
    heads, dh = C.HEADS, C.HIDDEN // C.HEADS
    ids = g.op("Squeeze", "input_ids", g.const("axis0", np.array([0], dtype=np.int64)))  # n
    n = g.op("Shape", ids)
    positions = g.op("Range", g.const("zero", np.array(0, dtype=np.int64)), g.op("Squeeze", n), g.const("one", np.array(1, dtype=np.int64)))
    x = g.op("Add", g.op("Gather", g.weight("embeddings.word_embeddings.weight"), ids),
             g.op("Gather", g.weight("embeddings.position_embeddings.weight"), positions))
    x = g.op("Add", x, g.const("token_type", np.asarray(weights["embeddings.token_type_embeddings.weight"][0], dtype=np.float32)))
    x = g.layer_norm(x, "embeddings.LayerNorm")
    split = g.const("heads_shape", np.array([-1, heads, dh], dtype=np.int64))
    merge = g.const("hidden_shape", np.array([-1, C.HIDDEN], dtype=np.int64))
    scale = g.const("scale", np.array(1.0 / np.sqrt(dh), dtype=np.float32))
    attentions = []
    for l in range(C.LAYERS):
        p = f"encoder.layer.{l}."
        per_head = lambda t: g.op("Transpose", g.op("Reshape", t, split), perm=[1, 0, 2])  # heads × n × dh
        q, k, v = (per_head(g.linear(x, p + f"attention.self.{m}")) for m in ("query", "key", "value"))
        scores = g.op("Mul", g.op("MatMul", q, g.op("Transpose", k, perm=[0, 2, 1])), scale)
        a = g.op("Softmax", scores, axis=-1)
        attentions.append(a)
        context = g.op("Reshape", g.op("Transpose", g.op("MatMul", a, v), perm=[1, 0, 2]), merge)
        x = g.layer_norm(g.op("Add", x, g.linear(context, p + "attention.output.dense")), p + "attention.output.LayerNorm")
        h = g.linear(x, p + "intermediate.dense")
        # Exact GELU: h · ½ · (1 + erf(h / √2)), as the model and kernelscope compute it.
        erf = g.op("Erf", g.op("Mul", h, g.const(f"inv_sqrt2_{l}", np.array(1 / np.sqrt(2), dtype=np.float32))))
        h = g.op("Mul", g.op("Mul", h, g.const(f"half_{l}", np.array(0.5, dtype=np.float32))),
                 g.op("Add", erf, g.const(f"one_f_{l}", np.array(1.0, dtype=np.float32))))
        x = g.layer_norm(g.op("Add", x, g.linear(h, p + "output.dense")), p + "output.LayerNorm")
    outputs = [g.op("Identity", x)] + [g.op("Identity", a) for a in attentions]
    names = ["last_hidden"] + [f"attention_{l}" for l in range(C.LAYERS)]
    for node, name in zip(g.nodes[-len(outputs):], names):
        node.output[0] = name
    graph = helper.make_graph(
        g.nodes, "kernelscope-minilm3",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "n"])],
        [helper.make_tensor_value_info("last_hidden", TensorProto.FLOAT, ["n", C.HIDDEN])]
        + [helper.make_tensor_value_info(f"attention_{l}", TensorProto.FLOAT, [heads, "n", "n"]) for l in range(C.LAYERS)],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tools/ort/export_onnx.py")
    onnx.checker.check_model(model)
    return model


def main():
    weights = model_golden.shipped_weights(ROOT / "assets")
    model = build(weights)
    tokenizer = C.reference_tokenizer()
    evaluator = ReferenceEvaluator(model)
    for text in (C.SENTENCES[0], model_golden.LONG):
        ids = tokenizer.encode(text).ids
        got = evaluator.run(None, {"input_ids": np.array([ids], dtype=np.int64)})
        want = C.forward(weights, ids, C.LAYERS)
        worst = max(float(np.max(np.abs(got[0] - want["hidden"][-1]))),
                    *(float(np.max(np.abs(a - b))) for a, b in zip(got[1:], want["attention"])))
        print(f"{len(ids)} tokens: largest difference from the numpy forward pass {worst:.2e}")
        assert worst < 1e-4, f"the ONNX graph differs from the numpy forward pass by {worst}"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(OUT))
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
