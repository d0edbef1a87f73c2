/* Ethereum keccak256 and the Merkle trees of tribunal/merkle.py, in C.
 *
 * keccak256 is Keccak[r=1088, c=512] with the original padding (0x01 ... 0x80),
 * not SHA3-256 (0x06 ... 0x80). A message of at most 135 bytes is one block, one
 * permutation; the Merkle trees hash 64-byte messages (two nodes), so the batch
 * entry points run LANES independent messages through each vectorised permutation
 * (GCC/clang vector extensions: 8 lanes fill an AVX-512 register, 4 an AVX2 one).
 *
 * Tree rule (tribunal/merkle.py): 32-byte leaves, zero-padded to a power of two;
 * a level of odd width is completed with the zero-subtree hash of its height
 * (Z_0 = 0, Z_{k+1} = keccak(Z_k || Z_k)); parent = keccak(left || right).
 * `tree_root` also zero-pads a trailing partial leaf, so that raw float32 bytes
 * go in without a copy.
 *
 * Every entry point releases the GIL while it hashes, and splits large levels
 * across `threads` POSIX threads (each message is hashed on its own, so the split
 * cannot change a bit).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RATE 136
#define HASH 32
#define MAX_DEPTH 64
#define MAX_THREADS 64
#define MIN_PER_THREAD 2048 /* messages; below this a thread costs more than it saves */

#ifdef LANES
/* set on the command line */
#elif defined(__AVX512F__)
#define LANES 8
#elif defined(__AVX2__) || defined(__ARM_NEON) || defined(__SSE2__)
#define LANES 4
#else
#define LANES 2
#endif

typedef uint64_t vec __attribute__((vector_size(8 * LANES)));

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void store64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* One Keccak-f[1600] permutation over lanes of type T (uint64_t or vec): theta,
 * rho and pi (walking the lanes along pi's cycle), chi, iota. Lane (x, y) is a[x + 5y]. */
#define ROL(T, v, n) ((T)(((v) << (n)) | ((v) >> (64 - (n)))))
#define KECCAK_F(T, a)                                                                            \
    do {                                                                                          \
        for (int round = 0; round < 24; round++) {                                                \
            T c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];                                           \
            T c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];                                           \
            T c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];                                           \
            T c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];                                           \
            T c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];                                           \
            T d0 = c4 ^ ROL(T, c1, 1), d1 = c0 ^ ROL(T, c2, 1), d2 = c1 ^ ROL(T, c3, 1);         \
            T d3 = c2 ^ ROL(T, c4, 1), d4 = c3 ^ ROL(T, c0, 1);                                  \
            T b[25];                                                                              \
            b[0] = a[0] ^ d0;                                                                     \
            b[1] = ROL(T, a[6] ^ d1, 44);                                                         \
            b[2] = ROL(T, a[12] ^ d2, 43);                                                        \
            b[3] = ROL(T, a[18] ^ d3, 21);                                                        \
            b[4] = ROL(T, a[24] ^ d4, 14);                                                        \
            b[5] = ROL(T, a[3] ^ d3, 28);                                                         \
            b[6] = ROL(T, a[9] ^ d4, 20);                                                         \
            b[7] = ROL(T, a[10] ^ d0, 3);                                                         \
            b[8] = ROL(T, a[16] ^ d1, 45);                                                        \
            b[9] = ROL(T, a[22] ^ d2, 61);                                                        \
            b[10] = ROL(T, a[1] ^ d1, 1);                                                         \
            b[11] = ROL(T, a[7] ^ d2, 6);                                                         \
            b[12] = ROL(T, a[13] ^ d3, 25);                                                       \
            b[13] = ROL(T, a[19] ^ d4, 8);                                                        \
            b[14] = ROL(T, a[20] ^ d0, 18);                                                       \
            b[15] = ROL(T, a[4] ^ d4, 27);                                                        \
            b[16] = ROL(T, a[5] ^ d0, 36);                                                        \
            b[17] = ROL(T, a[11] ^ d1, 10);                                                       \
            b[18] = ROL(T, a[17] ^ d2, 15);                                                       \
            b[19] = ROL(T, a[23] ^ d3, 56);                                                       \
            b[20] = ROL(T, a[2] ^ d2, 62);                                                        \
            b[21] = ROL(T, a[8] ^ d3, 55);                                                        \
            b[22] = ROL(T, a[14] ^ d4, 39);                                                       \
            b[23] = ROL(T, a[15] ^ d0, 41);                                                       \
            b[24] = ROL(T, a[21] ^ d1, 2);                                                        \
            for (int y = 0; y < 25; y += 5) {                                                     \
                a[y + 0] = b[y + 0] ^ (~b[y + 1] & b[y + 2]);                                     \
                a[y + 1] = b[y + 1] ^ (~b[y + 2] & b[y + 3]);                                     \
                a[y + 2] = b[y + 2] ^ (~b[y + 3] & b[y + 4]);                                     \
                a[y + 3] = b[y + 3] ^ (~b[y + 4] & b[y + 0]);                                     \
                a[y + 4] = b[y + 4] ^ (~b[y + 0] & b[y + 1]);                                     \
            }                                                                                     \
            a[0] ^= RC[round];                                                                    \
        }                                                                                         \
    } while (0)

