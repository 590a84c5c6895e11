"""Writes the tiny real models for tests/real/ with llama.cpp's own gguf-py.

Usage: PYTHONPATH=<llama.cpp>/gguf-py python3 write_models.py OUT_DIR

Writes into OUT_DIR:
- real-tiny-F16.gguf    llama architecture, embd 256, 4 layers: loads in ~20 ms
- split-source.gguf     the same shape, to be split into 2 shards by llama-gguf-split
- real-slow-F16.gguf    embd 1024, 24 layers: loading takes long enough to see a 503
- real-broken-F16.gguf  a llama model missing a tensor: the server refuses to load it

Weights are random (seeded) F16; the vocabulary is <unk> <s> </s>, 256 byte
tokens and a few pieces, so the server can tokenize and generate.
"""

import sys
from pathlib import Path

import numpy as np
import gguf


def vocab() -> tuple[list[str], list[float], list[int]]:
    tokens = ["<unk>", "<s>", "</s>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    tokens += [f"<0x{i:02X}>" for i in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    pieces = ["\u2581"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces += ["\u2581" + w for w in ["the", "a", "of", "and", "to", "in", "is", "it", "you", "that",
                                     "hello", "world", "llama", "model", "pack", "server"]]
    tokens += pieces
    types += [gguf.TokenType.NORMAL] * len(pieces)
    scores = [0.0] * (3 + 256) + [-float(i) for i in range(len(pieces))]
    return tokens, scores, [int(t) for t in types]


def write(path: Path, name: str, embd: int, layers: int, heads: int, ff: int, ctx: int,
          seed: int, drop: str | None = None) -> None:
    rng = np.random.default_rng(seed)
    tokens, scores, types = vocab()
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name(name)
    w.add_context_length(ctx)
    w.add_embedding_length(embd)
    w.add_block_count(layers)
    w.add_feed_forward_length(ff)
    w.add_head_count(heads)
    w.add_head_count_kv(heads)
    w.add_rope_dimension_count(embd // heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    def mat(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16)

    def norm() -> np.ndarray:
        return np.ones(embd, dtype=np.float32)

    n_vocab = len(tokens)
    tensors: list[tuple[str, np.ndarray]] = [("token_embd.weight", mat(n_vocab, embd))]
    for i in range(layers):
        b = f"blk.{i}."
        tensors += [
            (b + "attn_norm.weight", norm()),
            (b + "attn_q.weight", mat(embd, embd)),
            (b + "attn_k.weight", mat(embd, embd)),
            (b + "attn_v.weight", mat(embd, embd)),
            (b + "attn_output.weight", mat(embd, embd)),
            (b + "ffn_norm.weight", norm()),
            (b + "ffn_gate.weight", mat(ff, embd)),
            (b + "ffn_up.weight", mat(ff, embd)),
            (b + "ffn_down.weight", mat(embd, ff)),
        ]
    tensors += [("output_norm.weight", norm()), ("output.weight", mat(n_vocab, embd))]
    for tname, data in tensors:
        if tname != drop:
            w.add_tensor(tname, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main() -> None:
    out = Path(sys.argv[1])
    tiny = dict(embd=256, layers=4, heads=4, ff=688, ctx=2048)
    write(out / "real-tiny-F16.gguf", "Real Tiny", seed=1, **tiny)
    write(out / "split-source.gguf", "Real Split", seed=2, **tiny)
    write(out / "real-broken-F16.gguf", "Real Broken", seed=3, drop="blk.0.ffn_down.weight", **tiny)
    write(out / "real-slow-F16.gguf", "Real Slow", seed=4, embd=1024, layers=24, heads=16, ff=2816,
          ctx=4096)


if __name__ == "__main__":
    main()
