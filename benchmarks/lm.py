"""The language-model trainer against a plain PyTorch loop, at equal final loss.

Both train the same decoder-only transformer (same width, depth, heads, context, vocabulary,
initial learning rate, batch size and data) on next-token prediction over every position:

- **cooc**: :func:`cooc.train.grammar.lm.train_lm` with
  :class:`~cooc.train.grammar.lm_models.CausalTransformer` (causal
  ``scaled_dot_product_attention``, which takes the flash kernel on a GPU; batches drawn
  on the device from data that live there; bfloat16 autocast and fused AdamW on a GPU).
- **plain**: ``nn.TransformerEncoder`` with a causal mask, float32, ``torch.optim.Adam``,
  no compilation, batches indexed on the CPU and copied to the device every step, as a
  first PyTorch loop would do. ``--plain-amp`` gives it cooc's precision on a GPU (its
  forward pass and loss, training and validation, under bfloat16 autocast), so the ratio
  separates the trainer's gain from the precision's; its optimiser stays unfused Adam.

Before either is timed, each takes one untimed warm-up step on a throwaway instance of its
model (cuBLAS / cuDNN initialisation, first kernel loads, the allocator), with its own
precision; then the two timed runs follow in the order ``--order`` gives (plain first by
default). The table names each side's precision.

Each runs ``--steps`` steps and evaluates the validation loss every ``--eval-every`` steps
(evaluation time included for both). The target is the worse of the two final validation
losses, which both reach; the time each takes to reach it (interpolated between
evaluations) gives the ratio ``plain / cooc``. Tokens per second are training tokens over
training time; on a GPU the model FLOPs utilisation is ``6 N + 12 n_layers d_model T``
FLOPs per token (N the non-embedding parameters) times tokens per second over the GPU's
dense bf16 peak (``--peak-tflops``, or a table of known GPUs).

Usage::

    python benchmarks/lm.py --device cpu --steps 300                 # a CPU check (minutes)
    python benchmarks/lm.py --device cuda --source rhm:v=32,n_c=32,m=8,s=2,L=8,distinct=false --context 256 \\
        --train 8192 --d-model 512 --heads 8 --layers 8 --batch 64 --steps 600 --peak-tflops 989 --record
    python benchmarks/lm.py --device cuda ... --plain-amp --order cooc,plain   # equal precision, cooc first
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from _common import append_results, markdown_table  # noqa: E402

PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0, "RTX 4090": 165.0}


def plain_model(vocab: int, context: int, d_model: int, heads: int, layers: int):
    import torch
    from torch import nn

    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab + 1, d_model)
            self.position = nn.Parameter(torch.randn(context, d_model) * 0.02)
            layer = nn.TransformerEncoderLayer(
                d_model, heads, 4 * d_model, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
            )
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, vocab)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context), persistent=False)

        def forward(self, ids):
            bos = torch.full((ids.shape[0], 1), vocab, dtype=ids.dtype, device=ids.device)
            h = self.embed(torch.cat([bos, ids[:, :-1]], 1)) + self.position[: ids.shape[1]]
            T = ids.shape[1]
            return self.head(self.norm(self.encoder(h, mask=self.mask[:T, :T], is_causal=True)))

    return Plain()


def plain_amp(args, device) -> bool:
    """Whether the plain loop runs under bfloat16 autocast: ``--plain-amp`` on a GPU (as cooc's trainer)."""
    return bool(args.plain_amp) and device.type == "cuda"


def precision(name: str, args, device) -> str:
    """Each side's precision and optimiser, as the table states them."""
    if name == "cooc":
        return "bf16 autocast, fused AdamW" if device.type == "cuda" else "float32, AdamW"
    return ("bf16 autocast" if plain_amp(args, device) else "float32") + ", Adam"


def run_plain(data, args, device, steps: int | None = None):
    import torch
    import torch.nn.functional as F

    from cooc.train._torch import autocast

    amp = plain_amp(args, device)
    steps = args.steps if steps is None else steps
    torch.manual_seed(0)
    net = plain_model(data.vocab_size, data.context, args.d_model, args.heads, args.layers).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    train = data.train.cpu()  # a plain loop keeps its data on the host
    val = data.val.to(device)
    gen = torch.Generator().manual_seed(0)
    P = train.shape[0]
    history, seconds = [], 0.0
    for step in range(1, steps + 1):
        start = time.perf_counter()
        x = train[torch.randint(0, P, (args.batch,), generator=gen)].to(device)
        with autocast(device, amp):
            loss = F.cross_entropy(net(x).transpose(1, 2), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % args.eval_every == 0 or step == steps < args.eval_every:
            net.eval()
            with torch.no_grad(), autocast(device, amp):
                v = float(F.cross_entropy(net(val).transpose(1, 2), val))
            net.train()
            history.append((step, v))
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds += time.perf_counter() - start
        if history and history[-1][0] == step:
            history[-1] = (step, history[-1][1], seconds)
    return history, seconds, sum(p.numel() for p in net.parameters())


def run_cooc(data, args, device, steps: int | None = None):
    import torch

    from cooc.train.grammar.lm import train_lm
    from cooc.train.grammar.lm_models import build_lm

    torch.manual_seed(0)
    net = build_lm(
        "transformer", data.vocab_size, data.context, d_model=args.d_model, n_heads=args.heads, n_layers=args.layers
    ).to(device)
    fit = train_lm(
        net, data, data.max_train, targets="all", steps=args.steps if steps is None else steps,
        batch_size=args.batch, lr=args.lr, eval_every=args.eval_every, patience=10**9, amp=device.type == "cuda",
    )  # fmt: skip
    return [tuple(h) for h in fit["history"]], fit["seconds"], sum(p.numel() for p in net.parameters())


def time_to(history, target):
    """Seconds at which the validation loss first reaches ``target``, interpolated between evaluations."""
    previous = (0, math.inf, 0.0)
    for step, loss, seconds in history:
        if loss <= target:
            if not math.isfinite(previous[1]):
                return seconds
            t = (previous[1] - target) / (previous[1] - loss)
            return previous[2] + t * (seconds - previous[2])
        previous = (step, loss, seconds)
    return math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--source", default="rhm:v=32,n_c=32,m=8,s=2,L=5,distinct=false", help="grammar spec or corpus")
    parser.add_argument("--context", type=int, default=None, help="T (default: whole sentences)")
    parser.add_argument("--train", type=int, default=20000, help="training contexts")
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--peak-tflops", type=float, default=None, help="the GPU's dense bf16 peak, for MFU")
    parser.add_argument(
        "--plain-amp",
        action="store_true",
        help="run the plain loop under bfloat16 autocast on a GPU, cooc's precision (default: float32)",
    )
    parser.add_argument("--order", default="plain,cooc", help="the order of the timed runs: plain,cooc or cooc,plain")
    parser.add_argument("--record", action="store_true", help="append the table to benchmarks/RESULTS.md")
    args = parser.parse_args()
    order = [name.strip() for name in args.order.split(",")]
    if sorted(order) != ["cooc", "plain"]:
        parser.error(f"--order must name plain and cooc once each, got {args.order!r}")

    import torch

    from cooc.train._torch import torch_device
    from cooc.train.grammar.lm_data import lm_data

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch_device(args.device)
    data = lm_data(args.source, args.context, args.train, 256, 256, seed=0, device=device)
    rows, results = [], {}
    runners = {"plain": run_plain, "cooc": run_cooc}
    for name in order:  # untimed warm-up: one step of each on a throwaway model, before either is timed
        runners[name](data, args, device, steps=1)
    for name in order:
        history, seconds, params = runners[name](data, args, device)
        results[name] = (history, seconds, params)
        print(f"{name}: {seconds:.1f} s, final validation loss {history[-1][1]:.4f}", flush=True)
    target = max(results["plain"][0][-1][1], results["cooc"][0][-1][1])
    tokens = args.steps * args.batch * data.context
    layers, d, T = args.layers, args.d_model, data.context
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    peak = args.peak_tflops or next((v for k, v in PEAK_BF16_TFLOPS.items() if gpu and k in gpu), None)
    reach = {}
    for name, (history, seconds, params) in results.items():
        embed = (data.vocab_size + 1) * d + T * d
        flops_per_token = 6 * (params - embed) + 12 * layers * d * T
        rate = tokens / seconds
        mfu = flops_per_token * rate / (peak * 1e12) if (peak and device.type == "cuda") else None
        reach[name] = time_to(history, target)
        rows.append([name, precision(name, args, device), params, round(seconds, 2), f"{history[-1][1]:.4f}",
                     round(reach[name], 2), f"{rate:,.0f}", "n/a (CPU)" if mfu is None else f"{100 * mfu:.1f}%"])  # fmt: skip
    ratio = reach["plain"] / reach["cooc"]
    print(
        f"time to validation loss {target:.4f}: plain {reach['plain']:.2f} s, cooc {reach['cooc']:.2f} s -> {ratio:.2f}x"
    )
    body = (
        f"Decoder-only transformer (d_model {d}, {layers} layers, {args.heads} heads, context {T}, vocabulary "
        f"{data.vocab_size}) on `{args.source}`, batch {args.batch}, {args.steps} steps, lr {args.lr}, "
        f"validation every {args.eval_every} steps (included in the times), device {device.type}"
        + (f" ({gpu})" if gpu else "")
        + f". Precision: plain {precision('plain', args, device)}; cooc {precision('cooc', args, device)}. "
        f"Each warmed up by one untimed step on a throwaway model; timed in the order {', '.join(order)}. "
        f"Target: the worse final validation loss, {target:.4f}.\n\n"
        + markdown_table(
            ["trainer", "precision", "parameters", "seconds", "final val loss", "s to target", "tokens/s", "MFU"], rows
        )
        + f"\n\nSpeed-up at equal final loss (plain / cooc time to the target): **{ratio:.2f}x**"
        + (" (both bf16 autocast)." if plain_amp(args, device) else f" (plain {precision('plain', args, device)}).")
    )
    if args.record:
        append_results(f"Language-model trainer vs a plain PyTorch loop ({device.type})", body)
    else:
        print(body)


if __name__ == "__main__":
    main()
