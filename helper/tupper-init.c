/*
 * tupper-init: the last step of a tupper container start.
 *
 * The generated script has put this process into the container's cgroups and
 * run it under `unshare --mount --uts --ipc --pid [--net] --cgroup`, so it has
 * new namespaces, but (unshare not forking) is itself still in the host's PID
 * namespace. With --netns it joins the network namespace the script prepared
 * (veth ends already in it) instead. It forks the container's PID 1 and stays outside as its
 * supervisor: it passes on signals and exits with PID 1's status (128+N when
 * signal N killed it). The child, PID 1 of the new PID namespace:
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
#include <sys/mount.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#define EXIT_RUNTIME_FAILED 125
#define MAX_VOLUMES 256
#define MAX_ENV 4096
#define MAX_INTERFACES 16

extern char **environ;

struct volume {
  const char *source;
  const char *target;
  bool read_only;
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
  struct volume volumes[MAX_VOLUMES];
  int n_volumes;
  const char *netns;
  struct interface interfaces[MAX_INTERFACES];
  int n_interfaces;
  const char *gateway_text;
  struct in_addr gateway;
  const char *hostname;
  const char *domainname;
  uid_t uid;
  gid_t gid;
  const char *workdir;
  char *env[MAX_ENV + 1];
  int n_env;
  bool init;
  pid_t join_pid;
  char **argv;
};

/* ---- errors ------------------------------------------------------------ */

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("tupper-init: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(EXIT_RUNTIME_FAILED);
}

static void __attribute__((noreturn, format(printf, 1, 2))) die_errno(const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  fputs("tupper-init: ", stderr);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, ": %s\n", strerror(saved));
  va_end(ap);
  exit(EXIT_RUNTIME_FAILED);
}

static char *xasprintf(const char *fmt, ...) {
  char *out;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&out, fmt, ap) < 0) die("out of memory");
  va_end(ap);
  return out;
}

static unsigned long parse_id(const char *flag, const char *text) {
  char *end;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || *text == '\0' || *end != '\0' || value > 0xfffffffeUL)
    die("%s needs a number from 0 to 4294967294, got '%s'", flag, text);
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

/* ---- arguments --------------------------------------------------------- */

static void usage(void) {
  fputs("usage: tupper-init --rootfs DIR [--overlay LOWER UPPER WORK]\n"
        "                   [--bind SRC DEST | --ro-bind SRC DEST]... [--hostname NAME]\n"
        "                   [--domainname NAME] [--netns FILE] [--ip IFNAME ADDR/PREFIX]...\n"
        "                   [--gateway ADDR]\n"
        "       tupper-init --join PID [--uid N] [--gid N] [--chdir DIR] [--env NAME=VALUE]...\n"
        "                   [--uid N] [--gid N] [--chdir DIR] [--env NAME=VALUE]... [--init]\n"
        "                   -- COMMAND [ARG]...\n",
        stderr);
  exit(EXIT_RUNTIME_FAILED);
}

static const char *need(int argc, char **argv, int i, const char *flag) {
  if (i >= argc) die("%s needs a value", flag);
  return argv[i];
}

