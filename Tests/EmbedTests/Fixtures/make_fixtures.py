#!/usr/bin/env python3
"""Makes reference.json, scikit-learn's PCA of a small fixed dataset, for PCAReferenceTests.

Run once from anywhere (needs numpy and scikit-learn):

    python3 Tests/EmbedTests/Fixtures/make_fixtures.py

The data: 60 rows of 7 values, drawn from a seeded normal with unequal variances and
correlations (so the components are well separated), rounded to float32. The fixture holds
the data, then for 3 components: explained_variance_ (n − 1), components_ with each row's
largest-magnitude entry made positive (embed's sign convention; scikit-learn's own depends
on the SVD), and transform() with and without whitening under those signs.
"""

import json
import os

import numpy as np
import sklearn
from sklearn.decomposition import PCA

rng = np.random.default_rng(7)
mixing = rng.normal(size=(7, 7)) * np.array([3.0, 2.0, 1.2, 0.8, 0.5, 0.3, 0.1])[:, None]
x = (rng.normal(size=(60, 7)) @ mixing + rng.normal(size=7)).astype(np.float32)
data = x.astype(np.float64)

out = {"format": "unsup embed PCA reference, version 1", "sklearn": sklearn.__version__,
       "n": 60, "d": 7, "k": 3, "x": [float(v) for v in x.reshape(-1)]}
for whiten in (False, True):
    pca = PCA(n_components=3, whiten=whiten, svd_solver="full").fit(data)
    components = pca.components_.copy()
    signs = np.sign(components[np.arange(3), np.argmax(np.abs(components), axis=1)])
    components *= signs[:, None]
    projected = pca.transform(data) * signs[None, :]
    key = "whitened" if whiten else "plain"
    out[key] = {"variances": pca.explained_variance_.tolist(), "components": components.reshape(-1).tolist(),
                "projected": projected.reshape(-1).tolist()}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print(f"wrote {path}")
