/*
 * tupper-init: the last step of a tupper container start.
 *
 * The generated script has put this process into the container's cgroups. It
 * first makes the container's namespaces itself (--setsid, --join-ns, --unshare
 * mount,uts,ipc,pid,cgroup[,net]: enter_namespaces), without forking, so that it
 * stays in the host's PID namespace while its children are in the new one. With
 * --netns it joins a network namespace that exists (another container's) instead of a
 * new one. With --veth (a bridge network) it makes the veth pairs from the host's bridges
 * into its new network namespace itself (veth.c). With --await-net FD (egress_rate) it then
 * says "net" on FD and waits for the script's SIGUSR1: the script has then limited the
 * container's interfaces (tc). (With --ports-free FD, it has said "ports" on FD before
 * the namespaces, once the ports of --check-port were found free.) It forks the
 * container's PID 1 and stays outside as its supervisor: it passes on signals and exits
 * with PID 1's status (128+N when signal N killed it). The child, PID 1 of the new PID namespace:
 *
 *   1. mounts the root filesystem (an overlay, or the prepared directory
 *      bound onto itself so that it is a mount point),
 *   2. mounts /proc, a tmpfs /dev with the standard nodes, /dev/pts,
 *      /dev/shm, /dev/mqueue and a read-only /sys inside it,
 *   3. bind-mounts the volumes, brings up lo and the interfaces the script
 *      put into its network namespace (addresses, default route), sets the
 *      hostname and domain name,
 *   4. pivot_root()s into the root and detaches the old one,
 *   5. closes every inherited file descriptor above stderr,
 *   6. drops to the workload's uid/gid and changes to its working directory,
 *   7. execs the workload, or with --init forks it and stays PID 1 to
 *      forward signals, reap zombies and exit with the workload's status.
 *
 * With --untar DIR [--overlay-whiteouts] it applies an image layer, a tar stream
 * on stdin, inside DIR (untar.c).
 *
 * With --port-free tcp|udp PORT it exits 0 when the host port can be bound, 1 when
 * a socket of this host holds it (port.c): the script's check before it publishes.
 *
 * With --join PID it instead runs a command in a running container (the
 * script's `exec`): it enters the namespaces of the container whose PID 1 has
 * host PID PID, forks, and the child drops to the given uid/gid and execs.
 *
 * Every failure names the call and the path, then exits 125 (the status
 * Docker uses for "the runtime failed before the workload ran").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <grp.h>
#include <unistd.h>

#include "log.h"
#include "net6.h"
#include "veth.h"
#include "feed.h"
#include "proxy6.h"
#include "security.h"
#include "port.h"
#include "remove.h"
#include "pty.h"
#include "untar.h"
#include "context.h"
#include "util.h"

#define EXIT_RUNTIME_FAILED 125
#define MAX_VOLUMES 256
#define MAX_ENV 4096
#define MAX_INTERFACES 16
#define MAX_CHECK_PORTS 64 /* --check-port: a foreground run's published ports (the script asks itself past that) */
#define MAX_HEALTH_ARGS 256
#define MAX_TMPFS 64
#define MAX_DEVICES 64
#define MAX_LOWERS 128
#define MAX_ENV_BYTES (2 * 1024 * 1024) /* --env-fd: execve's own limit for argv and envp together */
#define MAX_ETC_FILES 8
#define MAX_CGROUP_PATHS 32 /* --leave-cgroup, --remove-cgroup: a hierarchy each (v1 has a dozen), and parents */
#define ETC_TMPFS_SLACK (256 * 1024) /* room a container has to grow its /etc/hosts and the others */

extern char **environ;

struct volume {
  const char *source;
  const char *target;
  bool read_only;
};

/* A tmpfs: mount options as in mount(8), e.g. size=64m,mode=1777,noexec. */
struct tmpfs {
  const char *target;
  const char *options;
};

/* devices: a host device node, made again at TARGET in the container. */
struct host_device {
  const char *source;
  const char *target;
};

/* --etc-file: a file of the script's (/etc/hosts ...), copied into the container's own tmpfs. */
struct etc_file {
  const char *source;
  const char *target;
};

/* An interface the script created in the network namespace, to configure and bring up. */
struct interface {
  const char *name;
  struct in_addr address;
  int prefix_length;
};

struct options {
  const char *rootfs;
  const char *overlay_lower, *overlay_upper, *overlay_work;
  const char *lowers[MAX_LOWERS]; /* --lower: an image's further layers, beneath overlay_lower */
  int n_lowers;
  struct volume volumes[MAX_VOLUMES];
  int n_volumes;
  struct tmpfs tmpfs[MAX_TMPFS];
  int n_tmpfs;
  struct etc_file etc_files[MAX_ETC_FILES];
  int n_etc_files;
  bool read_only_root;
  struct security security;
  const char *device_cgroup; /* cgroup v2 only: attach the device allow-list here */
  struct device_rule device_rules[MAX_DEVICE_RULES]; /* beyond Docker's defaults, for the v2 program */
  int n_device_rules;
  struct host_device devices[MAX_DEVICES];
  int n_devices;
  struct userns_map userns; /* size 0: none */
  const char *netns;
  struct interface interfaces[MAX_INTERFACES];
  int n_interfaces;
  const char *gateway_text;
  struct in_addr gateway;
  struct net6 net6; /* --ip6, --no-ipv6, --gateway6: enable_ipv6 networks (net6.c) */
  struct veths veths; /* --veth, --mac: the pairs to the bridges, made here (veth.c) */
  struct feed feed;   /* --feed, --feed-arg, --feed-env: the script's kept command (feed.c) */
  const char *hostname;
  const char *domainname;
  uid_t uid;
  gid_t gid;
  const char *user;                  /* --user NAME[:GROUP], resolved in the container */
  const char *group_add[MAX_GROUPS]; /* --group-add NAME|GID, resolved in the container */
  int n_group_add;
  const char *workdir;
  char *env[MAX_ENV + 1];
  int n_env;
  bool init;
  bool tty;        /* tty, exec -t: a pty of the container's own; else pipes for host terminals */
  bool stdin_open; /* stdin_open: a detached workload's stdin stays open (a pipe), not /dev/null */
  bool keep_pidns; /* pid: host or service:NAME: a restart stays in the PID namespace given */
  /* What the script's setsid, nsenter and unshare commands did, one exec each, now done here
     before anything else: a session of its own (detached), the IPC and PID namespaces of
     other containers (ipc, pid: service:NAME), then new namespaces (CLONE_* flags). */
  bool setsid;
  const char *join_ns_ipc, *join_ns_pid;
  int unshare_flags;
  const char *unshare_list; /* as given, for messages */
  pid_t join_pid;
  char **argv;
  /* The supervisor's work besides waiting: restarts, health checks, status files. */
  enum { RESTART_NO, RESTART_ALWAYS, RESTART_ON_FAILURE } restart;
  long max_restarts;     /* on-failure:N; -1: no limit */
  const char *stop_file; /* while it exists, the workload is being stopped: no restart */
  int report_fd;         /* --report-fd: where the script learns whether the first exec happened, or -1 */
  int await_net_fd;      /* --await-net: where the script learns that the network namespace exists, or -1 */
  int ports_free_fd;     /* --ports-free: where the script learns that the ports of --check-port are free, or -1 */
  const char *check_ports[MAX_CHECK_PORTS][2]; /* --check-port PROTOCOL PORT: free on the host, or no start */
  int n_check_ports;
  /* A foreground run's cgroups, removed here once PID 1 has ended (cgroups_remove) */
  const char *leave_cgroups[MAX_CGROUP_PATHS]; /* cgroup.procs files to move into first */
  int n_leave_cgroups;
  const char *remove_cgroups[MAX_CGROUP_PATHS]; /* the container's cgroups */
  int n_remove_cgroups;
  const char *remove_cgroup_parents[MAX_CGROUP_PATHS]; /* then the parents tupper made, unless in use */
  int n_remove_cgroup_parents;
  const char *remove_trees[MAX_CGROUP_PATHS]; /* run --rm: then the container's directories and records */
  int n_remove_trees;
  const char *status_dir;
  const char *log_path; /* detached: the output goes here, through the supervisor (log.c) */
  long long log_max_size;
  long long shm_size;          /* /dev/shm, bytes */
  bool oom_score_adj_set;
  int oom_score_adj;
  const char *oom_events;      /* the memory cgroup's memory.oom_control (v1) or memory.events (v2) */
  int log_max_files;
  char *health_argv[MAX_HEALTH_ARGS + 1];
  int n_health_args;
  long health_interval_ms, health_timeout_ms, health_start_period_ms, health_start_interval_ms, health_retries;
};

/* ---- errors ------------------------------------------------------------ */

/* The supervisor of a detached container: its own errors go into the container's log. */
static struct container_log *error_log;

/*
 * --report-fd N (up -d, run -d, start): the script waits on N until the workload's first exec
 * has happened ("ok") or cannot ("fail STATUS MESSAGE", one line), as runc's exec fifo lets
 * `runc start` return only once the workload runs. FAILURE_FD is where this process's fatal
 * error goes, as that line: N in the supervisor until it has reported, and in PID 1 the
 * close-on-exec pipe the supervisor reads (start_pid1), which exec closes. -1: nowhere.
 */
static int failure_fd = -1;
/* The supervisor's --status-dir, where its own fatal error records the end (exit 125) for ps -a */
static const char *failure_status_dir;
/* The byte PID 1 writes on its exec pipe just before execvp: EOF after it alone is an exec that
   happened; EOF without it, a PID 1 that ended first (a signal: it had no word to say). */
#define EXEC_MARK '.'
static void write_status(const char *dir, const char *name, const char *text);

/* "fail STATUS TEXT\n" on FAILURE_FD, control characters as '?' (the script reads one line). */
static void report_failure(int status, const char *text) {
  if (failure_fd < 0) return;
  char line[1100];
  int len = snprintf(line, sizeof line - 1, "fail %d %.1024s", status, text);
  if (len < 0) return;
  if (len > (int)sizeof line - 2) len = (int)sizeof line - 2;
  for (int i = 0; i < len; i++)
    if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) line[i] = '?';
  line[len++] = '\n';
  /* One write below PIPE_BUF arrives whole. Unchecked: this is the way out of a process that
     is failing already, and its stderr has the message too. */
  ssize_t ignored = write(failure_fd, line, (size_t)len);
  (void)ignored;
}

/* util.c's die() calls this first (util.h): the reason a start failed, for the script. */
void fatal_message(const char *text) {
  report_failure(EXIT_RUNTIME_FAILED, text);
  const char *dir = failure_status_dir;
  failure_status_dir = NULL; /* once: write_status may die itself (out of memory) */
  if (dir != NULL) write_status(dir, "exit", "125\n");
}

/* util.c's die() and warn_errno() send their messages here first (util.h). */
bool divert_message(const char *text) {
  if (error_log == NULL) return false;
  log_message(error_log, text);
  return true;
}

static unsigned long parse_id(const char *flag, const char *text) {
  char *end;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || *text == '\0' || *end != '\0' || value > 0xfffffffeUL)
    die("%s needs a number from 0 to 4294967294, got '%s'", flag, text);
  return value;
}

/* An rlimit value: a number, or "unlimited". */
static unsigned long long parse_limit(const char *flag, const char *text) {
  if (strcmp(text, "unlimited") == 0) return RLIM_INFINITY;
  char *end;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || *text == '\0' || *end != '\0') die("%s needs a number or unlimited, got '%s'", flag, text);
  return value;
}

static struct in_addr parse_ipv4(const char *flag, const char *text) {
  struct in_addr addr;
  if (inet_pton(AF_INET, text, &addr) != 1) die("%s needs an IPv4 address, got '%s'", flag, text);
  return addr;
}

/* "NAME ADDRESS/PREFIX", e.g. eth0 172.18.0.2/16. */
static void parse_interface(const char *name, const char *cidr, struct interface *iface) {
  if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ) die("--ip: bad interface name '%s'", name);
  const char *slash = strchr(cidr, '/');
  if (slash == NULL) die("--ip needs ADDRESS/PREFIX, got '%s'", cidr);
  char *address = xasprintf("%.*s", (int)(slash - cidr), cidr);
  char *end;
  long prefix = strtol(slash + 1, &end, 10);
  if (*end != '\0' || slash[1] == '\0' || prefix < 1 || prefix > 32) die("--ip: bad prefix length in '%s'", cidr);
  iface->name = name;
  iface->address = parse_ipv4("--ip", address);
  iface->prefix_length = (int)prefix;
  free(address);
}

