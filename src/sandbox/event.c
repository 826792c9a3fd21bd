/* SPDX-License-Identifier: MIT */
#include "event.h"

#include "macros.h"

#include <errno.h>
#include <string.h>

/* Indexed by type so a new enum value without a name shows up as NULL, not as a shift. */
static const char *const event_names[EV_TYPE_MAX] = {
        [EV_NONE] = "none",
        [EV_PROC_FORK] = "proc_fork",
        [EV_PROC_EXEC] = "proc_exec",
        [EV_PROC_EXIT] = "proc_exit",
        [EV_FILE_OPEN] = "file_open",
        [EV_FILE_WRITE] = "file_write",
        [EV_FILE_RENAME] = "file_rename",
        [EV_FILE_UNLINK] = "file_unlink",
        [EV_FILE_CHMOD] = "file_chmod",
        [EV_FILE_CHOWN] = "file_chown",
        [EV_FILE_LINK] = "file_link",
        [EV_FILE_SYMLINK] = "file_symlink",
        [EV_FILE_TRUNCATE] = "file_truncate",
        [EV_FILE_MKDIR] = "file_mkdir",
        [EV_MEM_EXEC] = "mem_exec",
        [EV_MEMFD_CREATE] = "memfd_create",
        [EV_NET_SOCKET] = "net_socket",
        [EV_NET_CONNECT] = "net_connect",
        [EV_NET_BIND] = "net_bind",
        [EV_NET_LISTEN] = "net_listen",
        [EV_NET_ACCEPT] = "net_accept",
        [EV_NET_SENDTO] = "net_sendto",
        [EV_FD_DUP] = "fd_dup",
        [EV_PRIV_SETUID] = "priv_setuid",
        [EV_PRIV_SETGID] = "priv_setgid",
        [EV_PRIV_CAPSET] = "priv_capset",
        [EV_PTRACE] = "ptrace",
        [EV_PROC_VM_WRITE] = "proc_vm_write",
        [EV_SIGNAL] = "signal",
        [EV_KMOD_LOAD] = "kmod_load",
        [EV_BPF] = "bpf",
        [EV_NAMESPACE] = "namespace",
        [EV_MOUNT] = "mount",
        [EV_SYSCALL_DENIED] = "syscall_denied",
        [EV_DNS_QUERY] = "dns_query",
        [EV_TCP_SESSION] = "tcp_session",
        [EV_HTTP_REQUEST] = "http_request",
        [EV_TLS_HELLO] = "tls_hello",
        [EV_UDP_DATAGRAM] = "udp_datagram",
        [EV_PROC_VM_READ] = "proc_vm_read",
        [EV_FILE_UTIMES] = "file_utimes",
        [EV_FILE_XATTR] = "file_xattr",
};

const char *event_type_name(enum event_type type)
{
	if ((unsigned)type >= ARRAY_SIZE(event_names) || !event_names[type])
		return "unknown";
	return event_names[type];
}

int event_type_from_name(const char *name)
{
	if (!name)
		return -EINVAL;

	for (size_t i = 1; i < ARRAY_SIZE(event_names); i++)
		if (event_names[i] && strcmp(event_names[i], name) == 0)
			return (int)i;
	return -ENOENT;
}
