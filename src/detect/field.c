/* SPDX-License-Identifier: MIT */
/*
 * The fields a rule can test, named like the keys of the report's JSON events, and where
 * each one lives in struct event for each event type.
 */
#include "rules.h"

#include "macros.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define ALL_TYPES(s) .all_types = true, .src_all = (s)
#define SOCKADDR_TYPES(s)                                                                         \
	[EV_NET_CONNECT] = (s), [EV_NET_BIND] = (s), [EV_NET_LISTEN] = (s),                       \
	[EV_NET_ACCEPT] = (s), [EV_NET_SENDTO] = (s), [EV_TCP_SESSION] = (s),                     \
	[EV_UDP_DATAGRAM] = (s)

const struct field_def detect_fields[] = {
        {"pid", FIELD_NUM, ALL_TYPES(SRC_PID)},
        {"ppid", FIELD_NUM, ALL_TYPES(SRC_PPID)},
        {"uid", FIELD_NUM, ALL_TYPES(SRC_UID)},
        {"ret", FIELD_NUM, ALL_TYPES(SRC_RET)},
        {"comm", FIELD_STR, ALL_TYPES(SRC_COMM)},
        {"exe", FIELD_STR, ALL_TYPES(SRC_EXE)},
        {"cmdline", FIELD_STR, ALL_TYPES(SRC_CMDLINE)},
        {"path",
         FIELD_STR,
         .src = {[EV_PROC_EXEC] = SRC_PATH, [EV_FILE_OPEN] = SRC_PATH, [EV_FILE_WRITE] = SRC_PATH,
                 [EV_FILE_RENAME] = SRC_PATH, [EV_FILE_UNLINK] = SRC_PATH,
                 [EV_FILE_CHMOD] = SRC_PATH, [EV_FILE_CHOWN] = SRC_PATH,
                 [EV_FILE_LINK] = SRC_PATH, [EV_FILE_SYMLINK] = SRC_PATH,
                 [EV_FILE_TRUNCATE] = SRC_PATH, [EV_FILE_MKDIR] = SRC_PATH,
                 [EV_MEM_EXEC] = SRC_PATH, [EV_MOUNT] = SRC_PATH,
                 [EV_FILE_UTIMES] = SRC_PATH, [EV_FILE_XATTR] = SRC_PATH,
                 [EV_HTTP_REQUEST] = SRC_HTTP_PATH}},
        {"path2",
         FIELD_STR,
         .src = {[EV_FILE_RENAME] = SRC_PATH2, [EV_FILE_LINK] = SRC_PATH2,
                 [EV_FILE_SYMLINK] = SRC_PATH2}},
        {"name", FIELD_STR,
         .src = {[EV_MEMFD_CREATE] = SRC_PATH, [EV_DNS_QUERY] = SRC_PATH,
                 [EV_FILE_XATTR] = SRC_PATH2}},
        {"mtime", FIELD_NUM, .src = {[EV_FILE_UTIMES] = SRC_ARG0}},
        {"host", FIELD_STR, .src = {[EV_HTTP_REQUEST] = SRC_PATH}},
        {"method", FIELD_STR, .src = {[EV_HTTP_REQUEST] = SRC_HTTP_METHOD}},
        {"user_agent", FIELD_STR, .src = {[EV_HTTP_REQUEST] = SRC_DATA}},
        {"sni", FIELD_STR, .src = {[EV_TLS_HELLO] = SRC_PATH}},
        {"first_bytes", FIELD_STR, .src = {[EV_TCP_SESSION] = SRC_PATH}},
        {"argv", FIELD_STR, .src = {[EV_PROC_EXEC] = SRC_ARGV}},
        {"env", FIELD_STR, .src = {[EV_PROC_EXEC] = SRC_ENV}},
        {"flags",
         FIELD_NUM,
         .src = {[EV_FILE_OPEN] = SRC_ARG0, [EV_MEMFD_CREATE] = SRC_ARG0,
                 [EV_NAMESPACE] = SRC_ARG1}},
        {"clone_flags", FIELD_NUM, .src = {[EV_PROC_FORK] = SRC_ARG0}},
        {"created", FIELD_NUM, .src = {[EV_FILE_OPEN] = SRC_ARG1}},
        {"rmdir", FIELD_NUM, .src = {[EV_FILE_UNLINK] = SRC_ARG0}},
        {"mode", FIELD_NUM, .src = {[EV_FILE_CHMOD] = SRC_ARG0, [EV_FILE_MKDIR] = SRC_ARG0}},
        {"owner_uid", FIELD_NUM, .src = {[EV_FILE_CHOWN] = SRC_ARG0}},
        {"owner_gid", FIELD_NUM, .src = {[EV_FILE_CHOWN] = SRC_ARG1}},
        {"prot", FIELD_NUM, .src = {[EV_MEM_EXEC] = SRC_ARG0}},
        {"via", FIELD_NUM, .src = {[EV_MEM_EXEC] = SRC_ARG1}},
        {"family", FIELD_NUM, .src = {[EV_NET_SOCKET] = SRC_FAMILY, SOCKADDR_TYPES(SRC_FAMILY)}},
        {"socktype", FIELD_NUM, .src = {[EV_NET_SOCKET] = SRC_ARG1, [EV_NET_CONNECT] = SRC_ARG2}},
        {"protocol", FIELD_NUM, .src = {[EV_NET_SOCKET] = SRC_ARG2}},
        {"address", FIELD_STR, .src = {SOCKADDR_TYPES(SRC_ADDRESS)}},
        {"port", FIELD_NUM, .src = {SOCKADDR_TYPES(SRC_PORT)}},
        {"backlog", FIELD_NUM, .src = {[EV_NET_LISTEN] = SRC_ARG1}},
        {"old_fd", FIELD_NUM, .src = {[EV_FD_DUP] = SRC_ARG0}},
        {"new_fd", FIELD_NUM, .src = {[EV_FD_DUP] = SRC_ARG1}},
        {"socket", FIELD_NUM, .src = {[EV_FD_DUP] = SRC_ARG2}},
        {"ruid", FIELD_NUM, .src = {[EV_PRIV_SETUID] = SRC_ARG0}},
        {"euid", FIELD_NUM, .src = {[EV_PRIV_SETUID] = SRC_ARG1}},
        {"rgid", FIELD_NUM, .src = {[EV_PRIV_SETGID] = SRC_ARG0}},
        {"egid", FIELD_NUM, .src = {[EV_PRIV_SETGID] = SRC_ARG1}},
        {"effective", FIELD_NUM, .src = {[EV_PRIV_CAPSET] = SRC_ARG0}},
        {"permitted", FIELD_NUM, .src = {[EV_PRIV_CAPSET] = SRC_ARG1}},
        {"request", FIELD_NUM, .src = {[EV_PTRACE] = SRC_ARG0}},
        {"target_pid",
         FIELD_NUM,
         .src = {[EV_PTRACE] = SRC_ARG1, [EV_PROC_VM_WRITE] = SRC_ARG1,
                 [EV_PROC_VM_READ] = SRC_ARG1,
                 [EV_SIGNAL] = SRC_ARG1}},
        {"signal", FIELD_NUM, .src = {[EV_SIGNAL] = SRC_ARG0}},
        {"syscall",
         FIELD_NUM,
         .src = {[EV_KMOD_LOAD] = SRC_ARG0, [EV_NAMESPACE] = SRC_ARG0, [EV_MOUNT] = SRC_ARG0,
                 [EV_SYSCALL_DENIED] = SRC_ARG0}},
        {"command", FIELD_NUM, .src = {[EV_BPF] = SRC_ARG0}},
        {"qtype", FIELD_NUM, .src = {[EV_DNS_QUERY] = SRC_ARG0}},
        {"answer", FIELD_NUM, .src = {[EV_DNS_QUERY] = SRC_ARG1}},
        {"length", FIELD_NUM, .src = {[EV_UDP_DATAGRAM] = SRC_ARG0}},
        {"path_is_exe",
         FIELD_NUM,
         .src = {[EV_FILE_UNLINK] = SRC_PATH_IS_EXE, [EV_FILE_RENAME] = SRC_PATH_IS_EXE,
                 [EV_FILE_OPEN] = SRC_PATH_IS_EXE, [EV_FILE_TRUNCATE] = SRC_PATH_IS_EXE}},
        {"exit_code", FIELD_NUM, .src = {[EV_PROC_EXIT] = SRC_EXIT_CODE}},
        {"prev_open", FIELD_STR, .src = {[EV_FILE_OPEN] = SRC_PREV_OPEN}},
        {"path_is_own_proc", FIELD_NUM, .src = {[EV_FILE_OPEN] = SRC_PATH_IS_OWN_PROC}},
        {"comm_renamed",
         FIELD_NUM,
         .src = {[EV_FILE_OPEN] = SRC_COMM_RENAMED, [EV_FILE_WRITE] = SRC_COMM_RENAMED,
                 [EV_NET_SOCKET] = SRC_COMM_RENAMED, [EV_NET_CONNECT] = SRC_COMM_RENAMED,
                 [EV_PROC_FORK] = SRC_COMM_RENAMED, [EV_PROC_EXIT] = SRC_COMM_RENAMED}},
};
const size_t detect_n_fields = ARRAY_SIZE(detect_fields);

