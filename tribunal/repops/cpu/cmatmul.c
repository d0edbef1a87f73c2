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
 * transposed variants (A^T B, A B^T) need no copies: B is packed into contiguous
 * panels, A is read in place when a row or a column of it is contiguous (else packed),
 * and partial tiles are zero-padded (padded results are never stored). Depth is cut
 * into blocks (KC) and large products are split over helper threads (run_parallel);
 * neither changes any element's chain.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_WIN32)
#define TRIBUNAL_THREADS 1
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PAUSE() _mm_pause()
#else
#define PAUSE() ((void)0)
#endif

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

typedef int32_t vi __attribute__((vector_size(VL * 4)));

/* Every NaN lane replaced by the canonical NaN 0x7FC00000 (`v == v` is false only for NaN). */
static inline vf vcanonical(vf v) {
    const vi keep = (vi)(v == v), nan = (vi){0} + 0x7FC00000;
    vi bits;
    memcpy(&bits, &v, sizeof bits);
    bits = (bits & keep) | (nan & ~keep);
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* A whole tile's row r of accumulators from / to `out` (rows ldo floats apart). */
#define LOAD_ROW(r, c, at) c##r = vload(out + (r) * ldo + (at))
#define STORE_ROW(r, c, at) vstore(out + (r) * ldo + (at), last ? vcanonical(c##r) : c##r)
#define EACH6(M, c, at) M(0, c, at); M(1, c, at); M(2, c, at); M(3, c, at); M(4, c, at); M(5, c, at)
#define EACH8(M, c, at) EACH6(M, c, at); M(6, c, at); M(7, c, at)

static inline float canonical(float v) {
    if (v != v) {
        uint32_t bits = 0x7FC00000u;
        memcpy(&v, &bits, sizeof v);
    }
    return v;
}

/* The accumulators are named variables (not arrays) so that they stay in registers. */
#define ZERO6(c) vf c##0 = zero, c##1 = zero, c##2 = zero, c##3 = zero, c##4 = zero, c##5 = zero
#define ZERO8(c) ZERO6(c), c##6 = zero, c##7 = zero
#define STEP(c, r, b) c##r = c##r + ak[(r) * rs] * (b) /* the scalar is broadcast */

/* One row of the wide tile: A(r, k) times both vectors of B. With AVX-512 the scalar is
 * broadcast inside each multiply (`vmulps m32{1to16}`), written out here because a compiler
 * loads a scalar used twice only once, with a separate `vbroadcastss`, which on Zen 4 takes
 * the floating-point pipes the multiplies and adds need (measured: 76 against 113 GFLOP/s
 * for a 6 x 32 tile on one core). The same rounded multiply, the same rounded add.
 * (bench/fma.py defines REPOPS_PLAIN_TILE so that its FMA build may contract them.) */
#if defined(__AVX512F__) && defined(__x86_64__) && defined(__GNUC__) && !defined(REPOPS_PLAIN_TILE)
#define BMUL(dst, s, b) __asm__("vmulps %1%{1to16%}, %2, %0" : "=v"(dst) : "m"(s), "v"(b))
#define STEP_ROW(r)                                                                                \
    do {                                                                                           \
        vf p_, q_;                                                                                 \
        BMUL(p_, ak[(r) * rs], b0);                                                                \
        BMUL(q_, ak[(r) * rs], b1);                                                                \
        x##r = x##r + p_;                                                                          \
        y##r = y##r + q_;                                                                          \
    } while (0)
#else
#define STEP_ROW(r) do { STEP(x, r, b0); STEP(y, r, b1); } while (0)
#endif

/* A tile's partial sums live in `t` (rows x width floats) between depth blocks: the first
 * block starts from +0.0, a later one continues the same k-ordered chain from the float32
 * stored by the block before, so blocking changes no bit. */
static void load_tile(float *t, int64_t width, const float *out, int64_t ldo, int64_t rows, int64_t cols,
                      int64_t mr, int first) {
    for (int64_t r = 0; r < mr; r++)
        for (int64_t j = 0; j < width; j++)
            t[r * width + j] = (!first && r < rows && j < cols) ? out[r * ldo + j] : 0.0f;
}

static void store_tile(const float *t, int64_t width, float *out, int64_t ldo, int64_t rows, int64_t cols,
                       int last) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++) {
            const float v = t[r * width + j];
            out[r * ldo + j] = last ? canonical(v) : v;
        }
}

