"""The reference transformer of issue 10 in PyTorch (CPU): nn.TransformerEncoder of 4 post-LN layers (d_model 128,
nhead 4, dim_feedforward 512, dropout 0, relu, batch_first), Adam on an MSE loss, batch 16 x sequence 80: the same
model and step as ReferenceTransformer.ts. Prints one JSON line: {"torch": version, "threads": n, "params": p,
"ms": [per-step times], "loss": [...]}.

Usage: python3 reference_transformer.py THREADS STEPS
"""
import json
import sys
import time

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 12
torch.set_num_threads(threads)
torch.manual_seed(7)
layer = torch.nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512, dropout=0.0, batch_first=True)
model = torch.nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False)
model.train()
params = sum(p.numel() for p in model.parameters())
x = torch.rand(16, 80, 128) * 2 - 1
target = torch.rand(16, 80, 128) * 2 - 1
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
times, losses = [], []
for _ in range(steps):
    t0 = time.perf_counter()
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), target)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "params": params, "ms": times, "loss": losses}))
