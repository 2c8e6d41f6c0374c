/*
 * Confinement of the workload, applied by tupper-init to PID 1 of a container,
 * to `exec`'d processes and to health checks alike, so that none of them is
 * stronger than the others. The defaults are Docker's:
 *
 *   - capabilities: Docker's 14 are kept in the bounding set (and, for uid 0,
 *     in the effective and permitted sets); every other one is dropped from all
 *     five sets. Inheritable and ambient are empty (as Docker since
 *     CVE-2022-24769).
 *   - no_new_privs: setuid binaries and file capabilities grant nothing.
 *   - seccomp: a filter with the same effect as Docker's default profile for the
 *     native ABI. Docker's profile is an allow-list; this one is a deny-list of
 *     what that allow-list leaves out, with the same capability conditions
 *     (mount is allowed with CAP_SYS_ADMIN, ptrace-like calls with
 *     CAP_SYS_PTRACE, ...). It is hand-built classic BPF rather than libseccomp:
 *     about 70 instructions, readable here in full, and no static library to
 *     pin. Every other ABI (i386 through int 0x80, x32) is refused as a whole,
 *     so a 32-bit binary cannot reach a syscall through a second number table.
 *     The limit of a deny-list: a syscall newer than this table is allowed; the
 *     capabilities above still guard what it could do.
 *   - /proc and /sys: Docker's masked paths (an empty read-only tmpfs over a
 *     directory, /dev/null over a file) and read-only paths.
 */
#define _GNU_SOURCE
#include "security.h"

#include <asm/unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <grp.h>
#include <unistd.h>

#define CAP_BIT(cap) (UINT64_C(1) << (cap))

/* ---- capabilities --------------------------------------------------------- */

