/*
 * feed.c: a command tupper-init starts for the script, first thing, in the host's namespaces
 * (--feed IN OUT, --feed-arg ARG..., --feed-env NAME=VALUE...): a foreground run's kept
 * iptables-restore, which the script gives the rules that publish its ports once they are
 * free, and the rules that take them out when the workload has ended. Started here, it costs
 * a fork of this small static process where the script's costs a fork of the whole bash,
 * and it is ready by the time the ports are.
 */
#ifndef TUPPER_FEED_H
#define TUPPER_FEED_H

#define FEED_MAX_ARGS 16
#define FEED_MAX_ENV 4

struct feed {
  int in_fd, out_fd; /* the command's input and output: descriptors above 2 (0: no --feed; -1: started) */
  const char *argv[FEED_MAX_ARGS + 1];
  int argc;
  char *env[FEED_MAX_ENV];
  int n_env;
};

/* --feed IN OUT, --feed-arg ARG and --feed-env NAME=VALUE into FEED. */
void feed_set_fds(struct feed *feed, const char *in, const char *out);
void feed_add_arg(struct feed *feed, const char *arg);
void feed_add_env(struct feed *feed, const char *assignment);

/* Checks that --feed, --feed-arg and --feed-env come together, with N_HOME cgroups, and
   that IN and OUT are none of TAKEN[0..N_TAKEN) (the environment's, the report's, ...). */
void feed_check(const struct feed *feed, int n_home, const int *taken, int n_taken);

/*
 * Starts the command, when there is one, in the script's cgroups (HOME[0..N_HOME): the
 * cgroup.procs files of --leave-cgroup; this process is in the container's already): IN its
 * input, OUT its output, /dev/null its errors, no other descriptor; SIGINT, SIGQUIT and SIGHUP ignored (a ^C at the terminal
 * goes to the whole process group: the script's exit trap then gives it the rules that take
 * the ports out), the others as default, none blocked; this process's environment with
 * the --feed-env assignments. It is not waited for: it outlives this supervisor when it
 * must (the script ends its input; init reaps it). IN and OUT are closed here then.
 */
void feed_start(struct feed *feed, const char *const *home, int n_home);

#endif
