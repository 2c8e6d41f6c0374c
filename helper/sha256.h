/* sha256.c: SHA-256 (FIPS 180-4), for the build context's digest (context.c). */
#ifndef TUPPER_SHA256_H
#define TUPPER_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
  uint32_t state[8];
  uint64_t length;       /* bytes hashed so far */
  unsigned char block[64];
  size_t used;           /* bytes of BLOCK filled */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t size);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *s, char hex[65]);

#endif
