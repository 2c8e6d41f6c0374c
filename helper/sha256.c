/*
 * sha256.c: SHA-256 as FIPS 180-4 defines it, small and without tables beyond the round
 * constants. The helper is static and links no crypto library; this is what hashes a build
 * context (context.c). test/e2e/build-context.bats checks it against sha256sum(1) on empty,
 * one-block, block-boundary and multi-megabyte inputs (`tupper-init sha256 < FILE`).
 */
#include "sha256.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t state[8], const unsigned char block[64]) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  state[0] += a, state[1] += b, state[2] += c, state[3] += d;
  state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

#if defined(__x86_64__)
/*
 * The same compression with the CPU's SHA extensions (Intel SHA-NI, AMD since Zen): about
 * five times the portable speed, which is most of the time a large context takes to hash
 * once it is in the page cache. Used when CPUID says the CPU has them (leaf 7 EBX bit 29,
 * with SSSE3 and SSE4.1), unless TUPPER_SHA256_PORTABLE is set (the tests compare both with
 * sha256sum). The state is kept as the instructions want it: ABEF and CDGH.
 */
__attribute__((target("sha,ssse3,sse4.1"))) static void compress_sha_ni(uint32_t state[8], const unsigned char block[64]) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1); /* CDAB */
  __m128i state1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B); /* EFGH */
  __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);                                      /* ABEF */
  state1 = _mm_blend_epi16(state1, tmp, 0xF0);                                           /* CDGH */
  const __m128i abef = state0, cdgh = state1;
  __m128i w[4];
  for (int i = 0; i < 16; i++) {
    __m128i words;
    if (i < 4) {
      words = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * i)), byte_swap);
    } else { /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
      words = _mm_sha256msg1_epu32(w[i % 4], w[(i + 1) % 4]);
      words = _mm_add_epi32(words, _mm_alignr_epi8(w[(i + 3) % 4], w[(i + 2) % 4], 4));
      words = _mm_sha256msg2_epu32(words, w[(i + 3) % 4]);
    }
    w[i % 4] = words;
    __m128i message = _mm_add_epi32(words, _mm_loadu_si128((const __m128i *)&K[4 * i]));
    state1 = _mm_sha256rnds2_epu32(state1, state0, message);
    state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(message, 0x0E));
  }
  state0 = _mm_add_epi32(state0, abef);
  state1 = _mm_add_epi32(state1, cdgh);
  tmp = _mm_shuffle_epi32(state0, 0x1B);        /* FEBA */
  state1 = _mm_shuffle_epi32(state1, 0xB1);     /* DCHG */
  state0 = _mm_blend_epi16(tmp, state1, 0xF0);  /* A B C D, in memory order */
  state1 = _mm_alignr_epi8(state1, tmp, 8);     /* E F G H */
  _mm_storeu_si128((__m128i *)&state[0], state0);
  _mm_storeu_si128((__m128i *)&state[4], state1);
}

static bool cpu_has_sha_ni(void) {
  unsigned eax, ebx, ecx, edx;
  if (getenv("TUPPER_SHA256_PORTABLE") != NULL) return false;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_SSSE3) || !(ecx & bit_SSE4_1)) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx & (1u << 29)) != 0;
}
#endif

/* One 64-byte block, with the SHA extensions where the CPU has them. */
static void compress_block(uint32_t state[8], const unsigned char block[64]) {
#if defined(__x86_64__)
  static int sha_ni = -1;
  if (sha_ni < 0) sha_ni = cpu_has_sha_ni();
  if (sha_ni) {
    compress_sha_ni(state, block);
    return;
  }
#endif
  compress(state, block);
}

void sha256_init(struct sha256 *s) {
  static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->state, initial, sizeof initial);
  s->length = 0;
  s->used = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t size) {
  const unsigned char *p = data;
  s->length += size;
  while (size > 0) {
    if (s->used == 0 && size >= 64) { /* whole blocks straight from the input */
      compress_block(s->state, p);
      p += 64, size -= 64;
      continue;
    }
    size_t n = 64 - s->used < size ? 64 - s->used : size;
    memcpy(s->block + s->used, p, n);
    s->used += n, p += n, size -= n;
    if (s->used == 64) compress_block(s->state, s->block), s->used = 0;
  }
}

void sha256_hex(struct sha256 *s, char hex[65]) {
  uint64_t bits = s->length * 8;
  unsigned char pad[72] = {0x80};
  size_t pad_len = (s->used < 56 ? 56 : 120) - s->used; /* to 56 bytes mod 64, then the length */
  for (int i = 0; i < 8; i++) pad[pad_len + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
  sha256_update(s, pad, pad_len + 8);
  for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", s->state[i]);
}