/* --unshare LIST: the namespaces, comma-separated, that unshare(1)'s options named. */
static int parse_unshare(const char *list) {
  static const struct {
    const char *name;
    int flag;
  } kinds[] = {{"mount", CLONE_NEWNS}, {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
               {"pid", CLONE_NEWPID},  {"cgroup", CLONE_NEWCGROUP}, {"net", CLONE_NEWNET}};
  int flags = 0;
  size_t total = strlen(list);
  if (total == 0 || list[0] == ',' || list[total - 1] == ',') die("--unshare: '%s' is not a comma-separated list of namespaces", list);
  for (const char *p = list; *p != '\0';) {
    size_t len = strcspn(p, ",");
    if (len == 0) die("--unshare: '%s' is not a comma-separated list of namespaces", list);
    size_t i = 0;
    while (i < sizeof kinds / sizeof kinds[0] && (strlen(kinds[i].name) != len || strncmp(kinds[i].name, p, len) != 0)) i++;
    if (i == sizeof kinds / sizeof kinds[0]) die("--unshare: unknown namespace '%.*s' in '%s' (mount, uts, ipc, pid, cgroup, net)", (int)len, p, list);
    if (flags & kinds[i].flag) die("--unshare: '%s' names %s twice", list, kinds[i].name);
    flags |= kinds[i].flag;
    p += len;
    if (*p == ',') p++;
  }
  if (flags == 0) die("--unshare needs at least one namespace");
  return flags;
}

/* --join-ns ipc=FILE | pid=FILE: a namespace of another container (its /proc/PID/ns/ file). */
static void parse_join_ns(const char *text, struct options *opt) {
  const char **slot = strncmp(text, "ipc=", 4) == 0 ? &opt->join_ns_ipc : strncmp(text, "pid=", 4) == 0 ? &opt->join_ns_pid : NULL;
  if (slot == NULL || text[4] == '\0') die("--join-ns takes ipc=FILE or pid=FILE, not '%s'", text);
  if (*slot != NULL) die("--join-ns %.3s= is given twice", text);
  *slot = text + 4;
}

/*
 * The namespace options make sense only together (the script writes them so; a person
 * running the helper by hand might not): a container never shares the host's mount, UTS or
 * cgroup namespace, and its PID namespace is a new one, or (--keep-pidns: pid: host or
 * service:NAME) the host's or a joined one, never both. `exec` (--join) takes none of them.
 */
static void check_namespace_options(const struct options *opt) {
  int u = opt->unshare_flags, always = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWCGROUP;
  if (opt->join_pid != 0) {
    if (opt->setsid || opt->join_ns_ipc != NULL || opt->join_ns_pid != NULL || u != 0)
      die("--join (exec) enters every namespace of the container: it takes no --setsid, --join-ns or --unshare");
    return;
  }
  if ((u & always) != always) die("--unshare must name mount, uts and cgroup (a container shares none of them with the host), not '%s'", opt->unshare_list != NULL ? opt->unshare_list : "");
  if (!(u & CLONE_NEWPID) && !opt->keep_pidns) die("--unshare must name pid, unless --keep-pidns (pid: host or service:NAME) keeps the PID namespace given");
  if ((u & CLONE_NEWPID) && (opt->keep_pidns || opt->join_ns_pid != NULL)) die("--unshare pid goes with neither --keep-pidns nor --join-ns pid=");
  if ((u & CLONE_NEWIPC) && opt->join_ns_ipc != NULL) die("--unshare ipc goes not with --join-ns ipc=: a container's IPC namespace is new or joined");
  if ((u & CLONE_NEWNET) && opt->netns != NULL) die("--unshare net goes not with --netns: a container's network namespace is new or joined");
  if (opt->await_net_fd >= 0 && !(u & CLONE_NEWNET)) die("--await-net goes with --unshare net: it waits for the script to limit the new network namespace's interfaces");
  if (opt->veths.n_pairs > 0 && !(u & CLONE_NEWNET)) die("--veth goes with --unshare net: its inside end goes into the new network namespace");
}

/* ---- arguments --------------------------------------------------------- */

static void usage(void) {
  fputs("usage: tupper-init --rootfs DIR [--overlay LOWER UPPER WORK [--lower DIR]...]\n"
        "                   [--etc-file SRC DEST]... [--bind SRC DEST | --ro-bind SRC DEST]...\n"
        "                   [--hostname NAME]\n"
        "                   [--domainname NAME] [--netns FILE] [--ip IFNAME ADDR/PREFIX]...\n"
        "                   [--veth IFNAME HOST_IFNAME BRIDGE [--mac IFNAME ADDRESS]]...\n"
        "                   [--gateway ADDR] [--restart always|on-failure|no] [--max-restarts N]\n"
        "                   [--stop-file FILE] [--status-dir DIR] [--health-arg WORD]...\n"
        "                   [--health-timing INTERVAL TIMEOUT RETRIES START_PERIOD START_INTERVAL]\n"
        "                   [--tmpfs DEST OPTIONS]... [--read-only] [--writable-sys] [--unmasked-paths]\n"
        "                   [--device-cgroup CGROUP2_DIR] [--device-rule 'c MAJOR:MINOR rwm']...\n"
        "                   [--device HOST_NODE DEST]... [--userns HOST_UID HOST_GID SIZE]\n"
        "                   [--log FILE [--log-max-size BYTES] [--log-max-files N]]\n"
        "                   [--shm-size BYTES] [--oom-score-adj N] [--oom-events CGROUP_FILE]\n"
        "                   [--setsid] [--join-ns ipc=FILE|pid=FILE]... [--unshare NS,...] [--report-fd N]\n"
        "                   [--await-net N] [--ports-free N] [--check-port tcp|udp PORT]... [--finish BASH SCRIPT NAME]\n"
        "                   [--leave-cgroup CGROUP_PROCS]... [--remove-cgroup CGROUP_DIR]...\n"
        "                   [--remove-cgroup-parent CGROUP_DIR]... [--remove-tree PATH]...\n"
        "                   [--feed IN OUT --feed-arg ARG... [--feed-env NAME=VALUE]...]\n"
        "                   [SECURITY]...\n"
        "       tupper-init --untar DIR [--overlay-whiteouts] < LAYER.tar\n"
        "       tupper-init --port-free tcp|udp PORT\n"
        "       tupper-init context-hash|context-copy|context-match|context-owner|context-stubs ... (a build context: helper/CONTEXT.md)\n"
        "       tupper-init --join PID [SECURITY]... [--uid N] [--gid N] [--chdir DIR] [--env-fd N]...\n"
        "USER: --uid N --gid N, or --user NAME[:GROUP] (from the container's /etc/passwd), [--group-add G]...\n"
        "                   [--uid N] [--gid N] [--chdir DIR] [--env-fd N]... [--init] [--keep-pidns]\n"
        "                   [--tty] [--stdin-open] -- COMMAND [ARG]...\n"
        "TERMINAL: --tty: a pty of the container's devpts, relayed with this process's stdio (or\n"
        "          written to --log); without it, pipes for each of stdin, stdout, stderr that\n"
        "          is a terminal. The workload is always in a session of its own.\n"
        "SECURITY: --caps CAP,...|ALL|'' (default: Docker's 14) --new-privileges\n"
        "          --seccomp default|unconfined --sysctl KEY VALUE --rlimit NAME SOFT HARD\n"
        "          --seccomp-default ACTION [--seccomp-rule 'ACTION NR,... [I:OP:V[:V2]]...']...\n",
        stderr);
  exit(EXIT_RUNTIME_FAILED);
}

/*
 * --env-fd N: the workload's environment, read from descriptor N (then closed), never from
 * the command line, which any user reads in /proc/PID/cmdline (the script feeds it with a
 * here-string: a pipe, or a deleted 0600 file for a large one). One NAME=VALUE a line; a
 * backslash escapes a newline (\n) and itself (\\), as no variable holds a NUL. Docker
 * passes the environment in config.json, which only root reads; runc reads it from there.
 */
static void read_env_fd(const char *text, struct options *opt) {
  unsigned long number = parse_id("--env-fd", text);
  if (number < 3 || number > INT_MAX) die("--env-fd takes a descriptor above 2, not %s", text);
  int fd = (int)number;
  size_t size = 0, cap = 0;
  char *buf = NULL;
  for (;;) {
    if (size == cap) {
      if (cap == MAX_ENV_BYTES) die("--env-fd %d: the environment is larger than %d bytes", fd, MAX_ENV_BYTES);
      cap = cap == 0 ? 4096 : cap * 2 > MAX_ENV_BYTES ? MAX_ENV_BYTES : cap * 2;
      buf = realloc(buf, cap + 1);
      if (buf == NULL) die("out of memory");
    }
    ssize_t n = read(fd, buf + size, cap - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_errno("read the environment from descriptor %d", fd);
    if (n == 0) break;
    size += (size_t)n;
  }
  if (close(fd) < 0) die_errno("close descriptor %d", fd);
  buf[size] = '\0';
  if (memchr(buf, '\0', size) != NULL) die("--env-fd %d: the environment holds a NUL byte", fd);
  char *line = buf, *end = buf + size;
  while (line < end) {
    char *newline = memchr(line, '\n', (size_t)(end - line));
    if (newline == NULL) newline = end;
    *newline = '\0';
    /* unescape in place: the text only shrinks */
    char *out = line;
    for (char *in = line; *in != '\0'; in++) {
      if (*in != '\\') {
        *out++ = *in;
        continue;
      }
      in++;
      if (*in == 'n') *out++ = '\n';
      else if (*in == '\\') *out++ = '\\';
      else die("--env-fd %d: a backslash before '%c' in %.*s", fd, *in == '\0' ? ' ' : *in, 64, line);
    }
    *out = '\0';
    if (out != line) { /* an empty line holds no variable */
      const char *equals = strchr(line, '=');
      if (equals == NULL || equals == line) die("--env-fd %d: not NAME=VALUE: %.64s", fd, line);
      if (opt->n_env == MAX_ENV) die("more than %d environment variables", MAX_ENV);
      opt->env[opt->n_env++] = line;
    }
    line = newline + 1;
  }
}

static const char *need(int argc, char **argv, int i, const char *flag) {
  if (i >= argc) die("%s needs a value", flag);
  return argv[i];
}

static void parse_args(int argc, char **argv, struct options *opt) {
  int i = 1;
  opt->workdir = "/";
  opt->shm_size = 64LL * 1024 * 1024; /* Docker's */
  opt->max_restarts = -1;
  opt->report_fd = -1;
  opt->await_net_fd = -1;
  opt->ports_free_fd = -1;
  security_defaults(&opt->security);
  while (i < argc) {
    const char *flag = argv[i++];
    if (strcmp(flag, "--") == 0) {
      if (i >= argc) die("no command given after --");
      opt->argv = &argv[i];
      return;
    } else if (strcmp(flag, "--rootfs") == 0) {
      opt->rootfs = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--overlay") == 0) {
      opt->overlay_lower = need(argc, argv, i++, flag);
      opt->overlay_upper = need(argc, argv, i++, flag);
      opt->overlay_work = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--lower") == 0) {
      if (opt->n_lowers == MAX_LOWERS) die("more than %d image layers", MAX_LOWERS + 1);
      opt->lowers[opt->n_lowers++] = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--bind") == 0 || strcmp(flag, "--ro-bind") == 0) {
      if (opt->n_volumes == MAX_VOLUMES) die("more than %d volumes", MAX_VOLUMES);
      struct volume *v = &opt->volumes[opt->n_volumes++];
      v->source = need(argc, argv, i++, flag);
      v->target = need(argc, argv, i++, flag);
      v->read_only = strcmp(flag, "--ro-bind") == 0;
    } else if (strcmp(flag, "--tmpfs") == 0) {
      if (opt->n_tmpfs == MAX_TMPFS) die("more than %d tmpfs mounts", MAX_TMPFS);
      struct tmpfs *t = &opt->tmpfs[opt->n_tmpfs++];
      t->target = need(argc, argv, i++, flag);
      t->options = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--device-cgroup") == 0) {
      opt->device_cgroup = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--userns") == 0) {
      opt->userns.host_uid = (uid_t)parse_id(flag, need(argc, argv, i++, flag));
      opt->userns.host_gid = (gid_t)parse_id(flag, need(argc, argv, i++, flag));
      opt->userns.size = (unsigned)parse_id(flag, need(argc, argv, i++, flag));
      if (opt->userns.host_uid == 0 || opt->userns.host_gid == 0 || opt->userns.size == 0)
        die("--userns: the host ids and the size must be above 0");
    } else if (strcmp(flag, "--device-rule") == 0) {
      if (opt->n_device_rules > MAX_DEVICE_RULES - 2) die("more than %d device rules", MAX_DEVICE_RULES - 2);
      opt->n_device_rules += parse_device_rule(need(argc, argv, i++, flag), &opt->device_rules[opt->n_device_rules]);
    } else if (strcmp(flag, "--device") == 0) {
      if (opt->n_devices == MAX_DEVICES) die("more than %d devices", MAX_DEVICES);
      struct host_device *d = &opt->devices[opt->n_devices++];
      d->source = need(argc, argv, i++, flag);
      d->target = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--read-only") == 0) {
      opt->read_only_root = true;
    } else if (strcmp(flag, "--caps") == 0) {
      opt->security.caps = parse_capabilities(need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--new-privileges") == 0) {
      opt->security.no_new_privs = false;
    } else if (strcmp(flag, "--seccomp") == 0) {
      const char *mode = need(argc, argv, i++, flag);
      if (strcmp(mode, "default") == 0) opt->security.seccomp = true;
      else if (strcmp(mode, "unconfined") == 0) opt->security.seccomp = false;
      else die("--seccomp takes default or unconfined, not '%s'", mode);
      /* a later --seccomp replaces an earlier profile (privileged, after security_opt's) */
      opt->security.profile = NULL;
    } else if (strcmp(flag, "--seccomp-default") == 0) {
      static struct seccomp_profile profile; /* large: not on the stack */
      opt->security.profile = &profile;
      profile.n_rules = 0; /* a profile given again starts again */
      profile.default_action = parse_seccomp_action(need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--seccomp-rule") == 0) {
      struct seccomp_profile *profile = opt->security.profile;
      if (profile == NULL) die("--seccomp-rule comes after --seccomp-default");
      if (profile->n_rules == MAX_SECCOMP_RULES) die("more than %d --seccomp-rule", MAX_SECCOMP_RULES);
      parse_seccomp_rule(need(argc, argv, i++, flag), &profile->rules[profile->n_rules++]);
    } else if (strcmp(flag, "--unmasked-paths") == 0) {
      opt->security.mask_paths = false;
    } else if (strcmp(flag, "--writable-sys") == 0) {
      opt->security.sysfs_rw = true;
    } else if (strcmp(flag, "--sysctl") == 0) {
      if (opt->security.n_sysctls == MAX_SYSCTLS) die("more than %d sysctls", MAX_SYSCTLS);
      struct sysctl_setting *c = &opt->security.sysctls[opt->security.n_sysctls++];
      c->key = need(argc, argv, i++, flag);
      c->value = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--rlimit") == 0) {
      if (opt->security.n_rlimits == MAX_RLIMITS) die("more than %d rlimits", MAX_RLIMITS);
      struct rlimit_setting *r = &opt->security.rlimits[opt->security.n_rlimits++];
      r->resource = parse_rlimit_name(need(argc, argv, i++, flag));
      r->soft = parse_limit(flag, need(argc, argv, i++, flag));
      r->hard = parse_limit(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--hostname") == 0) {
      opt->hostname = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--domainname") == 0) {
      opt->domainname = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--netns") == 0) {
      opt->netns = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--ip") == 0) {
      if (opt->n_interfaces == MAX_INTERFACES) die("more than %d interfaces", MAX_INTERFACES);
      const char *name = need(argc, argv, i++, flag);
      parse_interface(name, need(argc, argv, i++, flag), &opt->interfaces[opt->n_interfaces++]);
    } else if (strcmp(flag, "--veth") == 0) {
      const char *inside = need(argc, argv, i++, flag);
      const char *outside = need(argc, argv, i++, flag);
      veth_add(&opt->veths, inside, outside, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--feed") == 0) {
      const char *in = need(argc, argv, i++, flag);
      feed_set_fds(&opt->feed, in, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--feed-arg") == 0) {
      feed_add_arg(&opt->feed, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--feed-env") == 0) {
      feed_add_env(&opt->feed, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--mac") == 0) {
      const char *inside = need(argc, argv, i++, flag);
      veth_set_mac(&opt->veths, inside, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--ip6") == 0) {
      const char *name = need(argc, argv, i++, flag);
      net6_add_address(&opt->net6, name, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--no-ipv6") == 0) {
      net6_add_disabled(&opt->net6, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--gateway6") == 0) {
      net6_set_gateway(&opt->net6, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--gateway") == 0) {
      opt->gateway_text = need(argc, argv, i++, flag);
      opt->gateway = parse_ipv4(flag, opt->gateway_text);
    } else if (strcmp(flag, "--uid") == 0) {
      opt->uid = (uid_t)parse_id(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--gid") == 0) {
      opt->gid = (gid_t)parse_id(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--user") == 0) {
      opt->user = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--group-add") == 0) {
      if (opt->n_group_add == MAX_GROUPS) die("more than %d --group-add", MAX_GROUPS);
      opt->group_add[opt->n_group_add++] = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--chdir") == 0) {
      opt->workdir = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--env") == 0) {
      if (opt->n_env == MAX_ENV) die("more than %d environment variables", MAX_ENV);
      opt->env[opt->n_env++] = (char *)need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--env-fd") == 0) {
      read_env_fd(need(argc, argv, i++, flag), opt);
    } else if (strcmp(flag, "--etc-file") == 0) {
      if (opt->n_etc_files == MAX_ETC_FILES) die("more than %d --etc-file", MAX_ETC_FILES);
      struct etc_file *f = &opt->etc_files[opt->n_etc_files++];
      f->source = need(argc, argv, i++, flag);
      f->target = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--init") == 0) {
      opt->init = true;
    } else if (strcmp(flag, "--tty") == 0) {
      opt->tty = true;
    } else if (strcmp(flag, "--stdin-open") == 0) {
      opt->stdin_open = true;
    } else if (strcmp(flag, "--keep-pidns") == 0) {
      opt->keep_pidns = true;
    } else if (strcmp(flag, "--setsid") == 0) {
      if (opt->setsid) die("--setsid is given twice");
      opt->setsid = true;
    } else if (strcmp(flag, "--join-ns") == 0) {
      parse_join_ns(need(argc, argv, i++, flag), opt);
    } else if (strcmp(flag, "--unshare") == 0) {
      if (opt->unshare_list != NULL) die("--unshare is given twice");
      opt->unshare_list = need(argc, argv, i++, flag);
      opt->unshare_flags = parse_unshare(opt->unshare_list);
    } else if (strcmp(flag, "--join") == 0) {
      opt->join_pid = (pid_t)parse_id(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--restart") == 0) {
      const char *when = need(argc, argv, i++, flag);
      if (strcmp(when, "always") == 0) opt->restart = RESTART_ALWAYS;
      else if (strcmp(when, "on-failure") == 0) opt->restart = RESTART_ON_FAILURE;
      else if (strcmp(when, "no") == 0) opt->restart = RESTART_NO;
      else die("--restart takes always, on-failure or no, not '%s'", when);
    } else if (strcmp(flag, "--max-restarts") == 0) {
      opt->max_restarts = (long)parse_id(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--stop-file") == 0) {
      opt->stop_file = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--report-fd") == 0) {
      const char *text = need(argc, argv, i++, flag);
      unsigned long number = parse_id(flag, text);
      if (number < 3 || number > INT_MAX) die("--report-fd takes a descriptor above 2, not %s", text);
      opt->report_fd = (int)number;
    } else if (strcmp(flag, "--finish") == 0) { /* taken by finish_prescan, before */
      need(argc, argv, i++, flag);
      need(argc, argv, i++, flag);
      need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--check-port") == 0) {
      if (opt->n_check_ports == MAX_CHECK_PORTS) die("more than %d --check-port", MAX_CHECK_PORTS);
      opt->check_ports[opt->n_check_ports][0] = need(argc, argv, i++, flag);
      opt->check_ports[opt->n_check_ports++][1] = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--await-net") == 0 || strcmp(flag, "--ports-free") == 0) {
      const char *text = need(argc, argv, i++, flag);
      unsigned long number = parse_id(flag, text);
      if (number < 3 || number > INT_MAX) die("%s takes a descriptor above 2, not %s", flag, text);
      if (strcmp(flag, "--await-net") == 0) opt->await_net_fd = (int)number;
      else opt->ports_free_fd = (int)number;
    } else if (strcmp(flag, "--leave-cgroup") == 0) {
      if (opt->n_leave_cgroups == MAX_CGROUP_PATHS) die("more than %d --leave-cgroup", MAX_CGROUP_PATHS);
      opt->leave_cgroups[opt->n_leave_cgroups++] = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--remove-cgroup") == 0) {
      if (opt->n_remove_cgroups == MAX_CGROUP_PATHS) die("more than %d --remove-cgroup", MAX_CGROUP_PATHS);
      opt->remove_cgroups[opt->n_remove_cgroups++] = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--remove-tree") == 0) {
      if (opt->n_remove_trees == MAX_CGROUP_PATHS) die("more than %d --remove-tree", MAX_CGROUP_PATHS);
      opt->remove_trees[opt->n_remove_trees++] = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--remove-cgroup-parent") == 0) {
      if (opt->n_remove_cgroup_parents == MAX_CGROUP_PATHS) die("more than %d --remove-cgroup-parent", MAX_CGROUP_PATHS);
      opt->remove_cgroup_parents[opt->n_remove_cgroup_parents++] = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--status-dir") == 0) {
      opt->status_dir = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--log") == 0) {
      opt->log_path = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--log-max-size") == 0) {
      opt->log_max_size = (long long)parse_limit(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--shm-size") == 0) {
      opt->shm_size = (long long)parse_limit(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--oom-score-adj") == 0) {
      const char *text = need(argc, argv, i++, flag);
      char *end;
      long value = strtol(text, &end, 10);
      if (*text == '\0' || *end != '\0' || value < -1000 || value > 1000) die("%s takes -1000 to 1000, not %s", flag, text);
      opt->oom_score_adj = (int)value;
      opt->oom_score_adj_set = true;
    } else if (strcmp(flag, "--oom-events") == 0) {
      opt->oom_events = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--log-max-files") == 0) {
      opt->log_max_files = (int)parse_id(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--health-arg") == 0) {
      if (opt->n_health_args == MAX_HEALTH_ARGS) die("more than %d health check arguments", MAX_HEALTH_ARGS);
      opt->health_argv[opt->n_health_args++] = (char *)need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--health-timing") == 0) {
      /* interval, timeout (ms), retries, start period, start interval (ms) */
      opt->health_interval_ms = (long)parse_id(flag, need(argc, argv, i++, flag));
      opt->health_timeout_ms = (long)parse_id(flag, need(argc, argv, i++, flag));
      opt->health_retries = (long)parse_id(flag, need(argc, argv, i++, flag));
      opt->health_start_period_ms = (long)parse_id(flag, need(argc, argv, i++, flag));
      opt->health_start_interval_ms = (long)parse_id(flag, need(argc, argv, i++, flag));
    } else {
      fprintf(stderr, "tupper-init: unknown option '%s'\n", flag);
      usage();
    }
  }
  usage();
}

/* ---- paths inside the new root ----------------------------------------- */

/*
 * Opens PATH below the directory ROOT_FD, creating missing directories (and,
 * with LEAF_IS_FILE, an empty file as the last component).  No component may
 * be a symlink: a volume target in an image must not be able to point the
 * mount at a host path.  Returns an O_PATH descriptor.
 */
static int open_in_root(int root_fd, const char *path, bool leaf_is_file) {
  char *copy = xasprintf("%s", path);
  int dir_fd = dup(root_fd);
  if (dir_fd < 0) die_errno("dup");
  char *save = NULL;
  char *part = strtok_r(copy, "/", &save);
  while (part != NULL) {
    char *next = strtok_r(NULL, "/", &save);
    if (strcmp(part, "..") == 0) die("path %s contains '..'", path);
    int fd;
    if (next == NULL && leaf_is_file) {
      fd = openat(dir_fd, part, O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_RDONLY, 0644);
      if (fd < 0) die_errno("create mount target %s (component %s)", path, part);
    } else {
      if (mkdirat(dir_fd, part, 0755) < 0 && errno != EEXIST)
        die_errno("mkdir %s (component %s)", path, part);
      fd = openat(dir_fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) die_errno("open %s (component %s is not a plain directory)", path, part);
    }
    close(dir_fd);
    dir_fd = fd;
    part = next;
  }
  free(copy);
  return dir_fd;
}

static char *fd_path(int fd) { return xasprintf("/proc/self/fd/%d", fd); }

static int open_dir(const char *path) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die_errno("open %s", path);
  return fd;
}

/* ---- mounts ------------------------------------------------------------ */

static void make_mounts_private(void) {
  /* No mount propagates to or from the host: the supervisor's new mount namespace (after
     --unshare) and each PID 1's own (container_main). */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die_errno("make / private");
}

/* The root must be a mount point for pivot_root: an overlay, or a bind onto itself. */
static void mount_rootfs(const struct options *opt) {
  if (opt->overlay_lower != NULL) {
    /* /proc/self/fd paths keep commas and colons in TUPPER_ROOT out of the option string. */
    int lower = open_dir(opt->overlay_lower), upper = open_dir(opt->overlay_upper),
        work = open_dir(opt->overlay_work), lowers[MAX_LOWERS];
    char *lowerdir = xasprintf("/proc/self/fd/%d", lower);
    for (int i = 0; i < opt->n_lowers; i++) {
      lowers[i] = open_dir(opt->lowers[i]);
      char *longer = xasprintf("%s:/proc/self/fd/%d", lowerdir, lowers[i]);
      free(lowerdir);
      lowerdir = longer;
    }
    char *data = xasprintf("lowerdir=%s,upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d", lowerdir, upper, work);
    if (mount("overlay", opt->rootfs, "overlay", 0, data) < 0)
      die_errno("mount overlay (lower %s and %d more, upper %s) on %s", opt->overlay_lower, opt->n_lowers,
                opt->overlay_upper, opt->rootfs);
    free(data);
    free(lowerdir);
    close(lower);
    close(upper);
    close(work);
    for (int i = 0; i < opt->n_lowers; i++) close(lowers[i]);
  } else if (mount(opt->rootfs, opt->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
    die_errno("bind-mount %s onto itself", opt->rootfs);
  }
}

/*
 * The root's files as the user namespace USERNS_FD should see them. A directory root is
 * idmapped as a whole. An overlay cannot be idmapped, only its layers, and only its lower
 * one here: the overlay does its own work (the work directory, copy-up) as the host root that
 * mounts it, which an idmapped upper layer would not let it name. So the upper layer holds
 * the container's files under their host ids (container root: HOST_UID), as in Podman, and
 * its top directory, which is the container's /, belongs to the namespace's root.
 */
static void idmap_root(const struct options *opt, int userns_fd) {
  if (opt->overlay_lower == NULL) {
    idmap_directory(opt->rootfs, userns_fd);
    return;
  }
  idmap_directory(opt->overlay_lower, userns_fd);
  for (int i = 0; i < opt->n_lowers; i++) idmap_directory(opt->lowers[i], userns_fd);
  if (lchown(opt->overlay_upper, opt->userns.host_uid, opt->userns.host_gid) < 0)
    die_errno("chown %s to %u:%u", opt->overlay_upper, (unsigned)opt->userns.host_uid, (unsigned)opt->userns.host_gid);
}

static void mount_at(int root_fd, const char *target, const char *fstype, unsigned long flags,
                     const char *data) {
  int fd = open_in_root(root_fd, target, false);
  char *where = fd_path(fd);
  if (mount(fstype, where, fstype, flags, data) < 0) die_errno("mount %s on %s", fstype, target);
  free(where);
  close(fd);
}

static void make_device(int dev_fd, const char *name, unsigned int major, unsigned int minor) {
  if (mknodat(dev_fd, name, S_IFCHR | 0666, makedev(major, minor)) < 0) die_errno("mknod /dev/%s", name);
}

static void make_link(int dev_fd, const char *target, const char *name) {
  if (symlinkat(target, dev_fd, name) < 0) die_errno("symlink /dev/%s -> %s", name, target);
}

static void mount_proc(int root_fd) {
  mount_at(root_fd, "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
}

/* TTY_GID: the tty group as the mounting process names it (the host's 5, or with a user
   namespace the host gid that the container's 5 maps to). */
static void mount_dev(int root_fd, gid_t tty_gid, long long shm_size) {
  mount_at(root_fd, "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  int dev_fd = openat(root_fd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dev_fd < 0) die_errno("open /dev");
  make_device(dev_fd, "null", 1, 3);
  make_device(dev_fd, "zero", 1, 5);
  make_device(dev_fd, "full", 1, 7);
  make_device(dev_fd, "random", 1, 8);
  make_device(dev_fd, "urandom", 1, 9);
  make_device(dev_fd, "tty", 5, 0);
  make_link(dev_fd, "/proc/self/fd", "fd");
  make_link(dev_fd, "/proc/self/fd/0", "stdin");
  make_link(dev_fd, "/proc/self/fd/1", "stdout");
  make_link(dev_fd, "/proc/self/fd/2", "stderr");
  make_link(dev_fd, "pts/ptmx", "ptmx");
  close(dev_fd);
  char *pts = xasprintf("newinstance,ptmxmode=0666,mode=0620,gid=%u", (unsigned)tty_gid);
  mount_at(root_fd, "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, pts);
  free(pts);
  char *shm = xasprintf("mode=1777,size=%lld", shm_size); /* shm_size */
  mount_at(root_fd, "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm);
  free(shm);
  mount_at(root_fd, "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static void mount_sys(int root_fd, bool writable) {
  mount_at(root_fd, "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | (writable ? 0 : MS_RDONLY), NULL);
}

/*
 * devices: the host's node made again in the container, with its type, numbers, mode and
 * owner, as Docker does. The device cgroup (the script's rules, or the v2 program) decides
 * whether it can be opened.
 */
static void make_host_device(int root_fd, const struct host_device *d) {
  struct stat st;
  if (stat(d->source, &st) < 0) die_errno("device %s", d->source);
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) die("device %s is not a character or block device", d->source);
  char *parent = xasprintf("%s", d->target), *slash = strrchr(parent, '/');
  if (slash == NULL || slash[1] == '\0') die("device target %s is not an absolute path to a file", d->target);
  *slash = '\0';
  int dir_fd = open_in_root(root_fd, parent, false);
  const char *name = slash + 1;
  if (mknodat(dir_fd, name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0) die_errno("mknod %s (for %s)", d->target, d->source);
  if (fchownat(dir_fd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) die_errno("chown %s", d->target);
  close(dir_fd);
  free(parent);
}

/* tmpfs: as Docker, noexec,nosuid,nodev unless the options say exec, suid or dev. */
static void mount_tmpfs(int root_fd, const struct tmpfs *t) {
  static const struct {
    const char *word;
    unsigned long set, clear;
  } words[] = {{"ro", MS_RDONLY, 0},     {"rw", 0, MS_RDONLY},         {"exec", 0, MS_NOEXEC},
               {"noexec", MS_NOEXEC, 0}, {"suid", 0, MS_NOSUID},       {"nosuid", MS_NOSUID, 0},
               {"dev", 0, MS_NODEV},     {"nodev", MS_NODEV, 0}};
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  char *copy = xasprintf("%s", t->options), *data = xasprintf("%s", ""), *save = NULL;
  for (char *o = strtok_r(copy, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
    size_t i = 0, n = sizeof words / sizeof words[0];
    while (i < n && strcmp(words[i].word, o) != 0) i++;
    if (i < n) {
      flags = (flags | words[i].set) & ~words[i].clear;
    } else { /* size=, mode=, uid=, gid=, nr_inodes=: for tmpfs itself */
      char *more = xasprintf("%s%s%s", data, *data != '\0' ? "," : "", o);
      free(data);
      data = more;
    }
  }
  mount_at(root_fd, t->target, "tmpfs", flags, data);
  free(copy);
  free(data);
}

/* Copies the host file SOURCE into a new file NAME of the directory DIR_FD. */
static void copy_file_into(const char *source, int dir_fd, const char *name) {
  int in = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) die_errno("open %s", source);
  int out = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0) die_errno("create the copy of %s", source);
  char buf[8192];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_errno("read %s", source);
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) die_errno("copy %s", source);
      done += w;
    }
  }
  close(in);
  if (close(out) < 0) die_errno("copy %s", source);
}

/*
 * --etc-file: /etc/hostname, /etc/hosts and /etc/resolv.conf, writable in the container as in
 * Docker, but not a host file a container can grow: the script's files in TUPPER_RUN (a tmpfs
 * of the host's, whose pages no cgroup limits) are copied into a small tmpfs of the
 * container's own, their size plus ETC_TMPFS_SLACK and a few inodes, whose pages are charged
 * to the container's memory cgroup; a write past it fails with ENOSPC. Each copy is bound
 * onto its target, and the tmpfs's own mount (in the container's fresh /dev) is detached, so
 * that only the three files show. Docker binds files of its container directory instead, on
 * the host's disk (a container can fill /var/lib/docker through them); Podman does the same
 * in its run directory.
 */
static void mount_etc_files(int root_fd, const struct options *opt) {
  if (opt->n_etc_files == 0) return;
  unsigned long long total = ETC_TMPFS_SLACK;
  for (int i = 0; i < opt->n_etc_files; i++) {
    struct stat st;
    if (stat(opt->etc_files[i].source, &st) < 0) die_errno("stat %s", opt->etc_files[i].source);
    if (!S_ISREG(st.st_mode)) die("%s is not a regular file", opt->etc_files[i].source);
    total += (unsigned long long)st.st_size + 4096;
  }
  int dev_fd = openat(root_fd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dev_fd < 0) die_errno("open /dev");
  if (mkdirat(dev_fd, ".tupper-etc", 0700) < 0) die_errno("mkdir /dev/.tupper-etc");
  int dir_fd = openat(dev_fd, ".tupper-etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) die_errno("open /dev/.tupper-etc");
  char *where = fd_path(dir_fd), *data = xasprintf("size=%llu,nr_inodes=%d,mode=0755", total, 2 * MAX_ETC_FILES);
  if (mount("tmpfs", where, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data) < 0)
    die_errno("mount a tmpfs (%s) on /dev/.tupper-etc", data);
  free(where);
  free(data);
  close(dir_fd);
  int etc_fd = openat(dev_fd, ".tupper-etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (etc_fd < 0) die_errno("open the tmpfs on /dev/.tupper-etc");
  for (int i = 0; i < opt->n_etc_files; i++) {
    const struct etc_file *f = &opt->etc_files[i];
    char name[16];
    snprintf(name, sizeof name, "%d", i);
    copy_file_into(f->source, etc_fd, name);
    int copy = openat(etc_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), target = open_in_root(root_fd, f->target, true);
    if (copy < 0) die_errno("open the copy of %s", f->source);
    char *from = fd_path(copy), *to = fd_path(target);
    if (mount(from, to, NULL, MS_BIND, NULL) < 0) die_errno("bind the copy of %s on %s", f->source, f->target);
    free(from);
    free(to);
    close(copy);
    close(target);
  }
  close(etc_fd);
  dir_fd = openat(dev_fd, ".tupper-etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) die_errno("open /dev/.tupper-etc");
  where = fd_path(dir_fd);
  if (umount2(where, MNT_DETACH) < 0) die_errno("detach the tmpfs of /dev/.tupper-etc");
  free(where);
  close(dir_fd);
  if (unlinkat(dev_fd, ".tupper-etc", AT_REMOVEDIR) < 0) die_errno("rmdir /dev/.tupper-etc");
  close(dev_fd);
}

/*
 * A read-only bind is read-only all the way down. The bind copies the mounts under its
 * source too (MS_REC), and MS_REMOUNT | MS_RDONLY changes only the top one: a tmpfs or a
 * disk mounted under a `:ro` source stayed writable in the container (Docker's
 * `-v /:/host:ro` had the same hole until Docker 25 made :ro recursive, runc's "rro":
 * mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY), an error where the kernel lacks it).
 * tupper calls mount_setattr (Linux 5.12) on the mount itself (no path lookup); on an
 * older kernel it remounts each mount it finds under the target in mountinfo. Either way
 * it then reads mountinfo back, and any mount under the target still writable fails the
 * start.
 */
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442 /* the same number on every architecture (Linux 5.12) */
#endif

/* The mountinfo escapes (\040 for a space, \011, \012, \134) undone in place. */
static void mountinfo_unescape(char *s) {
  char *out = s;
  for (char *in = s; *in != '\0'; in++) {
    if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
      *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
      in += 3;
    } else {
      *out++ = *in;
    }
  }
  *out = '\0';
}

/* Per-mount flags of a mountinfo option list, to keep them across a remount (a remount
   that drops a locked nosuid or nodev fails in a user namespace). */
static unsigned long mountinfo_flags(const char *options, bool *read_only) {
  static const struct {
    const char *word;
    unsigned long flag;
  } words[] = {{"nosuid", MS_NOSUID},   {"nodev", MS_NODEV},           {"noexec", MS_NOEXEC},
               {"noatime", MS_NOATIME}, {"nodiratime", MS_NODIRATIME}, {"relatime", MS_RELATIME}};
  unsigned long flags = 0;
  char *copy = xstrdup(options), *save = NULL;
  *read_only = false;
  for (char *o = strtok_r(copy, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
    if (strcmp(o, "ro") == 0) *read_only = true;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
      if (strcmp(o, words[i].word) == 0) flags |= words[i].flag;
  }
  free(copy);
  return flags;
}

/* Every mount at or under TOP (a mountinfo path): remounted read-only when REMOUNT, else
   checked to be; returns how many are still writable. */
static int submounts_read_only(const char *top, bool remount) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL) die_errno("open /proc/self/mountinfo");
  size_t top_len = strlen(top), size = 0;
  char *line = NULL;
  int writable = 0;
  while (getline(&line, &size, f) >= 0) {
    /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...: the 5th and 6th fields */
    char *save = NULL, *field = strtok_r(line, " ", &save);
    for (int i = 1; i < 5 && field != NULL; i++) field = strtok_r(NULL, " ", &save);
    char *options = strtok_r(NULL, " ", &save);
    if (field == NULL || options == NULL) die("a line of /proc/self/mountinfo without mount options");
    mountinfo_unescape(field);
    if (strncmp(field, top, top_len) != 0 || (field[top_len] != '\0' && field[top_len] != '/')) continue;
    bool read_only;
    unsigned long flags = mountinfo_flags(options, &read_only);
    if (read_only) continue;
    if (remount && mount(NULL, field, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, NULL) < 0)
      die_errno("remount %s read-only", field);
    writable++;
  }
  if (ferror(f)) die_errno("read /proc/self/mountinfo");
  free(line);
  fclose(f);
  return writable;
}

/* The mount whose root FD is (its target, NAME in messages), and every mount under it, read-only. */
static void make_read_only_recursively(int fd, const char *name) {
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
  char *link = fd_path(fd), top[PATH_MAX];
  ssize_t n = readlink(link, top, sizeof top - 1);
  if (n < 0) die_errno("readlink %s (%s)", link, name);
  top[n] = '\0';
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
    if (errno != ENOSYS) die_errno("mount_setattr %s read-only (recursively)", name);
    submounts_read_only(top, true); /* Linux before 5.12 */
  }
  if (submounts_read_only(top, false) != 0) die("a mount under %s (%s) is still writable", name, top);
  free(link);
}

static void bind_volume(int root_fd, const struct volume *v) {
  struct stat st;
  if (stat(v->source, &st) < 0) die_errno("volume source %s", v->source);
  int fd = open_in_root(root_fd, v->target, !S_ISDIR(st.st_mode));
  char *where = fd_path(fd);
  if (mount(v->source, where, NULL, MS_BIND | MS_REC, NULL) < 0)
    die_errno("bind-mount %s on %s", v->source, v->target);
  free(where);
  close(fd);
  if (v->read_only) {
    /* The descriptor above is the directory under the new mount: open the mount itself. */
    fd = open_in_root(root_fd, v->target, !S_ISDIR(st.st_mode));
    make_read_only_recursively(fd, v->target);
    close(fd);
  }
}

/* The number of components of absolute path PATH ("/" 0, "/a/b/" 2). */
static int path_depth(const char *path) {
  int depth = 0;
  for (const char *p = path; *p != '\0'; p++)
    if (*p != '/' && (p == path || p[-1] == '/')) depth++;
  return depth;
}

/*
 * The volumes and tmpfs mounts, shallowest target first, in the given order among equal
 * depths (a stable sort), as Docker sorts a container's mounts: a tmpfs on /data then a
 * volume on /data/x shows the volume inside the tmpfs, where mounting all volumes before all
 * tmpfs mounts hid it.
 */
static void mount_volumes_and_tmpfs(int root_fd, const struct options *opt) {
  int n = opt->n_volumes + opt->n_tmpfs;
  struct {
    int depth, index; /* index < n_volumes: a volume; else a tmpfs */
  } order[MAX_VOLUMES + MAX_TMPFS];
  for (int i = 0; i < n; i++) {
    const char *target = i < opt->n_volumes ? opt->volumes[i].target : opt->tmpfs[i - opt->n_volumes].target;
    int depth = path_depth(target), j = i;
    for (; j > 0 && order[j - 1].depth > depth; j--) order[j] = order[j - 1]; /* insertion: stable */
    order[j].depth = depth, order[j].index = i;
  }
  for (int i = 0; i < n; i++) {
    int k = order[i].index;
    if (k < opt->n_volumes) bind_volume(root_fd, &opt->volumes[k]);
    else mount_tmpfs(root_fd, &opt->tmpfs[k - opt->n_volumes]);
  }
}

/* ---- process state ------------------------------------------------------ */

/*
 * A shell starts background jobs with SIGINT and SIGQUIT ignored, and ignored
 * signals stay ignored across exec: give the workload default dispositions.
 */
static void reset_signal_dispositions(void) {
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (signal(sig, SIG_DFL) == SIG_ERR && errno != EINVAL) die_errno("reset signal %d", sig);
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) die_errno("sigprocmask");
}

/* ---- network ------------------------------------------------------------ */

/* How often a supervisor waiting for the script (--await-net) looks whether it still runs. */
#define AWAIT_NET_CHECK_SECONDS 1
/*
 * --ports-free FD: the ports of --check-port are free (check_ports_free), and "ports" on FD
 * says so, before anything else is made. The script publishes them (DNAT) only then, so that
 * a port another process holds is never taken from it, not even for a moment, and does so
 * while this process makes the container.
 */
static void say_ports_free(int fd, int report_fd) {
  static const char word[] = "ports\n";
  if (write(fd, word, sizeof word - 1) != (ssize_t)(sizeof word - 1)) die_errno("write \"ports\" to descriptor %d (--ports-free)", fd);
  if (fd != report_fd) close(fd);
}

/*
 * --await-net FD (egress_rate): this process has made the container's network namespace
 * (--unshare net) with its veth pairs in it (--veth); "net" on FD says so, and it waits while
 * the script limits what the interfaces send (tc, in this namespace), until SIGUSR1 from the
 * script (this process's parent) says it has. Any other sender's SIGUSR1 is not the word, and
 * SIGTERM, SIGINT or SIGHUP (the script's undo, a ^C) end the wait, as the script's end does
 * (this process is then another's child). No time limit: a script stopped with ^Z goes on.
 */
static void await_network(int fd, int report_fd) {
  static const char word[] = "net\n";
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGUSR1);
  sigaddset(&wanted, SIGTERM);
  sigaddset(&wanted, SIGINT);
  sigaddset(&wanted, SIGHUP);
  /* blocked before the word, so that the answer waits for sigtimedwait */
  if (sigprocmask(SIG_BLOCK, &wanted, NULL) < 0) die_errno("sigprocmask");
  pid_t script = getppid();
  if (write(fd, word, sizeof word - 1) != (ssize_t)(sizeof word - 1)) die_errno("write \"net\" to descriptor %d (--await-net)", fd);
  if (fd != report_fd) close(fd);
  for (;;) {
    struct timespec wait = {.tv_sec = AWAIT_NET_CHECK_SECONDS, .tv_nsec = 0};
    siginfo_t info;
    int sig = sigtimedwait(&wanted, &info, &wait);
    if (sig < 0) {
      if (errno != EINTR && errno != EAGAIN) die_errno("sigtimedwait for the script's SIGUSR1");
      /* as long as the script runs (stopped with ^Z too); gone, it has no word to give */
      if (getppid() != script) die("the script that started this container ended before it had limited what its interfaces send (egress_rate)");
      continue;
    }
    if (sig != SIGUSR1) die("ended by signal %d while waiting for the script to limit what the container's interfaces send (egress_rate)", sig);
    if (info.si_code == SI_USER && info.si_pid == script) break;
  }
  if (sigprocmask(SIG_UNBLOCK, &wanted, NULL) < 0) die_errno("sigprocmask");
}

/* Joins network namespace PATH (another container's: network_mode service:X). */
static void join_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_errno("open network namespace %s", path);
  if (setns(fd, CLONE_NEWNET) < 0) die_errno("setns network namespace %s", path);
  close(fd);
  /* a descriptor the script handed on (/proc/self/fd/N: network_mode service:X) is closed
     too: held here, it would keep X's namespace alive after X is gone */
  static const char prefix[] = "/proc/self/fd/";
  if (strncmp(path, prefix, sizeof prefix - 1) == 0) {
    char *end;
    long inherited = strtol(path + sizeof prefix - 1, &end, 10);
    if (*end == '\0' && inherited > 2 && inherited < INT_MAX) close((int)inherited);
  }
}

static struct sockaddr ipv4_sockaddr(struct in_addr addr) {
  struct sockaddr out;
  struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr = addr};
  memcpy(&out, &in, sizeof in);
  return out;
}

static void bring_up(int sock, const char *name) {
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) die_errno("get flags of %s", name);
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) die_errno("bring up %s", name);
}

/* The address and netmask (the kernel adds the subnet's route), then up. */
static void configure_interface(int sock, const struct interface *iface) {
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, iface->name, IFNAMSIZ - 1);
  ifr.ifr_addr = ipv4_sockaddr(iface->address);
  if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) die_errno("set the address of %s", iface->name);
  struct in_addr mask = {.s_addr = htonl(0xffffffffU << (32 - iface->prefix_length))};
  ifr.ifr_netmask = ipv4_sockaddr(mask);
  if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0) die_errno("set the netmask of %s", iface->name);
  bring_up(sock, iface->name);
}

static void add_default_route(int sock, const struct options *opt) {
  struct rtentry route = {0};
  struct in_addr any = {.s_addr = INADDR_ANY};
  route.rt_dst = ipv4_sockaddr(any);
  route.rt_genmask = ipv4_sockaddr(any);
  route.rt_gateway = ipv4_sockaddr(opt->gateway);
  route.rt_flags = RTF_UP | RTF_GATEWAY;
  if (ioctl(sock, SIOCADDRT, &route) < 0) die_errno("add the default route via %s", opt->gateway_text);
}

/*
 * lo comes up in every new network namespace, as Docker's network mode none
 * does; then the interfaces the script moved in, and the default route.
 */
static void configure_network(const struct options *opt) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die_errno("socket for network configuration");
  bring_up(sock, "lo");
  for (int i = 0; i < opt->n_interfaces; i++) configure_interface(sock, &opt->interfaces[i]);
  if (opt->gateway_text != NULL) add_default_route(sock, opt);
  close(sock);
  net6_configure(&opt->net6);
}

/* ---- entering the root ------------------------------------------------- */

/* Makes the current directory, the new root's top, the root, and detaches the old one. */
static void pivot_to_cwd(const char *rootfs) {
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_errno("pivot_root %s", rootfs);
  if (umount2(".", MNT_DETACH) < 0) die_errno("detach the old root");
  if (chdir("/") < 0) die_errno("chdir /");
}

/* No descriptor of the host (a directory, a socket, the script's files) may reach the workload:
   every one above 2 is closed but FAILURE_FD, which is close-on-exec (the exec closes it). */
static void close_inherited_fds(void) {
  if (failure_fd > 3 && syscall(SYS_close_range, 3U, (unsigned)failure_fd - 1, 0U) < 0) die_errno("close_range 3..%d", failure_fd - 1);
  unsigned first = failure_fd >= 3 ? (unsigned)failure_fd + 1 : 3U;
  if (syscall(SYS_close_range, first, ~0U, 0U) < 0) die_errno("close_range %u..", first);
}

/* Docker creates a missing working directory (as root, before dropping privileges). */
static void make_workdir(const char *workdir) {
  int root_fd = open_dir("/");
  close(open_in_root(root_fd, workdir, false));
  close(root_fd);
}

static void enter_workdir(const char *workdir) {
  if (chdir(workdir) < 0) die_errno("chdir %s", workdir);
}

/*
 * Who the workload (or exec, or a health check) runs as. Called inside the container: names
 * come from its /etc/passwd and /etc/group. A named user without HOME in the environment gets
 * its passwd home, as in Docker.
 */
static void identify(struct options *opt, struct credentials *who) {
  memset(who, 0, sizeof *who);
  if (opt->user != NULL) {
    resolve_user(opt->user, who);
  } else {
    who->uid = opt->uid;
    who->gid = opt->gid;
  }
  for (int i = 0; i < opt->n_group_add; i++) {
    if (who->n_groups == MAX_GROUPS) die("more than %d supplementary groups", MAX_GROUPS);
    who->groups[who->n_groups++] = resolve_group(opt->group_add[i]);
  }
  bool has_home = false;
  for (int i = 0; i < opt->n_env; i++) has_home |= strncmp(opt->env[i], "HOME=", 5) == 0;
  if (!has_home && who->home[0] != '\0' && opt->n_env < MAX_ENV) {
    opt->env[opt->n_env++] = xasprintf("HOME=%s", who->home);
    opt->env[opt->n_env] = NULL;
  }
}

/* ---- running the workload ---------------------------------------------- */

static void __attribute__((noreturn)) exec_workload(const struct options *opt) {
  environ = (char **)opt->env; /* execvp searches the container's PATH */
  if (failure_fd >= 0) {
    static const char mark = EXEC_MARK;
    /* unchecked: with the supervisor gone there is no one to tell, and the exec goes on */
    ssize_t ignored = write(failure_fd, &mark, 1);
    (void)ignored;
  }
  execvp(opt->argv[0], opt->argv);
  int saved = errno, status = saved == ENOENT ? 127 : 126;
  char *text = xasprintf("tupper-init: exec %s: %s", opt->argv[0], strerror(saved));
  report_failure(status, text);
  fprintf(stderr, "%s\n", text);
  exit(status);
}

static int exit_status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return EXIT_RUNTIME_FAILED;
}

/*
 * init: true.  Stay PID 1: forward every catchable signal to the workload,
 * reap every child (orphans are re-parented to us), and exit with the
 * workload's status once it is gone.  Leaving PID 1 ends the namespace.
 */
static void __attribute__((noreturn)) run_as_init(const struct options *opt) {
  sigset_t all, old;
  sigfillset(&all);
  if (sigprocmask(SIG_BLOCK, &all, &old) < 0) die_errno("sigprocmask");
  pid_t child = fork();
  if (child < 0) die_errno("fork");
  if (child == 0) {
    if (setpgid(0, 0) < 0) die_errno("setpgid");
    /* With a pty, the workload's group is its foreground one, so that it reads the terminal
       and ^C reaches it (as tini does); SIGTTOU is still blocked here. */
    if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpid()) < 0) die_errno("tcsetpgrp");
    if (sigprocmask(SIG_SETMASK, &old, NULL) < 0) die_errno("sigprocmask");
    exec_workload(opt);
  }
  /* the exec that counts is the workload's: its child's end is the only one left */
  if (failure_fd >= 0) close(failure_fd);
  failure_fd = -1;
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      die_errno("sigwaitinfo");
    }
    if (sig != SIGCHLD) {
      if (kill(child, sig) < 0 && errno != ESRCH) die_errno("forward signal %d", sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == child) exit(exit_status_of(status));
    if (pid < 0 && errno != ECHILD) die_errno("waitpid");
  }
}

/*
 * The host side of exec: relays the host's terminal with the workload's pty or pipes
 * (pty.h), and passes every catchable signal on (the workload is in a session of its
 * own, so a terminal's SIGINT reaches this process only); SIGWINCH resizes the pty
 * (MASTER, or -1). Exits with the workload's status, its last output written.
 */
static void __attribute__((noreturn)) supervise(pid_t child, const sigset_t *blocked, struct relay *relay, int master) {
  int signals = signalfd(-1, blocked, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals < 0) die_errno("signalfd");
  struct pollfd fds[1 + RELAY_PUMPS];
  for (;;) {
    fds[0] = (struct pollfd){.fd = signals, .events = POLLIN};
    nfds_t n_fds = 1 + relay_poll_fds(relay, fds + 1);
    if (poll(fds, n_fds, -1) < 0) {
      if (errno != EINTR) die_errno("poll");
      continue;
    }
    relay_move(relay, fds + 1);
    struct signalfd_siginfo info;
    while (read(signals, &info, sizeof info) == (ssize_t)sizeof info) {
      int sig = (int)info.ssi_signo, status;
      if (sig == SIGCHLD) {
        pid_t pid = waitpid(child, &status, WNOHANG);
        if (pid < 0) die_errno("waitpid %d", (int)child);
        if (pid == child) {
          relay_drain(relay);
          exit(exit_status_of(status));
        }
      } else if (sig == SIGWINCH && master >= 0) {
        pty_copy_size(host_terminal(), master, 24, 80); /* the kernel tells the workload */
      } else if (sig != SIGPIPE) { /* SIGPIPE: the relay's own */
        if (kill(child, sig) < 0 && errno != ESRCH) die_errno("pass signal %d to the command", sig);
      }
    }
  }
}

/* The container side, PID 1 of the new PID namespace: prepare the root, then run the workload. */
/*
 * If the supervisor is killed, the container must not live on unseen. Its PID
 * is invisible from the new PID namespace (getppid() is 0), so a pipe tells:
 * the supervisor holds the write end, and EOF means it died before the
 * death signal was armed.
 */
static void die_with_supervisor(int alive_fd) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl PR_SET_PDEATHSIG");
  if (fcntl(alive_fd, F_SETFL, O_NONBLOCK) < 0) die_errno("fcntl supervisor pipe");
  char byte;
  if (read(alive_fd, &byte, 1) == 0) die("the supervisor exited during start");
  close(alive_fd);
}

static void write_oom_score_adj(int value) {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  char text[16];
  int len = snprintf(text, sizeof text, "%d", value);
  if (fd < 0 || write(fd, text, (size_t)len) != len) die_errno("write %d to /proc/self/oom_score_adj", value);
  close(fd);
}

/*
 * CONSOLE_FD (tty): PID 1's end of the socket pair its pty master goes out through, as
 * runc's --console-socket: the pty is the container's devpts instance's, so only a process
 * in the container's mounts can open it.
 */
static void __attribute__((noreturn)) container_main(struct options *opt, int alive_fd, int console_fd) {
  die_with_supervisor(alive_fd);
  /* No controlling terminal of the host's: a session of its own (bubblewrap's --new-session) */
  if (setsid() < 0) die_errno("setsid");
  umask(0);
  /* oom_score_adj: while this is host root, who may lower it too; every process inherits it */
  if (opt->oom_score_adj_set) write_oom_score_adj(opt->oom_score_adj);

  /* The cgroup namespace: PID 1's own, rooted at the container's cgroup, which the supervisor
     is in too; the supervisor stays in the host's, so that it may leave that cgroup at the
     end (cgroups_remove), which a process may not do out of its cgroup namespace's root. */
  if ((opt->unshare_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) die_errno("unshare a cgroup namespace");
  /* A mount namespace of its own for each start: pivot_root then moves only this
     process's root, and the supervisor keeps the host's view to start it again. */
  if (unshare(CLONE_NEWNS) < 0) die_errno("unshare a mount namespace");
  make_mounts_private();
  /* x-tupper.userns: the namespace first, so that the root can be idmapped through it; PID 1
     joins it only after the mounts that need host root. */
  int userns_fd = -1;
  gid_t tty_gid = 5;
  if (opt->userns.size > 0) {
    userns_fd = make_userns(&opt->userns);
    idmap_root(opt, userns_fd);
    tty_gid = opt->userns.host_gid + 5;
  }
  mount_rootfs(opt);
  if (userns_fd >= 0) create_files_as(opt->userns.host_uid, opt->userns.host_gid);
  int root_fd = open_dir(opt->rootfs);
  mount_proc(root_fd);
  mount_dev(root_fd, tty_gid, opt->shm_size);
  mount_sys(root_fd, opt->security.sysfs_rw);
  mount_etc_files(root_fd, opt); /* before the volumes: a volume on one of these paths wins */
  mount_volumes_and_tmpfs(root_fd, opt);
  for (int i = 0; i < opt->n_devices; i++) make_host_device(root_fd, &opt->devices[i]);
  write_sysctls(root_fd, &opt->security); /* before /proc/sys becomes read-only */
  if (opt->security.mask_paths) mask_kernel_paths(root_fd);
  close(root_fd);
  if (opt->hostname != NULL && sethostname(opt->hostname, strlen(opt->hostname)) < 0)
    die_errno("sethostname %s", opt->hostname);
  if (opt->domainname != NULL && setdomainname(opt->domainname, strlen(opt->domainname)) < 0)
    die_errno("setdomainname %s", opt->domainname);

  if (userns_fd >= 0) enter_userns(userns_fd, opt->rootfs);
  else if (chdir(opt->rootfs) < 0) die_errno("chdir %s", opt->rootfs);
  pivot_to_cwd(opt->rootfs);
  if (console_fd >= 0) {
    int master = pty_open_master("/dev/pts/ptmx");
    int slave = pty_open_slave(master);
    pty_send_master(console_fd, master); /* returns once the supervisor has set its size */
    close(master);
    pty_make_controlling(slave);
  }
  close_inherited_fds();
  make_workdir(opt->workdir);
  /* read_only: the root's own mount; volumes, tmpfs, /dev and /etc/hosts are mounts of their own
     (not recursive: a volume keeps its mode; the root has no other mount under it, it is the
     fresh overlay of this container). */
  if (opt->read_only_root && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    die_errno("remount the root read-only");
  struct credentials who;
  identify(opt, &who);
  if (console_fd >= 0) pty_give_to(who.uid);
  confine(&opt->security, &who);
  enter_workdir(opt->workdir);
  umask(022);

  if (opt->init) run_as_init(opt);
  exec_workload(opt);
}

/* ---- the supervisor: restarts, health checks ------------------------------ */

static void join_namespaces(pid_t pid); /* below, with exec */

/*
 * The host side of a container. It waits for signals only (all are blocked):
 * SIGCHLD for PID 1 and for a health check, others to pass on to PID 1, and a
 * timeout for the next restart or health check. Files in --status-dir tell the
 * script the number of restarts, the health, and the exit status once it has ended.
 */
struct supervisor {
  struct options *opt;
  struct container_log *log; /* detached: the workload's output, or NULL */
  int host_pidns;        /* to make a new PID namespace for each restart */
  pid_t pid1;            /* 0 while waiting to start it again */
  int alive_fd;          /* the write end of the current PID 1's supervisor pipe */
  /* --report-fd: the first PID 1's exec pipe (read end) until it is settled, or -1; then
     "ok" goes to the script, or its failure line once the end is recorded (supervisor_exit) */
  int exec_pipe;
  bool start_failed;
  char report[1200]; /* what the exec pipe brought */
  size_t report_len;
  char failure[1100]; /* its first "fail" line, for the script; empty: PID 1 ended without one */
  int last_status;
  long long started_ms, restart_at_ms, backoff_ms;
  long restarts;
  pid_t probe;           /* a running health check, or 0 */
  bool probe_timed_out;
  long long probe_deadline_ms, next_probe_ms;
  long failures;
  const char *health;    /* starting, healthy, unhealthy */
  long long oom_kills;   /* the memory cgroup's count when PID 1 started */
  /* Terminals (pty.h): no host terminal reaches the container. */
  struct relay *relay;       /* foreground: bytes between the host's terminal and the workload */
  struct stdio_ends ends;    /* the workload's ends of the pipes (kept for a restart) */
  int console;               /* tty: the socket the pty master comes through, until it has */
  int master;                /* tty: the current PID 1's pty master, or -1 */
  struct log_stream tty_log; /* tty, detached: the pty's output, the log's stdout */
  bool tty_log_ended;        /* its slave is closed: not polled again (it would always be ready) */
};

/* The oom_kill count of --oom-events (v1 memory.oom_control and v2 memory.events both have
   an "oom_kill N" line), or -1 without one. */
static long long oom_kill_count(const struct options *opt) {
  if (opt->oom_events == NULL) return -1;
  FILE *f = fopen(opt->oom_events, "re");
  if (f == NULL) return -1;
  char line[128];
  long long count = -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "oom_kill %lld", &count) == 1) break;
  fclose(f);
  return count;
}

static long long now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) die_errno("clock_gettime");
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Replaces DIR/NAME with TEXT (through a temporary file, so a reader sees all or nothing).
 * A failure (a full disk) is reported, not fatal: the container runs on, its status stale.
 */
static void write_status(const char *dir, const char *name, const char *text) {
  if (dir == NULL) return;
  char *tmp = xasprintf("%s/.%s.tmp", dir, name), *path = xasprintf("%s/%s", dir, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  size_t len = strlen(text);
  if (fd < 0) {
    warn_errno("open %s", tmp);
    free(tmp);
    free(path);
    return;
  }
  /* close() whatever write() did: one call on each side of || would leak FD on a failed write */
  errno = 0;
  ssize_t written = write(fd, text, len);
  int write_errno = written < 0 ? errno : ENOSPC; /* a short write: the disk is full */
  int closed = close(fd);
  if (written != (ssize_t)len || closed < 0) {
    if (written == (ssize_t)len) write_errno = errno;
    errno = write_errno;
    warn_errno("write %s", tmp);
    unlink(tmp);
  } else if (rename(tmp, path) < 0) {
    warn_errno("rename %s to %s", tmp, path);
    unlink(tmp);
  }
  free(tmp);
  free(path);
}

static bool health_enabled(const struct options *opt) { return opt->n_health_args > 0; }

static void set_health(struct supervisor *sv, const char *health) {
  sv->health = health;
  char *text = xasprintf("%s %ld\n", health, sv->failures);
  write_status(sv->opt->status_dir, "health", text);
  free(text);
}

/* Forks with every signal unblocked in the child (the supervisor keeps them blocked). */
static pid_t fork_unblocked(const char *what) {
  pid_t child = fork();
  if (child < 0) die_errno("%s", what);
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) die_errno("sigprocmask");
  }
  return child;
}

/* PID 1, again after a restart: a PID namespace cannot outlive its first process. */
static void start_pid1(struct supervisor *sv) {
  if (sv->restarts > 0 && !sv->opt->keep_pidns) {
    if (setns(sv->host_pidns, CLONE_NEWPID) < 0) die_errno("setns back to the host PID namespace");
    if (unshare(CLONE_NEWPID) < 0) die_errno("unshare a PID namespace for the restart");
  }
  int alive[2], console[2] = {-1, -1}, exec_pipe[2] = {-1, -1};
  if (pipe2(alive, O_CLOEXEC) < 0) die_errno("pipe");
  if (failure_fd >= 0 && pipe2(exec_pipe, O_CLOEXEC) < 0) die_errno("pipe for the exec report");
  if (exec_pipe[0] >= 0 && fcntl(exec_pipe[0], F_SETFL, O_NONBLOCK) < 0) die_errno("fcntl the exec report's pipe");
  if (sv->opt->tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0) die_errno("socketpair for the pty");
  pid_t child = fork_unblocked("fork PID 1 of the container");
  if (child == 0) {
    failure_status_dir = NULL; /* PID 1's end is the supervisor's to record */
    close(alive[1]);
    if (console[0] >= 0) close(console[0]);
    if (exec_pipe[1] >= 0) {
      close(exec_pipe[0]);
      close(failure_fd); /* the script's: only the supervisor reports to it */
      failure_fd = exec_pipe[1];
    }
    if (sv->log != NULL) {
      log_attach(sv->log);
      error_log = NULL; /* from here on, errors are the container's output */
    }
    stdio_install(&sv->ends);
    container_main(sv->opt, alive[0], console[1]);
  }
  close(alive[0]);
  if (console[1] >= 0) close(console[1]);
  if (exec_pipe[1] >= 0) close(exec_pipe[1]);
  sv->exec_pipe = exec_pipe[0];
  sv->console = console[0];
  sv->pid1 = child;
  sv->alive_fd = alive[1];
  sv->started_ms = now_ms();
  sv->oom_kills = oom_kill_count(sv->opt);
  if (health_enabled(sv->opt)) {
    sv->failures = 0;
    set_health(sv, "starting");
    bool starting = sv->opt->health_start_period_ms > 0;
    sv->next_probe_ms = sv->started_ms + (starting ? sv->opt->health_start_interval_ms : sv->opt->health_interval_ms);
  }
}

/*
 * --report-fd: PID 1's exec pipe says how its start went. EOF alone: the workload's exec
 * closed it (or a signal ended PID 1 first: its status then says so), and the script hears
 * "ok" now. A line: PID 1 failed (report_failure), and the script hears it once the end is
 * recorded, so that ps -a shows it when the script returns; PID 1 is not started again, as
 * Docker does not restart a container whose start failed.
 */
static void exec_pipe_read(struct supervisor *sv, bool pid1_gone) {
  size_t have = sv->report_len;
  for (;;) {
    if (have == sizeof sv->report - 1) break; /* full: its first line is all that is sent */
    ssize_t n = read(sv->exec_pipe, sv->report + have, sizeof sv->report - 1 - have);
    if (n > 0) {
      have += (size_t)n;
      continue;
    }
    if (n == 0) break; /* EOF: no one holds the write end any more */
    if (errno == EINTR) continue;
    if (errno != EAGAIN) die_errno("read the exec report of PID 1");
    sv->report_len = have;
    /* a holder is left: PID 1 (wait for it), or, PID 1 gone, a child of its that never ran
       the workload (init: true with pid: host): what came is all there is */
    if (!pid1_gone) return;
    break;
  }
  sv->report[have] = '\0';
  sv->report_len = have;
  close(sv->exec_pipe);
  sv->exec_pipe = -1;
  const char *text = sv->report;
  if (text[0] == EXEC_MARK && text[1] == '\0') {
    static const char ok[] = "ok\n";
    if (write(failure_fd, ok, sizeof ok - 1) != (ssize_t)(sizeof ok - 1) && errno != EPIPE)
      warn_errno("write the exec report to --report-fd %d", failure_fd);
    close(failure_fd);
    failure_fd = -1;
    return;
  }
  sv->start_failed = true;
  if (text[0] == EXEC_MARK) text++;
  const char *end = strchr(text, '\n');
  if (strncmp(text, "fail ", 5) == 0 && end != NULL && (size_t)(end - text) + 2 <= sizeof sv->failure)
    snprintf(sv->failure, sizeof sv->failure, "%.*s", (int)(end - text + 1), text);
}

/* Whether the policy starts PID 1 again after it ended with STATUS. */
static bool should_restart(const struct supervisor *sv, int status) {
  const struct options *opt = sv->opt;
  if (sv->start_failed) return false;
  if (opt->restart == RESTART_NO) return false;
  if (opt->stop_file != NULL && access(opt->stop_file, F_OK) == 0) return false; /* stop, down, rm */
  if (opt->restart == RESTART_ALWAYS) return true;
  return status != 0 && (opt->max_restarts < 0 || sv->restarts < opt->max_restarts);
}

/*
 * tty: PID 1 has sent its pty's master. Detached, its output goes to the log, with lines
 * that end in \n and a size of 80x24; in the foreground it is relayed with the host's
 * terminal, whose size it takes. Then PID 1 goes on.
 */
static void pty_arrived(struct supervisor *sv) {
  int master = pty_receive_master(sv->console);
  if (master >= 0) {
    sv->master = master;
    if (sv->log != NULL) {
      pty_clear_onlcr(master);
      pty_copy_size(-1, master, 24, 80);
      if (fcntl(master, F_SETFL, O_NONBLOCK) < 0) die_errno("fcntl O_NONBLOCK on the pty");
      sv->tty_log.name = "stdout";
      sv->tty_log.read_fd = master;
      sv->tty_log.used = 0;
      sv->tty_log_ended = false;
    } else {
      pty_copy_size(host_terminal(), master, 24, 80);
      relay_terminal(sv->relay, master);
    }
    pty_acknowledge(sv->console);
  }
  close(sv->console);
  sv->console = -1;
}

/* The output of a PID 1 that has ended, to the end (its namespace is gone, and the pty's
   slave with it), then its pty. */
static void pid1_output_drain(struct supervisor *sv) {
  if (sv->relay != NULL) relay_drain(sv->relay);
  if (sv->master >= 0 && sv->log != NULL) {
    log_drain(sv->log, &sv->tty_log, true);
    close(sv->master);
    sv->master = -1;
  }
}

/*
 * --leave-cgroup FILE..., --remove-cgroup DIR..., --remove-cgroup-parent DIR... (a foreground
 * run, in a PID namespace of its own, off systemd): once PID 1 has ended for good, every
 * process of the container has (the kernel ends a PID namespace's processes with its PID 1,
 * before its parent learns of the end), and this process is the last in the container's
 * cgroups. It moves back into the script's (each hierarchy's cgroup.procs FILE) and removes
 * them, which saves the script a process for rmdir. One an exiting process still holds for a
 * moment (EBUSY) is tried again for up to 100 ms. Then each parent tupper made is tried once:
 * one with another container's cgroup in it fails (EBUSY for a cgroup), and stays, as rmdir
 * --ignore-fail-on-non-empty leaves it. Nothing here is fatal: what is left, the script's
 * cgroup_remove_all removes, as after a supervisor that was killed.
 */
/* Moves this process into each cgroup.procs file of files[0..n): back into the script's
   cgroups. The index of the first it could not write to, or n when all went. */
static int cgroups_leave(const char *const *files, int n) {
  char pid[24];
  int length = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  for (int i = 0; i < n; i++) {
    int fd = open(files[i], O_WRONLY | O_CLOEXEC);
    bool moved = fd >= 0 && write(fd, pid, (size_t)length) == length;
    if (fd >= 0) close(fd);
    if (!moved) return i;
  }
  return n;
}

static bool cgroups_remove(const struct options *opt) {
  bool left[MAX_CGROUP_PATHS];
  if (opt->n_remove_cgroups == 0) return false;
  /* still in one of them: none of them can go */
  if (cgroups_leave(opt->leave_cgroups, opt->n_leave_cgroups) < opt->n_leave_cgroups) return false;
  for (int i = 0; i < opt->n_remove_cgroups; i++) left[i] = true;
  for (int tries = 0; tries < 100; tries++) {
    bool busy = false;
    for (int i = 0; i < opt->n_remove_cgroups; i++) {
      if (!left[i]) continue;
      if (rmdir(opt->remove_cgroups[i]) == 0 || errno == ENOENT) left[i] = false;
      else if (errno == EBUSY) busy = true;
      else return false; /* EACCES, EROFS ...: the script says why */
    }
    if (!busy) break;
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
  for (int i = 0; i < opt->n_remove_cgroups; i++)
    if (left[i]) return false; /* still busy: the script removes it, then the parents */
  for (int i = 0; i < opt->n_remove_cgroup_parents; i++) {
    /* ENOENT: gone; EBUSY, ENOTEMPTY: in use. Either way, nothing more to do here. */
    if (rmdir(opt->remove_cgroup_parents[i]) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY) return true;
  }
  return true;
}

/* --remove-tree: the mount namespace this process started in (the script's), to go back to */
static int host_mount_ns = -1;

/*
 * --remove-tree PATH... (run --rm in the foreground, its layer not a btrfs snapshot): once
 * the container's cgroups are gone, nothing of it runs, so its directories and records go
 * here too (remove.c), the cgroup record last; on a network, its filesystem alone (the
 * script detaches the network from the records after). What is left (a start killed, a tree
 * too deep), the script's rm removes. With a cgroup left, all is left to the script.
 */
static bool trees_remove(const struct options *opt) {
  struct timespec deadline;
  /* in the script's mount namespace: the directories as it sees them, with any mount made
     on the host since the start (a directory of this process's copy would hide it) */
  if (host_mount_ns < 0 || setns(host_mount_ns, CLONE_NEWNS) < 0) return false;
  if (clock_gettime(CLOCK_MONOTONIC, &deadline) < 0) return false;
  deadline.tv_sec += REMOVE_SECONDS;
  for (int i = 0; i < opt->n_remove_trees; i++)
    if (!tree_remove(opt->remove_trees[i], &deadline)) return false;
  return true;
}

/*
 * --finish BASH SCRIPT NAME (run --rm in the foreground, network none: the script exec'd
 * this process instead of forking it, one fork less): no script waits for the end, so what
 * the end leaves (a cgroup kept busy, a tree too deep or too big) or a failure of this
 * process leaves (exit 125, an atexit handler) goes back to the script, `SCRIPT --finish-run
 * NAME STATUS`, exec'd with this PID: it removes the container as rm does and exits with
 * STATUS. First out of the container's cgroups (it would end itself), back in the host's
 * mount namespace (the paths as the script sees them), with children in the host's PID
 * namespace (this one's new one has no init any more), all signals as they were.
 */
/* The namespaces the finisher runs in: the script's, as it was before this process made the
   container's (mount first: /proc as the script sees it; PID: for the finisher's children) */
static const struct {
  const char *file;
  int type;
} host_namespaces[] = {{"mnt", CLONE_NEWNS}, {"net", CLONE_NEWNET}, {"uts", CLONE_NEWUTS},
                       {"ipc", CLONE_NEWIPC}, {"cgroup", CLONE_NEWCGROUP}, {"pid", CLONE_NEWPID}};
#define N_HOST_NAMESPACES (sizeof host_namespaces / sizeof host_namespaces[0])

static struct {
  const char *bash, *script, *name;   /* NULL: no --finish */
  const char *leave[MAX_CGROUP_PATHS]; /* its --leave-cgroup files */
  int n_leave;
  int script_fd;                       /* SCRIPT as it was at the start: only that one runs */
  int namespaces[N_HOST_NAMESPACES];   /* host_namespaces, open */
  int cwd;                             /* the script's working directory */
  pid_t pid;                           /* the supervisor's: no child of it hands back */
  bool done;
} finish;

static void hand_back_at_exit(void);

/*
 * Before the arguments are parsed (a failure there is a failure to hand back too): --finish
 * and --leave-cgroup among the options the script puts first, each with its own number of
 * values, up to the first other one (--rootfs: from there on, words may come from an image,
 * and one of them could read "--finish").
 */
static void finish_prescan(int argc, char **argv) {
  static const struct {
    const char *flag;
    int values;
  } leading[] = {{"--setsid", 0},      {"--join-ns", 1},       {"--unshare", 1},
                 {"--leave-cgroup", 1}, {"--remove-cgroup", 1}, {"--remove-cgroup-parent", 1},
                 {"--remove-tree", 1},  {"--finish", 3},        {"--await-net", 1}, {"--ports-free", 1},
                 {"--check-port", 2},   {"--report-fd", 1},     {"--feed", 2},      {"--feed-arg", 1},
                 {"--feed-env", 1}};
  for (int i = 1; i < argc;) {
    int values = -1;
    for (size_t k = 0; k < sizeof leading / sizeof leading[0]; k++)
      if (strcmp(argv[i], leading[k].flag) == 0) values = leading[k].values;
    if (values < 0 || i + values >= argc) break;
    if (strcmp(argv[i], "--finish") == 0) finish.bash = argv[i + 1], finish.script = argv[i + 2], finish.name = argv[i + 3];
    if (strcmp(argv[i], "--leave-cgroup") == 0 && finish.n_leave < MAX_CGROUP_PATHS) finish.leave[finish.n_leave++] = argv[i + 1];
    i += 1 + values;
  }
  if (finish.bash == NULL) return;
  if (finish.bash[0] != '/' || finish.script[0] != '/') die("--finish takes absolute paths, not '%s' '%s'", finish.bash, finish.script);
  finish.pid = getpid();
  finish.script_fd = open(finish.script, O_RDONLY | O_CLOEXEC);
  if (finish.script_fd < 0) die_errno("open %s (--finish)", finish.script);
  for (size_t k = 0; k < N_HOST_NAMESPACES; k++) {
    char *path = xasprintf("/proc/self/ns/%s", host_namespaces[k].file);
    finish.namespaces[k] = open(path, O_RDONLY | O_CLOEXEC);
    if (finish.namespaces[k] < 0) die_errno("open %s (--finish)", path);
    free(path);
  }
  finish.cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (finish.cwd < 0) die_errno("open the working directory (--finish)");
  /* the script's mount namespace (for --remove-tree too) */
  host_mount_ns = finish.namespaces[0];
  if (atexit(hand_back_at_exit) != 0) die("atexit");
}

static void hand_back(int status) {
  if (finish.bash == NULL || finish.done || getpid() != finish.pid) return;
  finish.done = true;
  char status_text[16];
  int stuck = cgroups_leave(finish.leave, finish.n_leave);
  if (stuck < finish.n_leave) {
    fprintf(stderr, "tupper-init: could not leave the cgroups of %s (%s); `down` removes what is left\n", finish.name, finish.leave[stuck]);
    return;
  }
  for (size_t k = 0; k < N_HOST_NAMESPACES; k++) {
    if (setns(finish.namespaces[k], host_namespaces[k].type) < 0) {
      fprintf(stderr, "tupper-init: could not go back to the host's %s namespace for %s: %s; `down` removes what is left\n", host_namespaces[k].file, finish.name, strerror(errno));
      return;
    }
  }
  if (fchdir(finish.cwd) < 0) {
    fprintf(stderr, "tupper-init: could not go back to the working directory for %s: %s; `down` removes what is left\n", finish.name, strerror(errno));
    return;
  }
  /* only the script that started: a file renamed onto its path since (a recompile) is not it */
  struct stat started, current;
  if (fstat(finish.script_fd, &started) < 0 || stat(finish.script, &current) < 0 || started.st_dev != current.st_dev ||
      started.st_ino != current.st_ino) {
    fprintf(stderr, "tupper-init: %s is not the script that started %s any more; `down` with its project's script removes what is left\n", finish.script, finish.name);
    return;
  }
  terminal_restore(); /* run -t: the host's terminal as it was */
  /* a signal that ended the removal (^C, a closing terminal's SIGHUP) is taken here, so that
     it does not end the finisher before it starts: the finisher's removal is the rest of it */
  sigset_t all, none;
  sigfillset(&all);
  struct timespec at_once = {0, 0};
  if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) {
    fprintf(stderr, "tupper-init: sigprocmask: %s; `down` removes what is left of %s\n", strerror(errno), finish.name);
    return;
  }
  while (sigtimedwait(&all, NULL, &at_once) > 0) {
  }
  /* SIG_DFL for each (EINVAL: the two the C library keeps for its threads) */
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (signal(sig, SIG_DFL) == SIG_ERR && errno != EINVAL) {
      fprintf(stderr, "tupper-init: reset signal %d: %s; `down` removes what is left of %s\n", sig, strerror(errno), finish.name);
      return;
    }
  }
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) {
    fprintf(stderr, "tupper-init: sigprocmask: %s; `down` removes what is left of %s\n", strerror(errno), finish.name);
    return;
  }
  snprintf(status_text, sizeof status_text, "%d", status);
  /* and the file itself, for the finisher to compare with the one bash opened (a rename
     between the check above and bash's open) */
  char script_fd_text[16];
  snprintf(script_fd_text, sizeof script_fd_text, "%d", finish.script_fd);
  if (fcntl(finish.script_fd, F_SETFD, 0) < 0) {
    fprintf(stderr, "tupper-init: fcntl %s: %s; `down` removes what is left of %s\n", finish.script, strerror(errno), finish.name);
    return;
  }
  char *const argv[] = {(char *)finish.bash, (char *)finish.script, "--finish-run", (char *)finish.name, status_text, script_fd_text, NULL};
  execv(finish.bash, argv);
  fprintf(stderr, "tupper-init: exec %s %s --finish-run: %s; `down` removes what is left of %s\n", finish.bash, finish.script, strerror(errno), finish.name);
}

/* exit() of the supervisor before its end was reached: die() (125) */
static void hand_back_at_exit(void) { hand_back(EXIT_RUNTIME_FAILED); }

/* The supervisor's end, with PID 1's last status: the last of the output goes to the log first. */
static void __attribute__((noreturn)) supervisor_exit(struct supervisor *sv) {
  if (sv->log != NULL) {
    log_drain(sv->log, &sv->log->out, true);
    log_drain(sv->log, &sv->log->err, true);
  }
  pid1_output_drain(sv);
  /* for ps -a and depends_on's service_completed_successfully */
  char *text = xasprintf("%d\n", sv->last_status);
  write_status(sv->opt->status_dir, "exit", text);
  if (failure_fd >= 0) {
    /* PID 1 ended before its exec without a word (a signal): say so with its status */
    if (sv->failure[0] == '\0')
      snprintf(sv->failure, sizeof sv->failure, "fail %d PID 1 ended before the workload ran\n", sv->last_status);
    ssize_t ignored = write(failure_fd, sv->failure, strlen(sv->failure)); /* the script may be gone */
    (void)ignored;
  }
  bool removed = cgroups_remove(sv->opt) && trees_remove(sv->opt);
  if (!removed) hand_back(sv->last_status);
  finish.done = true;
  exit(sv->last_status);
}

/* As Docker: 100 ms, doubling to at most 10 s; back to 100 ms after 10 s of running. */
static void pid1_ended(struct supervisor *sv, int wait_status) {
  int status = exit_status_of(wait_status);
  sv->pid1 = 0;
  sv->last_status = status;
  /* PID 1 is gone: what it wrote is in the pipe, which ends when its last holder does */
  if (sv->exec_pipe >= 0) exec_pipe_read(sv, true);
  /* OOMKilled, as Docker reports it: the OOM killer acted in the container while PID 1 ran */
  long long kills = oom_kill_count(sv->opt);
  write_status(sv->opt->status_dir, "oom-killed", kills > sv->oom_kills && sv->oom_kills >= 0 ? "true\n" : "false\n");
  close(sv->alive_fd);
  if (sv->probe > 0 && kill(sv->probe, SIGKILL) < 0 && errno != ESRCH) die_errno("kill the health check");
  if (!should_restart(sv, status)) supervisor_exit(sv);
  if (sv->log != NULL) log_drain(sv->log, &sv->log->out, false); /* PID 1's errors before its pty's output */
  pid1_output_drain(sv);
  if (sv->console >= 0) close(sv->console);
  sv->console = -1;
  long long now = now_ms();
  sv->backoff_ms = (now - sv->started_ms >= 10000 || sv->backoff_ms == 0) ? 100 : sv->backoff_ms * 2;
  if (sv->backoff_ms > 10000) sv->backoff_ms = 10000;
  sv->restart_at_ms = now + sv->backoff_ms;
}

/*
 * A health check: a process that enters the container's namespaces (as exec
 * does) and forks the check, which runs as the workload's user, in its
 * working directory, with its environment; its status is the check's.
 */
/*
 * The check's stdin, stdout and stderr: the host's /dev/null, opened before joining the
 * container (whose /dev/null is the container's to replace: a symlink to /proc/self/fd/N
 * would reopen a descriptor of the supervisor's, its log, for the check; a FIFO would hand
 * the container the check's output), and checked to be the null device.
 */
static int open_host_null(void) {
  struct stat st;
  int fd = open("/dev/null", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0) die_errno("open /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) die("/dev/null is not the null device (1:3)");
  return fd;
}

/*
 * The check holds nothing of the supervisor's but the host's /dev/null when it first looks at
 * the container's tree (its /etc/passwd, its working directory): every other descriptor (the
 * log, the signalfd) is closed before, as runc closes its own before it touches the
 * container's filesystem since CVE-2024-21626 (a leaked descriptor of a host directory).
 */
static void start_probe(struct supervisor *sv) {
  pid_t probe = fork_unblocked("fork a health check");
  if (probe == 0) {
    /* a check's failure is not a failed start, nor its end the container's */
    if (failure_fd >= 0) close(failure_fd);
    if (sv->exec_pipe >= 0) close(sv->exec_pipe);
    failure_fd = -1;
    failure_status_dir = NULL;
    int null = open_host_null();
    join_namespaces(sv->pid1);
    pid_t check = fork();
    if (check < 0) die_errno("fork the health check");
    if (check == 0) {
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl PR_SET_PDEATHSIG");
      if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) die_errno("/dev/null for the health check");
      close_inherited_fds();
      error_log = NULL; /* its descriptor is closed: errors go to the host's /dev/null */
      struct credentials who;
      identify(sv->opt, &who);
      confine(&sv->opt->security, &who);
      if (chdir(sv->opt->workdir) < 0 && chdir("/") < 0) die_errno("chdir /");
      environ = sv->opt->env;
      execvp(sv->opt->health_argv[0], sv->opt->health_argv);
      _exit(127);
    }
    int status;
    while (waitpid(check, &status, 0) < 0)
      if (errno != EINTR) die_errno("waitpid the health check");
    _exit(exit_status_of(status));
  }
  sv->probe = probe;
  sv->probe_timed_out = false;
  sv->probe_deadline_ms = now_ms() + sv->opt->health_timeout_ms;
}

/* Docker's rules: failures in the start period do not count until a check passes. */
static void probe_ended(struct supervisor *sv, int wait_status) {
  long long now = now_ms();
  bool passed = !sv->probe_timed_out && exit_status_of(wait_status) == 0;
  bool in_start_period = now < sv->started_ms + sv->opt->health_start_period_ms;
  sv->probe = 0;
  if (sv->pid1 == 0) return;
  if (passed) {
    sv->failures = 0;
    set_health(sv, "healthy");
  } else if (!(in_start_period && strcmp(sv->health, "starting") == 0)) {
    sv->failures++;
    set_health(sv, sv->failures >= sv->opt->health_retries ? "unhealthy" : sv->health);
  }
  bool starting = in_start_period && strcmp(sv->health, "starting") == 0;
  sv->next_probe_ms = now + (starting ? sv->opt->health_start_interval_ms : sv->opt->health_interval_ms);
}

/* Milliseconds until the next timed event, or -1 for none. */
static long long next_timeout(const struct supervisor *sv) {
  long long next = -1, now = now_ms();
  if (sv->pid1 == 0) next = sv->restart_at_ms;
  else if (sv->probe > 0) next = sv->probe_deadline_ms;
  else if (health_enabled(sv->opt) && sv->exec_pipe < 0) next = sv->next_probe_ms; /* checks once it runs */
  if (next < 0) return -1;
  return next > now ? next - now : 0;
}

static void on_timeout(struct supervisor *sv) {
  long long now = now_ms();
  if (sv->pid1 == 0 && now >= sv->restart_at_ms) {
    if (sv->opt->stop_file != NULL && access(sv->opt->stop_file, F_OK) == 0) supervisor_exit(sv);
    sv->restarts++;
    char *text = xasprintf("%ld\n", sv->restarts);
    write_status(sv->opt->status_dir, "restarts", text);
    free(text);
    start_pid1(sv);
  } else if (sv->probe > 0 && now >= sv->probe_deadline_ms) {
    sv->probe_timed_out = true;
    if (kill(sv->probe, SIGKILL) < 0 && errno != ESRCH) die_errno("kill the health check that timed out");
    sv->probe_deadline_ms = now + 1000; /* until it is reaped */
  } else if (sv->pid1 > 0 && sv->probe == 0 && sv->exec_pipe < 0 && health_enabled(sv->opt) && now >= sv->next_probe_ms) {
    start_probe(sv);
  }
}

/* One signal from the signalfd. */
static void on_signal(struct supervisor *sv, int sig) {
  if (sig == SIGCHLD) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == sv->pid1) pid1_ended(sv, status);
      else if (pid == sv->probe) probe_ended(sv, status);
    }
    if (pid < 0 && errno != ECHILD) die_errno("waitpid");
  } else if (sig == SIGWINCH && sv->master >= 0 && sv->log == NULL) {
    pty_copy_size(host_terminal(), sv->master, 24, 80); /* the kernel tells the workload */
  } else if (sig == SIGPIPE) {
    /* the relay's own (a reader of the host's gone): not the workload's */
  } else if (sv->pid1 == 0) {
    supervisor_exit(sv);
  } else {
    if (kill(sv->pid1, sig) < 0 && errno != ESRCH) die_errno("pass signal %d to PID 1", sig);
  }
}

/*
 * The supervisor's loop: one poll over the signals (a signalfd: all are
 * blocked), the workload's output pipes when it has a log, and the timeout of
 * the next restart or health check. Output is read before signals, so that
 * what PID 1 wrote before it ended is in the log before its end is handled.
 *
 * PID 1 is in a session of its own, so every catchable signal is passed on,
 * those a host terminal sends to its foreground group (SIGINT, SIGQUIT) too.
 * Between restarts there is no PID 1: a signal then ends the supervisor (a stop
 * must not wait for the next start). In the foreground, the relay's
 * descriptors (pty.h) are polled too, and SIGWINCH resizes the workload's pty.
 */
static void __attribute__((noreturn)) supervise_container(struct options *opt, const sigset_t *blocked,
                                                           struct container_log *log) {
  static struct supervisor sv; /* large (buffers): not on the stack */
  static struct relay relay;
  sv = (struct supervisor){.opt = opt, .log = log, .health = "starting", .console = -1, .master = -1, .exec_pipe = -1};
  sv.host_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (sv.host_pidns < 0) die_errno("open /proc/self/ns/pid");
  int signals = signalfd(-1, blocked, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals < 0) die_errno("signalfd");
  sv.ends = (struct stdio_ends){{-1, -1, -1}};
  if (log == NULL) sv.relay = &relay;
  /* In the foreground without a pty, pipes stand in for the host's descriptors (pty.h). */
  if (log == NULL && !opt->tty) stdio_pipes(&relay, &sv.ends);
  /* stdin_open, detached: a pipe no one writes to, held open here, instead of /dev/null */
  int stdin_pipe[2];
  if (log != NULL && opt->stdin_open && !opt->tty) {
    if (pipe2(stdin_pipe, O_CLOEXEC) < 0) die_errno("pipe for stdin_open");
    sv.ends.fd[STDIN_FILENO] = stdin_pipe[0];
  }
  start_pid1(&sv);
  enum { SIGNALS, LOG_OUT, LOG_ERR, CONSOLE, TTY_LOG, EXEC_PIPE, RELAY };
  struct pollfd fds[RELAY + RELAY_PUMPS];
  for (;;) {
    fds[SIGNALS] = (struct pollfd){.fd = signals, .events = POLLIN};
    fds[LOG_OUT] = (struct pollfd){.fd = log != NULL ? log->out.read_fd : -1, .events = POLLIN};
    fds[LOG_ERR] = (struct pollfd){.fd = log != NULL ? log->err.read_fd : -1, .events = POLLIN};
    fds[CONSOLE] = (struct pollfd){.fd = sv.console, .events = POLLIN};
    fds[TTY_LOG] = (struct pollfd){.fd = log != NULL && !sv.tty_log_ended ? sv.master : -1, .events = POLLIN};
    fds[EXEC_PIPE] = (struct pollfd){.fd = sv.exec_pipe, .events = POLLIN};
    nfds_t n_fds = RELAY + (sv.relay != NULL ? relay_poll_fds(sv.relay, fds + RELAY) : 0);
    long long wait_ms = next_timeout(&sv);
    int ready = poll(fds, n_fds, wait_ms < 0 ? -1 : wait_ms > INT_MAX ? INT_MAX : (int)wait_ms);
    if (ready < 0) {
      if (errno != EINTR) die_errno("poll");
      continue;
    }
    if (ready == 0) {
      on_timeout(&sv);
      continue;
    }
    if (fds[LOG_OUT].revents != 0) log_drain(log, &log->out, false);
    if (fds[LOG_ERR].revents != 0) log_drain(log, &log->err, false);
    if (fds[TTY_LOG].revents != 0) log_drain(log, &sv.tty_log, false);
    if (fds[TTY_LOG].revents & POLLHUP) sv.tty_log_ended = true;
    if (sv.relay != NULL) relay_move(sv.relay, fds + RELAY);
    if (fds[CONSOLE].revents != 0) pty_arrived(&sv);
    if (fds[EXEC_PIPE].revents != 0 && sv.exec_pipe >= 0) exec_pipe_read(&sv, false);
    struct signalfd_siginfo info;
    while (read(signals, &info, sizeof info) == (ssize_t)sizeof info) on_signal(&sv, (int)info.ssi_signo);
  }
}

/*
 * Forks the child a supervisor will wait for. Every signal is blocked first (ALL
 * returns the set), so none is lost before supervise() waits for them; the
 * child gets an empty mask back. Returns fork()'s value; WHAT names the fork.
 */
static pid_t fork_supervised(sigset_t *all, const char *what) {
  sigfillset(all);
  if (sigprocmask(SIG_BLOCK, all, NULL) < 0) die_errno("sigprocmask");
  return fork_unblocked(what);
}

/* ---- exec: joining a running container ----------------------------------- */

/*
 * Enters every namespace of the container whose PID 1 is PID (its host PID).
 * The descriptors are opened first: once in the container's mount namespace,
 * /proc is the container's and would no longer name the host PID. The mount
 * namespace comes last; joining it also moves root and cwd to the container's.
 */
static void join_namespaces(pid_t pid) {
  static const struct {
    const char *name;
    int type;
  } namespaces[] = {{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
                    {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS}};
  int fds[sizeof namespaces / sizeof namespaces[0]];
  for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
    char *path = xasprintf("/proc/%d/ns/%s", (int)pid, namespaces[i].name);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) die_errno("open %s (is the container running?)", path);
    free(path);
  }
  char *path = xasprintf("/proc/%d/ns/user", (int)pid);
  int userns = open(path, O_RDONLY | O_CLOEXEC), ours = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  if (userns < 0 || ours < 0) die_errno("open %s and /proc/self/ns/user", path);
  free(path);
  for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
    if (setns(fds[i], namespaces[i].type) < 0) die_errno("setns %s namespace of PID %d", namespaces[i].name, (int)pid);
    close(fds[i]);
  }
  /* last: the others belong to the host's user namespace, and only host root may join them */
  join_userns(userns, ours);
}

