/* SPDX-License-Identifier: MIT */
/*
 * Network isolation: one nftables table of our own (inet sandtrap_isolate), replaced in
 * one transaction, so the host's own rules are never touched and there is no moment
 * with half a rule set. Addresses are parsed with inet_pton and written back with
 * inet_ntop: no text from the caller reaches the nft command.
 *
 * libnftables and the five libraries under it are loaded on the first isolation, not at
 * start: most agents never isolate, and every library mapped is resident memory.
 */
#include "respond.h"

#include "escape.h"
#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "parse.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ISOLATE_TABLE     "sandtrap_isolate"
#define ISOLATE_MAX_ALLOW 64
/* after conntrack (-200), before mangle (-150), NAT (-100) and the usual filters (0) */
#define ISOLATE_PRIORITY "-190"

struct allow_addr {
	bool v6;
	char addr[INET6_ADDRSTRLEN];
	unsigned port; /* 0: every port and protocol */
};

static struct {
	struct nft_ctx *(*ctx_new)(uint32_t flags);
	void (*ctx_free)(struct nft_ctx *ctx);
	int (*buffer_output)(struct nft_ctx *ctx);
	int (*buffer_error)(struct nft_ctx *ctx);
	int (*run_cmd_from_buffer)(struct nft_ctx *nft, const char *buf);
	const char *(*get_output_buffer)(struct nft_ctx *ctx);
	const char *(*get_error_buffer)(struct nft_ctx *ctx);
	char error[256];
} nft;
static pthread_once_t nft_once = PTHREAD_ONCE_INIT;

static void nft_load(void)
{
	void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	const char *err;

	if (!h) {
		err = dlerror();
		snprintf(nft.error, sizeof(nft.error), "%s", err ? err : "dlopen failed");
		return;
	}
	nft.ctx_new = dlsym(h, "nft_ctx_new");
	nft.ctx_free = dlsym(h, "nft_ctx_free");
	nft.buffer_output = dlsym(h, "nft_ctx_buffer_output");
	nft.buffer_error = dlsym(h, "nft_ctx_buffer_error");
	nft.run_cmd_from_buffer = dlsym(h, "nft_run_cmd_from_buffer");
	nft.get_output_buffer = dlsym(h, "nft_ctx_get_output_buffer");
	nft.get_error_buffer = dlsym(h, "nft_ctx_get_error_buffer");
	if (!nft.ctx_new || !nft.ctx_free || !nft.buffer_output || !nft.buffer_error ||
	    !nft.run_cmd_from_buffer || !nft.get_output_buffer || !nft.get_error_buffer) {
		snprintf(nft.error, sizeof(nft.error), "libnftables.so.1 lacks a function");
		nft.ctx_new = NULL;
	}
}

static void nft_ctx_freep(struct nft_ctx **c)
{
	if (*c)
		nft.ctx_free(*c);
}

static int allow_host(const char *host, bool v6, struct allow_addr *ret)
{
	unsigned char bin[16];

	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1)
		return -EINVAL;
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, bin, ret->addr, sizeof(ret->addr)))
		return -EINVAL;
	ret->v6 = v6;
	return 0;
}

static int allow_port(const char *s, struct allow_addr *ret)
{
	uint64_t port;

	if (parse_u64(s, 1, 65535, &port) < 0)
		return -EINVAL;
	ret->port = port;
	return 0;
}

/* "IP", "IP:PORT", "V6", "[V6]" or "[V6]:PORT". */
static int allow_parse(const char *s, struct allow_addr *ret)
{
	char buf[INET6_ADDRSTRLEN + 16], *end, *colon;
	int r;

	*ret = (struct allow_addr){};
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	if (buf[0] == '[') {
		end = strchr(buf, ']');
		if (!end)
			return -EINVAL;
		*end = '\0';
		r = allow_host(buf + 1, true, ret);
		if (r < 0 || end[1] == '\0')
			return r;
		return end[1] == ':' ? allow_port(end + 2, ret) : -EINVAL;
	}
	if (allow_host(buf, true, ret) == 0)
		return 0;
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		r = allow_port(colon + 1, ret);
		if (r < 0)
			return r;
	}
	return allow_host(buf, false, ret);
}

