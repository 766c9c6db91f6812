# PyTorch side of bench/optim_step.lua: opt.step() alone on the FER CNN's
# parameters (the model of ../shared/bench/torch_cpu_anchor.py), gradients set
# to random values. Benchmark only: run with Debian's /usr/bin/python3 (python3-torch).
#   /usr/bin/python3 bench/optim_step_torch.py [--width 1] [--optim adam] [--reps 30] [--threads 2] [--foreach]
import argparse, json, math, statistics, time
import torch, torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("--width", type=float, default=1.0)
ap.add_argument("--optim", default="adam", choices=["adam", "adamw", "sgd", "rmsprop"])
ap.add_argument("--reps", type=int, default=30)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--foreach", action="store_true", help="torch's multi-tensor (foreach) implementation")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def fer_cnn(width, p=0.25):
    r = lambda c: max(1, int(math.floor(c * width + 0.5)))
    def block(cin, cout, k):
        return [nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(p)]
    c1, c2, c3, c4, d1, d2 = r(64), r(128), r(512), r(512), r(256), r(512)
    return nn.Sequential(*block(1, c1, 3), *block(c1, c2, 5), *block(c2, c3, 3), *block(c3, c4, 3), nn.Flatten(),
                         nn.Linear(c4 * 9, d1), nn.BatchNorm1d(d1), nn.ReLU(), nn.Dropout(p),
                         nn.Linear(d1, d2), nn.BatchNorm1d(d2), nn.ReLU(), nn.Dropout(p), nn.Linear(d2, 7))


params = list(fer_cnn(a.width).parameters())
kw = {"foreach": a.foreach}
opt = {"adam": lambda: torch.optim.Adam(params, lr=5e-4, **kw),
       "adamw": lambda: torch.optim.AdamW(params, lr=5e-4, **kw),
       "sgd": lambda: torch.optim.SGD(params, lr=1e-2, momentum=0.9, **kw),
       "rmsprop": lambda: torch.optim.RMSprop(params, lr=1e-3, **kw)}[a.optim]()
for q in params:
    q.grad = torch.randn_like(q) * 1e-3
for _ in range(3):
    opt.step()
ts = []
for _ in range(a.reps):
    t0 = time.perf_counter(); opt.step(); ts.append(time.perf_counter() - t0)
print(json.dumps({"side": "torch", "version": torch.__version__, "optim": a.optim, "foreach": a.foreach,
                  "width": a.width, "params": sum(q.numel() for q in params), "tensors": len(params),
                  "threads": a.threads, "step_ms": round(statistics.median(ts) * 1e3, 1),
                  "best_ms": round(min(ts) * 1e3, 1)}))