/*
 * `exec`: a new process in a running container, under the same uid/gid rules as
 * the workload. Joining a PID namespace only affects children, so this forks;
 * the parent stays on the host side, passes on signals and exits with the
 * child's status, as the supervisor of a container does.
 */
static void __attribute__((noreturn)) exec_in_container(struct options *opt) {
  join_namespaces(opt->join_pid);
  /* exec -t: a pty of the container's devpts, opened here, in its mounts (docker exec -t);
     otherwise pipes for the host's descriptors (pty.h). */
  static struct relay relay;
  struct stdio_ends ends = {{-1, -1, -1}};
  int master = -1, slave = -1;
  if (opt->tty) {
    master = pty_open_master("/dev/pts/ptmx");
    slave = pty_open_slave(master);
    pty_copy_size(host_terminal(), master, 24, 80);
  } else {
    stdio_pipes(&relay, &ends);
  }
  sigset_t all;
  pid_t child = fork_supervised(&all, "fork into the container");
  if (child == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl PR_SET_PDEATHSIG");
    if (slave >= 0) {
      pty_make_controlling(slave);
    } else {
      stdio_install(&ends);
      if (setsid() < 0) die_errno("setsid"); /* no controlling terminal of the host's */
    }
    close_inherited_fds();
    struct credentials who;
    identify(opt, &who);
    if (slave >= 0) pty_give_to(who.uid);
    confine(&opt->security, &who);
    enter_workdir(opt->workdir);
    exec_workload(opt);
  }
  stdio_close(&ends);
  if (slave >= 0) {
    close(slave);
    relay_terminal(&relay, master);
  }
  supervise(child, &all, &relay, master);
}

