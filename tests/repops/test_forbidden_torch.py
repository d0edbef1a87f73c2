"""RepOps never calls a torch function whose order of evaluation or rounding it
does not control (library reductions, fused multiply-adds, alpha= scaling)."""

import re
from pathlib import Path

import tribunal.repops

BANNED = (
    "matmul mm bmm einsum tensordot dot vdot inner outer sum nansum mean var std norm "
    "prod cumsum cumprod logcumsumexp logsumexp softmax log_softmax conv1d conv2d conv3d "
    "linear addcmul addcdiv addmm addmv addbmm baddbmm addr lerp fma exp exp2 expm1 log "
    "log2 log1p sigmoid tanh erf pow rsqrt reciprocal hypot"
).split()
NAMES = "|".join(BANNED)
PATTERNS = [
    re.compile(rf"\b(torch|F|functional|nn)\.({NAMES})\b"),  # torch.sum, F.softmax
    re.compile(rf"(?<!math)(?<!\bnp)\.({NAMES})\("),  # tensor.sum(...), not np./math.
    re.compile(r"\balpha\s*="),  # torch.add(a, b, alpha=...) may fuse
    re.compile(r"\w\s+@\s+\w"),  # the matmul operator
    re.compile(r"\bfastmath\s*=\s*True"),
]


def _sources() -> list[Path]:
    root = Path(tribunal.repops.__file__).parent
    return sorted(root.rglob("*.py"))


def test_no_banned_torch_call_in_repops() -> None:
    offences = []
    for path in _sources():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if code.lstrip().startswith(('"', "'")):
                continue
            for pattern in PATTERNS:
                if pattern.search(code):
                    offences.append(f"{path.name}:{number}: {line.strip()}")
    assert not offences, "banned calls:\n" + "\n".join(offences)


def test_the_scan_catches_offences() -> None:
    samples = [
        "y = torch.matmul(a, b)",
        "s = x.sum(dim=0)",
        "torch.add(a, b, alpha=2)",
        "c = a @ b",
        "p = F.softmax(x, -1)",
        "q = x.cumsum(0)",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in PATTERNS), sample
    assert not any(p.search("n = math.prod(shape)") for p in PATTERNS)
    assert not any(p.search("u = np.exp2(np.log2(a))") for p in PATTERNS)
