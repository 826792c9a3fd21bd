/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Socket lookup for a guest's network namespace: before the kernel looks for a socket
 * bound to the destination, hand every TCP connection and UDP datagram to one of netsim's
 * sockets, whatever the address and port. The namespace routes every destination locally,
 * so this program sees all traffic the guest sends.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, STEER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

static __always_inline __u32 steer_slot(const struct bpf_sk_lookup *ctx)
{
	__u32 base = ctx->family == 10 /* AF_INET6 */ ? STEER_SLOTS_PER_FAMILY : 0;

	if (ctx->protocol == IPPROTO_TCP)
		return base + STEER_TCP;
	if (ctx->local_port == 53)
		return base + STEER_DNS;
	return base + STEER_UDP;
}

/* Loopback (127.0.0.0/8, ::1) and the guest's eth0 address. */
static __always_inline bool steer_is_own(const struct bpf_sk_lookup *ctx)
{
	if (ctx->family == 2 /* AF_INET */) {
		__u32 ip = bpf_ntohl(ctx->local_ip4);

		return (ip >> 24) == 127 || ip == STEER_GUEST_IP4;
	}
	return ctx->local_ip6[0] == 0 && ctx->local_ip6[1] == 0 && ctx->local_ip6[2] == 0 &&
	       ctx->local_ip6[3] == bpf_htonl(1);
}

SEC("sk_lookup")
int steer(struct bpf_sk_lookup *ctx)
{
	struct bpf_sock *sk;
	__u32 slot;
	long err;

	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return SK_PASS;

	/*
	 * A DNS answer from netsim travels to the guest's ephemeral port: let the normal
	 * lookup find the guest's socket (connected sockets are found before this runs).
	 */
	if (ctx->protocol == IPPROTO_UDP && bpf_ntohs(ctx->remote_port) == 53 &&
	    ctx->local_port != 53)
		return SK_PASS;

	/* The guest's own addresses are its own: local services there work as on any host. */
	if (steer_is_own(ctx))
		return SK_PASS;

	slot = steer_slot(ctx);
	sk = bpf_map_lookup_elem(&socks, &slot);
	/* Without a server the normal lookup finds nothing bound: the guest sees a refusal. */
	if (!sk)
		return SK_PASS;

	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
