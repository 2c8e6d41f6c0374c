/* remove.c: a container's directories removed by its supervisor, as rm -rf --one-file-system would. */
#ifndef TUPPER_REMOVE_H
#define TUPPER_REMOVE_H

#include <stdbool.h>
#include <time.h>

/* Removes PATH, a file or a directory with all below it, without following a symlink or
   crossing into another filesystem, to at most REMOVE_DEPTH levels, and stops early at
   DEADLINE (CLOCK_MONOTONIC) or when SIGINT, SIGTERM, SIGHUP or SIGQUIT is pending. True
   when PATH is gone (or was not there); false when something is left, for the script's rm. */
bool tree_remove(const char *path, const struct timespec *deadline);

#define REMOVE_DEPTH 64
#define REMOVE_SECONDS 1 /* the budget of a supervisor's removal: the rest is the script's rm's */

#endif
