// CKernels: run-time dispatch and the portable (scalar C) kernels, compiled for any CPU.
#include "internal.h"

#include <pthread.h>

/// The CPU features, queried once per process (pthread_once: every caller sees the value
/// written by the one query; linear calls only read it).
static pthread_once_t features_once = PTHREAD_ONCE_INIT;
static unsigned features_cached;

static void query_cpu_features(void) {
    unsigned features = 0;
#if CK_HAVE_AVX512_CODE
    // The compiler runtime's CPU model checks that the OS saves zmm state (XCR0) too.
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma")) {
        features |= CK_FEATURE_AVX512;
        if (__builtin_cpu_supports("avx512bf16")) features |= CK_FEATURE_AVX512_BF16;
        if (__builtin_cpu_supports("avx512vnni")) features |= CK_FEATURE_AVX512_VNNI;
    }
    // The runtime reports AVX2 only when the OS saves ymm state.
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) features |= CK_FEATURE_AVX2;
#endif
    features_cached = features;
}

unsigned ck_cpu_features(void) {
    pthread_once(&features_once, query_cpu_features);
    return features_cached;
}

ck_path ck_resolve_path(ck_path requested, unsigned avx512_needed, int has_avx2_code) {
    if (requested == CK_PATH_SCALAR) return CK_PATH_SCALAR;
    unsigned features = ck_cpu_features();
    if (requested != CK_PATH_AVX2 && avx512_needed != 0 && (features & avx512_needed) == avx512_needed)
        return CK_PATH_AVX512;
    if (requested != CK_PATH_AVX512 && has_avx2_code && (features & CK_FEATURE_AVX2)) return CK_PATH_AVX2;
    return CK_PATH_SCALAR;
}

/// The path of the f32 linear kernels: AVX-512 when asked for (or automatic) and supported.
static ck_path resolve(ck_path path) { return ck_resolve_path(path, CK_FEATURE_AVX512, 0); }

static inline float weight_at(ck_weight_kind kind, const void *w, size_t index) {
    if (kind == CK_WEIGHTS_F32) return ((const float *)w)[index];
    union { uint32_t bits; float value; } u = { (uint32_t)((const uint16_t *)w)[index] << 16 };
    return u.value;
}

/// Scalar linear: eight independent partial sums per dot product (the compiler may vectorize
/// them for the baseline ISA without reassociating anything).
static void linear_scalar(ck_weight_kind kind, const float *x, size_t rows, size_t in, const void *w,
                          size_t out, size_t first, size_t count, const float *bias, float *y, int accumulate) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * in;
        for (size_t n = first; n < first + count; n++) {
            size_t base = n * in;
            float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            size_t k = 0;
            for (; k + 8 <= in; k += 8) {
                for (int j = 0; j < 8; j++) lanes[j] += xr[k + j] * weight_at(kind, w, base + k + j);
            }
            for (; k < in; k++) lanes[0] += xr[k] * weight_at(kind, w, base + k);
            float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
            if (bias) sum += bias[n];
            float *o = y + r * out + n;
            *o = accumulate ? *o + sum : sum;
        }
    }
}

static ck_path linear(ck_weight_kind kind, const float *x, size_t rows, size_t in, const void *w, size_t out,
                      size_t first, size_t count, const float *bias, float *y, int accumulate, ck_path path) {
    path = resolve(path);
    if (rows == 0 || count == 0) return path;
#if CK_HAVE_AVX512_CODE
    if (path == CK_PATH_AVX512) {
        ck_linear_avx512(kind, x, rows, in, w, out, first, count, bias, y, accumulate);
        return path;
    }
#endif
    linear_scalar(kind, x, rows, in, w, out, first, count, bias, y, accumulate);
    return path;
}

ck_path ck_linear_f32(const float *x, size_t rows, size_t in, const float *w, size_t out,
                      const float *bias, float *y, int accumulate, ck_path path) {
    return linear(CK_WEIGHTS_F32, x, rows, in, w, out, 0, out, bias, y, accumulate, path);
}

ck_path ck_linear_bf16(const float *x, size_t rows, size_t in, const uint16_t *w, size_t out,
                       const float *bias, float *y, int accumulate, ck_path path) {
    return linear(CK_WEIGHTS_BF16, x, rows, in, w, out, 0, out, bias, y, accumulate, path);
}

ck_path ck_linear_f32_outputs(const float *x, size_t rows, size_t in, const float *w, size_t out, size_t first,
                              size_t count, const float *bias, float *y, int accumulate, ck_path path) {
    return linear(CK_WEIGHTS_F32, x, rows, in, w, out, first, count, bias, y, accumulate, path);
}

ck_path ck_linear_bf16_outputs(const float *x, size_t rows, size_t in, const uint16_t *w, size_t out, size_t first,
                               size_t count, const float *bias, float *y, int accumulate, ck_path path) {
    return linear(CK_WEIGHTS_BF16, x, rows, in, w, out, first, count, bias, y, accumulate, path);
}

ck_path ck_bf16_to_f32(const uint16_t *src, float *dst, size_t count, ck_path path) {
    path = resolve(path);
#if CK_HAVE_AVX512_CODE
    if (path == CK_PATH_AVX512) {
        ck_bf16_to_f32_avx512(src, dst, count);
        return path;
    }
#endif
    for (size_t i = 0; i < count; i++) dst[i] = weight_at(CK_WEIGHTS_BF16, src, i);
    return path;
}