static void keccak_f(uint64_t a[25]) { KECCAK_F(uint64_t, a); }

static void keccak_f_vec(vec a[25]) { KECCAK_F(vec, a); }

/* keccak256 of any message. */
static void keccak256(const uint8_t *in, size_t len, uint8_t out[HASH]) {
    uint64_t a[25] = {0};
    for (; len >= RATE; len -= RATE, in += RATE) {
        for (int i = 0; i < RATE / 8; i++) a[i] ^= load64(in + 8 * i);
        keccak_f(a);
    }
    uint8_t block[RATE] = {0};
    memcpy(block, in, len);
    block[len] ^= 0x01;
    block[RATE - 1] ^= 0x80;
    for (int i = 0; i < RATE / 8; i++) a[i] ^= load64(block + 8 * i);
    keccak_f(a);
    for (int i = 0; i < 4; i++) store64(out + 8 * i, a[i]);
}

/* keccak256 of LANES messages of `len` bytes each, `stride` bytes apart. */
static void keccak256_lanes(const uint8_t *in, size_t len, size_t stride, uint8_t *out) {
    vec a[25];
    memset(a, 0, sizeof a);
    for (; len >= RATE; len -= RATE, in += RATE) {
        for (int i = 0; i < RATE / 8; i++) {
            vec v;
            for (int m = 0; m < LANES; m++) v[m] = load64(in + m * stride + 8 * i);
            a[i] ^= v;
        }
        keccak_f_vec(a);
    }
    size_t words = len / 8;
    for (size_t i = 0; i < words; i++) {
        vec v;
        for (int m = 0; m < LANES; m++) v[m] = load64(in + m * stride + 8 * i);
        a[i] ^= v;
    }
    /* the tail word: leftover bytes, then the 0x01 of the padding */
    vec v;
    for (int m = 0; m < LANES; m++) {
        uint8_t tail[8] = {0};
        memcpy(tail, in + m * stride + 8 * words, len % 8);
        tail[len % 8] = 0x01;
        v[m] = load64(tail);
    }
    a[words] ^= v;
    a[RATE / 8 - 1] ^= 0x8000000000000000ULL;
    keccak_f_vec(a);
    for (int m = 0; m < LANES; m++)
        for (int i = 0; i < 4; i++) store64(out + HASH * m + 8 * i, a[i][m]);
}

/* keccak256 of `count` messages of `len` bytes, laid end to end, into count * 32 bytes. */
static void hash_run(const uint8_t *in, size_t len, size_t count, uint8_t *out) {
    size_t i = 0;
    for (; i + LANES <= count; i += LANES) keccak256_lanes(in + i * len, len, len, out + i * HASH);
    for (; i < count; i++) keccak256(in + i * len, len, out + i * HASH);
}

typedef struct {
    const uint8_t *in;
    size_t len, count;
    uint8_t *out;
} job;

static void *run_job(void *arg) {
    job *j = (job *)arg;
    hash_run(j->in, j->len, j->count, j->out);
    return NULL;
}

