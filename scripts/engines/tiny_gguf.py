"""Writes a tiny llama-architecture GGUF model with random weights (~0.5 MB).

Used by scripts/engines/ollama.sh to give a real Ollama server something to load in tests.
No weights are downloaded: the file is made here, reproducibly from --seed.

Shape: a byte-level SentencePiece-style vocabulary of 260 tokens (<unk>, <s>, </s>, the 256
byte tokens <0x00>..<0xFF>, and "▁" for a space), 2 transformer blocks, 64 wide, 4 heads.
The weights are random, with one twist so that answers are usable in tests: every token
embedding carries a large constant in dimension 0, and the output head scores printable ASCII
(and the space) high and everything else (control tokens, other bytes, end of sequence) low
along that dimension. The model therefore always writes printable gibberish and never stops on
its own: an answer is exactly as long as the token limit (num_predict / max_tokens), which is
what protocol and metering tests want. With --pooling mean the model declares a pooling type,
which makes Ollama treat it as an embedding model.

Usage: python tiny_gguf.py OUT.gguf [--seed N] [--name NAME] [--pooling mean]
"""
import argparse

import numpy as np
from gguf import GGUFWriter, TokenType, LlamaFileType, PoolingType

N_EMBD, N_HEAD, N_LAYER, N_FF, N_CTX = 64, 4, 2, 128, 2048


def vocabulary():
    tokens, types = [b"<unk>", b"<s>", b"</s>"], [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]
    for b in range(256):
        tokens.append(("<0x%02X>" % b).encode())
        types.append(TokenType.BYTE)
    tokens.append("\u2581".encode())  # SentencePiece's space
    types.append(TokenType.NORMAL)
    printable = [3 + b for b in range(0x20, 0x7F)] + [len(tokens) - 1]
    return tokens, types, printable


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--name", default="tiny-llama")
    ap.add_argument("--pooling", choices=["none", "mean"], default="none")
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    tokens, types, printable = vocabulary()
    n_vocab = len(tokens)

    def rand(*shape, scale=0.05):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w = GGUFWriter(a.out, "llama")
    w.add_name(a.name)
    w.add_context_length(N_CTX)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_file_type(LlamaFileType.ALL_F32)
    if a.pooling == "mean":
        w.add_pooling_type(PoolingType.MEAN)

    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * n_vocab)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)

    # Dimension 0 of the residual stream is a large constant; the output head reads it.
    embd = rand(n_vocab, N_EMBD, scale=0.3)
    embd[:, 0] = 8.0
    out = rand(n_vocab, N_EMBD, scale=0.5)
    out[:, 0] = -1.0
    out[printable, 0] = 1.0

    w.add_tensor("token_embd.weight", embd)
    w.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    w.add_tensor("output.weight", out)
    for i in range(N_LAYER):
        p = "blk.%d." % i
        w.add_tensor(p + "attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(p + "attn_k.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(p + "attn_v.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(p + "attn_output.weight", rand(N_EMBD, N_EMBD))
        w.add_tensor(p + "ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        w.add_tensor(p + "ffn_gate.weight", rand(N_FF, N_EMBD))
        w.add_tensor(p + "ffn_up.weight", rand(N_FF, N_EMBD))
        w.add_tensor(p + "ffn_down.weight", rand(N_EMBD, N_FF))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
