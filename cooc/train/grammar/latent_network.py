"""A network that learns an RHM's latent tree by predicting its own latents: a stack of predictor + clusterer modules.

The network counterpart of :class:`~cooc.train.grammar.latent_prediction.LatentClustering`,
after the "stacked latent clustering" (SLC) network of arXiv 2605.27734 (docs/science.md,
section 6). Synonymous s-tuples share the distribution of everything outside their subtree,
so a network that predicts, from one patch, the symbols of its *cousins* (the elements of the
sibling patches) computes the same prediction for synonyms; discretising those predictions
into ``n_latents`` codes gives the parents of the tuples, and the codes are the next module's
input. The network is trained level by level, each module by gradient descent.

What the paper specifies, as far as we could read it: ``L - 1`` identical modules; each cuts its
input string into non-overlapping ``s``-patches, one-hot encodes a patch and maps it with a
small CNN + softmax to a prediction tensor indexed by (place in the group, cousin patch,
element in that patch, class); a second CNN + softmax maps the vectorised prediction tensor to
one of ``d_h`` codes, which form the next module's input string. Its sample complexity is about
``v m**3`` whatever L with latent targets. What we chose where we found nothing:

- **Predictor.** A convolution with kernel and stride ``s`` over the one-hot symbols (an MLP on
  one patch, shared by all patches): ``s * A`` inputs, ``hidden`` ReLU units, and a softmax over
  ``C`` classes for every (own place ``p``, sibling place ``r != p``, element ``t``) slot. The
  loss is the cross-entropy of the cousins actually observed, averaged over every (patch,
  cousin) pair of the training set. The network sees one patch at a time, so that loss is a sum
  over the distinct patches weighted by how often each co-occurs with each cousin; we evaluate
  it that way (full-batch Adam, ``steps`` steps, weight decay ``weight_decay``), which is the
  full-batch gradient of the per-example loss at a cost that does not grow with P. With the
  defaults the loss ends within about 0.005 nats of the empirical conditional entropy (the
  loss of the counts' own conditional frequencies) on v = 8, m = 4.
- **Clusterer.** The paper's clusterer is a second CNN + softmax on the vectorised prediction
  tensor; we did not find its loss. We discretise the predictions by k-means: the predicted
  distributions of every seen patch value, vectorised over the cousin slots and centred (mean
  weighted by the patch's frequency), projected on their top ``n_latents`` singular directions
  (rows weighted by the square root of the frequency) and split into ``n_latents`` groups by
  frequency-weighted k-means (``n_init`` restarts). Patches whose predictions agree share a
  code, which is what a softmax clusterer trained until its code is hard can at best achieve.
  We first trained such a clusterer by gradient descent (an MLP + softmax code and a decoder
  from code to cousin distributions, minimising the frequency-weighted KL divergence from the
  converged predictions, 8 restarts): on v = 8, m = 4, L = 2 with 500 and 1,000 sentences (3
  seeds) its matched accuracy was 0.47-0.94 with a soft code (with or without an annealed
  temperature) where k-means on the same distributions reached 0.58-0.98, and with a hard
  (straight-through) code and k-means++-seeded decoders it was 0.63-0.75 at 2,000 sentences
  where k-means reached 0.94-1, its partitions having a higher loss than k-means' in every
  run. So we kept k-means.
- As in the clustering learner, a tuple never seen in training has no latent (-1), nor has any
  ancestor of it, and ``target="token"`` makes every module predict the *tokens* under the
  cousin patches instead of the previous module's codes (token-level self-supervision).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._core.errors import InputDataError, InvalidParameterError, TrainingDivergedError
from ..._core.params import Interval, OneOf, validate
from .._torch import task_seed, torch_device
from .latent_prediction import TARGETS, apply_table, apply_tables, context_counts


class LatentNetwork:
    """Stacked predictor + clusterer modules trained level by level (self-supervised latent-tree learner).

    Parameters
    ----------
    s : int
        Patch length (the grammar's branching factor).
    n_latents : int
        Codes per level (the grammar's ``v``).
    levels : int
        Modules (at most ``L - 1`` for sentences of ``s**L`` tokens).
    target : {"latent", "token"}
        What each predictor predicts (module notes).
    hidden : int
        Hidden units of the predictor (the clusterer is k-means: the module notes).
    steps : int
        Full-batch Adam steps of the predictor.
    lr : float
    weight_decay : float
        Adam's L2 penalty on the predictor's weights.
    n_init : int
        k-means restarts of the discretiser.
    seed : int
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"``.

    Attributes
    ----------
    tables_ : list of int ndarrays
        ``tables_[k]`` maps the base-``n_symbols_[k]`` code of a patch of level-``k`` symbols
        to its latent in ``[0, n_latents)``, or -1 (never seen).
    n_symbols_ : list of int
        Alphabet of each module's input (``v`` for the tokens, then ``n_latents``).
    losses_ : list of dict
        Per module: ``predictor``, the predictor's final cross-entropy (nats per cousin; NaN
        when a level has at most ``n_latents`` distinct patches and nothing is trained).
    """

    _constraints = {
        "s": Interval(int, 2, None),
        "n_latents": Interval(int, 2, None),
        "levels": Interval(int, 1, None),
        "target": OneOf(TARGETS),
        "hidden": Interval(int, 1, None),
        "steps": Interval(int, 1, None),
        "lr": Interval(float, 0, None, closed="neither"),
        "weight_decay": Interval(float, 0, None),
        "n_init": Interval(int, 1, None),
        "seed": Interval(int, 0, None),
    }

    def __init__(
        self,
        s: int,
        n_latents: int,
        levels: int,
        target: str = "latent",
        hidden: int = 64,
        steps: int = 50,
        lr: float = 0.03,
        weight_decay: float = 0.0,
        n_init: int = 4,
        seed: int = 0,
        device: str = "cpu",
    ):
        self.s, self.n_latents, self.levels, self.target = s, n_latents, levels, target
        self.hidden, self.steps, self.lr, self.weight_decay = hidden, steps, lr, weight_decay
        self.n_init, self.seed, self.device = n_init, seed, device

    def fit(self, tokens: Any, v: int | None = None) -> LatentNetwork:
        """Train the modules one level at a time on token strings (P, s**L), ids in ``[0, v)``."""
        validate(self.__dict__, self._constraints, type(self).__name__)
        tokens = np.asarray(tokens, dtype=np.int64)
        if tokens.ndim != 2 or tokens.shape[0] < 1:
            raise InputDataError(f"tokens must have shape (P, s**L), got {tokens.shape}.")
        L = round(np.log(tokens.shape[1]) / np.log(self.s))
        if self.s**L != tokens.shape[1]:
            raise InputDataError(f"sentences of {tokens.shape[1]} tokens are not s**L long for s = {self.s}.")
        if self.levels > L - 1:
            raise InvalidParameterError(
                f"LatentNetwork: levels = {self.levels} exceeds L - 1 = {L - 1} for sentences of {tokens.shape[1]} tokens."
            )
        v = int(tokens.max()) + 1 if v is None else int(v)
        self.tables_, self.n_symbols_, self.losses_ = [], [], []
        current, alphabet = tokens, v
        for level in range(self.levels):
            context, context_alphabet = (current, alphabet) if self.target == "latent" else (tokens, v)
            counts = context_counts(current, alphabet, context, context_alphabet, self.s)
            table, losses = self._module(counts, alphabet, level)
            self.tables_.append(table)
            self.n_symbols_.append(alphabet)
            self.losses_.append(losses)
            current = apply_table(table, current, self.s, alphabet)
            alphabet = self.n_latents
        return self

    def transform(self, tokens: Any) -> list[np.ndarray]:
        """The codes of every module: ``out[k]`` of shape (P, s**(L - k - 1)), -1 where unknown."""
        if not hasattr(self, "tables_"):
            raise InvalidParameterError("LatentNetwork: call fit before transform.")
        return apply_tables(self.tables_, self.n_symbols_, tokens, self.s)

    def _module(self, counts: np.ndarray, A: int, level: int) -> tuple[np.ndarray, dict[str, float]]:
        """Train one level's predictor on its co-occurrence counts and discretise its predictions; the code of every patch value."""
        import torch

        s, K = self.s, self.n_latents
        n_codes, n_slots, C = counts.shape
        span = n_slots // (s * s)
        # the slots a patch can predict: its siblings (r != p), for every element t
        valid = np.array([(slot // span) // s != (slot // span) % s for slot in range(n_slots)])
        counts = counts[:, valid]
        seen = np.flatnonzero(counts.sum(axis=(1, 2)) > 0)
        table = np.full(n_codes, -1, dtype=np.int64)
        if seen.size <= K:
            table[seen] = np.arange(seen.size)
            return table, {"predictor": float("nan")}
        device = torch_device(self.device)
        gen = torch.Generator(device="cpu").manual_seed(task_seed(self.seed, level, 1))
        # one-hot input of every seen patch value (first symbol most significant)
        digits = (seen[:, None] // A ** np.arange(s - 1, -1, -1)[None]) % A
        x = np.zeros((seen.size, s * A), dtype=np.float32)
        x[np.arange(seen.size)[:, None], np.arange(s)[None] * A + digits] = 1.0
        x_t = torch.as_tensor(x, device=device)
        y = torch.as_tensor(counts[seen], dtype=torch.float32, device=device)  # (n, slots, C)
        total = y.sum()
        n_valid = y.shape[1]

        # predictor: one patch -> a softmax over C for every cousin slot
        def init(*shape: int) -> torch.Tensor:
            fan_in = shape[-2] if len(shape) > 1 else 1
            w = torch.randn(*shape, generator=gen) / np.sqrt(fan_in)
            return w.to(device).requires_grad_(True)

        H = self.hidden
        w1, b1 = init(s * A, H), torch.zeros(H, device=device, requires_grad=True)
        w2, b2 = init(H, n_valid * C), torch.zeros(n_valid * C, device=device, requires_grad=True)
        opt = torch.optim.Adam([w1, b1, w2, b2], lr=self.lr, weight_decay=self.weight_decay)

        def predict() -> torch.Tensor:
            return torch.log_softmax((torch.relu(x_t @ w1 + b1) @ w2 + b2).view(-1, n_valid, C), dim=-1)

        with torch.no_grad():
            start_loss = float(-(y * predict()).sum() / total)
        for _ in range(self.steps):
            opt.zero_grad()
            loss = -(y * predict()).sum() / total
            loss.backward()
            opt.step()
        with torch.no_grad():
            logp = predict()  # (n, slots, C)
            pred_loss = float(-(y * logp).sum() / total)
            probs = logp.exp().reshape(logp.shape[0], -1).double().cpu().numpy()
            weight = y.sum(dim=(1, 2)).double().cpu().numpy()
        if not np.isfinite(pred_loss) or pred_loss > start_loss * (1 + 1e-3):
            # a diverged predictor would be clustered all the same (or break the clustering's SVD) and
            # stand in the study as a learner that learned nothing (at lr 1e6 its loss ended at 2e5;
            # the margin spares a predictor that starts at its minimum and ends a rounding above it)
            raise TrainingDivergedError(
                f"the level-{level + 1} predictor diverged: its loss went from {start_loss:.4g} to {pred_loss:.4g} "
                f"in {self.steps} steps; lower the learning rate (lr = {self.lr})."
            )
        table[seen] = _discretise(probs, weight, K, self.n_init, task_seed(self.seed, level, 2))
        return table, {"predictor": pred_loss}


def _discretise(probs: np.ndarray, weight: np.ndarray, K: int, n_init: int, seed: int) -> np.ndarray:
    """Weighted k-means of the predictions (centred, on their top ``K`` singular directions) into ``K`` codes."""
    from sklearn.cluster import KMeans

    rows = probs - (weight[:, None] * probs).sum(axis=0) / weight.sum()
    _, _, vt = np.linalg.svd(rows * np.sqrt(weight)[:, None], full_matrices=False)
    embedded = rows @ vt[:K].T
    km = KMeans(n_clusters=K, n_init=n_init, random_state=seed % 2**32)
    return km.fit_predict(embedded, sample_weight=weight)


__all__ = ["LatentNetwork"]
