/* SPDX-License-Identifier: MIT */
/*
 * One observed action of the guest. The same layout is written by the eBPF programs
 * (capture.bpf.c) into the ring buffer and by the simulated internet (netsim.c), so it
 * uses only fixed-size fields. Which fields mean what for each type is documented in
 * docs/report-schema.md, next to the JSON the report makes of it.
 */
#pragma once

#ifndef __BPF__
#include <linux/types.h>
#endif

#define EV_PATH_MAX 512
#define EV_DATA_MAX 1024
#define EV_COMM_LEN 16

enum event_type {
	EV_NONE = 0,
	/* processes */
	EV_PROC_FORK,  /* pid = child, ppid = parent; arg0 = clone flags when known */
	EV_PROC_EXEC,  /* path = executable, data = argv (NUL-separated), data2 = env of interest */
	EV_PROC_EXIT,  /* arg0 = wait status (exit code << 8 | signal) */
	/* files: path (and path2) are as the guest sees them */
	EV_FILE_OPEN,     /* arg0 = open flags, arg1 = 1 when the open created the file */
	EV_FILE_WRITE,    /* first write through one open file */
	EV_FILE_RENAME,   /* path -> path2 */
	EV_FILE_UNLINK,   /* arg0 = 1 for rmdir */
	EV_FILE_CHMOD,    /* arg0 = mode */
	EV_FILE_CHOWN,    /* arg0 = uid, arg1 = gid */
	EV_FILE_LINK,     /* path2 (new) -> path (existing) */
	EV_FILE_SYMLINK,  /* path = link, path2 = target text */
	EV_FILE_TRUNCATE, /* */
	EV_FILE_MKDIR,    /* arg0 = mode */
	/* memory */
	EV_MEM_EXEC,     /* arg0 = prot, arg1 = 1 mmap / 2 mprotect, path = backing file if any */
	EV_MEMFD_CREATE, /* path = memfd name, arg0 = flags */
	/* sockets: data = struct sockaddr bytes (family first), arg0 = family */
	EV_NET_SOCKET,  /* arg0 = family, arg1 = type, arg2 = protocol */
	EV_NET_CONNECT, /* arg0 = family, data = sockaddr, arg2 = socket type */
	EV_NET_BIND,
	EV_NET_LISTEN,  /* arg1 = backlog */
	EV_NET_ACCEPT,
	EV_NET_SENDTO,  /* datagram with an explicit destination */
	EV_FD_DUP,      /* arg0 = old fd, arg1 = new fd, arg2 = 1 when old fd is a socket */
	/* privilege */
	EV_PRIV_SETUID, /* arg0 = new ruid, arg1 = new euid (guest ids) */
	EV_PRIV_SETGID,
	EV_PRIV_CAPSET, /* arg0 = effective caps low, arg1 = permitted low */
	/* other processes */
	EV_PTRACE,        /* arg0 = request, arg1 = target pid */
	EV_PROC_VM_WRITE, /* arg1 = target pid */
	EV_SIGNAL,        /* arg0 = signal, arg1 = target pid */
	/* kernel surface */
	EV_KMOD_LOAD, /* init_module / finit_module / delete_module: arg0 = syscall nr */
	EV_BPF,       /* arg0 = bpf command */
	EV_NAMESPACE, /* arg0 = syscall nr (unshare/setns/clone), arg1 = flags */
	EV_MOUNT,     /* arg0 = syscall nr, path = target when known */
	EV_SYSCALL_DENIED, /* the guest's seccomp filter refused arg0 = syscall nr */
	/* simulated internet, filled in by netsim */
	EV_DNS_QUERY,    /* path = name, arg0 = qtype, arg1 = answered address (IPv4, host order) */
	EV_TCP_SESSION,  /* data = sockaddr of the destination, path = first bytes, escaped */
	EV_HTTP_REQUEST, /* path = host, path2 = method SP path, data = user agent */
	EV_TLS_HELLO,    /* path = SNI */
	EV_UDP_DATAGRAM, /* data = sockaddr of the destination, arg0 = length */
	/* added later: new types go here, so rules and stored reports keep their numbers */
	EV_PROC_VM_READ, /* arg1 = target pid */
	EV_FILE_UTIMES,  /* arg0 = modification time set (seconds), 0 for "now" */
	EV_FILE_XATTR,   /* path2 = attribute name (setxattr family) */
	EV_TYPE_MAX,
};

struct event {
	__u64 time_ns; /* CLOCK_MONOTONIC */
	__u32 type;
	__s32 pid;  /* in the guest's pid namespace; 0 for netsim events */
	__s32 ppid;
	__u32 uid;  /* as the guest sees it */
	__s64 ret;
	__u64 arg0, arg1, arg2;
	__u64 cgroup_id;
	__u32 data_len;
	__u32 data2_len;
	char comm[EV_COMM_LEN];
	char path[EV_PATH_MAX];
	char path2[EV_PATH_MAX];
	char data[EV_DATA_MAX];
	char data2[EV_DATA_MAX];
};

#ifndef __BPF__
/* Stable lower-case names ("proc_exec", "file_rename", ...) used in reports and rules. */
const char *event_type_name(enum event_type type);
int event_type_from_name(const char *name);
#endif
