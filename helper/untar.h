/* untar.c: one image layer, a tar stream on stdin, applied inside DIR (chrooted). */
#ifndef TUPPER_UNTAR_H
#define TUPPER_UNTAR_H

#include <stdbool.h>

void untar_layer(const char *dir, bool overlay_whiteouts) __attribute__((noreturn));

/* The reader on its own, for the fuzz target (helper/fuzz/untar-fuzz.c). */
struct tar_entry;
struct tar_entry *tar_entry_new(void);
/* Frees what E holds (after a die() the fuzz target caught too) and empties it. */
void tar_entry_clear(struct tar_entry *e);
void tar_entry_free(struct tar_entry *e);
/* The next entry's headers from IN into E; false at the end of the archive. */
bool tar_next(int in, struct tar_entry *e);
/* Reads every entry of the archive on IN as untar_layer does, the data of each regular file
   into the file OUT (truncated first), and makes nothing. */
void untar_scan(int in, struct tar_entry *e, int out);

#endif