/* Joins namespace file PATH of type TYPE (NAME for messages). */
static void join_ns_file(const char *path, int type, const char *name) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_errno("open the %s namespace %s (is that container running?)", name, path);
  if (setns(fd, type) < 0) die_errno("setns %s namespace %s", name, path);
  close(fd);
}

/*
 * --check-port (a foreground run's published ports): each must be free of the host's own
 * sockets, as the script's --port-free asks for a detached start, before anything is made
 * here. A taken one ends the start with the script's own words.
 */
static void check_ports_free(const struct options *opt) {
  for (int i = 0; i < opt->n_check_ports; i++) {
    const char *protocol = opt->check_ports[i][0], *port = opt->check_ports[i][1];
    if (!port_free(protocol, port))
      die("port %s/%s is taken by a process on this host (see: ss -lnp 'sport = :%s'); stop it, or publish another host port", port, protocol, port);
  }
}

/*
 * The first thing a container's supervisor does, in the order the script's commands did it
 * before (setsid, nsenter -F, unshare: one exec each, all with this one PID): a session of
 * its own, the IPC and PID namespaces another container shares, then the new namespaces.
 * A new PID namespace is its children's (this process stays in the host's, as the
 * supervisor); a new mount namespace starts with every mount private, as unshare(1) makes
 * it, so that nothing mounted in the container reaches the host.
 */