int field_lookup(const char *name)
{
	for (size_t i = 0; i < detect_n_fields; i++)
		if (strcmp(detect_fields[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

uint64_t field_types(const struct field_def *f)
{
	uint64_t m = 0;

	for (unsigned t = 1; t < EV_TYPE_MAX; t++)
		if (f->all_types || f->src[t])
			m |= 1ull << t;
	return m;
}

static const struct {
	const char *name;
	uint64_t value;
} field_consts[] = {
        {"false", 0},
        {"true", 1},
        {"O_RDONLY", O_RDONLY},
        {"O_WRONLY", O_WRONLY},
        {"O_RDWR", O_RDWR},
        {"O_CREAT", O_CREAT},
        {"O_EXCL", O_EXCL},
        {"O_TRUNC", O_TRUNC},
        {"O_APPEND", O_APPEND},
        {"O_TMPFILE", O_TMPFILE},
        {"O_CLOEXEC", O_CLOEXEC},
        {"S_ISUID", S_ISUID},
        {"S_ISGID", S_ISGID},
        {"S_IXUSR", S_IXUSR},
        {"S_IXGRP", S_IXGRP},
        {"S_IXOTH", S_IXOTH},
        {"PROT_EXEC", PROT_EXEC},
        {"PROT_WRITE", PROT_WRITE},
        {"mmap", 1},
        {"mprotect", 2},
        {"MFD_CLOEXEC", 1},
        {"unix", AF_UNIX},
        {"inet", AF_INET},
        {"inet6", AF_INET6},
        {"netlink", AF_NETLINK},
        {"packet", AF_PACKET},
        {"stream", SOCK_STREAM},
        {"dgram", SOCK_DGRAM},
        {"raw", SOCK_RAW},
        {"CLONE_NEWNS", CLONE_NEWNS},
        {"CLONE_NEWUSER", CLONE_NEWUSER},
        {"CLONE_NEWPID", CLONE_NEWPID},
        {"CLONE_NEWNET", CLONE_NEWNET},
        {"CLONE_THREAD", CLONE_THREAD},
        {"SIGKILL", SIGKILL},
        {"SIGTERM", SIGTERM},
        {"SIGSTOP", SIGSTOP},
        {"PTRACE_TRACEME", PTRACE_TRACEME},
        {"PTRACE_PEEKDATA", PTRACE_PEEKDATA},
        {"PTRACE_POKETEXT", PTRACE_POKETEXT},
        {"PTRACE_POKEDATA", PTRACE_POKEDATA},
        {"PTRACE_ATTACH", PTRACE_ATTACH},
        {"PTRACE_SEIZE", PTRACE_SEIZE},
        {"init_module", SYS_init_module},
        {"finit_module", SYS_finit_module},
        {"delete_module", SYS_delete_module},
        {"mount", SYS_mount},
        {"umount2", SYS_umount2},
        {"unshare", SYS_unshare},
        {"setns", SYS_setns},
        {"ptrace", SYS_ptrace},
        {"bpf", SYS_bpf},
        {"kexec_load", SYS_kexec_load},
        {"reboot", SYS_reboot},
        {"pivot_root", SYS_pivot_root},
        {"A", 1},
        {"CNAME", 5},
        {"NULL", 10},
        {"MX", 15},
        {"TXT", 16},
        {"AAAA", 28},
};

int field_const(const char *name, uint64_t *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(field_consts); i++)
		if (strcmp(field_consts[i].name, name) == 0) {
			*ret = field_consts[i].value;
			return 0;
		}
	return -ENOENT;
}
