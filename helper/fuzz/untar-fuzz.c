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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (ftruncate(input, 0) < 0 || pwrite(input, data, size, 0) != (ssize_t)size || lseek(input, 0, SEEK_SET) < 0) {
    perror("untar-fuzz: write the input");
    abort();
  }
  armed = true;
  if (setjmp(refused) == 0) untar_scan(input, entry, output);
  armed = false;
  tar_entry_clear(entry);
  return 0;
}
