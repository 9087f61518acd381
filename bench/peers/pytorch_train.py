"""PyTorch peer for bench/native-kernels.ts: one IMPALA learner update (forward over T+1 steps,
V-trace, the IMPALA loss, backward, global-norm clip, RMSProp) on the same networks as Coknight's
'minatar' and 'impala-shallow', on CPU with a fixed thread count. Driven over stdin so that the
Node bench can interleave it with its own runs: each line "<net> <reps>" answers with one JSON
line of per-update seconds. Run by the bench; needs Debian's python3-torch (/usr/bin/python3)."""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

T, B, A = 20, 32, 6
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(1)


class Net(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        if spec == 'minatar':
            self.shape, self.scale = (4, 10, 10), 1.0
            self.convs = nn.ModuleList([nn.Conv2d(4, 16, 3, 1)])
            feat = 16 * 8 * 8
            self.fc = nn.Linear(feat, 128)
        else:
            self.shape, self.scale = (4, 84, 84), 1 / 255
            self.convs = nn.ModuleList([nn.Conv2d(4, 16, 8, 4), nn.Conv2d(16, 32, 4, 2)])
            self.fc = nn.Linear(32 * 9 * 9, 256)
        self.policy = nn.Linear(self.fc.out_features, A)
        self.value = nn.Linear(self.fc.out_features, 1)

    def forward(self, x):
        h = x * self.scale
        for c in self.convs:
            h = F.relu(c(h))
        h = F.relu(self.fc(h.flatten(1)))
        return self.policy(h), self.value(h).squeeze(1)


@torch.no_grad()
def vtrace(behaviour, target, actions, discounts, rewards, values, bootstrap):
    """scalable_agent's V-trace with ρ̄ = c̄ = 1, time-major [T, B]."""
    lp_t = F.log_softmax(target, -1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    lp_b = F.log_softmax(behaviour, -1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    rho = torch.exp(lp_t - lp_b)
    clipped = rho.clamp(max=1.0)
    cs = rho.clamp(max=1.0)
    next_values = torch.cat([values[1:], bootstrap.unsqueeze(0)], 0)
    deltas = clipped * (rewards + discounts * next_values - values)
    acc = torch.zeros_like(bootstrap)
    out = []
    for t in range(T - 1, -1, -1):
        acc = deltas[t] + discounts[t] * cs[t] * acc
        out.append(acc)
    vs = torch.stack(out[::-1]) + values
    vs_next = torch.cat([vs[1:], bootstrap.unsqueeze(0)], 0)
    adv = clipped * (rewards + discounts * vs_next - values)
    return vs, adv


def make(spec):
    net = Net(spec)
    c, h, w = net.shape
    g = torch.Generator().manual_seed(1)
    if spec == 'minatar':
        obs = (torch.rand((T + 1) * B, c, h, w, generator=g) < 0.1).float()
    else:
        obs = torch.randint(0, 256, ((T + 1) * B, c, h, w), generator=g).float()
    batch = dict(
        obs=obs,
        actions=torch.randint(0, A, (T, B), generator=g),
        rewards=(torch.rand(T, B, generator=g) < 0.05).float(),
        discounts=0.99 * (torch.rand(T, B, generator=g) >= 0.01).float(),
        behaviour=torch.randn(T, B, A, generator=g) * 0.1,
    )
    # TF1-style RMSProp as in Coknight (ε inside the root, ms starting at 1) is not PyTorch's; the
    # cost is the same elementwise work per parameter, so PyTorch's own RMSprop stands in.
    opt = torch.optim.RMSprop(net.parameters(), lr=6e-4, alpha=0.99, eps=0.01)
    return net, batch, opt


def step(net, b, opt):
    logits, values = net(b['obs'])
    logits = logits.view(T + 1, B, A)
    values = values.view(T + 1, B)
    vs, adv = vtrace(b['behaviour'], logits[:T].detach(), b['actions'], b['discounts'], b['rewards'], values[:T].detach(), values[T].detach())
    lp = F.log_softmax(logits[:T], -1)
    pg = -(lp.gather(-1, b['actions'].unsqueeze(-1)).squeeze(-1) * adv).sum()
    baseline = 0.5 * ((vs - values[:T]) ** 2).sum()
    entropy = (lp.exp() * lp).sum()
    loss = pg + 0.5 * baseline + 0.01 * entropy
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(net.parameters(), 40.0)
    opt.step()


def main():
    import time

    nets = {}
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'config': torch.__config__.parallel_info().split('\n')[0]}), flush=True)
    for line in sys.stdin:
        spec, reps = line.split()
        if spec not in nets:
            nets[spec] = make(spec)
            step(*nets[spec])  # warm-up
        times = []
        for _ in range(int(reps)):
            t0 = time.perf_counter()
            step(*nets[spec])
            times.append(time.perf_counter() - t0)
        print(json.dumps({'net': spec, 'seconds': times}), flush=True)


main()