/* A(r, k) = ap[k * ks + r * rs] (packed: ks = MW, rs = 1; or A itself); bp: depth x 2*VL
 * packed columns of B. */
static void tile_wide(const float *ap, int64_t ks, int64_t rs, const float *bp, int64_t depth, float *out,
                      int64_t ldo,
                      int64_t rows, int64_t cols, int first, int last) {
    float t[MW][2 * VL];
    const vf zero = {0}; /* +0.0 in every lane */
    ZERO6(x);
    ZERO6(y);
    const int full = rows == MW && cols == 2 * VL;
    if (!first && full) {
        EACH6(LOAD_ROW, x, 0);
        EACH6(LOAD_ROW, y, VL);
    } else if (!full) {
        load_tile(&t[0][0], 2 * VL, out, ldo, rows, cols, MW, first);
        x0 = vload(t[0]); y0 = vload(t[0] + VL);
        x1 = vload(t[1]); y1 = vload(t[1] + VL);
        x2 = vload(t[2]); y2 = vload(t[2] + VL);
        x3 = vload(t[3]); y3 = vload(t[3] + VL);
        x4 = vload(t[4]); y4 = vload(t[4] + VL);
        x5 = vload(t[5]); y5 = vload(t[5] + VL);
    }
    for (int64_t k = 0; k < depth; k++) {
        const vf b0 = vload(bp + k * 2 * VL), b1 = vload(bp + k * 2 * VL + VL);
        const float *ak = ap + k * ks;
        STEP_ROW(0);
        STEP_ROW(1);
        STEP_ROW(2);
        STEP_ROW(3);
        STEP_ROW(4);
        STEP_ROW(5);
    }
    if (full) {
        EACH6(STORE_ROW, x, 0);
        EACH6(STORE_ROW, y, VL);
        return;
    }
    vstore(t[0], x0); vstore(t[0] + VL, y0);
    vstore(t[1], x1); vstore(t[1] + VL, y1);
    vstore(t[2], x2); vstore(t[2] + VL, y2);
    vstore(t[3], x3); vstore(t[3] + VL, y3);
    vstore(t[4], x4); vstore(t[4] + VL, y4);
    vstore(t[5], x5); vstore(t[5] + VL, y5);
    store_tile(&t[0][0], 2 * VL, out, ldo, rows, cols, last);
}

/* A(r, k) = ap[k * ks + r * rs]; bp: depth x VL packed columns of B (n <= VL). */
static void tile_narrow(const float *ap, int64_t ks, int64_t rs, const float *bp, int64_t depth, float *out,
                        int64_t ldo,
                        int64_t rows, int64_t cols, int first, int last) {
    float t[MN][VL];
    const vf zero = {0}; /* +0.0 in every lane */
    ZERO8(x);
    const int full = rows == MN && cols == VL;
    if (!first && full) {
        EACH8(LOAD_ROW, x, 0);
    } else if (!full) {
        load_tile(&t[0][0], VL, out, ldo, rows, cols, MN, first);
        x0 = vload(t[0]); x1 = vload(t[1]); x2 = vload(t[2]); x3 = vload(t[3]);
        x4 = vload(t[4]); x5 = vload(t[5]); x6 = vload(t[6]); x7 = vload(t[7]);
    }
    for (int64_t k = 0; k < depth; k++) {
        const vf b0 = vload(bp + k * VL);
        const float *ak = ap + k * ks;
        STEP(x, 0, b0); STEP(x, 1, b0); STEP(x, 2, b0); STEP(x, 3, b0);
        STEP(x, 4, b0); STEP(x, 5, b0); STEP(x, 6, b0); STEP(x, 7, b0);
    }
    if (full) {
        EACH8(STORE_ROW, x, 0);
        return;
    }
    vstore(t[0], x0); vstore(t[1], x1); vstore(t[2], x2); vstore(t[3], x3);
    vstore(t[4], x4); vstore(t[5], x5); vstore(t[6], x6); vstore(t[7], x7);
    store_tile(&t[0][0], VL, out, ldo, rows, cols, last);
}

typedef struct {
    const float *a, *b;
    float *out;
    int64_t m, depth, n;
    int64_t a_bs, a_rs, a_cs, b_bs, b_rs, b_cs;
} problem;

/* Packing reads each operand along its contiguous axis (the loads stream; the strided
 * stores land in a buffer that is in L1 or L2), and pads partial tiles with zeros. */

