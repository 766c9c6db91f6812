# PyTorch side of bench/cpu_vs_torch.sh: the FER CNN of examples/fer_cnn.lua
# (channels max(1, floor(c * width + 0.5))) trained and run on the CPU,
# measured as bench/train_fercnn.lua --steps measures mien: four fixed random
# batches; per step zero_grad + forward + loss + backward + Adam + the loss
# on the host; the median and best of --steps steps after --warmup; then
# inference on one --infer-batch batch (median of max(3, steps // 4) passes
# after one). --bf16: torch.autocast("cpu", bfloat16) around forward and loss.
# Prints one JSON line, with torch's version and its oneDNN.
# Benchmark only (never a dependency of mien): Debian's /usr/bin/python3 with python3-torch.
#   /usr/bin/python3 bench/torch_fercnn.py [--width 1] [--threads 2] [--steps 20] [--infer-batch 1024] [--bf16]
import argparse, json, math, re, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--width", type=float, default=1.0)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--infer-batch", type=int, default=1024)
ap.add_argument("--steps", type=int, default=20)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--bf16", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def fer_cnn(width, p=0.25):
    ch = lambda c: max(1, int(math.floor(c * width + 0.5)))
    layers, cin = [], 1
    for cout, k in ((ch(64), 3), (ch(128), 5), (ch(512), 3), (ch(512), 3)):
        layers += [nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2),
                   nn.Dropout(p)]
        cin = cout
    d1, d2 = ch(256), ch(512)
    layers += [nn.Flatten(), nn.Linear(cin * 9, d1), nn.BatchNorm1d(d1), nn.ReLU(), nn.Dropout(p),
               nn.Linear(d1, d2), nn.BatchNorm1d(d2), nn.ReLU(), nn.Dropout(p), nn.Linear(d2, 7)]
    return nn.Sequential(*layers)


def timed(fn, n, warm):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


model = fer_cnn(a.width)
opt = torch.optim.Adam(model.parameters(), lr=5e-4)
xs = [torch.rand(a.batch, 1, 48, 48) for _ in range(4)]
ys = [torch.randint(0, 7, (a.batch,)) for _ in range(4)]
step = [0]


def train_step():
    k = step[0] % 4
    step[0] += 1
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
        loss = F.cross_entropy(model(xs[k]), ys[k])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    loss.item()


model.train()
med, best = timed(train_step, a.steps, a.warmup)
xi = torch.rand(a.infer_batch, 1, 48, 48)


def infer():
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
        model(xi)[0, 0].item()


model.eval()
imed, _ = timed(infer, max(3, a.steps // 4), 1)
config = torch.__config__.show()
onednn = re.search(r"(oneDNN|MKL-DNN) v[\d.]+", config)
capability = re.search(r"CPU capability usage: (\S+)", config)
print(json.dumps({"side": "torch", "version": torch.__version__, "width": a.width, "threads": a.threads,
                  "precision": "bf16" if a.bf16 else "fp32", "train_batch": a.batch,
                  "train_img_s": round(a.batch / med, 1), "train_img_s_best": round(a.batch / best, 1),
                  "infer_batch": a.infer_batch, "infer_img_s": round(a.infer_batch / imed, 1),
                  "kernels": {"onednn": onednn.group(0) if onednn else "none",
                              "mkldnn_enabled": torch.backends.mkldnn.is_available(),
                              "cpu_capability": capability.group(1) if capability else "unknown"}}))
