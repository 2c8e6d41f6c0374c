/*
 * untar-fuzz: libFuzzer target for the layer reader (helper/untar.c), the code `tupper-init
 * --untar` runs on a registry's or an image's archive. Built with
 * -fsanitize=fuzzer,address,undefined by `make test-fuzz` from the same untar.c and util.c as
 * the helper; only util.c's exit is replaced (-DUTIL_EXIT=fuzz_exit): a die() longjmps back
 * here, as a refused archive, and the entry's memory is freed, so LeakSanitizer sees real leaks.
 *
 * Each input is an archive on a memfd; untar_scan reads every entry as untar_layer does (the
 * headers, pax records, GNU long names, names, whiteouts, every data byte) and writes regular
 * files' data into an unnamed temporary file (O_TMPFILE). It creates nothing else: untar_layer's
 * mkdir/symlink/mknod run chrooted into the layer's directory, which a fuzzer in the host's root
 * cannot do safely.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../untar.h"
#include "../util.h"

static jmp_buf refused;
static bool armed;
static bool verbose;
static int input = -1, output = -1;
static struct tar_entry *entry;

void fuzz_exit(int status) __attribute__((noreturn));
void fuzz_exit(int status) {
  if (!armed) {
    fprintf(stderr, "untar-fuzz: die() outside the harness\n");
    abort();
  }
  (void)status;
  longjmp(refused, 1);
}

/* util.c's messages: swallowed (millions of refused archives), unless UNTAR_FUZZ_VERBOSE is set. */
bool divert_message(const char *text) {
  if (verbose) fprintf(stderr, "%s\n", text);
  return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  verbose = getenv("UNTAR_FUZZ_VERBOSE") != NULL;
  input = memfd_create("untar-fuzz-input", MFD_CLOEXEC);
  /* the data of regular files: a file without a name, nothing left in /tmp however the fuzzer stops */
  output = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (input < 0 || output < 0) {
    perror("untar-fuzz: memfd_create/open O_TMPFILE");
    exit(1);
  }
  entry = tar_entry_new();
  return 0;
}

/*
 * A mutation almost always breaks a header's checksum, and the reader then stops at its first
 * check. So in an input whose length is a multiple of 512 (as every whole archive is), every
 * block gets the checksum its bytes need, whether it is a header or data (data is not checked);
 * other inputs reach the checksum check as they are. The reader itself is untouched.
 */
static const uint8_t *with_checksums(const uint8_t *data, size_t size, uint8_t **copy) {
  *copy = NULL;
  if (size == 0 || size % 512 != 0) return data;
  uint8_t *out = malloc(size);
  if (out == NULL) abort();
  memcpy(out, data, size);
  for (size_t block = 0; block < size; block += 512) {
    uint8_t *h = out + block;
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
    h[155] = ' ';
  }
  *copy = out;
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *original, size_t size) {
  uint8_t *copy;
  const uint8_t *data = with_checksums(original, size, &copy);
  if (ftruncate(input, 0) < 0 || pwrite(input, data, size, 0) != (ssize_t)size || lseek(input, 0, SEEK_SET) < 0) {
    perror("untar-fuzz: write the input");
    abort();
  }
  armed = true;
  if (setjmp(refused) == 0) untar_scan(input, entry, output);
  armed = false;
  tar_entry_clear(entry);
  free(copy);
  return 0;
}