/* dst[k * mr + r] = A(i0 + r, k0 + k) for r < rows, 0 for rows <= r < mr; k < kc. */
static void pack_a(const problem *p, const float *a, int64_t i0, int64_t rows, int64_t k0, int64_t kc, int64_t mr,
                   float *dst) {
    if (p->a_cs == 1) { /* A's rows are contiguous along k */
        for (int64_t r = 0; r < mr; r++) {
            if (r < rows) {
                const float *src = a + (i0 + r) * p->a_rs + k0;
                for (int64_t k = 0; k < kc; k++) dst[k * mr + r] = src[k];
            } else {
                for (int64_t k = 0; k < kc; k++) dst[k * mr + r] = 0.0f;
            }
        }
    } else { /* A^T: contiguous along i */
        for (int64_t k = 0; k < kc; k++) {
            const float *src = a + (k0 + k) * p->a_cs + i0 * p->a_rs;
            for (int64_t r = 0; r < mr; r++) dst[k * mr + r] = r < rows ? src[r * p->a_rs] : 0.0f;
        }
    }
}

/* dst[k * nr + jj] = B(k0 + k, j0 + jj) for jj < cols, 0 for cols <= jj < nr; k < kc. */
static void pack_b(const problem *p, const float *b, int64_t j0, int64_t cols, int64_t k0, int64_t kc, int64_t nr,
                   float *dst) {
    if (p->b_cs == 1) { /* B's rows are contiguous along j */
        for (int64_t k = 0; k < kc; k++) {
            memcpy(dst + k * nr, b + (k0 + k) * p->b_rs + j0, sizeof(float) * (size_t)cols);
            for (int64_t jj = cols; jj < nr; jj++) dst[k * nr + jj] = 0.0f;
        }
    } else { /* B^T: contiguous along k */
        for (int64_t jj = 0; jj < nr; jj++) {
            if (jj < cols) {
                const float *src = b + (j0 + jj) * p->b_cs + k0 * p->b_rs;
                for (int64_t k = 0; k < kc; k++) dst[k * nr + jj] = src[k * p->b_rs];
            } else {
                for (int64_t k = 0; k < kc; k++) dst[k * nr + jj] = 0.0f;
            }
        }
    }
}

/* Depth is cut into blocks of KC so that a packed panel of B (KC x 2*VL floats, 24 KiB with
 * AVX-512) stays in the L1 cache while every row block of A streams past it. */
#define KC 192

/* Batches [b0, b1), rows [r0, r1) and columns [c0, c1) of each, on the calling thread.
 * Returns 0, or -1 when out of memory. */
static int run(const problem *p, int64_t b0, int64_t b1, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    const int narrow = p->n <= VL;
    const int64_t nr = narrow ? VL : 2 * VL, mr = narrow ? MN : MW;
    const int64_t blocks = (r1 - r0 + mr - 1) / mr;
    const int64_t kc_max = p->depth < KC ? p->depth : KC;
    const int direct = p->a_cs == 1 || p->a_rs == 1;
    float *ap = malloc(sizeof(float) * (size_t)(blocks * mr * kc_max + kc_max * nr + 1));
    if (!ap) return -1;
    float *bp = ap + blocks * mr * kc_max;
    for (int64_t bi = b0; bi < b1; bi++) {
        const float *a = p->a + bi * p->a_bs, *b = p->b + bi * p->b_bs;
        float *out = p->out + bi * p->m * p->n;
        for (int64_t k0 = 0; k0 < p->depth; k0 += KC) {
            const int64_t kc = p->depth - k0 < KC ? p->depth - k0 : KC;
            const int first = k0 == 0, last = k0 + kc == p->depth;
            /* A is read in place when a row or a column of it is contiguous; otherwise, and
             * for a last partial row block (zero-padded), it is packed, each kc x mr */
            for (int64_t blk = 0; blk < blocks; blk++) {
                const int64_t i0 = r0 + blk * mr;
                const int64_t rows = r1 - i0 < mr ? r1 - i0 : mr;
                if (!direct || rows < mr) pack_a(p, a, i0, rows, k0, kc, mr, ap + blk * mr * kc);
            }
            for (int64_t j0 = c0; j0 < c1; j0 += nr) {
                const int64_t cols = c1 - j0 < nr ? c1 - j0 : nr;
                pack_b(p, b, j0, cols, k0, kc, nr, bp);
                for (int64_t blk = 0; blk < blocks; blk++) {
                    const int64_t i0 = r0 + blk * mr;
                    const int64_t rows = r1 - i0 < mr ? r1 - i0 : mr;
                    float *o = out + i0 * p->n + j0;
                    const int in_place = direct && rows == mr;
                    const float *at = in_place ? a + i0 * p->a_rs + k0 * p->a_cs : ap + blk * mr * kc;
                    const int64_t ks = in_place ? p->a_cs : mr, rs = in_place ? p->a_rs : 1;
                    if (narrow)
                        tile_narrow(at, ks, rs, bp, kc, o, p->n, rows, cols, first, last);
                    else
                        tile_wide(at, ks, rs, bp, kc, o, p->n, rows, cols, first, last);
                }
            }
        }
    }
    free(ap);
    return 0;
}