static void parse_args(int argc, char **argv, struct options *opt) {
  int i = 1;
  opt->workdir = "/";
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
    } else if (strcmp(flag, "--bind") == 0 || strcmp(flag, "--ro-bind") == 0) {
      if (opt->n_volumes == MAX_VOLUMES) die("more than %d volumes", MAX_VOLUMES);
      struct volume *v = &opt->volumes[opt->n_volumes++];
      v->source = need(argc, argv, i++, flag);
      v->target = need(argc, argv, i++, flag);
      v->read_only = strcmp(flag, "--ro-bind") == 0;
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
    } else if (strcmp(flag, "--gateway") == 0) {
      opt->gateway_text = need(argc, argv, i++, flag);
      opt->gateway = parse_ipv4(flag, opt->gateway_text);
    } else if (strcmp(flag, "--uid") == 0) {
      opt->uid = (uid_t)parse_id(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--gid") == 0) {
      opt->gid = (gid_t)parse_id(flag, need(argc, argv, i++, flag));
    } else if (strcmp(flag, "--chdir") == 0) {
      opt->workdir = need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--env") == 0) {
      if (opt->n_env == MAX_ENV) die("more than %d environment variables", MAX_ENV);
      opt->env[opt->n_env++] = (char *)need(argc, argv, i++, flag);
    } else if (strcmp(flag, "--init") == 0) {
      opt->init = true;
    } else if (strcmp(flag, "--join") == 0) {
      opt->join_pid = (pid_t)parse_id(flag, need(argc, argv, i++, flag));
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
  /* unshare(1) already does this; repeating it keeps the helper correct on its own. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die_errno("make / private");
}

/* The root must be a mount point for pivot_root: an overlay, or a bind onto itself. */
static void mount_rootfs(const struct options *opt) {
  if (opt->overlay_lower != NULL) {
    /* /proc/self/fd paths keep commas and colons in TUPPER_ROOT out of the option string. */
    int lower = open_dir(opt->overlay_lower), upper = open_dir(opt->overlay_upper),
        work = open_dir(opt->overlay_work);
    char *data = xasprintf("lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d",
                           lower, upper, work);
    if (mount("overlay", opt->rootfs, "overlay", 0, data) < 0)
      die_errno("mount overlay (lower %s, upper %s) on %s", opt->overlay_lower, opt->overlay_upper, opt->rootfs);
    free(data);
    close(lower);
    close(upper);
    close(work);
  } else if (mount(opt->rootfs, opt->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
    die_errno("bind-mount %s onto itself", opt->rootfs);
  }
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

static void mount_dev(int root_fd) {
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
  mount_at(root_fd, "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mount_at(root_fd, "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  mount_at(root_fd, "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static void mount_sys(int root_fd) {
  mount_at(root_fd, "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
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
    where = fd_path(fd);
    if (mount(NULL, where, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
      die_errno("remount %s read-only", v->target);
    free(where);
    close(fd);
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

/* Joins the network namespace the script made and persisted at PATH (its veth ends are in it). */
static void join_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_errno("open network namespace %s", path);
  if (setns(fd, CLONE_NEWNET) < 0) die_errno("setns network namespace %s", path);
  close(fd);
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
}

/* ---- entering the root ------------------------------------------------- */

static void enter_rootfs(const char *rootfs) {
  if (chdir(rootfs) < 0) die_errno("chdir %s", rootfs);
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_errno("pivot_root %s", rootfs);
  if (umount2(".", MNT_DETACH) < 0) die_errno("detach the old root");
  if (chdir("/") < 0) die_errno("chdir /");
}

/* No descriptor of the host (a directory, a socket, the script's files) may reach the workload. */
static void close_inherited_fds(void) {
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) die_errno("close_range 3..");
}

static void drop_privileges(uid_t uid, gid_t gid) {
  if (setgroups(0, NULL) < 0) die_errno("setgroups []");
  if (setgid(gid) < 0) die_errno("setgid %u", (unsigned)gid);
  if (setuid(uid) < 0) die_errno("setuid %u", (unsigned)uid);
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

/* ---- running the workload ---------------------------------------------- */

static void __attribute__((noreturn)) exec_workload(const struct options *opt) {
  environ = (char **)opt->env; /* execvp searches the container's PATH */
  execvp(opt->argv[0], opt->argv);
  int saved = errno;
  fprintf(stderr, "tupper-init: exec %s: %s\n", opt->argv[0], strerror(saved));
  exit(saved == ENOENT ? 127 : 126);
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
    if (sigprocmask(SIG_SETMASK, &old, NULL) < 0) die_errno("sigprocmask");
    if (setpgid(0, 0) < 0) die_errno("setpgid");
    exec_workload(opt);
  }
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
 * The host side. Signals a terminal sends to its whole foreground process
 * group (SIGINT, SIGQUIT) already reach PID 1, so they are not sent twice;
 * every other catchable signal is passed on. Exits with PID 1's status.
 */
static void __attribute__((noreturn)) supervise(pid_t child, const sigset_t *blocked) {
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(blocked, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      die_errno("sigwaitinfo");
    }
    if (sig == SIGCHLD) {
      int status;
      pid_t pid = waitpid(child, &status, WNOHANG);
      if (pid < 0) die_errno("waitpid %d", (int)child);
      if (pid == child) exit(exit_status_of(status));
    } else if (sig != SIGINT && sig != SIGQUIT) {
      if (kill(child, sig) < 0 && errno != ESRCH) die_errno("pass signal %d to PID 1", sig);
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

static void __attribute__((noreturn)) container_main(struct options *opt, int alive_fd) {
  die_with_supervisor(alive_fd);
  umask(0);

  make_mounts_private();
  mount_rootfs(opt);
  int root_fd = open_dir(opt->rootfs);
  mount_proc(root_fd);
  mount_dev(root_fd);
  mount_sys(root_fd);
  for (int i = 0; i < opt->n_volumes; i++) bind_volume(root_fd, &opt->volumes[i]);
  close(root_fd);
  configure_network(opt);
  if (opt->hostname != NULL && sethostname(opt->hostname, strlen(opt->hostname)) < 0)
    die_errno("sethostname %s", opt->hostname);
  if (opt->domainname != NULL && setdomainname(opt->domainname, strlen(opt->domainname)) < 0)
    die_errno("setdomainname %s", opt->domainname);

  enter_rootfs(opt->rootfs);
  close_inherited_fds();
  make_workdir(opt->workdir);
  drop_privileges(opt->uid, opt->gid);
  enter_workdir(opt->workdir);
  umask(022);

  if (opt->init) run_as_init(opt);
  exec_workload(opt);
}

/*
 * Forks the child a supervisor will wait for. Every signal is blocked first (ALL
 * returns the set), so none is lost before supervise() waits for them; the
 * child gets an empty mask back. Returns fork()'s value; WHAT names the fork.
 */
static pid_t fork_supervised(sigset_t *all, const char *what) {
  sigfillset(all);
  if (sigprocmask(SIG_BLOCK, all, NULL) < 0) die_errno("sigprocmask");
  pid_t child = fork();
  if (child < 0) die_errno("%s", what);
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) die_errno("sigprocmask");
  }
  return child;
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
  for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
    if (setns(fds[i], namespaces[i].type) < 0) die_errno("setns %s namespace of PID %d", namespaces[i].name, (int)pid);
    close(fds[i]);
  }
}

/*
 * `exec`: a new process in a running container, under the same uid/gid rules as
 * the workload. Joining a PID namespace only affects children, so this forks;
 * the parent stays on the host side, passes on signals and exits with the
 * child's status, as the supervisor of a container does.
 */
static void __attribute__((noreturn)) exec_in_container(struct options *opt) {
  join_namespaces(opt->join_pid);
  sigset_t all;
  pid_t child = fork_supervised(&all, "fork into the container");
  if (child == 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl PR_SET_PDEATHSIG");
    close_inherited_fds();
    drop_privileges(opt->uid, opt->gid);
    enter_workdir(opt->workdir);
    exec_workload(opt);
  }
  supervise(child, &all);
}

int main(int argc, char **argv) {
  struct options opt = {0};
  parse_args(argc, argv, &opt);
  if (opt.join_pid != 0) {
    reset_signal_dispositions();
    exec_in_container(&opt);
  }
  if (opt.rootfs == NULL) die("--rootfs is required");
  reset_signal_dispositions();
  if (opt.netns != NULL) join_netns(opt.netns);

  int alive[2];
  if (pipe2(alive, O_CLOEXEC) < 0) die_errno("pipe");
  sigset_t all;
  pid_t child = fork_supervised(&all, "fork PID 1 of the container");
  if (child == 0) {
    close(alive[1]);
    container_main(&opt, alive[0]);
  }
  close(alive[0]);
  supervise(child, &all);
}