static void enter_namespaces(const struct options *opt) {
  if (opt->setsid && setsid() < 0) die_errno("setsid (--setsid: this process must not lead a process group)");
  if (opt->join_ns_ipc != NULL) join_ns_file(opt->join_ns_ipc, CLONE_NEWIPC, "IPC");
  if (opt->join_ns_pid != NULL) join_ns_file(opt->join_ns_pid, CLONE_NEWPID, "PID");
  /* (cgroup: PID 1 unshares it, see container_main) */
  if (unshare(opt->unshare_flags & ~CLONE_NEWCGROUP) < 0) die_errno("unshare %s (--unshare)", opt->unshare_list);
  if (opt->unshare_flags & CLONE_NEWNS) make_mounts_private();
}

/*
 * Detached: from here on, the supervisor's own errors are records in the log too. Its stdout
 * and stderr (the script's append to the same file) are let go, so that a rotated-out file is
 * not kept open.
 */
static void open_container_log(struct container_log *log, const struct options *opt) {
  log_open(log, opt->log_path, opt->log_max_size, opt->log_max_files);
  error_log = log;
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0) die_errno("open /dev/null");
  if (dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0) die_errno("dup2 /dev/null");
  close(null);
}

int main(int argc, char **argv) {
  /* Not dumpable: no container process can open this process's /proc/PID/exe (the helper
     binary on the host) or its descriptors while it works in the container's namespaces
     (the CVE-2019-5736 class). exec() of the workload makes it dumpable again. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die_errno("prctl PR_SET_DUMPABLE");
  if (argc > 1 && strcmp(argv[1], "--untar") == 0) {
    if (argc == 3) untar_layer(argv[2], false);
    if (argc == 4 && strcmp(argv[3], "--overlay-whiteouts") == 0) untar_layer(argv[2], true);
    usage();
  }
  if (argc > 1 && strcmp(argv[1], "--proxy6") == 0) {
    if (argc == 5) proxy6_main(argv[2], argv[3], argv[4]);
    usage();
  }
  context_main(argc, argv); /* context-hash, context-copy, ...: a build context (context.c) */
  if (argc > 1 && strcmp(argv[1], "--port-free") == 0) {
    if (argc == 4) port_check(argv[2], argv[3]);
    usage();
  }
  finish_prescan(argc, argv);
  struct options opt = {0};
  parse_args(argc, argv, &opt);
  check_namespace_options(&opt);
  if (opt.report_fd >= 0) {
    if (fcntl(opt.report_fd, F_SETFD, FD_CLOEXEC) < 0) die_errno("--report-fd %d", opt.report_fd);
    failure_fd = opt.report_fd; /* from here on, a failure is reported there too */
  }
  if (opt.await_net_fd >= 0 && fcntl(opt.await_net_fd, F_SETFD, FD_CLOEXEC) < 0) die_errno("--await-net %d", opt.await_net_fd);
  if (opt.ports_free_fd >= 0 && fcntl(opt.ports_free_fd, F_SETFD, FD_CLOEXEC) < 0) die_errno("--ports-free %d", opt.ports_free_fd);
  failure_status_dir = opt.status_dir; /* and recorded as the container's end */
  if (opt.join_pid != 0) {
    reset_signal_dispositions();
    exec_in_container(&opt);
  }
  if (opt.rootfs == NULL) die("--rootfs is required");
  const int taken[] = {3, opt.report_fd, opt.await_net_fd, opt.ports_free_fd}; /* 3: --env-fd's */
  feed_check(&opt.feed, opt.n_leave_cgroups, taken, (int)(sizeof taken / sizeof taken[0]));
  /* (in the host's namespaces, first: it starts while this works) */
  feed_start(&opt.feed, opt.leave_cgroups, opt.n_leave_cgroups);
  check_ports_free(&opt);
  if (opt.ports_free_fd >= 0) say_ports_free(opt.ports_free_fd, opt.report_fd);
  /* (close-on-exec, and PID 1 closes every inherited descriptor before the workload runs) */
  if (opt.n_remove_trees > 0 && host_mount_ns < 0) host_mount_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  veth_prepare(&opt.veths); /* (in the host's network namespace) */
  enter_namespaces(&opt);
  veth_create(&opt.veths); /* (into the new one) */
  static struct container_log log;
  if (opt.log_path != NULL) open_container_log(&log, &opt);
  reset_signal_dispositions();
  if (opt.device_cgroup != NULL) restrict_devices_v2(opt.device_cgroup, opt.device_rules, opt.n_device_rules);
  if (opt.netns != NULL) join_netns(opt.netns);
  if (opt.await_net_fd >= 0) await_network(opt.await_net_fd, opt.report_fd);

  /* The network namespace is the container's for good: its addresses and
     routes are set once, here, and stay through restarts. */
  configure_network(&opt);
  sigset_t all;
  sigfillset(&all);
  if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) die_errno("sigprocmask");
  supervise_container(&opt, &all, opt.log_path != NULL ? &log : NULL);
}