static const struct {
  const char *name;
  int cap;
} capability_names[] = {
    {"CHOWN", CAP_CHOWN},
    {"DAC_OVERRIDE", CAP_DAC_OVERRIDE},
    {"DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
    {"FOWNER", CAP_FOWNER},
    {"FSETID", CAP_FSETID},
    {"KILL", CAP_KILL},
    {"SETGID", CAP_SETGID},
    {"SETUID", CAP_SETUID},
    {"SETPCAP", CAP_SETPCAP},
    {"LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE},
    {"NET_BIND_SERVICE", CAP_NET_BIND_SERVICE},
    {"NET_BROADCAST", CAP_NET_BROADCAST},
    {"NET_ADMIN", CAP_NET_ADMIN},
    {"NET_RAW", CAP_NET_RAW},
    {"IPC_LOCK", CAP_IPC_LOCK},
    {"IPC_OWNER", CAP_IPC_OWNER},
    {"SYS_MODULE", CAP_SYS_MODULE},
    {"SYS_RAWIO", CAP_SYS_RAWIO},
    {"SYS_CHROOT", CAP_SYS_CHROOT},
    {"SYS_PTRACE", CAP_SYS_PTRACE},
    {"SYS_PACCT", CAP_SYS_PACCT},
    {"SYS_ADMIN", CAP_SYS_ADMIN},
    {"SYS_BOOT", CAP_SYS_BOOT},
    {"SYS_NICE", CAP_SYS_NICE},
    {"SYS_RESOURCE", CAP_SYS_RESOURCE},
    {"SYS_TIME", CAP_SYS_TIME},
    {"SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
    {"MKNOD", CAP_MKNOD},
    {"LEASE", CAP_LEASE},
    {"AUDIT_WRITE", CAP_AUDIT_WRITE},
    {"AUDIT_CONTROL", CAP_AUDIT_CONTROL},
    {"SETFCAP", CAP_SETFCAP},
    {"MAC_OVERRIDE", CAP_MAC_OVERRIDE},
    {"MAC_ADMIN", CAP_MAC_ADMIN},
    {"SYSLOG", CAP_SYSLOG},
    {"WAKE_ALARM", CAP_WAKE_ALARM},
    {"BLOCK_SUSPEND", CAP_BLOCK_SUSPEND},
    {"AUDIT_READ", CAP_AUDIT_READ},
    {"PERFMON", CAP_PERFMON},
    {"BPF", CAP_BPF},
    {"CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE},
};

/* Docker's default set (moby's caps.DefaultCapabilities). */
static const uint64_t docker_default_caps =
    CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_FSETID) | CAP_BIT(CAP_FOWNER) |
    CAP_BIT(CAP_MKNOD) | CAP_BIT(CAP_NET_RAW) | CAP_BIT(CAP_SETGID) | CAP_BIT(CAP_SETUID) |
    CAP_BIT(CAP_SETFCAP) | CAP_BIT(CAP_SETPCAP) | CAP_BIT(CAP_NET_BIND_SERVICE) | CAP_BIT(CAP_SYS_CHROOT) |
    CAP_BIT(CAP_KILL) | CAP_BIT(CAP_AUDIT_WRITE);

void security_defaults(struct security *s) {
  s->caps = docker_default_caps;
  s->no_new_privs = true;
  s->seccomp = true;
  s->mask_paths = true;
}

uint64_t parse_capabilities(const char *list) {
  if (strcmp(list, "ALL") == 0) return ~UINT64_C(0);
  uint64_t caps = 0;
  char *copy = strdup(list), *save = NULL;
  if (copy == NULL) die("out of memory");
  for (char *name = strtok_r(copy, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
    size_t i = 0, n = sizeof capability_names / sizeof capability_names[0];
    while (i < n && strcmp(capability_names[i].name, name) != 0) i++;
    if (i == n) die("--caps: unknown capability '%s'", name);
    caps |= CAP_BIT(capability_names[i].cap);
  }
  free(copy);
  return caps;
}

static bool has_cap(uint64_t caps, int cap) { return cap >= 0 && (caps & CAP_BIT(cap)) != 0; }

/*
 * Drops every capability not in CAPS from the bounding set. Returns what is left in it: "ALL"
 * means all that this process has (tupper-init may itself run without some of them).
 */
static uint64_t drop_bounding_set(uint64_t caps) {
  uint64_t left = 0;
  int in_set;
  for (int cap = 0; cap < 64 && (in_set = prctl(PR_CAPBSET_READ, cap)) >= 0; cap++) {
    if (!in_set) continue;
    if (has_cap(caps, cap)) left |= CAP_BIT(cap);
    else if (prctl(PR_CAPBSET_DROP, cap) < 0) die_errno("prctl PR_CAPBSET_DROP %d", cap);
  }
  return left;
}

static void set_capabilities(uint64_t effective_permitted) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {{0}};
  for (int i = 0; i < 2; i++) {
    data[i].effective = data[i].permitted = (uint32_t)(effective_permitted >> (32 * i));
    data[i].inheritable = 0;
  }
  if (syscall(SYS_capset, &header, data) < 0) die_errno("capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) die_errno("prctl PR_CAP_AMBIENT_CLEAR_ALL");
}

/* ---- seccomp ---------------------------------------------------------------- */

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "tupper-init's seccomp filter knows x86_64 and aarch64"
#endif

#define ALWAYS (-1) /* no capability allows it */

/* A syscall Docker's default profile does not allow, unless the container has CAP (or OR_CAP). */
struct denied_syscall {
  int nr;
  int cap, or_cap;
};

static const struct denied_syscall denied_syscalls[] = {
    /* CAP_SYS_ADMIN: mounts, namespaces, host names, kernel introspection */
    {__NR_bpf, CAP_SYS_ADMIN, CAP_BPF},
    {__NR_fanotify_init, CAP_SYS_ADMIN, ALWAYS},
    {__NR_fsconfig, CAP_SYS_ADMIN, ALWAYS},
    {__NR_fsmount, CAP_SYS_ADMIN, ALWAYS},
    {__NR_fsopen, CAP_SYS_ADMIN, ALWAYS},
    {__NR_fspick, CAP_SYS_ADMIN, ALWAYS},
    {__NR_lookup_dcookie, CAP_SYS_ADMIN, ALWAYS},
    {__NR_mount, CAP_SYS_ADMIN, ALWAYS},
    {__NR_mount_setattr, CAP_SYS_ADMIN, ALWAYS},
    {__NR_move_mount, CAP_SYS_ADMIN, ALWAYS},
    {__NR_open_tree, CAP_SYS_ADMIN, ALWAYS},
#ifdef __NR_open_tree_attr
    {__NR_open_tree_attr, CAP_SYS_ADMIN, ALWAYS},
#endif
    {__NR_perf_event_open, CAP_SYS_ADMIN, CAP_PERFMON},
    {__NR_quotactl, CAP_SYS_ADMIN, ALWAYS},
    {__NR_quotactl_fd, CAP_SYS_ADMIN, ALWAYS},
    {__NR_setdomainname, CAP_SYS_ADMIN, ALWAYS},
    {__NR_sethostname, CAP_SYS_ADMIN, ALWAYS},
    {__NR_setns, CAP_SYS_ADMIN, ALWAYS},
    {__NR_syslog, CAP_SYS_ADMIN, CAP_SYSLOG},
    {__NR_umount2, CAP_SYS_ADMIN, ALWAYS},
    {__NR_unshare, CAP_SYS_ADMIN, ALWAYS},
    /* one capability each */
    {__NR_reboot, CAP_SYS_BOOT, ALWAYS},
    {__NR_chroot, CAP_SYS_CHROOT, ALWAYS},
    {__NR_delete_module, CAP_SYS_MODULE, ALWAYS},
    {__NR_init_module, CAP_SYS_MODULE, ALWAYS},
    {__NR_finit_module, CAP_SYS_MODULE, ALWAYS},
    {__NR_acct, CAP_SYS_PACCT, ALWAYS},
    {__NR_kcmp, CAP_SYS_PTRACE, ALWAYS},
    {__NR_pidfd_getfd, CAP_SYS_PTRACE, ALWAYS},
    {__NR_process_madvise, CAP_SYS_PTRACE, ALWAYS},
    {__NR_settimeofday, CAP_SYS_TIME, ALWAYS},
    {__NR_clock_settime, CAP_SYS_TIME, ALWAYS},
    {__NR_vhangup, CAP_SYS_TTY_CONFIG, ALWAYS},
    {__NR_get_mempolicy, CAP_SYS_NICE, ALWAYS},
    {__NR_mbind, CAP_SYS_NICE, ALWAYS},
    {__NR_set_mempolicy, CAP_SYS_NICE, ALWAYS},
    {__NR_set_mempolicy_home_node, CAP_SYS_NICE, ALWAYS},
    {__NR_open_by_handle_at, CAP_DAC_READ_SEARCH, ALWAYS},
    /* never: keyrings are not namespaced; kernel images, swap, page migration, userfaultfd */
    {__NR_add_key, ALWAYS, ALWAYS},
    {__NR_keyctl, ALWAYS, ALWAYS},
    {__NR_request_key, ALWAYS, ALWAYS},
    {__NR_kexec_load, ALWAYS, ALWAYS},
    {__NR_kexec_file_load, ALWAYS, ALWAYS},
    {__NR_nfsservctl, ALWAYS, ALWAYS},
    {__NR_pivot_root, ALWAYS, ALWAYS},
    {__NR_swapon, ALWAYS, ALWAYS},
    {__NR_swapoff, ALWAYS, ALWAYS},
    {__NR_userfaultfd, ALWAYS, ALWAYS},
    /* io_uring: operations submitted through a ring are not syscalls, so no filter sees them, and
       the ring code has been the kernel's most exploited attack surface. Docker (moby#46762) and
       containerd (#9320) took the three calls out of their default profiles' allow-lists in
       2023, so that they get the profile's default action, EPERM (defaultErrnoRet 1), whatever
       the capabilities; so here. libuv and liburing fall back to epoll/threads on EPERM. */
    {__NR_io_uring_setup, ALWAYS, ALWAYS},
    {__NR_io_uring_enter, ALWAYS, ALWAYS},
    {__NR_io_uring_register, ALWAYS, ALWAYS},
    {__NR_migrate_pages, ALWAYS, ALWAYS},
    {__NR_move_pages, ALWAYS, ALWAYS},
#ifdef __x86_64__
    {__NR_iopl, CAP_SYS_RAWIO, ALWAYS},
    {__NR_ioperm, CAP_SYS_RAWIO, ALWAYS},
    {__NR_create_module, ALWAYS, ALWAYS},
    {__NR_get_kernel_syms, ALWAYS, ALWAYS},
    {__NR_query_module, ALWAYS, ALWAYS},
    {__NR_sysfs, ALWAYS, ALWAYS},
    {__NR__sysctl, ALWAYS, ALWAYS},
    {__NR_uselib, ALWAYS, ALWAYS},
    {__NR_ustat, ALWAYS, ALWAYS},
    {__NR_afs_syscall, ALWAYS, ALWAYS},
    {__NR_tuxcall, ALWAYS, ALWAYS},
    {__NR_security, ALWAYS, ALWAYS},
    {__NR_vserver, ALWAYS, ALWAYS},
    {__NR_getpmsg, ALWAYS, ALWAYS},
    {__NR_putpmsg, ALWAYS, ALWAYS},
#endif
};

/* clone() flags that make namespaces: refused without CAP_SYS_ADMIN, as unshare() is. */
#define NAMESPACE_FLAGS                                                                                     \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define AF_VSOCK_FAMILY 40
/* personality() values Docker allows: PER_LINUX, PER_LINUX32, UNAME26 variants, and the query. */
static const uint32_t allowed_personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

#define FILTER_MAX 256
struct filter {
  struct sock_filter insns[FILTER_MAX];
  unsigned short len;
};

static void put(struct filter *f, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  if (f->len == FILTER_MAX) die("seccomp filter longer than %d instructions", FILTER_MAX);
  f->insns[f->len++] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
}

static void load(struct filter *f, uint32_t offset) { put(f, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0); }
static void ret(struct filter *f, uint32_t action) { put(f, BPF_RET | BPF_K, action, 0, 0); }
static void ret_errno(struct filter *f, int err) { ret(f, SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA)); }

/* The low 32 bits of argument 0 (little-endian: the first word). */
#define ARG0_LOW offsetof(struct seccomp_data, args[0])

static void build_filter(struct filter *f, uint64_t caps) {
  load(f, offsetof(struct seccomp_data, arch));
  put(f, BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0);
  ret_errno(f, EPERM); /* another ABI: no second number table to bypass the rules with */
  load(f, offsetof(struct seccomp_data, nr));
#ifdef __x86_64__
  put(f, BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1);
  ret_errno(f, EPERM);
#endif
  for (size_t i = 0; i < sizeof denied_syscalls / sizeof denied_syscalls[0]; i++) {
    const struct denied_syscall *d = &denied_syscalls[i];
    if (has_cap(caps, d->cap) || has_cap(caps, d->or_cap)) continue;
    put(f, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)d->nr, 0, 1);
    ret_errno(f, EPERM);
  }
  if (!has_cap(caps, CAP_SYS_ADMIN)) {
    /* clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone. */
    put(f, BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
    ret_errno(f, ENOSYS);
    put(f, BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
    load(f, ARG0_LOW);
    put(f, BPF_JMP | BPF_JSET | BPF_K, NAMESPACE_FLAGS, 0, 1);
    ret_errno(f, EPERM);
    ret(f, SECCOMP_RET_ALLOW);
  }
  /* socket(AF_VSOCK, ...): a channel to the hypervisor, outside every namespace. */
  put(f, BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 4);
  load(f, ARG0_LOW);
  put(f, BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK_FAMILY, 0, 1);
  ret_errno(f, EPERM);
  ret(f, SECCOMP_RET_ALLOW);
  /* personality(): only the values above (others can turn off ASLR, for one). */
  const size_t n = sizeof allowed_personalities / sizeof allowed_personalities[0];
  put(f, BPF_JMP | BPF_JEQ | BPF_K, __NR_personality, 0, (uint8_t)(n + 3));
  load(f, ARG0_LOW);
  for (size_t i = 0; i < n; i++) put(f, BPF_JMP | BPF_JEQ | BPF_K, allowed_personalities[i], (uint8_t)(n - i), 0);
  ret_errno(f, EPERM);
  ret(f, SECCOMP_RET_ALLOW);
  ret(f, SECCOMP_RET_ALLOW);
}

static void install_seccomp(uint64_t caps) {
  struct filter f = {.len = 0};
  build_filter(&f, caps);
  struct sock_fprog prog = {.len = f.len, .filter = f.insns};
  /* Still root with CAP_SYS_ADMIN here, so this works with no_new_privs off too. */
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) die_errno("prctl PR_SET_SECCOMP");
}

/* ---- rlimits and sysctls ------------------------------------------------------ */

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},           {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},   {"locks", RLIMIT_LOCKS},         {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},       {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME},       {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

int parse_rlimit_name(const char *name) {
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    if (strcmp(rlimit_names[i].name, name) == 0) return rlimit_names[i].resource;
  die("--rlimit: unknown resource '%s'", name);
}

static void set_rlimits(const struct security *s) {
  for (int i = 0; i < s->n_rlimits; i++) {
    const struct rlimit_setting *r = &s->rlimits[i];
    struct rlimit limit = {.rlim_cur = r->soft, .rlim_max = r->hard};
    if (setrlimit(r->resource, &limit) < 0) die_errno("setrlimit %d to %llu:%llu", r->resource, r->soft, r->hard);
  }
}

/* proc/sys/net/ipv4/ip_forward for net.ipv4.ip_forward: written from inside the new namespaces. */
void write_sysctls(int root_fd, const struct security *s) {
  for (int i = 0; i < s->n_sysctls; i++) {
    const struct sysctl_setting *c = &s->sysctls[i];
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "proc/sys/%s", c->key) >= (int)sizeof path) die("sysctl %s: name too long", c->key);
    for (char *p = path + strlen("proc/sys/"); *p != '\0'; p++)
      if (*p == '.') *p = '/';
    int fd = openat(root_fd, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) die_errno("sysctl %s: open /%s", c->key, path);
    size_t len = strlen(c->value);
    if (write(fd, c->value, len) != (ssize_t)len) die_errno("sysctl %s: write '%s'", c->key, c->value);
    if (close(fd) < 0) die_errno("sysctl %s: close", c->key);
  }
}

/* ---- masked and read-only paths -------------------------------------------- */

/* Docker's lists (moby's oci.DefaultSpec): kernel state a container must not read or write. */
static const char *const masked_paths[] = {
    "proc/asound",         "proc/acpi",         "proc/interrupts", "proc/kcore",      "proc/keys",
    "proc/latency_stats",  "proc/timer_list",   "proc/timer_stats", "proc/sched_debug", "proc/scsi",
    "sys/firmware",        "sys/devices/virtual/powercap",
};
static const char *const read_only_paths[] = {"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger"};

/* An O_PATH descriptor for PATH under ROOT_FD, or -1 when the kernel has no such path. */
static int open_kernel_path(int root_fd, const char *path) {
  int fd = openat(root_fd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) die_errno("open /%s", path);
  return fd;
}

static void mask_path(int root_fd, const char *path) {
  int fd = open_kernel_path(root_fd, path);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) < 0) die_errno("stat /%s", path);
  char where[64];
  snprintf(where, sizeof where, "/proc/self/fd/%d", fd);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", where, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
      die_errno("mask /%s with an empty tmpfs", path);
  } else if (mount("/dev/null", where, NULL, MS_BIND, NULL) < 0) {
    die_errno("mask /%s with /dev/null", path);
  }
  close(fd);
}

