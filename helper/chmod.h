/* chmod.c: COPY/ADD --chmod, an octal mode or chmod(1)'s symbolic clauses (u+x,go-w, a=rX). */
#ifndef TUPPER_CHMOD_H
#define TUPPER_CHMOD_H

#include <stdbool.h>
#include <sys/types.h>

/* Dies naming --chmod unless TEXT is octal (at most 07777) or symbolic clauses, each
   [ugoa]*, then one or more of an operator [+-=] and either permissions [rwxXst]* or one
   of u, g, o (the bits that class has), comma-separated. */
void chmod_check(const char *text);

/* The mode --chmod TEXT gives a file whose own mode is CURRENT (07777 bits; a directory
   when IS_DIRECTORY). NULL: CURRENT. Octal replaces it; symbolic clauses change it one
   after another as chmod(1) does, where a clause without [ugoa] means a and no umask
   applies (a build has none), X adds execute to directories and to files that have some
   execute bit, s is set-user/group-ID for u/g, t is the sticky bit for o, and = keeps a
   directory's set-user/group-ID bits unless it sets them (GNU chmod's rules). */
mode_t chmod_apply(const char *text, mode_t current, bool is_directory);

#endif