/* hash_run split across up to `threads` threads (the calling one included). */
static void hash_many(const uint8_t *in, size_t len, size_t count, uint8_t *out, int threads) {
    size_t most = count / MIN_PER_THREAD;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if ((size_t)threads > most) threads = most ? (int)most : 1;
    if (threads <= 1) {
        hash_run(in, len, count, out);
        return;
    }
    job jobs[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    size_t per = (count + threads - 1) / threads;
    per = (per + LANES - 1) / LANES * LANES;
    int n = 0;
    for (size_t first = 0; first < count; first += per, n++) {
        size_t take = count - first < per ? count - first : per;
        jobs[n] = (job){in + first * len, len, take, out + first * HASH};
    }
    for (int t = 1; t < n; t++) started[t] = pthread_create(&ids[t], NULL, run_job, &jobs[t]) == 0;
    run_job(&jobs[0]);
    for (int t = 1; t < n; t++) {
        if (started[t])
            pthread_join(ids[t], NULL);
        else
            run_job(&jobs[t]); /* no thread to be had: do it here */
    }
}

static uint8_t ZERO[MAX_DEPTH + 1][HASH];

static void init_zero_hashes(void) {
    uint8_t pair[2 * HASH];
    memset(ZERO[0], 0, HASH);
    for (int k = 0; k < MAX_DEPTH; k++) {
        memcpy(pair, ZERO[k], HASH);
        memcpy(pair + HASH, ZERO[k], HASH);
        keccak256(pair, sizeof pair, ZERO[k + 1]);
    }
}

static int depth_of(size_t leaves) {
    int depth = 0;
    while (((size_t)1 << depth) < leaves) depth++;
    return depth;
}

/* The parent level of `bytes` bytes of nodes at `height` (a partial last node is
 * zero-padded, an odd last node paired with ZERO[height]); returns its width. */
static size_t hash_level(const uint8_t *in, size_t bytes, int height, uint8_t *out, int threads) {
    size_t pairs = bytes / (2 * HASH), rest = bytes % (2 * HASH);
    hash_many(in, 2 * HASH, pairs, out, threads);
    if (rest) {
        uint8_t last[2 * HASH];
        memcpy(last, in + pairs * 2 * HASH, rest);
        memset(last + rest, 0, sizeof last - rest);
        if (rest <= HASH) memcpy(last + HASH, ZERO[height], HASH);
        keccak256(last, sizeof last, out + pairs * HASH);
        pairs++;
    }
    return pairs;
}

/* Root over `bytes` bytes read as zero-padded 32-byte leaves (none: one zero leaf). */
static int tree_root_of(const uint8_t *in, size_t bytes, uint8_t root[HASH], int threads) {
    size_t leaves = (bytes + HASH - 1) / HASH;
    if (leaves <= 1) {
        memset(root, 0, HASH);
        if (bytes) memcpy(root, in, bytes);
        return 0;
    }
    size_t width = (leaves + 1) / 2;
    uint8_t *a = malloc(width * HASH), *b = malloc(((width + 1) / 2) * HASH);
    if (!a || !b) {
        free(a);
        free(b);
        return -1;
    }
    width = hash_level(in, bytes, 0, a, threads);
    for (int height = 1; width > 1; height++) {
        width = hash_level(a, width * HASH, height, b, threads);
        uint8_t *t = a;
        a = b;
        b = t;
    }
    memcpy(root, a, HASH);
    free(a);
    free(b);
    return 0;
}

static int parse_threads(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t at, int *threads) {
    *threads = 1;
    if (nargs > at) {
        long value = PyLong_AsLong(args[at]);
        if (value == -1 && PyErr_Occurred()) return -1;
        *threads = value < 1 ? 1 : value > MAX_THREADS ? MAX_THREADS : (int)value;
    }
    return 0;
}

/* keccak256(data) -> 32 bytes */
static PyObject *py_keccak256(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    uint8_t out[HASH];
    Py_BEGIN_ALLOW_THREADS keccak256(view.buf, (size_t)view.len, out);
    Py_END_ALLOW_THREADS PyBuffer_Release(&view);
    return PyBytes_FromStringAndSize((const char *)out, HASH);
}

/* hash_many(data, length, threads=1) -> keccak256 of each `length`-byte message, concatenated */
static PyObject *py_hash_many(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "hash_many(data, length, threads=1)");
        return NULL;
    }
    Py_ssize_t len = PyLong_AsSsize_t(args[1]);
    if (len == -1 && PyErr_Occurred()) return NULL;
    int threads;
    if (parse_threads(args, nargs, 2, &threads) < 0) return NULL;
    if (len <= 0) {
        PyErr_SetString(PyExc_ValueError, "the message length must be positive");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    if (view.len % len) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "%zd bytes are not whole messages of %zd bytes", view.len, len);
        return NULL;
    }
    size_t count = (size_t)(view.len / len);
    PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count * HASH));
    if (result) {
        uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
        Py_BEGIN_ALLOW_THREADS hash_many(view.buf, (size_t)len, count, out, threads);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    return result;
}