/* ---- Several threads ------------------------------------------------------------------
 * A product is cut into `threads` disjoint parts of the output (by batches when there are
 * enough, else by columns when there are at least as many as rows, else by rows), each cut
 * on the register tile's edge. Every element is still one k-ordered chain computed by one
 * thread, so the bits never depend on the number of threads.
 *
 * The helper threads are this module's own and persistent. After a part they spin for a
 * short while (SPIN_NS) before sleeping on a condition variable: waking a sleeping thread
 * on an idle (virtual) CPU costs about 0.1 ms, as long as a whole 384 x 384 x 128 product
 * on one core, and a training step runs its products a few ops apart. */

typedef struct {
    int64_t b0, b1, r0, r1, c0, c1;
} part;

static void cut(const problem *p, int64_t b0, int64_t b1, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                int threads, part *parts, int *count) {
    const int narrow = p->n <= VL;
    const int64_t row_grain = narrow ? MN : MW, col_grain = narrow ? VL : 2 * VL;
    int64_t lo, hi, grain;
    int axis; /* 0 batches, 1 rows, 2 columns */
    if (b1 - b0 >= threads) {
        axis = 0, lo = b0, hi = b1, grain = 1;
    } else if (c1 - c0 >= r1 - r0) {
        axis = 2, lo = c0, hi = c1, grain = col_grain;
    } else {
        axis = 1, lo = r0, hi = r1, grain = row_grain;
    }
    const int64_t tiles = (hi - lo + grain - 1) / grain;
    *count = 0;
    for (int t = 0; t < threads; t++) {
        int64_t s = lo + grain * (tiles * t / threads), e = lo + grain * (tiles * (t + 1) / threads);
        if (s > hi) s = hi;
        if (e > hi || t == threads - 1) e = hi;
        if (s >= e) continue;
        part q = {b0, b1, r0, r1, c0, c1};
        if (axis == 0) q.b0 = s, q.b1 = e;
        else if (axis == 1) q.r0 = s, q.r1 = e;
        else q.c0 = s, q.c1 = e;
        parts[(*count)++] = q;
    }
}

#define MAX_THREADS 64
#define SPIN_NS 80000L

