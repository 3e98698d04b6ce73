"""Hierarchy in embeddings: tree distances, perfect binary subtrees, the alignment g(k), Park's diagnostic, tree modes.

docs/science.md, section 5 (Nava & Wyart). If M*_ij = f(tree distance) with
f(x) = alpha exp(-beta x), the eigenvectors of the kernel on a tree are scaling modes
(constant per depth) and Haar-like wavelets (opposite signs across a split), ordered
coarse to fine. On real embeddings the test samples perfect binary subtrees of depth 3
(15 words) uniformly from the tree of words, and compares the top-k eigenvectors of the
embedding Gram matrix with those of the fitted tree kernel:

    g(k) = ||U_k^T V_k||_F^2 / k,   area = mean_k (g(k) - k/15),

where k/15 is the expected g(k) of a random subspace. Shuffling the words among the 15
positions gives the baseline of the same words without their hierarchy.

Everything works on plain arrays: ``parent`` (n,) with -1 for roots, ``vectors`` (n, d)
with one row per tree node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from .._core.errors import InputDataError, InvalidParameterError
from .._core.params import Interval, OneOf, validate
from .kernels import KernelFit, fit_exponential_kernel

# -- distances on a forest ------------------------------------------------------------------------------


# -- uniform sampling of perfect binary subtrees ----------------------------------------------------
def _eligible_mask(eligible: np.ndarray | None, n: int, owner: str) -> np.ndarray | None:
    """``eligible`` as a bool array of shape (n,), or None (every node).

    Anything else is refused: node ids or counts would otherwise enter the counts as weights.
    """
    if eligible is None:
        return None
    mask = np.asarray(eligible)
    if mask.dtype != np.bool_ or mask.shape != (n,):
        raise InvalidParameterError(
            f"{owner}: parameter 'eligible' must be a bool array of shape ({n},), one entry per tree node "
            f"(not node ids), got dtype {mask.dtype} and shape {mask.shape}."
        )
    return mask


def count_perfect_subtrees(parent: np.ndarray, height: int = 3, eligible: np.ndarray | None = None) -> np.ndarray:
    """Number of perfect binary subtrees of each height rooted at each node (dynamic programming).

    A subtree of height h rooted at v picks two distinct children of v and, below each,
    a subtree of height h - 1; every node used must be eligible. With S and Q the sum
    and the sum of squares of the children's counts, N(v, h) = (S^2 - Q) / 2.

    Parameters
    ----------
    parent : ndarray of shape (n,)
        Tree parents, -1 for roots.
    height : int
        3 gives the 15-node subtrees of the papers.
    eligible : ndarray of bool, shape (n,), optional
        Nodes allowed in a subtree (default all); another dtype or shape is refused.

    Returns
    -------
    ndarray of shape (n, height + 1), float64
        Counts (float64: they exceed int64 on WordNet-sized trees).
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = len(parent)
    mask = _eligible_mask(eligible, n, "count_perfect_subtrees")
    ok = np.ones(n) if mask is None else mask.astype(np.float64)
    counts = np.zeros((n, height + 1))
    counts[:, 0] = ok
    child = np.flatnonzero(parent >= 0)
    for h in range(1, height + 1):
        prev = counts[child, h - 1]
        S = np.bincount(parent[child], weights=prev, minlength=n)
        Q = np.bincount(parent[child], weights=prev**2, minlength=n)
        counts[:, h] = ok * np.maximum(S**2 - Q, 0.0) / 2
    return counts


def heap_distances(height: int = 3) -> np.ndarray:
    """Tree distances between the nodes of a perfect binary tree in heap order (children of i: 2i+1, 2i+2).

    Returns
    -------
    ndarray of shape (2^(height+1) - 1, 2^(height+1) - 1), int64
    """
    n = 2 ** (height + 1) - 1
    depth = np.floor(np.log2(np.arange(n) + 1)).astype(np.int64)
    dist = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            a, b, d = i, j, 0
            while a != b:
                if a > b:
                    a = (a - 1) // 2
                else:
                    b = (b - 1) // 2
                d += 1
            dist[i, j] = dist[j, i] = d
    assert np.all(dist[0] == depth)
    return dist