/* tree_root(data, threads=1) -> root over data read as zero-padded 32-byte leaves */
static PyObject *py_tree_root(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "tree_root(data, threads=1)");
        return NULL;
    }
    int threads;
    if (parse_threads(args, nargs, 1, &threads) < 0) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    if ((size_t)depth_of(((size_t)view.len + HASH - 1) / HASH) > MAX_DEPTH) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "too many leaves");
        return NULL;
    }
    uint8_t root[HASH];
    int status;
    Py_BEGIN_ALLOW_THREADS status = tree_root_of(view.buf, (size_t)view.len, root, threads);
    Py_END_ALLOW_THREADS PyBuffer_Release(&view);
    if (status) return PyErr_NoMemory();
    return PyBytes_FromStringAndSize((const char *)root, HASH);
}

/* tree_levels(packed, threads=1) -> [level 1, ..., root level]: the levels above
 * the leaves, each its nodes concatenated without the padding (as MerkleTree keeps them) */
static PyObject *py_tree_levels(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "tree_levels(packed, threads=1)");
        return NULL;
    }
    int threads;
    if (parse_threads(args, nargs, 1, &threads) < 0) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    if (view.len % HASH) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "packed leaves length %zd is not a multiple of 32", view.len);
        return NULL;
    }
    size_t leaves = (size_t)view.len / HASH;
    int depth = depth_of(leaves);
    if (depth > MAX_DEPTH) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "too many leaves");
        return NULL;
    }
    PyObject *list = PyList_New(depth);
    uint8_t *outs[MAX_DEPTH];
    size_t width = leaves;
    for (int h = 0; list && h < depth; h++) {
        width = (width + 1) / 2;
        PyObject *level = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(width * HASH));
        if (!level) {
            Py_CLEAR(list);
            break;
        }
        outs[h] = (uint8_t *)PyBytes_AS_STRING(level);
        PyList_SET_ITEM(list, h, level);
    }
    if (list) {
        Py_BEGIN_ALLOW_THREADS const uint8_t *in = view.buf;
        size_t bytes = (size_t)view.len;
        for (int h = 0; h < depth; h++) {
            bytes = hash_level(in, bytes, h, outs[h], threads) * HASH;
            in = outs[h];
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    return list;
}

static PyObject *py_lanes(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromLong(LANES);
}

static PyMethodDef methods[] = {
    {"keccak256", py_keccak256, METH_O, "keccak256(data) -> 32 bytes"},
    {"hash_many", (PyCFunction)(void (*)(void))py_hash_many, METH_FASTCALL,
     "hash_many(data, length, threads=1): keccak256 of each length-byte message, concatenated"},
    {"tree_root", (PyCFunction)(void (*)(void))py_tree_root, METH_FASTCALL,
     "tree_root(data, threads=1): Merkle root over data read as zero-padded 32-byte leaves"},
    {"tree_levels", (PyCFunction)(void (*)(void))py_tree_levels, METH_FASTCALL,
     "tree_levels(packed, threads=1): the Merkle levels above the leaves"},
    {"lanes", py_lanes, METH_NOARGS, "messages hashed per vectorised permutation"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tribunal_keccak_tree", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__tribunal_keccak_tree(void) {
    init_zero_hashes();
    return PyModule_Create(&module);
}
