#!/usr/bin/env python3
"""Makes reference.json, the scikit-learn fixture that Tests/ClusterTests/ReferenceTests.swift reads.

Run once from anywhere (needs numpy and scikit-learn: pip install scikit-learn):

    python3 Tests/ClusterTests/Fixtures/make_fixtures.py

It writes, next to itself, two small deterministic datasets and what scikit-learn makes of
them from fixed starting points (no randomness left in either fit):

- "blobs": 300 points in 6-D from 4 anisotropic Gaussian blobs (sizes 100, 80, 70, 50)
  that overlap somewhat; "mixture1d": 300 points in 1-D from 3 overlapping Gaussians.
  Values are rounded to 4 decimals and then made float32, which is what the Swift side
  reads; scikit-learn is given the same float32 values, widened to float64.
- "kmeans": KMeans(n_clusters=k, init=<fixed centres>, n_init=1, algorithm="lloyd",
  tol=1e-4, max_iter=300): final cluster_centers_, labels_, inertia_, n_iter_. The
  fixed centres are records of the dataset, so the fit takes several iterations. Also the
  smallest gap, over records, between the nearest and second-nearest final centre's squared
  distance (a measure of how close the labels are to a tie).
- "gmm": GaussianMixture(n_components=k, covariance_type="diag", "spherical", "full" or "tied",
  reg_covar=1e-6, tol=1e-3, max_iter=100, means_init / weights_init / precisions_init
  fixed): final weights_, means_, covariances_ (the variances), n_iter_, score(X)
  (mean log-likelihood per record with the final parameters), bic(X), predict(X), the
  mean lower bound after each EM iteration (found by refitting with max_iter = 1, 2, …,
  n_iter_: this is the log-likelihood of the parameters *before* that iteration's
  M-step, which is what both implementations test against tol), and the smallest gap
  between the largest and second-largest log responsibility of a record; and
  "tol_margin", how far the closest |change of lower bound| came to tol (the script
  refuses a start whose fit comes within 1e-5 of it, or, for full and tied, whose
  covariances are ill-conditioned: float32 could not follow either).
  The starting variances are stored as "variances_init": 1 / precisions_init for diag
  and spherical; for full (k × d × d) and tied (d × d) the covariance matrices, whose
  inverses are precisions_init. "variances" likewise holds covariances_, flattened.
"""

import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

SEED = 20240612
rng = np.random.default_rng(SEED)


def as_float32(x):
    """Rounded to 4 decimals, then float32, then back to float64 for scikit-learn."""
    return np.round(x, 4).astype(np.float32).astype(np.float64)


def blobs():
    d = 6
    sizes = [100, 80, 70, 50]
    centres = np.array([
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [3.0, 1.5, 0.0, -1.0, 0.5, 0.0],
        [0.5, 3.0, 2.5, 0.0, -1.0, 1.0],
        [2.5, -1.0, 2.0, 2.5, 1.0, -1.5],
    ])
    scales = rng.uniform(0.5, 1.4, size=(4, d))
    parts = [centres[c] + scales[c] * rng.standard_normal((n, d)) for c, n in enumerate(sizes)]
    x = np.concatenate(parts)
    truth = np.concatenate([np.full(n, c) for c, n in enumerate(sizes)])
    order = rng.permutation(len(x))
    return as_float32(x[order]), truth[order]


def mixture1d():
    sizes = [120, 100, 80]
    means = [-2.0, 0.5, 3.0]
    stds = [0.7, 0.5, 1.0]
    x = np.concatenate([m + s * rng.standard_normal(n) for m, s, n in zip(means, stds, sizes)])
    truth = np.concatenate([np.full(n, c) for c, n in enumerate(sizes)])
    order = rng.permutation(len(x))
    return as_float32(x[order])[:, None], truth[order]


def nearest_gap(values):
    """Per row, second smallest minus smallest; the minimum over rows."""
    part = np.partition(values, 1, axis=1)
    return float(np.min(part[:, 1] - part[:, 0]))


def kmeans_case(name, x, init_rows):
    init = x[init_rows].copy()
    km = KMeans(n_clusters=len(init_rows), init=init, n_init=1, algorithm="lloyd", tol=1e-4, max_iter=300)
    km.fit(x)
    d2 = ((x[:, None, :] - km.cluster_centers_[None, :, :]) ** 2).sum(-1)
    assert np.array_equal(d2.argmin(1), km.labels_)
    return {
        "name": name,
        "data": name.split("/")[0],
        "k": len(init_rows),
        "init_rows": list(map(int, init_rows)),
        "init": init.ravel().tolist(),
        "centers": km.cluster_centers_.ravel().tolist(),
        "labels": km.labels_.tolist(),
        "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_),
        "min_gap": nearest_gap(d2),
    }