int respond_allow_check(const char *allow)
{
	struct allow_addr a;

	return allow ? allow_parse(allow, &a) : -EINVAL;
}

static void rules_allow(FILE *f, const struct allow_addr *a)
{
	const char *fam = a->v6 ? "ip6" : "ip";
	char port_in[64] = "", port_out[64] = "";

	if (a->port) {
		snprintf(port_in, sizeof(port_in), "meta l4proto { tcp, udp } th sport %u ",
			 a->port);
		snprintf(port_out, sizeof(port_out), "meta l4proto { tcp, udp } th dport %u ",
			 a->port);
	}
	fprintf(f, "add rule inet %s input %s saddr %s %sct state established,related accept\n",
		ISOLATE_TABLE, fam, a->addr, port_in);
	fprintf(f, "add rule inet %s output %s daddr %s %saccept\n", ISOLATE_TABLE, fam, a->addr,
		port_out);
}

/*
 * The fixed part: loopback; ICMP errors about connections we allowed; the host keeps its
 * addresses (DHCP, IPv6 neighbour and router discovery), or the server becomes
 * unreachable when a lease runs out; nothing forwarded.
 */
static const char rules_base[] =
	"add table inet " ISOLATE_TABLE "\n"
	"delete table inet " ISOLATE_TABLE "\n"
	"add table inet " ISOLATE_TABLE "\n"
	"add chain inet " ISOLATE_TABLE " input { type filter hook input priority " ISOLATE_PRIORITY
	"; policy drop; }\n"
	"add chain inet " ISOLATE_TABLE
	" output { type filter hook output priority " ISOLATE_PRIORITY "; policy drop; }\n"
	"add chain inet " ISOLATE_TABLE
	" forward { type filter hook forward priority " ISOLATE_PRIORITY "; policy drop; }\n"
	"add rule inet " ISOLATE_TABLE " input iif lo accept\n"
	"add rule inet " ISOLATE_TABLE " output oif lo accept\n"
	"add rule inet " ISOLATE_TABLE " input meta l4proto { icmp, ipv6-icmp } "
	"ct state related accept\n"
	"add rule inet " ISOLATE_TABLE " input meta nfproto ipv4 udp sport 67 udp dport 68 "
	"accept\n"
	"add rule inet " ISOLATE_TABLE " output meta nfproto ipv4 udp sport 68 udp dport 67 "
	"accept\n"
	"add rule inet " ISOLATE_TABLE " input meta nfproto ipv6 udp sport 547 udp dport 546 "
	"accept\n"
	"add rule inet " ISOLATE_TABLE " output meta nfproto ipv6 udp sport 546 udp dport 547 "
	"accept\n"
	"add rule inet " ISOLATE_TABLE " input icmpv6 type { nd-neighbor-solicit, "
	"nd-neighbor-advert, nd-router-advert } ip6 hoplimit 255 accept\n"
	"add rule inet " ISOLATE_TABLE " output icmpv6 type { nd-neighbor-solicit, "
	"nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } "
	"accept\n";

