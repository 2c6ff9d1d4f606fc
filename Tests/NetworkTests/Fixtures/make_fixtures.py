#!/usr/bin/env python3
"""Makes reference.json, the PyTorch autograd fixture for the hand-written backprop in Network.

Run once from anywhere (needs torch and numpy):

    python3 Tests/NetworkTests/Fixtures/make_fixtures.py

It writes, next to itself, two deterministic training runs of two steps each on a tiny
float32 network (CPU): Net = head(encoder(x)), encoder = relu(conv1 1→2, 3×3) → relu(conv2
2→3, 3×3) → max_pool2d(2) → flatten (12) → fc (12→5), head = Linear(5, 6) → ReLU → Linear(6, 4),
on 1×8×8 images drawn from torch.randn. Parameters get PyTorch's default init and are
stored by their state_dict names, flattened in PyTorch's own (C) order; "shapes" gives dims.

- "moco": a MoCo v2 step, batch 3, queue 7 × 4 of unit rows (ring pointer from 0, so the
  second step wraps), τ = 0.2. The key net starts from a different seed; each step it takes
  pk = m·pk + (1 − m)·pq (m = 0.9, pq before the query's update) before encoding the keys;
  loss = cross_entropy([zq·zk, zq·queueᵀ] / τ, 0); SGD(lr 0.1, momentum 0.9, weight decay
  1e-4) on the query net; then the keys are enqueued in order.
- "simclr": NT-Xent on 3 images × 2 interleaved views (views 2i, 2i+1 are image i), τ = 0.5:
  sim = z·zᵀ / τ with the diagonal at −inf, cross_entropy against partner i ^ 1, averaged
  over the 6 rows; AdamW(lr 0.01, weight decay 0.1, default betas and eps).
Each step records its inputs and its loss (before the update); values are float32 written
as float(x), which reads back as the same float32.
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.conv2 = nn.Conv2d(2, 3, 3)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        return self.fc(torch.flatten(x, 1))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 4))

    def forward(self, x):
        return self.head(self.encoder(x))


def net(seed):
    torch.manual_seed(seed)
    return Net()


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def params(model):
    return {name: flat(p) for name, p in model.state_dict().items()}


def moco():
    B, K, D, tau, m = 3, 7, 4, 0.2, 0.9
    q, k = net(1), net(2)
    opt = torch.optim.SGD(q.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    torch.manual_seed(3)
    queue = F.normalize(torch.randn(K, D), dim=1)
    ptr = 0
    out = {"batch": B, "queue_size": K, "dimension": D, "temperature": tau, "momentum": m,
           "lr": 0.1, "sgd_momentum": 0.9, "weight_decay": 1e-4,
           "query_initial": params(q), "key_initial": params(k), "queue_initial": flat(queue), "steps": []}
    for _ in range(2):
        xq, xk = torch.randn(B, 1, 8, 8), torch.randn(B, 1, 8, 8)
        zq = F.normalize(q(xq), dim=1)
        with torch.no_grad():
            for pk, pq in zip(k.parameters(), q.parameters()):
                pk.mul_(m).add_(pq, alpha=1 - m)
            zk = F.normalize(k(xk), dim=1)
        logits = torch.cat([(zq * zk).sum(1, keepdim=True), zq @ queue.T], 1) / tau
        loss = F.cross_entropy(logits, torch.zeros(B, dtype=torch.long))
        opt.zero_grad()
        loss.backward()
        opt.step()
        for i in range(B):
            queue[ptr] = zk[i]
            ptr = (ptr + 1) % K
        out["steps"].append({"query_input": flat(xq), "key_input": flat(xk), "loss": loss.item()})
    out.update(query_final=params(q), key_final=params(k), queue_final=flat(queue))
    return out


def simclr():
    N, tau = 3, 0.5
    model = net(4)
    opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1)
    out = {"images": N, "dimension": 4, "temperature": tau, "lr": 0.01, "weight_decay": 0.1,
           "initial": params(model), "steps": []}
    torch.manual_seed(5)
    target = torch.arange(2 * N) ^ 1
    for _ in range(2):
        x = torch.randn(2 * N, 1, 8, 8)
        z = F.normalize(model(x), dim=1)
        sim = (z @ z.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
        loss = F.cross_entropy(sim, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        out["steps"].append({"input": flat(x), "loss": loss.item()})
    out["final"] = params(model)
    return out


def main():
    out = {"moco": moco(), "simclr": simclr(),
           "shapes": {name: list(p.shape) for name, p in Net().state_dict().items()}}
    for run, first, last in (("moco", "query_initial", "query_final"), ("simclr", "initial", "final")):
        losses = [s["loss"] for s in out[run]["steps"]]
        assert all(math.isfinite(v) for v in losses), run
        assert out[run][first] != out[run][last], run
        print(f"{run}: losses {losses}")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path):,} bytes)")


if __name__ == "__main__":
    main()