#ifdef TRIBUNAL_THREADS
static struct {
    pid_t pid;                     /* the process the helpers belong to (a forked child starts over) */
    int helpers;                   /* helper threads started */
    pthread_mutex_t dispatch;      /* one parallel product at a time */
    pthread_mutex_t lock;          /* guards sleeping on `wake` */
    pthread_cond_t wake;
    atomic_ulong generation;       /* bumped for each product */
    atomic_int acknowledged;       /* helpers done with the current generation */
    atomic_int status;             /* 0, or -1 when a part ran out of memory */
    const problem *job;
    unsigned long start[MAX_THREADS]; /* the generation each helper was started at */
    part parts[MAX_THREADS];
    int count;
} pool;

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *helper(void *arg) {
    const int index = (int)(intptr_t)arg; /* runs part index + 1 */
    unsigned long seen = pool.start[index];
    for (;;) {
        unsigned long g = atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (g == seen) {
            const long until = now_ns() + SPIN_NS;
            for (int i = 0; (g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen; i++) {
                if ((i & 255) == 255 && now_ns() > until) {
                    pthread_mutex_lock(&pool.lock);
                    while ((g = atomic_load(&pool.generation)) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
                    pthread_mutex_unlock(&pool.lock);
                    break;
                }
                PAUSE();
            }
        }
        seen = g;
        if (index + 1 < pool.count) {
            const part *q = &pool.parts[index + 1];
            if (run(pool.job, q->b0, q->b1, q->r0, q->r1, q->c0, q->c1) != 0) atomic_store(&pool.status, -1);
        }
        atomic_fetch_add_explicit(&pool.acknowledged, 1, memory_order_release);
    }
    return NULL;
}

/* Makes sure `threads - 1` helpers run (called with `dispatch` held, so no product is in
 * flight); returns how many threads may be used. */
static int ensure_helpers(int threads) {
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    while (pool.helpers < threads - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pool.start[pool.helpers] = atomic_load(&pool.generation);
        const int failed = pthread_create(&t, &attr, helper, (void *)(intptr_t)pool.helpers);
        pthread_attr_destroy(&attr);
        if (failed) break;
        pool.helpers++;
    }
    return pool.helpers + 1 < threads ? pool.helpers + 1 : threads;
}

static pthread_mutex_t setup = PTHREAD_MUTEX_INITIALIZER;

static int run_parallel(const problem *p, int64_t b0, int64_t b1, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                        int threads) {
    if (threads < 2) return run(p, b0, b1, r0, r1, c0, c1);
    pthread_mutex_lock(&setup);
    if (pool.pid != getpid()) { /* first use, or a forked child: the parent's helpers are not here */
        pool.pid = getpid();
        pool.helpers = 0;
        pthread_mutex_init(&pool.dispatch, NULL);
        pthread_mutex_init(&pool.lock, NULL);
        pthread_cond_init(&pool.wake, NULL);
        atomic_store(&pool.generation, 0);
    }
    pthread_mutex_unlock(&setup);
    if (pthread_mutex_trylock(&pool.dispatch) != 0)
        return run(p, b0, b1, r0, r1, c0, c1); /* another thread's product has the helpers */
    threads = ensure_helpers(threads);
    cut(p, b0, b1, r0, r1, c0, c1, threads, pool.parts, &pool.count);
    pool.job = p;
    atomic_store(&pool.status, 0);
    atomic_store(&pool.acknowledged, 0);
    pthread_mutex_lock(&pool.lock);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    int status = pool.count > 0 ? run(p, pool.parts[0].b0, pool.parts[0].b1, pool.parts[0].r0, pool.parts[0].r1,
                                      pool.parts[0].c0, pool.parts[0].c1)
                                : 0;
    while (atomic_load_explicit(&pool.acknowledged, memory_order_acquire) < pool.helpers) PAUSE();
    if (atomic_load(&pool.status) != 0) status = -1;
    pthread_mutex_unlock(&pool.dispatch);
    return status;
}
#else
static int run_parallel(const problem *p, int64_t b0, int64_t b1, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                        int threads) {
    (void)threads;
    return run(p, b0, b1, r0, r1, c0, c1);
}
#endif

static int64_t extent(int64_t batch, int64_t bs, int64_t rows, int64_t rs, int64_t cols, int64_t cs) {
    /* One past the largest flat index the operand is read at (strides are >= 0). */
    if (batch <= 0 || rows <= 0 || cols <= 0) return 0;
    return (batch - 1) * bs + (rows - 1) * rs + (cols - 1) * cs + 1;
}

/* matmul(a, b, out, m, depth, n, a_bs, a_rs, a_cs, b_bs, b_rs, b_cs, b0, b1, r0, r1, c0, c1, threads)
 * a, b: float32 buffers; out: writable C-contiguous float32 buffer (batch, m, n).
 * Computes batches [b0, b1), rows [r0, r1) and columns [c0, c1) on up to `threads` threads;
 * releases the GIL meanwhile. */
static PyObject *matmul(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 19) {
        PyErr_SetString(PyExc_TypeError, "matmul takes 19 arguments");
        return NULL;
    }
    int64_t v[16];
    for (int i = 0; i < 16; i++) {
        v[i] = PyLong_AsLongLong(args[3 + i]);
        if (v[i] == -1 && PyErr_Occurred()) return NULL;
        if (v[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "matmul: sizes, strides and ranges must be >= 0");
            return NULL;
        }
    }
    problem p = {NULL, NULL, NULL, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
    const int64_t b0 = v[9], b1 = v[10], r0 = v[11], r1 = v[12], c0 = v[13], c1 = v[14], threads = v[15];
    if (b1 < b0 || r1 < r0 || r1 > p.m || c1 < c0 || c1 > p.n || p.depth < 1) {
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
    } else if (b1 > b0 && r1 > r0 && c1 > c0) {
        p.a = va.buf;
        p.b = vb.buf;
        p.out = vo.buf;
        const int workers = (int)(threads < MAX_THREADS ? threads : MAX_THREADS);
        Py_BEGIN_ALLOW_THREADS status = run_parallel(&p, b0, b1, r0, r1, c0, c1, workers);
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
