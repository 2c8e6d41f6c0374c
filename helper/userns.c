/*
 * User namespaces (x-tupper.userns): container root is an unprivileged host uid.
 *
 * The namespace maps container ids 0..SIZE-1 to host ids HOST_UID.. and HOST_GID... The
 * image's files stay owned by host root on disk; an idmapped mount of the root filesystem
 * (or of an overlay's lower layer) shows them to the container through the same map, so
 * that container root owns them. Mounts that need the host's privileges
 * (proc, sysfs, devices, volumes, the network) are made before the process joins the
 * namespace, in a mount namespace it then copies: the kernel locks them there, and the
 * container cannot unmount them to look underneath.
 */
#define _GNU_SOURCE
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die_errno("open %s", path);
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len) die_errno("write '%s' to %s", text, path);
  if (close(fd) < 0) die_errno("close %s", path);
}

/*
 * A process cannot write its own uid_map once it is in the new namespace (that takes
 * CAP_SETUID in the parent namespace), so a throwaway child makes the namespace and this
 * process, still host root, writes the maps. The child tells its PID as the host's /proc
 * knows it (this process may be PID 1 of a new PID namespace; /proc is still the host's).
 * Returns a descriptor of the namespace, which outlives the child.
 */
int make_userns(const struct userns_map *map) {
  int ready[2], done[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) die_errno("pipe");
  pid_t child = fork();
  if (child < 0) die_errno("fork for a user namespace");
  if (child == 0) {
    close(ready[0]);
    close(done[1]);
    char self[32];
    ssize_t n = readlink("/proc/self", self, sizeof self - 1);
    if (n <= 0) die_errno("readlink /proc/self");
    if (unshare(CLONE_NEWUSER) < 0) die_errno("unshare a user namespace");
    if (write(ready[1], self, (size_t)n) != n) die_errno("write to the parent");
    char byte;
    (void)!read(done[0], &byte, 1); /* EOF: the parent has what it needs */
    _exit(0);
  }
  close(ready[1]);
  close(done[0]);
  char pid[32];
  ssize_t n = read(ready[0], pid, sizeof pid - 1);
  if (n <= 0) die("the process making the user namespace failed (see above)");
  pid[n] = '\0';
  close(ready[0]);
  char *path = xasprintf("/proc/%s/uid_map", pid), *line = xasprintf("0 %u %u\n", map->host_uid, map->size);
  write_file(path, line);
  free(path);
  free(line);
  path = xasprintf("/proc/%s/gid_map", pid);
  line = xasprintf("0 %u %u\n", map->host_gid, map->size);
  write_file(path, line);
  free(path);
  free(line);
  path = xasprintf("/proc/%s/ns/user", pid);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) die_errno("open %s", path);
  free(path);
  close(done[1]);
  if (waitpid(child, NULL, 0) < 0) die_errno("waitpid %d", (int)child);
  return ns;
}

/*
 * Mounts over the directory PATH an idmapped copy of it: files owned by host uid N appear
 * owned by the namespace's uid N, and what the namespace's root writes is stored as uid 0.
 * Needs Linux 5.12 and a filesystem that allows it (ext4, xfs, tmpfs from 6.3, btrfs from
 * 5.15). An overlay cannot be idmapped as a whole, only its layers, before it is mounted.
 */
void idmap_directory(const char *path, int userns_fd) {
  int tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) die_errno("open_tree %s", path);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long long)userns_fd};
  if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    die_errno("mount_setattr MOUNT_ATTR_IDMAP on %s (x-tupper.userns needs idmapped mounts: Linux 5.12 or later and a "
              "filesystem that has them, such as ext4, xfs or btrfs)",
              path);
  if (move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0) die_errno("move_mount the idmapped %s", path);
  close(tree);
}

/*
 * What PID 1 creates in the container before it joins the namespace (mount targets, /dev,
 * the tmpfs mounts) is to belong to the namespace's root. It must: through the idmapped root
 * host uid 0 has no name, and creating a file as it fails with EOVERFLOW. A change of the
 * filesystem uid takes the file capabilities (CHOWN, DAC_OVERRIDE, MKNOD...) out of the
 * effective set; they are still permitted, so they are taken back.
 */
void create_files_as(uid_t uid, gid_t gid) {
  setfsgid(gid);
  setfsuid(uid);
  if ((uid_t)setfsuid((uid_t)-1) != uid || (gid_t)setfsgid((gid_t)-1) != gid) die("setfsuid %u / setfsgid %u failed", (unsigned)uid, (unsigned)gid);
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &header, data) < 0) die_errno("capget");
  for (int i = 0; i < 2; i++) data[i].effective = data[i].permitted;
  if (syscall(SYS_capset, &header, data) < 0) die_errno("capset: the effective set back after setfsuid");
}

/* Becomes the namespace's root: until then this process's host uid 0 has no name in it. */
static void become_namespace_root(void) {
  if (setresgid(0, 0, 0) < 0) die_errno("setresgid 0 in the user namespace");
  if (setresuid(0, 0, 0) < 0) die_errno("setresuid 0 in the user namespace");
  if (setgroups(0, NULL) < 0) die_errno("setgroups in the user namespace");
}

/*
 * PID 1's switch: joins the namespace, then takes a mount namespace owned by it (pivot_root
 * needs one) and binds ROOTFS onto itself there, so that the new root is a mount of this
 * namespace and not one of the locked copies. Ends in the new root's top directory. Paths
 * are looked up from ROOTFS's parent, entered while still host root: the directories above
 * it (TUPPER_ROOT may be mode 0700) are not the namespace's root's to search.
 */
void enter_userns(int userns_fd, const char *rootfs) {
  char *parent = xasprintf("%s", rootfs), *slash = strrchr(parent, '/');
  if (slash == NULL || slash[1] == '\0') die("--rootfs %s: need an absolute path to a directory", rootfs);
  const char *name = slash + 1;
  *slash = '\0';
  if (chdir(*parent != '\0' ? parent : "/") < 0) die_errno("chdir %s", parent);
  if (setns(userns_fd, CLONE_NEWUSER) < 0) die_errno("setns into the user namespace");
  close(userns_fd);
  become_namespace_root();
  /* a change of credentials clears the parent-death signal: arm it again */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl PR_SET_PDEATHSIG");
  if (unshare(CLONE_NEWNS) < 0) die_errno("unshare a mount namespace in the user namespace");
  if (mount(name, name, NULL, MS_BIND | MS_REC, NULL) < 0) die_errno("bind-mount %s onto itself", rootfs);
  if (chdir(name) < 0) die_errno("chdir %s", rootfs);
  free(parent);
}

/*
 * exec and health checks: USERNS_FD is the container's user namespace, OURS this process's
 * (both opened before joining the container's mount namespace, whose /proc does not show
 * this process). Joins it when the container has one of its own; closes both.
 */
void join_userns(int userns_fd, int ours_fd) {
  struct stat theirs, ours;
  if (fstat(userns_fd, &theirs) < 0 || fstat(ours_fd, &ours) < 0) die_errno("fstat a user namespace");
  if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) {
    if (setns(userns_fd, CLONE_NEWUSER) < 0) die_errno("setns into the container's user namespace");
    become_namespace_root();
  }
  close(userns_fd);
  close(ours_fd);
}
