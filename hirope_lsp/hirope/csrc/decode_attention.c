/* Attention for a decode step's few query tokens, float32, for hirope_lsp/hirope/native.py.
 *
 * For one query token, each kv head h and each of its `groups` query heads g:
 *   scores[j] = far_query[g] . far_keys[j]   for keys j < far_end   (HiRoPE's far rule)
 *             = query[g] . keys[j]           for far_end <= j < length (the stock rule)
 *   out[g]    = sum_j softmax(scores)[j] * values[j]
 * Queries come scaled. Keys and values are rows of `dim` floats (the KV cache's [S, D] views, any row
 * and head stride). Torch does the same with two batched products and a softmax (attention.py,
 * single_query_attention, blocked_attention); on a CPU those run far below memory bandwidth at decode
 * shapes, because each is a product of 1-8 rows. Here every key and value row is read from memory once,
 * for all the query heads and tokens that share it, and the scores stay in a scratch buffer that fits
 * the L2 cache.
 */
#include <math.h>
#include <stddef.h>

#define MAX_GROUPS 4 /* query heads scored together per pass over the keys */
#define MAX_DIM 256
#define CHUNK 128 /* keys per block (32 KiB of float32 rows at D = 64) */

/* scores[g * length + j] for keys start..stop-1 and G query heads (G a constant after inlining). */
static inline __attribute__((always_inline)) void score_rows(int G, int dim, long start, long stop, const float *q,
                                                             const float *keys, long key_row, float *scores,
                                                             long length)
{
    for (long j = start; j < stop; j++) {
        const float *row = keys + j * key_row;
        float acc[MAX_GROUPS] = {0.0f};
        for (int d = 0; d < dim; d++) {
            float x = row[d];
            for (int g = 0; g < G; g++) acc[g] += q[g * dim + d] * x;
        }
        for (int g = 0; g < G; g++) scores[g * length + j] = acc[g];
    }
}

/* out[g] += sum_j scores[g * length + j] * values[j] over keys start..stop-1, for G query heads. */
static inline __attribute__((always_inline)) void weigh_rows(int G, int dim, long start, long stop,
                                                             const float *scores, long length, const float *values,
                                                             long value_row, float *out)
{
    float acc[MAX_GROUPS][MAX_DIM];
    for (int g = 0; g < G; g++)
        for (int d = 0; d < dim; d++) acc[g][d] = out[g * dim + d];
    for (long j = start; j < stop; j++) {
        const float *row = values + j * value_row;
        for (int g = 0; g < G; g++) {
            float p = scores[g * length + j];
            for (int d = 0; d < dim; d++) acc[g][d] += p * row[d];
        }
    }
    for (int g = 0; g < G; g++)
        for (int d = 0; d < dim; d++) out[g * dim + d] = acc[g][d];
}

/* G, and D where it is 64 or 128, as compile-time constants, so that the per-head sums stay in registers. */
#define BY_DIM(GG, call)                                                                                       \
    if (dim == 64) call(GG, 64);                                                                               \
    else if (dim == 128) call(GG, 128);                                                                        \
    else call(GG, dim);
#define BY_GROUPS(G, call)                                                                                     \
    switch (G) {                                                                                               \
    case 1: BY_DIM(1, call) break;                                                                             \
    case 2: BY_DIM(2, call) break;                                                                             \
    case 3: BY_DIM(3, call) break;                                                                             \
    default: BY_DIM(4, call) break;                                                                            \
    }

static long min_of(long a, long b) { return a < b ? a : b; }
static long max_of(long a, long b) { return a > b ? a : b; }

/* The last `queries` tokens of a sequence of `length` attend causally: query r is token
 * t = length - queries + r and sees keys j <= t, those with t - j >= window (window > 0) by the far rule.
 * query, far_query and out are [queries, kv_heads, groups, dim]; scores is scratch of
 * [queries, groups, length]. Keys are taken in blocks of CHUNK, each used by every query token while it
 * is in the L1/L2 cache, so that a forward of several tokens reads the cache from memory once.
 * Returns 0, or -1 if the shapes are outside what this kernel handles (the caller checks first). */
int hirope_decode_attention(int queries, int kv_heads, int groups, int dim, long length, long window,
                            const float *query, const float *far_query,
                            const float *keys, long key_head, long key_row,
                            const float *far_keys, long far_head, long far_row,
                            const float *values, long value_head, long value_row,
                            float *scores, float *out)
{
    if (dim > MAX_DIM || dim < 1 || groups < 1 || queries < 1 || length < queries || window < 0) return -1;
    size_t token = (size_t)kv_heads * groups * dim; /* one query token's heads */
    for (int h = 0; h < kv_heads; h++) {
        const float *k = keys + h * key_head, *fk = far_keys + h * far_head, *v = values + h * value_head;
        for (int g0 = 0; g0 < groups; g0 += MAX_GROUPS) {
            int G = groups - g0 < MAX_GROUPS ? groups - g0 : MAX_GROUPS;
            for (long c0 = 0; c0 < length; c0 += CHUNK) {
                long c1 = min_of(length, c0 + CHUNK);
                for (int r = 0; r < queries; r++) {
                    long seen = length - queries + r + 1; /* keys 0..t */
                    long far_end = window > 0 && seen > window ? seen - window : 0;
                    size_t q_offset = r * token + ((size_t)h * groups + g0) * dim;
                    float *s = scores + ((size_t)r * groups + g0) * length;
                    long far_stop = min_of(c1, far_end), near_start = max_of(c0, far_end), near_stop = min_of(c1, seen);
#define FAR(GG, DD) score_rows(GG, DD, c0, far_stop, far_query + q_offset, fk, far_row, s, length)
#define NEAR(GG, DD) score_rows(GG, DD, near_start, near_stop, query + q_offset, k, key_row, s, length)
                    if (c0 < far_stop) BY_GROUPS(G, FAR)
                    if (near_start < near_stop) BY_GROUPS(G, NEAR)
                }
            }
        }
        for (int r = 0; r < queries; r++) { /* softmax over the keys each token sees, in place */
            long seen = length - queries + r + 1;
            for (int g = 0; g < groups; g++) {
                float *s = scores + ((size_t)r * groups + g) * length;
                float peak = s[0], sum = 0.0f;
                for (long j = 1; j < seen; j++) peak = s[j] > peak ? s[j] : peak;
                for (long j = 0; j < seen; j++) {
                    s[j] = expf(s[j] - peak);
                    sum += s[j];
                }
                float inverse = 1.0f / sum;
                for (long j = 0; j < seen; j++) s[j] *= inverse;
                float *o = out + r * token + ((size_t)h * groups + g) * dim;
                for (int d = 0; d < dim; d++) o[d] = 0.0f;
            }
        }
        for (int g0 = 0; g0 < groups; g0 += MAX_GROUPS) {
            int G = groups - g0 < MAX_GROUPS ? groups - g0 : MAX_GROUPS;
            for (long c0 = 0; c0 < length; c0 += CHUNK) {
                for (int r = 0; r < queries; r++) {
                    long stop = min_of(min_of(length, c0 + CHUNK), length - queries + r + 1);
                    const float *p = scores + ((size_t)r * groups + g0) * length;
                    float *o = out + r * token + ((size_t)h * groups + g0) * dim;
#define WEIGH(GG, DD) weigh_rows(GG, DD, c0, stop, p, length, v, value_row, o)
                    if (c0 < stop) BY_GROUPS(G, WEIGH)
                }
            }
        }
    }
    return 0;
}
