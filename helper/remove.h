/* remove.c: a container's directories removed by its supervisor, as rm -rf --one-file-system would. */
#ifndef TUPPER_REMOVE_H
#define TUPPER_REMOVE_H

#include <stdbool.h>

/* Removes PATH, a file or a directory with all below it, without following a symlink or
   crossing into another filesystem, to at most REMOVE_DEPTH levels. True when PATH is gone
   (or was not there); false when something is left, for the script's rm to remove or name. */
bool tree_remove(const char *path);

#define REMOVE_DEPTH 64

#endif
