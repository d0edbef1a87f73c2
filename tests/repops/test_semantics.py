"""The ops compute the intended math: compared with torch's own (float64) ops.

RepOps fixes the order of evaluation, so results differ from torch's in the last
bits; these tests bound the difference. Copies must be exact.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tribunal.repops import execute, ops

torch.manual_seed(0)


def run(spec, *inputs: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
    return execute(spec, [t.detach().float().contiguous() for t in inputs])


def close(ours: torch.Tensor, reference: torch.Tensor, tol: float = 1e-5) -> None:
    torch.testing.assert_close(ours.double(), reference.double(), rtol=tol, atol=tol)


def test_matmul_variants() -> None:
    a, b = torch.randn(2, 5, 7), torch.randn(2, 7, 3)
    close(run(ops.matmul(), a, b), a.double() @ b.double())
    close(run(ops.matmul_at(), a.transpose(1, 2), b), a.double() @ b.double())
    close(run(ops.matmul_bt(), a, b.transpose(1, 2)), a.double() @ b.double())


def test_layout_copies_are_exact() -> None:
    x = torch.randn(3, 4, 5)
    assert torch.equal(run(ops.transpose((3, 4, 5), (2, 0, 1)), x), x.permute(2, 0, 1))
    assert torch.equal(run(ops.reshape((3, 4, 5), (6, 10)), x), x.reshape(6, 10))
    h = torch.randn(2, 3, 8)
    heads = run(ops.split_heads(2, 3, 2, 4), h)
    assert torch.equal(heads, h.reshape(2, 3, 2, 4).permute(0, 2, 1, 3))
    assert torch.equal(run(ops.merge_heads(2, 3, 2, 4), heads), h)
    d = torch.randn(10, 3)
    assert torch.equal(run(ops.batch_gather([4, 4, 0, 9]), d), d[[4, 4, 0, 9]])


@pytest.mark.parametrize(("kernel", "stride", "pad"), [(3, 1, 1), (2, 2, 0), (3, 2, 1)])
def test_convolution_by_im2col_and_its_gradient(kernel: int, stride: int, pad: int) -> None:
    batch, channels, height, width, out_channels = 2, 3, 7, 6, 4
    x = torch.randn(batch, channels, height, width, dtype=torch.float64, requires_grad=True)
    w = torch.randn(out_channels, channels, kernel, kernel, dtype=torch.float64)
    reference = F.conv2d(x, w, stride=stride, padding=pad)
    _, _, oh, ow = reference.shape
    cols = run(ops.im2col(batch, channels, height, width, kernel, stride, pad), x)
    w_cols = w.reshape(out_channels, -1).t().contiguous()
    y = run(ops.matmul(), cols, w_cols)  # (B*OH*OW, Cout)
    nchw = run(ops.transpose((batch, oh, ow, out_channels), (0, 3, 1, 2)), y)
    close(nchw, reference)
    dy = torch.randn_like(reference)
    reference.backward(dy)
    dy_rows = dy.permute(0, 2, 3, 1).reshape(-1, out_channels)
    dcols = run(ops.matmul_bt(), dy_rows, w_cols)
    dx = run(ops.col2im(batch, channels, height, width, kernel, stride, pad), dcols)
    close(dx, x.grad)


def test_softmax_cross_entropy_and_gradient() -> None:
    logits = torch.randn(6, 5, dtype=torch.float64, requires_grad=True) * 3
    logits.retain_grad()
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    m = run(ops.reduce_max(1, 2), logits)
    z = run(ops.row_sub(), logits, m)
    e = run(ops.exp(), z)
    s = run(ops.reduce_sum(1, 2), e)
    close(run(ops.row_div(), e, s), torch.softmax(logits, -1))
    nll = run(ops.sub(), run(ops.log(), s), run(ops.pick(), z, labels.float()))
    loss = run(ops.reduce_mean(0, 1), nll)
    reference = F.cross_entropy(logits, labels)
    close(loss, reference)
    reference.backward()
    close(run(ops.xent_grad(), e, s, labels.float()), logits.grad)


def test_mse_and_gradient() -> None:
    pred = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    target = torch.randn(8, 3, dtype=torch.float64)
    reference = F.mse_loss(pred, target)
    close(run(ops.mse_loss(), pred, target), reference)
    reference.backward()
    close(run(ops.mse_grad(), pred, target), pred.grad)


def test_layer_norm_and_gradients() -> None:
    x = torch.randn(2, 3, 16, dtype=torch.float64, requires_grad=True)
    gain = torch.randn(16, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(16, dtype=torch.float64, requires_grad=True)
    reference = F.layer_norm(x, (16,), gain, bias, eps=1e-5)
    mean = run(ops.reduce_mean(2, 3), x)
    rstd = run(ops.ln_rstd(1e-5), x, mean)
    close(run(ops.ln_apply(), x, mean, rstd, gain, bias), reference, 1e-4)
    dy = torch.randn_like(reference)
    reference.backward(dy)
    m0 = run(ops.ln_grad_stats(0), dy, x, mean, rstd, gain)
    m1 = run(ops.ln_grad_stats(1), dy, x, mean, rstd, gain)
    close(run(ops.ln_grad_input(), dy, x, mean, rstd, gain, m0, m1), x.grad, 1e-4)
    close(run(ops.ln_grad_gain(), dy, x, mean, rstd), gain.grad, 1e-4)
    close(run(ops.reduce_sum(0, 2), dy), bias.grad, 1e-4)


def test_relu_and_attention_pieces() -> None:
    x = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    y = torch.relu(x)
    close(run(ops.relu(), x), y)
    dy = torch.randn_like(y)
    y.backward(dy)
    close(run(ops.relu_grad(), x, dy), x.grad)
    scores = torch.randn(2, 5, 5)
    masked = run(ops.causal_mask(), scores)
    expected = scores.masked_fill(torch.ones(5, 5, dtype=torch.bool).triu(1), float("-inf"))
    assert torch.equal(masked, expected)


def test_embedding_and_gradient() -> None:
    table = torch.randn(7, 4, dtype=torch.float64, requires_grad=True)
    tokens = torch.tensor([[1, 6, 1], [0, 1, 3]])
    reference = F.embedding(tokens, table)
    assert torch.equal(run(ops.embedding(), tokens.float(), table), reference.float())
    dout = torch.randn_like(reference)
    reference.backward(dout)
    close(run(ops.embedding_grad(7), tokens.float(), dout), table.grad)


def test_optimizers_follow_torch() -> None:
    w0 = torch.randn(5, dtype=torch.float64)
    grads = [torch.randn(5, dtype=torch.float64) for _ in range(4)]
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    ours = w0.float()
    m = torch.zeros(5)
    v = torch.zeros(5)
    p1, p2 = torch.tensor(1.0), torch.tensor(1.0)
    for g in grads:
        opt.zero_grad()
        w.grad = g.clone()
        opt.step()
        p1, p2 = run(ops.scale(0.9), p1), run(ops.scale(0.999), p2)
        m, v = run(ops.adam_m(0.9), m, g), run(ops.adam_v(0.999), v, g)
        ours = run(ops.adam_update(1e-2, 1e-8), ours, m, v, p1, p2)
    close(ours, w.detach(), 1e-5)

    w = w0.clone().requires_grad_(True)
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    ours, buf = w0.float(), torch.zeros(5)
    for g in grads:
        opt.zero_grad()
        w.grad = g.clone()
        opt.step()
        buf = run(ops.momentum(0.9), buf, g)
        ours = run(ops.sgd(0.1), ours, buf)
    close(ours, w.detach(), 1e-5)


def test_exp_and_log_accuracy() -> None:
    x = torch.linspace(-87.0, 88.0, 200_001)
    exact = torch.exp(x.double())
    relative = ((run(ops.exp(), x).double() - exact).abs() / exact).max().item()
    assert relative < 2e-7
    y = torch.exp(torch.linspace(-100.0, 88.0, 200_001)).float()
    y = y[y > 0]
    exact_log = torch.log(y.double())
    error = (run(ops.log(), y).double() - exact_log).abs()
    assert (error / exact_log.abs().clamp(min=1e-3)).max().item() < 2e-7
    specials = torch.tensor([0.0, -0.0, float("inf"), -1.0, float("nan"), 1.0])
    logs = run(ops.log(), specials)
    assert logs[:3].tolist() == [float("-inf"), float("-inf"), float("inf")]
    assert torch.isnan(logs[3:5]).all() and logs[5].item() == 0.0
    exps = run(ops.exp(), torch.tensor([float("-inf"), 0.0, -104.0, float("nan"), 1000.0]))
    assert exps[:3].tolist() == [0.0, 1.0, 0.0] and torch.isnan(exps[3])
    assert exps[4].item() == pytest.approx(np.exp(88.0), rel=1e-6)  # saturates at e^88
