#!/usr/bin/env python3
"""Makes reference.json, the scikit-learn fixture that Tests/ScoreTests/ReferenceTests.swift reads.

Run once from anywhere (needs numpy, scipy and scikit-learn: pip install scikit-learn):

    python3 Tests/ScoreTests/Fixtures/make_fixtures.py

It writes, next to itself:

- "clusterings": random label/cluster vectors (with label -1 = unknown and cluster -1 =
  unassigned in some) and what `score` should report for them: NMI and ARI from
  scikit-learn on the records with a label (cluster -1 a group of its own), ACC from
  scipy's linear_sum_assignment on the contingency table without the -1 column divided
  by all scored records, purity with the -1 column counted as wrong.
- "probe": a small embedding set (4 Gaussian blobs in 8 dimensions, values rounded to
  4 decimals and stored as float32) split into train and test, with
  * "linear": scikit-learn LogisticRegression(C) (lbfgs, multinomial) fitted to the
    StandardScaler'd train features, run to a tight tolerance: its test predictions,
    accuracy, and its objective mean cross-entropy + ||W||^2 / (2 C n) evaluated in
    float64 at its solution;
  * "knn": the weighted kNN vote (cosine similarity, k nearest, weight exp(sim / T),
    argmax), written plainly in numpy below: predictions and accuracy.
"""

import json
import os

import numpy as np
import scipy
import sklearn
from scipy.optimize import linear_sum_assignment
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import StandardScaler

SEED = 20240611
rng = np.random.default_rng(SEED)


def clustering_case(name, labels, clusters):
    labels = np.asarray(labels, dtype=np.int64)
    clusters = np.asarray(clusters, dtype=np.int64)
    keep = labels != -1
    y, c = labels[keep], clusters[keep]
    classes = np.unique(y)
    assigned = np.unique(c[c != -1])
    table = np.zeros((len(classes), len(assigned)), dtype=np.int64)
    for i, label in enumerate(classes):
        for j, cluster in enumerate(assigned):
            table[i, j] = np.sum((y == label) & (c == cluster))
    rows, cols = linear_sum_assignment(-table)
    acc = table[rows, cols].sum() / len(y)
    purity = table.max(axis=0).sum() / len(y) if table.size else 0.0
    return {
        "name": name,
        "labels": labels.tolist(),
        "clusters": clusters.tolist(),
        "n": int(len(y)),
        "skipped": int((~keep).sum()),
        "unassigned": int((c == -1).sum()),
        "acc": float(acc),
        "nmi": float(normalized_mutual_info_score(y, c)),
        "ari": float(adjusted_rand_score(y, c)),
        "purity": float(purity),
    }


def noisy(labels, k, flip):
    """Clusters that follow the labels through a random permutation, some reassigned at random."""
    permutation = rng.permutation(max(k, labels.max() + 1))
    clusters = permutation[labels] % k
    noise = rng.random(len(labels)) < flip
    clusters[noise] = rng.integers(0, k, noise.sum())
    return clusters


def clusterings():
    cases = []
    y = rng.integers(0, 5, 200)
    cases.append(clustering_case("5 labels, 5 clusters, 30% noise", y, noisy(y, 5, 0.3)))
    y = rng.integers(0, 3, 150)
    cases.append(clustering_case("3 labels, 7 clusters", y, noisy(y, 7, 0.4) + 3 * (rng.random(150) < 0.3)))
    y = rng.integers(0, 6, 120)
    cases.append(clustering_case("6 labels, 3 clusters", y, noisy(y, 3, 0.2)))
    y = rng.integers(0, 4, 160)
    c = noisy(y, 4, 0.25)
    y[rng.random(160) < 0.1] = -1
    c[rng.random(160) < 0.1] = -1
    cases.append(clustering_case("label -1 and cluster -1", y, c))
    cases.append(clustering_case("random, 10 and 10", rng.integers(0, 10, 60), rng.integers(0, 10, 60)))
    y = rng.choice([0, 7, 100000], 50)
    c = rng.choice([3, 99, 123456], 50)
    c[y == 7] = 99
    cases.append(clustering_case("sparse values", y, c))
    return cases


def knn_predict(train_x, train_y, test_x, k, temperature, classes):
    def unit(x):
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return x / np.where(norms > 0, norms, 1)

    sims = unit(test_x.astype(np.float64)) @ unit(train_x.astype(np.float64)).T
    predictions = []
    for row in sims:
        nearest = np.argsort(-row, kind="stable")[:k]
        votes = np.zeros(classes)
        np.add.at(votes, train_y[nearest], np.exp(row[nearest] / temperature))
        predictions.append(int(np.argmax(votes)))
    return np.array(predictions)


def probe():
    d, classes, n_train, n_test = 8, 4, 160, 80
    centres = rng.normal(0, 1.2, (classes, d))
    scales = rng.uniform(0.5, 3, d)  # unequal feature scales, so standardising matters

    def sample(n):
        y = rng.integers(0, classes, n)
        x = (centres[y] + rng.normal(0, 1, (n, d))) * scales + rng.normal(0, 2, d)
        return np.round(x, 4).astype(np.float32), y

    train_x, train_y = sample(n_train)
    test_x, test_y = sample(n_test)
    scaler = StandardScaler().fit(train_x.astype(np.float64))
    xs_train = scaler.transform(train_x.astype(np.float64))
    xs_test = scaler.transform(test_x.astype(np.float64))
    linear = []
    for c in (0.05, 1.0):
        model = LogisticRegression(C=c, tol=1e-12, max_iter=100000).fit(xs_train, train_y)
        z = xs_train @ model.coef_.T + model.intercept_
        z -= z.max(axis=1, keepdims=True)
        cross_entropy = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(n_train), train_y])
        objective = cross_entropy + (model.coef_ ** 2).sum() / (2 * c * n_train)
        predictions = model.predict(xs_test)
        linear.append({
            "C": c,
            "objective": float(objective),
            "predictions": predictions.tolist(),
            "accuracy": float(np.mean(predictions == test_y)),
        })
    knn = []
    for k, temperature in ((5, 0.07), (20, 0.5)):
        predictions = knn_predict(train_x, train_y, test_x, k, temperature, classes)
        knn.append({
            "k": k,
            "temperature": temperature,
            "predictions": predictions.tolist(),
            "accuracy": float(np.mean(predictions == test_y)),
        })

    def flat(x):
        return [float(round(float(v), 4)) for v in x.ravel()]

    return {
        "dimension": d,
        "classes": classes,
        "train_x": flat(train_x),
        "train_y": train_y.tolist(),
        "test_x": flat(test_x),
        "test_y": test_y.tolist(),
        "linear": linear,
        "knn": knn,
    }


def main():
    fixture = {
        "format": "unsup score reference, version 1",
        "made_by": "Tests/ScoreTests/Fixtures/make_fixtures.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__},
        "seed": SEED,
        "clusterings": clusterings(),
        "probe": probe(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
