/* Attention for a decode step's few query tokens, float32, for hirope_lsp/hirope/native.py.
 *
 * For one query token, each kv head h and each of its `groups` query heads g:
 *   scores[j] = far_query[g] . far_keys[j]   for keys j < far_end   (HiRoPE's far rule)
 *             = query[g] . keys[j]           for far_end <= j < length (the stock rule)
 *   out[g]    = sum_j softmax(scores)[j] * values[j]
 * Queries come scaled. Keys and values are rows of `dim` floats (the KV cache's [S, D] views, any row
 * and head stride). Torch does the same with two batched products and a softmax (attention.py,
 * single_query_attention, blocked_attention); on a CPU those run far below memory bandwidth at decode
 * shapes, because each is a product of 1-8 rows. Here every key and value row is read once per query
 * token, for all the query heads that share it, and the scores stay in a scratch buffer that fits the
 * L1/L2 caches.
 */
#include <math.h>
#include <stddef.h>

#define MAX_GROUPS 4 /* query heads scored together per pass over the keys */
#define MAX_DIM 256

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

/* out[g] = sum_j scores[g * length + j] * values[j] for G query heads. */
static inline __attribute__((always_inline)) void weigh_rows(int G, int dim, long length, const float *scores,
                                                             const float *values, long value_row, float *out)
{
    float acc[MAX_GROUPS][MAX_DIM];
    for (int g = 0; g < G; g++)
        for (int d = 0; d < dim; d++) acc[g][d] = 0.0f;
    for (long j = 0; j < length; j++) {
        const float *row = values + j * value_row;
        for (int g = 0; g < G; g++) {
            float p = scores[g * length + j];
            for (int d = 0; d < dim; d++) acc[g][d] += p * row[d];
        }
    }
    for (int g = 0; g < G; g++)
        for (int d = 0; d < dim; d++) out[g * dim + d] = acc[g][d];
}

/* G as a compile-time constant, so that the per-head sums stay in registers. */
#define BY_GROUPS(G, call)                                                                                     \
    switch (G) {                                                                                               \
    case 1: call(1); break;                                                                                    \
    case 2: call(2); break;                                                                                    \
    case 3: call(3); break;                                                                                    \
    default: call(4); break;                                                                                   \
    }

/* One query: keys [0, far_end) against far_query and far_keys, [far_end, length) against query and keys. */
static void attend(int kv_heads, int groups, int dim, long length, long far_end, const float *query,
                   const float *far_query, const float *keys, long key_head, long key_row, const float *far_keys,
                   long far_head, long far_row, const float *values, long value_head, long value_row,
                   float *scores, float *out)
{
    for (int h = 0; h < kv_heads; h++) {
        for (int g0 = 0; g0 < groups; g0 += MAX_GROUPS) {
            int G = groups - g0 < MAX_GROUPS ? groups - g0 : MAX_GROUPS;
            float *s = scores + (size_t)g0 * length;
            size_t q_offset = ((size_t)h * groups + g0) * dim;
#define FAR(GG) score_rows(GG, dim, 0, far_end, far_query + q_offset, far_keys + h * far_head, far_row, s, length)
#define NEAR(GG) score_rows(GG, dim, far_end, length, query + q_offset, keys + h * key_head, key_row, s, length)
            if (far_end > 0) BY_GROUPS(G, FAR)
            BY_GROUPS(G, NEAR)
        }
        for (int g = 0; g < groups; g++) { /* softmax, in place */
            float *s = scores + (size_t)g * length;
            float peak = s[0], sum = 0.0f;
            for (long j = 1; j < length; j++) peak = s[j] > peak ? s[j] : peak;
            for (long j = 0; j < length; j++) {
                s[j] = expf(s[j] - peak);
                sum += s[j];
            }
            float inverse = 1.0f / sum;
            for (long j = 0; j < length; j++) s[j] *= inverse;
        }
        for (int g0 = 0; g0 < groups; g0 += MAX_GROUPS) {
            int G = groups - g0 < MAX_GROUPS ? groups - g0 : MAX_GROUPS;
            float *o = out + ((size_t)h * groups + g0) * dim;
#define WEIGH(GG) weigh_rows(GG, dim, length, scores + (size_t)g0 * length, values + h * value_head, value_row, o)
            BY_GROUPS(G, WEIGH)
        }
    }
}

/* The last `queries` tokens of a sequence of `length` attend causally: query r is token
 * t = length - queries + r and sees keys j <= t, those with t - j >= window (window > 0) by the far rule.
 * query, far_query and out are [queries, kv_heads, groups, dim]; scores is scratch of [groups, length].
 * Returns 0, or -1 if the shapes are outside what this kernel handles (the caller checks first). */
int hirope_decode_attention(int queries, int kv_heads, int groups, int dim, long length, long window,
                            const float *query, const float *far_query,
                            const float *keys, long key_head, long key_row,
                            const float *far_keys, long far_head, long far_row,
                            const float *values, long value_head, long value_row,
                            float *scores, float *out)
{
    if (dim > MAX_DIM || dim < 1 || groups < 1 || queries < 1 || length < queries || window < 0) return -1;
    size_t row = (size_t)kv_heads * groups * dim;
    for (int r = 0; r < queries; r++) {
        long seen = length - queries + r + 1; /* keys 0..t */
        long far_end = window > 0 && seen > window ? seen - window : 0;
        attend(kv_heads, groups, dim, seen, far_end, query + r * row, far_query + r * row, keys, key_head, key_row,
               far_keys, far_head, far_row, values, value_head, value_row, scores, out + r * row);
    }
    return 0;
}
