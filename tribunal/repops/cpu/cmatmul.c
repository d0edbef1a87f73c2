/* RepOps matmul CPU kernel (a CPython extension, built on first use by cext.py).
 *
 * out[b, i, j] = acc, acc = +0.0; for k = 0 .. K-1: acc = acc + A(b, i, k) * B(b, k, j)
 *
 * Every product and every sum is rounded to float32 separately and the sums are
 * taken in k order: it must be compiled with -ffp-contract=off (no fused
 * multiply-add) and without -ffast-math (no reassociation); tests/repops check
 * the assembly and every result bit against the interpreter. Vectorisation is
 * across j (and the register tile across i and j), never across k. NaN results are
 * stored as the canonical NaN 0x7FC00000.
 *
 * A(b, i, k) = a[b * a_bs + i * a_rs + k * a_cs] and likewise for B, so the
 * transposed variants (A^T B, A B^T) need no copies: operands are packed into
 * contiguous panels (zero-padded to the tile; padded results are never stored).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#define VL 16
#elif defined(__AVX__) || defined(__AVX2__)
#define VL 8
#else
#define VL 4
#endif

typedef float vf __attribute__((vector_size(VL * 4)));

/* Wide tile: MW rows x 2 vectors; narrow tile (n <= VL): MN rows x 1 vector. */
#define MW 6
#define MN 8

static inline vf vload(const float *p) {
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void vstore(float *p, vf v) { memcpy(p, &v, sizeof v); }

static inline float canonical(float v) {
    if (v != v) {
        uint32_t bits = 0x7FC00000u;
        memcpy(&v, &bits, sizeof v);
    }
    return v;
}

static void store_tile(const float *t, int64_t ldt, float *out, int64_t ldo, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++) out[r * ldo + j] = canonical(t[r * ldt + j]);
}

/* The accumulators are named variables (not arrays) so that they stay in registers. */
#define ZERO6(c) vf c##0 = zero, c##1 = zero, c##2 = zero, c##3 = zero, c##4 = zero, c##5 = zero
#define ZERO8(c) ZERO6(c), c##6 = zero, c##7 = zero
#define STEP(c, r, b) c##r = c##r + ak[r] * (b) /* the scalar is broadcast */

/* ap: depth x MW packed rows of A; bp: depth x 2*VL packed columns of B. */
static void tile_wide(const float *ap, const float *bp, int64_t depth, float *out, int64_t ldo,
                      int64_t rows, int64_t cols) {
    const vf zero = {0}; /* +0.0 in every lane */
    ZERO6(x);
    ZERO6(y);
    for (int64_t k = 0; k < depth; k++) {
        const vf b0 = vload(bp + k * 2 * VL), b1 = vload(bp + k * 2 * VL + VL);
        const float *ak = ap + k * MW;
        STEP(x, 0, b0); STEP(y, 0, b1);
        STEP(x, 1, b0); STEP(y, 1, b1);
        STEP(x, 2, b0); STEP(y, 2, b1);
        STEP(x, 3, b0); STEP(y, 3, b1);
        STEP(x, 4, b0); STEP(y, 4, b1);
        STEP(x, 5, b0); STEP(y, 5, b1);
    }
    float t[MW][2 * VL];
    vstore(t[0], x0); vstore(t[0] + VL, y0);
    vstore(t[1], x1); vstore(t[1] + VL, y1);
    vstore(t[2], x2); vstore(t[2] + VL, y2);
    vstore(t[3], x3); vstore(t[3] + VL, y3);
    vstore(t[4], x4); vstore(t[4] + VL, y4);
    vstore(t[5], x5); vstore(t[5] + VL, y5);
    store_tile(&t[0][0], 2 * VL, out, ldo, rows, cols);
}

/* ap: depth x MN packed rows of A; bp: depth x VL packed columns of B (n <= VL). */
static void tile_narrow(const float *ap, const float *bp, int64_t depth, float *out, int64_t ldo,
                        int64_t rows, int64_t cols) {
    const vf zero = {0}; /* +0.0 in every lane */
    ZERO8(x);
    for (int64_t k = 0; k < depth; k++) {
        const vf b0 = vload(bp + k * VL);
        const float *ak = ap + k * MN;
        STEP(x, 0, b0); STEP(x, 1, b0); STEP(x, 2, b0); STEP(x, 3, b0);
        STEP(x, 4, b0); STEP(x, 5, b0); STEP(x, 6, b0); STEP(x, 7, b0);
    }
    float t[MN][VL];
    vstore(t[0], x0); vstore(t[1], x1); vstore(t[2], x2); vstore(t[3], x3);
    vstore(t[4], x4); vstore(t[5], x5); vstore(t[6], x6); vstore(t[7], x7);
    store_tile(&t[0][0], VL, out, ldo, rows, cols);
}

typedef struct {
    const float *a, *b;
    float *out;
    int64_t m, depth, n;
    int64_t a_bs, a_rs, a_cs, b_bs, b_rs, b_cs;
} problem;

