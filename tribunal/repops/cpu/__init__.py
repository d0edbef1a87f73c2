"""The CPU backend: numba kernels (`kernels`), kernels generated from elementwise
programs (`fused`), the C matmul (`cext`, `cmatmul.c`), and the per-op plans that
call them (`plans`)."""