def gmm_case(name, x, covariance, means_rows, init_variances):
    k = len(means_rows)
    d = x.shape[1]
    means = x[means_rows].copy()
    weights = np.full(k, 1.0 / k)
    variances = np.asarray(init_variances, dtype=np.float64)
    # diag and spherical: precisions are 1 / variances; full and tied: matrix inverses.
    precisions = np.linalg.inv(variances) if covariance in ("full", "tied") else 1.0 / variances

    def make(max_iter):
        return GaussianMixture(
            n_components=k, covariance_type=covariance, reg_covar=1e-6, tol=1e-3, max_iter=max_iter,
            weights_init=weights, means_init=means, precisions_init=precisions, random_state=0)

    gm = make(100).fit(x)
    assert gm.converged_, name
    trajectory = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for m in range(1, gm.n_iter_ + 1):
            trajectory.append(float(make(m).fit(x).lower_bound_))
    assert trajectory[-1] == gm.lower_bound_
    # Every iteration's change must be clearly on one side of tol, or float32 rounding
    # could stop our EM an iteration earlier or later than scikit-learn's.
    tol_margin = float(np.min(np.abs(np.abs(np.diff(trajectory)) - 1e-3)))
    assert tol_margin > 1e-5, (name, tol_margin)
    if covariance in ("full", "tied"):
        matrices = gm.covariances_ if covariance == "full" else gm.covariances_[None]
        assert max(np.linalg.cond(m) for m in matrices) < 1e3, name
    log_resp = gm._estimate_weighted_log_prob(x)
    labels = gm.predict(x)
    assert np.array_equal(labels, log_resp.argmax(1))
    return {
        "name": name,
        "data": name.split("/")[0],
        "k": k,
        "covariance": covariance,
        "weights_init": weights.tolist(),
        "means_init": means.ravel().tolist(),
        "variances_init": variances.ravel().tolist(),
        "weights": gm.weights_.tolist(),
        "means": gm.means_.ravel().tolist(),
        "variances": np.asarray(gm.covariances_).ravel().tolist(),
        "n_iter": int(gm.n_iter_),
        "score": float(gm.score(x)),
        "bic": float(gm.bic(x)),
        "labels": labels.tolist(),
        "lower_bounds": trajectory,
        "min_gap": nearest_gap(-log_resp),
        "tol_margin": tol_margin,
    }


def main():
    xb, yb = blobs()
    x1, y1 = mixture1d()
    assert xb.shape == (300, 6) and x1.shape == (300, 1)
    # Starting points: records of the (shuffled) data, so from whichever blobs they came.
    var_b = xb.var(axis=0)
    kmeans = [
        kmeans_case("blobs/first4", xb, [0, 1, 2, 3]),
        kmeans_case("blobs/other4", xb, [10, 57, 123, 250]),
        kmeans_case("mixture1d/first3", x1, [0, 1, 2]),
    ]
    gmm = [
        gmm_case("blobs/diag", xb, "diag", [0, 1, 2, 3], np.tile(var_b, (4, 1))),
        gmm_case("blobs/spherical", xb, "spherical", [0, 1, 2, 3], np.full(4, var_b.mean())),
        # From records 0..3, full covariances let one component shrink onto 6 records (a
        # singular covariance held up only by reg_covar, whose log-determinant float32
        # cannot follow); these starts give well-conditioned covariances throughout.
        gmm_case("blobs/full", xb, "full", [12, 13, 14, 15], np.tile(np.cov(xb.T, bias=True), (4, 1, 1))),
        gmm_case("blobs/tied", xb, "tied", [8, 9, 10, 11], np.cov(xb.T, bias=True)),
        gmm_case("mixture1d/diag", x1, "diag", [0, 1, 2], np.full((3, 1), x1.var())),
        gmm_case("mixture1d/spherical", x1, "spherical", [0, 1, 2], np.full(3, x1.var())),
    ]
    out = {
        "format": "unsup cluster reference, version 1",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "data": {
            "blobs": {"n": 300, "d": 6, "x": xb.ravel().tolist(), "truth": yb.tolist()},
            "mixture1d": {"n": 300, "d": 1, "x": x1.ravel().tolist(), "truth": y1.tolist()},
        },
        "kmeans": kmeans,
        "gmm": gmm,
    }
    for case in kmeans:
        print(f"kmeans {case['name']}: n_iter {case['n_iter']}, inertia {case['inertia']:.6f}, min gap {case['min_gap']:.2e}")
    for case in gmm:
        print(f"gmm {case['name']}: n_iter {case['n_iter']}, score {case['score']:.6f}, bic {case['bic']:.3f}, "
              f"min log-resp gap {case['min_gap']:.2e}, last change {case['lower_bounds'][-1] - case['lower_bounds'][-2]:.2e}, tol margin {case['tol_margin']:.1e}")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")

    def short(v):
        # float64 values with 17 significant digits round-trip; data values print as float32.
        return float(f"{v:.10g}")

    def shorten(o):
        if isinstance(o, float):
            return short(o)
        if isinstance(o, list):
            return [shorten(v) for v in o]
        if isinstance(o, dict):
            return {k: shorten(v) for k, v in o.items()}
        return o

    # Data values are float32 of 4-decimal numbers: print them as those 4-decimal numbers,
    # which read back as the same float32. Everything else keeps 10 significant digits
    # (far tighter than the tests' tolerances).
    for key in ("blobs", "mixture1d"):
        out["data"][key]["x"] = [float(np.format_float_positional(np.float32(v), unique=True)) for v in out["data"][key]["x"]]
    with open(path, "w") as f:
        json.dump(shorten(out), f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path):,} bytes)")


if __name__ == "__main__":
    main()