def sample_perfect_subtrees(
    parent: np.ndarray,
    n_samples: int,
    height: int = 3,
    eligible: np.ndarray | None = None,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Draw perfect binary subtrees uniformly among all of them (with replacement).

    The root is drawn with probability proportional to N(v, height); below a node the
    ordered pair (a, b) of distinct children with probability N_a N_b / (S^2 - Q),
    which makes every subtree equally likely.

    Returns
    -------
    ndarray of shape (n_samples, 2^(height+1) - 1), int64
        Node indices in heap order (children of position i at 2i+1 and 2i+2).

    Raises
    ------
    InputDataError
        When the tree holds no perfect binary subtree of that height.
    """
    validate(
        {"n_samples": n_samples, "height": height},
        {"n_samples": Interval(int, 1, None), "height": Interval(int, 1, 10)},
        "sample_perfect_subtrees",
    )
    parent = np.asarray(parent, dtype=np.int64)
    eligible = _eligible_mask(eligible, len(parent), "sample_perfect_subtrees")
    counts = count_perfect_subtrees(parent, height, eligible)
    total = counts[:, height].sum()
    if total <= 0:
        held = np.flatnonzero(counts.sum(axis=0) > 0)
        deepest = f"the deepest it holds has depth {held[-1]}" if held.size else "no node is eligible"
        raise InputDataError(
            f"the tree ({len(parent)} nodes) holds no perfect binary subtree of depth {height} ({deepest}); use a "
            "larger vocabulary, looser eligibility (WordNet: monosemy='noun', --monosemy noun) or a smaller depth "
            "(height=, --depth)."
        )
    order = np.argsort(parent, kind="stable")
    starts = np.searchsorted(parent[order], np.arange(len(parent) + 1))
    rng = np.random.default_rng(seed)
    roots = rng.choice(len(parent), size=n_samples, p=counts[:, height] / total)
    size = 2 ** (height + 1) - 1
    out = np.empty((n_samples, size), dtype=np.int64)
    for s, root in enumerate(roots):
        out[s, 0] = root
        for pos in range((size - 1) // 2):
            h = height - int(np.floor(np.log2(pos + 1)))
            kids = order[starts[out[s, pos]] : starts[out[s, pos] + 1]]
            w = counts[kids, h - 1]
            first = rng.choice(len(kids), p=w * (w.sum() - w) / (w.sum() ** 2 - (w**2).sum()))
            rest = w.copy()
            rest[first] = 0.0
            second = rng.choice(len(kids), p=rest / rest.sum())
            out[s, 2 * pos + 1], out[s, 2 * pos + 2] = kids[first], kids[second]
    return out


# -- alignment g(k) ------------------------------------------------------------------------------
def _eig_desc(G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, V = np.linalg.eigh((G + np.swapaxes(G, -1, -2)) / 2)
    return w[..., ::-1], V[..., ::-1]


def _degenerate_blocks(w: np.ndarray, rtol: float) -> list[tuple[int, int]]:
    scale = max(float(np.max(np.abs(w))), 1e-300)
    cuts = np.flatnonzero(np.abs(np.diff(w)) > rtol * scale) + 1
    edges = np.concatenate([[0], cuts, [len(w)]])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


DEGENERATE = ("mean", "best")


def alignment_curve(gram: np.ndarray, kernel: np.ndarray, degenerate: str = "mean", rtol: float = 1e-9) -> np.ndarray:
    """g(k) = ||U_k^T V_k||_F^2 / k for k = 1..n, U from ``gram``, V from ``kernel`` (top eigenvalues first).

    A tree kernel has degenerate eigenvalues (the wavelets of one level share one), and a
    V_k that stops inside such an eigenspace is not defined by the kernel. With
    ``degenerate="mean"`` (default) the captured mass is averaged over every choice of
    the missing directions: ||U_k^T V_a||^2 + (k - a)/(b - a) ||U_k^T V_(a:b)||^2 for the
    block a < k < b; then a random U gives exactly g(k) = k/n on average, the null the
    area is measured against. ``"best"`` takes the directions best aligned with U_k
    (equal matrices give g = 1 at every k, but the null is biased upwards).

    Parameters
    ----------
    gram : ndarray of shape (n, n) or (m, n, n)
        Symmetric; typically the embedding Gram matrix (a stack of them for m subtrees).
    kernel : ndarray of shape (n, n)
        Symmetric; typically alpha exp(-beta D).
    degenerate : {"mean", "best"}

    Returns
    -------
    ndarray of shape (n,) or (m, n)
    """
    validate({"degenerate": degenerate}, {"degenerate": OneOf(DEGENERATE)}, "alignment_curve")
    gram, kernel = np.asarray(gram, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if gram.shape[-2:] != kernel.shape or kernel.shape[0] != kernel.shape[1] or gram.ndim not in (2, 3):
        raise InvalidParameterError(
            f"alignment_curve: shapes {gram.shape} and {kernel.shape} must be (m,) n x n and n x n."
        )
    _, U = _eig_desc(gram)
    wv, V = _eig_desc(kernel)
    return _alignment(U, V, _degenerate_blocks(wv, rtol), degenerate)


def _alignment(U: np.ndarray, V: np.ndarray, blocks: list[tuple[int, int]], degenerate: str) -> np.ndarray:
    """g(k) from eigenvector bases U (..., n, n) and V (n, n), with V's degenerate blocks."""
    n = V.shape[0]
    C = np.swapaxes(U, -1, -2) @ V  # C[i, j] = u_i . v_j
    cum = np.cumsum(np.cumsum(C**2, axis=-2), axis=-1)  # cum[k-1, j-1] = ||U_k^T V_j||^2
    k = np.arange(1, n + 1)
    g = cum[..., k - 1, k - 1] / k
    for a, b in blocks:
        for kk in range(a + 1, b):
            before = cum[..., kk - 1, a - 1] if a > 0 else 0.0
            if degenerate == "mean":
                inside = (kk - a) / (b - a) * (cum[..., kk - 1, b - 1] - before)
            else:
                M = C[..., :kk, a:b]
                inside = np.linalg.eigvalsh(np.swapaxes(M, -1, -2) @ M)[..., ::-1][..., : kk - a].sum(axis=-1)
            g[..., kk - 1] = (before + inside) / kk
    return g


def alignment_area(g: np.ndarray) -> np.ndarray | float:
    """Mean over k of g(k) - k/n: 0 for a random subspace, (n - 1) / (2 n) at most.

    A float for one curve g of shape (n,); an array of one area per curve for a stack of
    curves of shape (..., n).
    """
    g = np.asarray(g, dtype=np.float64)
    n = g.shape[-1]
    return np.mean(g - np.arange(1, n + 1) / n, axis=-1)


def tree_kernel(distance: np.ndarray, alpha: float = 1.0, beta: float = 1.0) -> np.ndarray:
    """alpha * exp(-beta * distance), elementwise."""
    return alpha * np.exp(-beta * np.asarray(distance, dtype=np.float64))


# -- the hypernymy test ----------------------------------------------------------------------------
@dataclass
class HypernymyResult:
    """Alignment of sampled subtrees with the fitted tree kernel.

    Attributes
    ----------
    g : ndarray of shape (2**(height + 1) - 1,)
        Mean g(k) over subtrees (15 values at the default height 3); ``g_std`` its standard
        deviation over subtrees.
    g_shuffled : ndarray of the same shape
        Mean g(k) with the words shuffled among the positions.
    area, area_shuffled : ndarray of shape (n_samples,)
        Alignment area of each subtree, and of its shuffled copy.
    alpha, beta : float
        Tree kernel fitted to the pooled Gram entries against tree distance (or ``beta`` as given).
    n_subtrees : float
        How many perfect binary subtrees the tree holds.
    gram_by_distance : ndarray of shape (2 * height,)
        Mean Gram entry of the sampled subtrees' pairs at tree distance 1, 2, ..., 2 * height:
        whether the embedding's similarities fall with tree distance at all.
    fit_r2 : float
        R^2 of the kernel fit over the Gram entries (NaN when ``beta`` was given).
    fit_refused : str or None
        Why the fitted kernel is no decay (its amplitude is not positive, its decay length ran to the
        fit's bound, or the distance explains almost none of the Gram entries); the alignment is then measured against a
        kernel the embedding does not follow, and says nothing about the tree.
    """

    g: np.ndarray
    g_std: np.ndarray
    g_shuffled: np.ndarray
    area: np.ndarray
    area_shuffled: np.ndarray
    alpha: float
    beta: float
    n_subtrees: float
    gram_by_distance: np.ndarray
    fit_r2: float = float("nan")
    fit_refused: str | None = None

    @property
    def null(self) -> np.ndarray:
        n = len(self.g)
        return np.arange(1, n + 1) / n

    def as_dict(self) -> dict[str, float]:
        se = lambda a: float(np.std(a) / np.sqrt(len(a)))  # noqa: E731
        return {
            "area": float(np.mean(self.area)),
            "area_se": se(self.area),
            "area_shuffled": float(np.mean(self.area_shuffled)),
            "area_shuffled_se": se(self.area_shuffled),
            "alpha": self.alpha,
            "beta": self.beta,
            "samples": len(self.area),
            "subtrees": self.n_subtrees,
            "subtree_nodes": len(self.g),
            "gram_by_distance": self.gram_by_distance.tolist(),
            "fit_r2": self.fit_r2,
            "fit_refused": self.fit_refused,
        }


#: A fitted tree kernel whose R^2 is below this explains almost none of the Gram entries.
MIN_KERNEL_R2 = 0.01
#: A decay length this many times the largest subtree distance is no decay over the subtree.
MAX_DECAY_LENGTH = 1e3


def fit_tree_kernel(grams: np.ndarray, distance: np.ndarray) -> KernelFit:
    """Fit alpha exp(-beta d) to the off-diagonal entries of Gram matrices (m, n, n) against distances (n, n)."""
    grams = np.asarray(grams, dtype=np.float64)
    i, j = np.triu_indices(distance.shape[0], k=1)
    d = np.broadcast_to(distance[i, j], grams[:, i, j].shape)
    return fit_exponential_kernel(d.ravel(), grams[:, i, j].ravel(), offset=False, model="tree")


def tree_kernel_refused(fit: KernelFit, distance: np.ndarray) -> str | None:
    """Why a fitted tree kernel is no decay over subtrees with these distances (None when it is one)."""
    longest = float(np.max(distance))
    if not fit.params["amp"] > 0:  # alpha exp(-beta d) with alpha <= 0 rises (or stays flat) with distance
        return (
            f"the fitted amplitude {fit.params['amp']:.3g} is not positive: the Gram entries rise with tree "
            "distance instead of falling"
        )
    if fit.params["sigma"] > MAX_DECAY_LENGTH * longest:
        return (
            f"the fitted decay length {fit.params['sigma']:.3g} exceeds {MAX_DECAY_LENGTH:g} x the largest tree "
            f"distance ({longest:g}): the Gram entries do not fall with tree distance"
        )
    if not fit.r2 >= MIN_KERNEL_R2:
        return f"the fit explains {fit.r2:.2g} of the Gram entries' variance (under {MIN_KERNEL_R2:g})"
    return None


def hypernymy_alignment(
    vectors: np.ndarray,
    parent: np.ndarray,
    n_samples: int = 1000,
    height: int = 3,
    eligible: np.ndarray | None = None,
    beta: float | None = None,
    normalize: bool = True,
    degenerate: str = "mean",
    seed: int = 0,
) -> HypernymyResult:
    """Sample subtrees, fit the tree kernel, and compare eigenvectors: g(k), areas, shuffled baseline.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
        One row per tree node (rows of ineligible nodes are ignored).
    parent : ndarray of shape (n,)
    n_samples : int
        Subtrees drawn uniformly (with replacement).
    height : int
        Depth of the perfect binary subtrees (3: 15 nodes, as in the papers).
    eligible : ndarray of bool, shape (n,), optional
        Nodes that carry a vector (default all).
    beta : float, optional
        Use this kernel decay instead of fitting it.
    normalize : bool
        Use unit vectors (the cosine Gram matrix). Vector norms follow word frequency,
        and on a tree frequency follows depth even in a corpus whose tokens were
        shuffled; unit vectors keep that out of the score, so a structureless
        embedding scores the null.
    degenerate : {"mean", "best"}
        See :func:`alignment_curve`.
    seed : int
    """
    X = np.asarray(vectors, dtype=np.float64)
    if normalize:
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        X = X / np.where(norms > 0, norms, 1.0)
    if X.ndim != 2 or X.shape[0] != len(parent):
        raise InputDataError(f"need one vector per tree node: vectors {X.shape} for {len(parent)} nodes.")
    eligible = _eligible_mask(eligible, len(parent), "hypernymy_alignment")
    rng = np.random.default_rng(seed)
    trees = sample_perfect_subtrees(parent, n_samples, height, eligible, rng)
    n_subtrees = float(count_perfect_subtrees(parent, height, eligible)[:, height].sum())
    D = heap_distances(height)
    grams = np.einsum("sid,sjd->sij", X[trees], X[trees])
    alpha, r2, refused = 1.0, float("nan"), None
    if beta is None:
        fit = fit_tree_kernel(grams, D)
        alpha, beta, r2 = fit.params["amp"], 1.0 / fit.params["sigma"], fit.r2
        refused = tree_kernel_refused(fit, D)
    K = tree_kernel(D, 1.0, beta)
    i, j = np.triu_indices(D.shape[0], k=1)
    by_distance = np.array([grams[:, i, j][:, D[i, j] == d].mean() for d in range(1, int(D.max()) + 1)])
    g = alignment_curve(grams, K, degenerate)
    perms = np.array([rng.permutation(D.shape[0]) for _ in range(n_samples)])
    permuted = np.take_along_axis(np.take_along_axis(grams, perms[:, :, None], 1), perms[:, None, :], 2)
    shuffled = alignment_curve(permuted, K, degenerate)
    return HypernymyResult(
        g.mean(axis=0),
        g.std(axis=0),
        shuffled.mean(axis=0),
        # g and shuffled stack one curve per subtree (2-D), so their areas are arrays
        cast(np.ndarray, alignment_area(g)),
        cast(np.ndarray, alignment_area(shuffled)),
        float(alpha),
        float(beta),
        n_subtrees,
        by_distance,
        float(r2),
        refused,
    )


# -- Park et al.'s orthogonality --------------------------------------------------------------------
@dataclass
class ParkResult:
    """cos(l_child - l_parent, l_parent) over tree edges, and over random pairs for comparison.

    Attributes
    ----------
    cos : ndarray of shape (m,)
        One value per edge whose two ends carry vectors.
    cos_random : ndarray of shape (m,)
        The same with each parent replaced by a node drawn uniformly among those that are
        neither the child nor one of its ancestors (NaN for a child every other node is an
        ancestor of, as at the end of a chain).
    """

    cos: np.ndarray
    cos_random: np.ndarray

    def as_dict(self) -> dict[str, float]:
        return {
            "park_mean": float(np.mean(self.cos)),
            "park_std": float(np.std(self.cos)),
            "park_random_mean": _nanmean(self.cos_random),
            "edges": len(self.cos),
        }


def _nanmean(x: np.ndarray) -> float:
    finite = ~np.isnan(x)
    return float(np.mean(x[finite])) if finite.any() else float("nan")


def subtree_means(vectors: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Mean vector of each node's subtree (the node and all its descendants), shape (n, d)."""
    X = np.asarray(vectors, dtype=np.float64)
    parent = np.asarray(parent, dtype=np.int64)
    depth = np.zeros(len(parent), dtype=np.int64)
    for v in range(len(parent)):
        u, d = v, 0
        while parent[u] >= 0:
            u, d = parent[u], d + 1
        depth[v] = d
    sums, sizes = X.copy(), np.ones(len(parent))
    for v in np.argsort(-depth, kind="stable"):
        if parent[v] >= 0:
            sums[parent[v]] += sums[v]
            sizes[parent[v]] += sizes[v]
    return sums / sizes[:, None]


def park_diagnostic(
    vectors: np.ndarray, parent: np.ndarray, representation: str = "word", center: bool = True, seed: int = 0
) -> ParkResult:
    """Park et al.'s check that a child's offset from its parent is orthogonal to the parent.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    parent : ndarray of shape (n,)
    representation : {"word", "subtree"}
        A concept is its word's vector, or the mean vector of its subtree.
    center : bool
        Subtract the mean of all vectors first (cosines are not translation invariant).
    """
    validate({"representation": representation}, {"representation": OneOf(("word", "subtree"))}, "park_diagnostic")
    X = np.asarray(vectors, dtype=np.float64)
    parent = np.asarray(parent, dtype=np.int64)
    if center:
        X = X - X.mean(axis=0)
    if representation == "subtree":
        X = subtree_means(X, parent)
    child = np.flatnonzero(parent >= 0)
    if len(child) == 0:
        raise InputDataError("the tree has no edges.")
    other = _random_non_ancestors(parent, child, np.random.default_rng(seed))
    drawn = other >= 0
    cos_random = np.full(len(child), np.nan)
    cos_random[drawn] = _offset_cos(X, child[drawn], other[drawn])
    return ParkResult(_offset_cos(X, child, parent[child]), cos_random)


def _depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every node of a forest (roots 0)."""
    depth = np.zeros(len(parent), dtype=np.int64)
    up = parent.copy()
    for _ in range(len(parent) + 1):
        above = up >= 0
        if not above.any():
            return depth
        depth += above
        up[above] = parent[up[above]]
    raise InputDataError("the parent array has a cycle.")


def _random_non_ancestors(parent: np.ndarray, child: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each child, a node drawn uniformly among those that are neither it nor its ancestors (-1 if none).

    Rejection sampling: draw uniformly over all nodes, redraw where the draw is the child
    or one of its ancestors.
    """
    n = len(parent)
    depth = _depths(parent)
    other = np.full(len(child), -1, dtype=np.int64)
    pending = np.flatnonzero(n - 1 - depth[child] > 0)  # children with at least one allowed node
    while len(pending):
        c, o = child[pending], rng.integers(0, n, size=len(pending))
        up, u = depth[c] - depth[o], c.copy()  # climb from c to the depth of o
        while (up > 0).any():
            step = up > 0
            u[step] = parent[u[step]]
            up -= step
        allowed = u != o  # o is c or an ancestor of c exactly when the climb lands on it
        other[pending[allowed]] = o[allowed]
        pending = pending[~allowed]
    return other


def _offset_cos(X: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    diff, base = X[a] - X[b], X[b]
    den = np.linalg.norm(diff, axis=1) * np.linalg.norm(base, axis=1)
    return np.where(den > 0, np.sum(diff * base, axis=1) / np.where(den > 0, den, 1.0), 0.0)


# -- theory: scaling and wavelet modes ----------------------------------------------------------------
def tree_mode_subspaces(parent: np.ndarray) -> dict[Any, np.ndarray]:
    """Orthonormal bases of the scaling and wavelet subspaces of a tree.

    "scaling": functions constant on each depth. Level l (an int): wavelets at the
    nodes v of depth l, functions on v's strict descendants that are constant on each
    (child of v, depth) cell and orthogonal to the constant over v's descendants at that
    depth. The subspaces are orthogonal and together span R^n; a kernel that depends only
    on tree distance maps each into itself on a regular tree.

    Parameters
    ----------
    parent : ndarray of shape (n,)
        One root.

    Returns
    -------
    dict
        ``"scaling"`` and each level ``l`` -> ndarray of shape (n, dim).
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = len(parent)
    if np.sum(parent < 0) != 1:
        raise InvalidParameterError("tree_mode_subspaces: the tree must have exactly one root.")
    depth = np.zeros(n, dtype=np.int64)
    ancestors = []
    for v in range(n):
        chain, u = [v], v
        while parent[u] >= 0:
            u = parent[u]
            chain.append(u)
        ancestors.append(chain)
        depth[v] = len(chain) - 1
    spaces: dict[Any, list[np.ndarray]] = {"scaling": [_indicator(depth == t) for t in range(depth.max() + 1)]}
    for v in range(n):
        below = [x for x in range(n) if depth[x] > depth[v] and v in ancestors[x]]
        for t in sorted({int(depth[x]) for x in below}):
            cells: dict[int, list[int]] = {}
            for x in below:
                if depth[x] == t:
                    cells.setdefault(ancestors[x][t - depth[v] - 1], []).append(x)
            if len(cells) < 2:
                continue
            E = np.column_stack([_indicator(np.isin(np.arange(n), c)) for c in cells.values()])
            w = _indicator(np.isin(np.arange(n), [x for c in cells.values() for x in c]))
            E = E - np.outer(w, w @ E)
            Q, s, _ = np.linalg.svd(E, full_matrices=False)
            spaces.setdefault(int(depth[v]), []).append(Q[:, s > 1e-10])
    return {k: np.column_stack(v) for k, v in spaces.items()}


def _indicator(mask: np.ndarray) -> np.ndarray:
    v = mask.astype(np.float64)
    return v / np.sqrt(v.sum())


def classify_modes(eigenvectors: np.ndarray, parent: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Label each eigenvector by the tree subspace that holds most of it.

    Parameters
    ----------
    eigenvectors : ndarray of shape (n, m)
        Columns, e.g. ordered by decreasing eigenvalue.
    parent : ndarray of shape (n,)

    Returns
    -------
    labels : list of str or int, length m
        ``"scaling"`` or the wavelet level.
    purity : ndarray of shape (m,)
        Fraction of the squared norm inside that subspace (1 for an exact mode).
    """
    U = np.asarray(eigenvectors, dtype=np.float64)
    spaces = tree_mode_subspaces(parent)
    keys = list(spaces)
    weight = np.array([np.sum((spaces[k].T @ U) ** 2, axis=0) for k in keys]) / np.sum(U**2, axis=0)
    best = np.argmax(weight, axis=0)
    return [keys[b] for b in best], weight[best, np.arange(U.shape[1])]


# -- the API on an Embedding and a hierarchy ---------------------------------------------------------
@dataclass
class HypernymyReport:
    """The hypernymy test of one embedding on one hierarchy.

    Attributes
    ----------
    alignment : HypernymyResult
    park : ParkResult
    n_nodes : int
        Nodes of the tree of words (after contraction).
    n_roots : int
    """

    alignment: HypernymyResult
    park: ParkResult
    n_nodes: int
    n_roots: int

    def as_dict(self) -> dict[str, Any]:
        """The numbers of the report."""
        return {
            "nodes": self.n_nodes,
            "roots": self.n_roots,
            "alignment": self.alignment.as_dict(),
            "park": self.park.as_dict(),
        }

    def rows(self) -> list[tuple[str, str]]:
        a, pk = self.alignment.as_dict(), self.park.as_dict()
        return [
            ("tree of words", f"{self.n_nodes} nodes, {self.n_roots} roots"),
            ("perfect binary subtrees", f"{a['subtrees']:.3g} (sampled {a['samples']})"),
            ("kernel", f"alpha {a['alpha']:.4g}, beta {a['beta']:.4g}"),
            (
                "kernel fit",
                f"R^2 {a['fit_r2']:.3g}"
                + (
                    f"; refused: {a['fit_refused']} (the alignment then says nothing about the tree)"
                    if a["fit_refused"]
                    else ""
                ),
            ),
            ("alignment area", f"{a['area']:.4f} +- {a['area_se']:.4f}"),
            ("shuffled labels", f"{a['area_shuffled']:.4f} +- {a['area_shuffled_se']:.4f}"),
            ("null", f"0 (g(k) = k/{len(self.alignment.g)})"),
            ("Park cos(l_c - l_p, l_p)", f"{pk['park_mean']:.4f} +- {pk['park_std']:.3f} over {pk['edges']} edges"),
            ("Park, random pairs", f"{pk['park_random_mean']:.4f}"),
        ]


def hypernymy_report(
    embedding: Any, hierarchy: Any, n_samples: int = 1000, height: int = 3, seed: int = 0
) -> HypernymyReport:
    """Contract ``hierarchy`` to the embedding's words, then run :func:`hypernymy_alignment` and :func:`park_diagnostic`.

    Parameters
    ----------
    embedding : Embedding or path
    hierarchy : Hierarchy
        From :func:`cooc.geometry.wordnet.wordnet_hierarchy` or ``Hierarchy.from_edges``;
        nodes whose word is missing from the embedding are contracted away.
    n_samples, height, seed
        As in :func:`hypernymy_alignment`: subtrees drawn, their depth, the seed.
    """
    from ..embedding import as_embedding
    from .wordnet import Hierarchy

    embedding = as_embedding(embedding, "hypernymy_report")
    keys = embedding.key_to_index
    words = [w if w is not None and w in keys else None for w in hierarchy.words]
    tree = Hierarchy(hierarchy.names, hierarchy.parent, words).contract_to_words()
    if len(tree) == 0:
        raise InputDataError("no node of the hierarchy carries a word of the embedding's vocabulary.")
    vectors = np.asarray(embedding[list(tree.words)], dtype=np.float64)
    result = hypernymy_alignment(vectors, tree.parent, n_samples=n_samples, height=height, seed=seed)
    park = park_diagnostic(vectors, tree.parent, seed=seed)
    return HypernymyReport(result, park, len(tree), int(np.sum(tree.parent < 0)))
