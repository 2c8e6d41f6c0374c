/* context.c: a build context, hostile input: its digest (context-hash) and COPY (context-copy). */
#ifndef TUPPER_CONTEXT_H
#define TUPPER_CONTEXT_H

/* Runs `tupper-init context-hash|context-copy|context-match|context-sha256 ...` and exits;
   returns when ARGV[1] is none of them. */
void context_main(int argc, char **argv);

#endif