static void make_read_only(int root_fd, const char *path) {
  int fd = open_kernel_path(root_fd, path);
  if (fd < 0) return;
  char where[64];
  snprintf(where, sizeof where, "/proc/self/fd/%d", fd);
  if (mount(where, where, NULL, MS_BIND | MS_REC, NULL) < 0) die_errno("bind /%s onto itself", path);
  close(fd);
  /* The descriptor named the path below the new mount: open the mount itself. */
  fd = open_kernel_path(root_fd, path);
  if (fd < 0) die("/%s went away", path);
  snprintf(where, sizeof where, "/proc/self/fd/%d", fd);
  if (mount(NULL, where, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die_errno("remount /%s read-only", path);
  close(fd);
}

void mask_kernel_paths(int root_fd) {
  for (size_t i = 0; i < sizeof masked_paths / sizeof masked_paths[0]; i++) mask_path(root_fd, masked_paths[i]);
  for (size_t i = 0; i < sizeof read_only_paths / sizeof read_only_paths[0]; i++)
    make_read_only(root_fd, read_only_paths[i]);
}

/* ---- the last steps before exec -------------------------------------------- */

void confine(const struct security *s, const struct credentials *who) {
  set_rlimits(s);
  if (s->profile != NULL) install_seccomp_profile(s->profile);
  else if (s->seccomp) install_seccomp(s->caps);
  if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_errno("prctl PR_SET_NO_NEW_PRIVS");
  uint64_t bounding = drop_bounding_set(s->caps);
  if (setgroups((size_t)who->n_groups, who->groups) < 0) die_errno("setgroups (%d groups)", who->n_groups);
  if (setgid(who->gid) < 0) die_errno("setgid %u", (unsigned)who->gid);
  if (setuid(who->uid) < 0) die_errno("setuid %u", (unsigned)who->uid);
  /* setuid to non-root cleared permitted and effective (no PR_SET_KEEPCAPS); root keeps the set. */
  set_capabilities(who->uid == 0 ? bounding : 0);
}
