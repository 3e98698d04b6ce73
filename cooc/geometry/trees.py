"""Distances on a forest given by parent indices (WordNet hierarchies, sampled subtrees)."""

from __future__ import annotations

import numpy as np

from .._core.errors import InvalidParameterError


def tree_distances(parent: np.ndarray) -> np.ndarray:
    """Number of edges on the path between every two nodes of a forest (inf across trees).

    Built row by row from the roots down: a child's row is its parent's row plus one,
    minus two on the child's own subtree (those nodes are one step nearer). O(n^2) time
    and memory: meant for trees of words (thousands of nodes), not all of WordNet's synsets.

    Parameters
    ----------
    parent : ndarray of shape (n,)
        Parent index, -1 for a root.

    Returns
    -------
    ndarray of shape (n, n), float64
        Symmetric, 0 on the diagonal, ``inf`` between nodes of different trees.
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = len(parent)
    if parent.ndim != 1 or np.any(parent >= n) or np.any(parent < -1) or np.any(parent == np.arange(n)):
        raise InvalidParameterError("tree_distances: 'parent' must hold indices of other nodes, -1 for roots.")
    depth = np.full(n, -1, dtype=np.int64)
    root = np.full(n, -1, dtype=np.int64)
    below = np.zeros((n, n), dtype=bool)  # below[x, a]: a is x or an ancestor of x
    for v in range(n):
        chain, u = [], v
        while u >= 0 and depth[u] < 0:
            chain.append(u)
            u = int(parent[u])
            if len(chain) > n:
                raise InvalidParameterError("tree_distances: 'parent' has a cycle.")
        base, top = (-1, -1) if u < 0 else (int(depth[u]), int(root[u]))
        for w in reversed(chain):
            base += 1
            depth[w] = base
            top = w if top < 0 else top
            root[w] = top
    for x in range(n):
        u = x
        while u >= 0:
            below[x, u] = True
            u = int(parent[u])
    D = np.full((n, n), np.inf)
    for v in np.argsort(depth, kind="stable"):
        p = parent[v]
        if p < 0:
            same = root == v
            D[v, same] = depth[same]
        else:
            D[v] = D[p] + 1.0 - 2.0 * below[:, v]
    return D


__all__ = ["tree_distances"]