/* Batches [b0, b1), rows [r0, r1) of each. Returns 0, or -1 when out of memory. */
static int run(const problem *p, int64_t b0, int64_t b1, int64_t r0, int64_t r1) {
    const int narrow = p->n <= VL;
    const int64_t nr = narrow ? VL : 2 * VL, mr = narrow ? MN : MW;
    const int64_t panels = (p->n + nr - 1) / nr;
    float *bp = malloc(sizeof(float) * (size_t)(panels * p->depth * nr + p->depth * mr + 1));
    if (!bp) return -1;
    float *ap = bp + panels * p->depth * nr;
    for (int64_t bi = b0; bi < b1; bi++) {
        const float *a = p->a + bi * p->a_bs, *b = p->b + bi * p->b_bs;
        float *out = p->out + bi * p->m * p->n;
        for (int64_t q = 0; q < panels; q++) {
            float *dst = bp + q * p->depth * nr;
            for (int64_t k = 0; k < p->depth; k++)
                for (int64_t jj = 0; jj < nr; jj++) {
                    const int64_t j = q * nr + jj;
                    dst[k * nr + jj] = j < p->n ? b[k * p->b_rs + j * p->b_cs] : 0.0f;
                }
        }
        for (int64_t i0 = r0; i0 < r1; i0 += mr) {
            const int64_t rows = r1 - i0 < mr ? r1 - i0 : mr;
            for (int64_t k = 0; k < p->depth; k++)
                for (int64_t r = 0; r < mr; r++)
                    ap[k * mr + r] = r < rows ? a[(i0 + r) * p->a_rs + k * p->a_cs] : 0.0f;
            for (int64_t q = 0; q < panels; q++) {
                const int64_t cols = p->n - q * nr < nr ? p->n - q * nr : nr;
                float *o = out + i0 * p->n + q * nr;
                if (narrow)
                    tile_narrow(ap, bp + q * p->depth * nr, p->depth, o, p->n, rows, cols);
                else
                    tile_wide(ap, bp + q * p->depth * nr, p->depth, o, p->n, rows, cols);
            }
        }
    }
    free(bp);
    return 0;
}

static int64_t extent(int64_t batch, int64_t bs, int64_t rows, int64_t rs, int64_t cols, int64_t cs) {
    /* One past the largest flat index the operand is read at (strides are >= 0). */
    if (batch <= 0 || rows <= 0 || cols <= 0) return 0;
    return (batch - 1) * bs + (rows - 1) * rs + (cols - 1) * cs + 1;
}

/* matmul(a, b, out, m, depth, n, a_bs, a_rs, a_cs, b_bs, b_rs, b_cs, b0, b1, r0, r1)
 * a, b: float32 buffers; out: writable C-contiguous float32 buffer (batch, m, n).
 * Computes batches [b0, b1) and rows [r0, r1); releases the GIL meanwhile. */
static PyObject *matmul(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 16) {
        PyErr_SetString(PyExc_TypeError, "matmul takes 16 arguments");
        return NULL;
    }
    int64_t v[13];
    for (int i = 0; i < 13; i++) {
        v[i] = PyLong_AsLongLong(args[3 + i]);
        if (v[i] == -1 && PyErr_Occurred()) return NULL;
        if (v[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "matmul: sizes, strides and ranges must be >= 0");
            return NULL;
        }
    }
    problem p = {NULL, NULL, NULL, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
    const int64_t b0 = v[9], b1 = v[10], r0 = v[11], r1 = v[12];
    if (b1 < b0 || r1 < r0 || r1 > p.m || p.depth < 1) {
        PyErr_SetString(PyExc_ValueError, "matmul: bad ranges");
        return NULL;
    }
    Py_buffer va, vb, vo;
    if (PyObject_GetBuffer(args[0], &va, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (PyObject_GetBuffer(args[1], &vb, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&va);
        return NULL;
    }
    if (PyObject_GetBuffer(args[2], &vo, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&va);
        PyBuffer_Release(&vb);
        return NULL;
    }
    int status = 0;
    const int64_t need_a = extent(b1, p.a_bs, p.m, p.a_rs, p.depth, p.a_cs);
    const int64_t need_b = extent(b1, p.b_bs, p.depth, p.b_rs, p.n, p.b_cs);
    const int64_t need_o = b1 * p.m * p.n;
    if (need_a * 4 > va.len || need_b * 4 > vb.len || need_o * 4 > vo.len) {
        status = -2;
    } else if (b1 > b0 && r1 > r0 && p.n > 0) {
        p.a = va.buf;
        p.b = vb.buf;
        p.out = vo.buf;
        Py_BEGIN_ALLOW_THREADS status = run(&p, b0, b1, r0, r1);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&va);
    PyBuffer_Release(&vb);
    PyBuffer_Release(&vo);
    if (status == -1) return PyErr_NoMemory();
    if (status == -2) {
        PyErr_SetString(PyExc_ValueError, "matmul: a buffer is smaller than its sizes and strides say");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *vector_length(PyObject *self, PyObject *unused) { return PyLong_FromLong(VL); }

static PyMethodDef methods[] = {
    {"matmul", (PyCFunction)(void (*)(void))matmul, METH_FASTCALL, "k-sequential float32 matmul"},
    {"vector_length", vector_length, METH_NOARGS, "floats per vector register used"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_repops_cmatmul", NULL, -1, methods};

PyMODINIT_FUNC PyInit__repops_cmatmul(void) { return PyModule_Create(&module); }
