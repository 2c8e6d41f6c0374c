/* untar.c: one image layer, a tar stream on stdin, applied inside DIR (chrooted). */
#ifndef TUPPER_UNTAR_H
#define TUPPER_UNTAR_H

#include <stdbool.h>

void untar_layer(const char *dir, bool overlay_whiteouts) __attribute__((noreturn));

#endif