/* Run an nft command; the output in *ret_out when wanted (freed by the caller). */
static int nft_run(const char *cmd, char **ret_out)
{
	struct nft_ctx *ctx __attribute__((cleanup(nft_ctx_freep))) = NULL;
	char msg[512];
	const char *err;
	int r;

	pthread_once(&nft_once, nft_load);
	if (!nft.ctx_new)
		return log_errno(-ENOPKG, "respond: cannot load libnftables (%s)", nft.error);
	ctx = nft.ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	if (nft.buffer_output(ctx) < 0 || nft.buffer_error(ctx) < 0)
		return -ENOMEM;
	errno = 0;
	r = nft.run_cmd_from_buffer(ctx, cmd);
	if (r != 0) {
		r = errno > 0 ? -errno : -EIO;
		err = nft.get_error_buffer(ctx);
		escape_printable(err ? err : "", err ? strlen(err) : 0, msg, sizeof(msg));
		return log_errno(r, "respond: nftables refused the isolation table (%s)", msg);
	}
	if (ret_out) {
		*ret_out = strdup(nft.get_output_buffer(ctx) ?: "");
		if (!*ret_out)
			return -ENOMEM;
	}
	return 0;
}

int respond_isolate(const char *const *allow, size_t n_allow)
{
	_cleanup_free_ char *cmd = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (n_allow > ISOLATE_MAX_ALLOW)
		return -E2BIG;
	f = open_memstream(&cmd, &len);
	if (!f)
		return -ENOMEM;
	fputs(rules_base, f);
	for (size_t i = 0; i < n_allow; i++) {
		struct allow_addr a;
		char e[64];

		r = allow_parse(allow[i], &a);
		if (r < 0) {
			fclose(f);
			escape_printable(allow[i], strlen(allow[i]), e, sizeof(e));
			log_error("respond: '%s' is not IP, IP:PORT or [IPv6]:PORT", e);
			return r;
		}
		rules_allow(f, &a);
	}
	if (fclose(f) != 0)
		return -ENOMEM;

	r = nft_run(cmd, NULL);
	if (r >= 0)
		log_info("respond: network isolated, %zu addresses allowed", n_allow);
	return r;
}

int respond_isolate_lift(void)
{
	int r;

	/* add first: deleting a table that is not there would fail the transaction */
	r = nft_run("add table inet " ISOLATE_TABLE "\n"
		    "delete table inet " ISOLATE_TABLE "\n",
		    NULL);
	if (r >= 0)
		log_info("respond: network isolation lifted");
	return r;
}

int respond_isolated(void)
{
	static const char want[] = "table inet " ISOLATE_TABLE;
	_cleanup_free_ char *out = NULL;
	int r;

	r = nft_run("list tables inet\n", &out);
	if (r < 0)
		return r;
	for (const char *p = out; *p;) {
		const char *nl = strchrnul(p, '\n');

		if ((size_t)(nl - p) == strlen(want) && memcmp(p, want, nl - p) == 0)
			return 1;
		p = *nl ? nl + 1 : nl;
	}
	return 0;
}

int isolation_state_save(const char *state_dir, bool on, int64_t until)
{
	_cleanup_close_ int dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char text[128];
	int n;

	if (dirfd < 0)
		return neg_errno();
	n = snprintf(text, sizeof(text), "{\"isolated\": %s, \"until\": %" PRId64 "}\n",
		     on ? "true" : "false", on ? until : 0);
	return file_replace_at(dirfd, "isolation.json", text, (size_t)n, 0600);
}

int isolation_state_load(const char *state_dir, bool *ret_on, int64_t *ret_until)
{
	_cleanup_close_ int dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct json_object *o, *on, *until;
	size_t len;
	int r;

	*ret_on = false;
	*ret_until = 0;
	if (dirfd < 0)
		return neg_errno();
	fd = openat(dirfd, "isolation.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : neg_errno();
	r = fd_read_all(fd, 4096, &buf, &len);
	if (r < 0)
		return r;
	o = json_tokener_parse(buf);
	if (!o || !json_object_object_get_ex(o, "isolated", &on) ||
	    !json_object_is_type(on, json_type_boolean) ||
	    !json_object_object_get_ex(o, "until", &until) ||
	    !json_object_is_type(until, json_type_int)) {
		json_object_put(o);
		return -EBADMSG;
	}
	*ret_on = json_object_get_boolean(on);
	*ret_until = *ret_on ? json_object_get_int64(until) : 0;
	json_object_put(o);
	return 0;
}
