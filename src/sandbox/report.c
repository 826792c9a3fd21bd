/* SPDX-License-Identifier: MIT */
/*
 * The report keeps what the sample did in three shapes: the timeline (one serialized JSON
 * object per event, because 100000 json-c objects would cost ~150 MB and serialized text
 * ~20 MB), the derived views (process tree, network, dropped files) as json-c objects,
 * and a few dozen pre-escaped lines for the terminal summary. Times are stored as
 * CLOCK_MONOTONIC ns and turned into ms since start only when the report is written,
 * because the supervisor may learn the start after the first events arrive.
 */
#include "report.h"

#include "escape.h"
#include "fileio.h"
#include "macros.h"
#include "objtype.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define REPORT_SCHEMA_VERSION 1
#define REPORT_EVENTS_MAX     100000
#define REPORT_PROCS_MAX      4096
#define REPORT_EXECS_MAX      64
#define REPORT_LIST_MAX       10000
#define REPORT_NOTES_MAX      40
#define REPORT_OUTPUT_MAX     (1024 * 1024)
#define REPORT_DROP_FILE_MAX  (64ull * 1024 * 1024)
#define REPORT_DROP_TOTAL_MAX (512ull * 1024 * 1024)
#define REPORT_TREE_DEPTH_MAX 32
#define REPORT_JSON_FLAGS     (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A derived entry whose "t_ms" is filled in when the report is written. */
struct report_timed {
	uint64_t time_ns;
	json_object *obj;
};

struct report_list {
	struct report_timed *v;
	size_t n, cap;
	uint64_t over; /* entries refused because the list was full */
};

struct report_event {
	uint64_t time_ns;
	char *body; /* serialized JSON object without "t_ms" */
};

struct report_proc {
	int32_t pid, ppid;
	ssize_t parent; /* index into report.procs, always lower than our own, or -1 */
	uint64_t start_ns, end_ns;
	bool ended;
	int status;
	json_object *exe;  /* string of the last exec, or NULL */
	json_object *argv; /* array of the last exec */
	struct report_list execs;
};

struct report_note {
	uint64_t time_ns;
	char line[320]; /* already escaped for a terminal */
};

struct report {
	json_object *object;
	char sha256[65];
	uint64_t start_real_ns, end_real_ns, start_mono_ns;
	char outcome[16];
	int main_status;
	json_object *output;
	bool output_truncated;
	uint64_t events_lost;
	bool events_truncated;
	char *limit_hit;

	struct report_event *events;
	size_t n_events, cap_events;
	uint64_t events_over;

	struct report_proc *procs;
	size_t n_procs, cap_procs;
	uint64_t procs_over;

	struct report_list dns, conns, http, tls, udp;

	json_object *dropped;
	uint64_t dropped_over, saved_bytes;
	unsigned tmp_counter;

	struct report_note notes[REPORT_NOTES_MAX];
	size_t n_notes;
	uint64_t notes_over;

	json_object *verdict; /* NULL: no engine has ruled */
	char result[16];
};

/* ---- strings from the sample ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (overlongs, surrogates, > U+10FFFF refused), or 0. */
static size_t report_utf8_seq(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp, min;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f, min = 0x80;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f, min = 0x800;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;

	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * A JSON string of arbitrary bytes: valid UTF-8 passes, each invalid byte becomes U+FFFD,
 * json-c escapes control characters and NUL. The result is always valid UTF-8 JSON.
 */
static json_object *report_jstr(const char *s, size_t len)
{
	_cleanup_free_ char *buf = NULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (len > INT32_MAX / 3)
		len = INT32_MAX / 3;
	buf = malloc(len * 3 + 1);
	if (!buf)
		return NULL;

	for (size_t i = 0; i < len;) {
		size_t n = report_utf8_seq(p + i, len - i);

		if (n == 0) {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(buf + o, p + i, n);
		o += n;
		i += n;
	}
	return json_object_new_string_len(buf, (int)o);
}

/* A NUL-terminated field of at most cap bytes (the fixed arrays of struct event). */
static json_object *report_jfield(const char *s, size_t cap)
{
	return report_jstr(s, strnlen(s, cap));
}

static json_object *report_jcstr(const char *s)
{
	return s ? report_jstr(s, strlen(s)) : NULL;
}

/* snprintf for text that may be cut short on purpose: summary lines have a width. */
__attribute__((format(printf, 3, 4))) static void report_fmt(char *buf, size_t sz, const char *fmt,
                                                             ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

/* Terminal-safe text of a JSON string value (already valid UTF-8, maybe not printable). */
static const char *report_esc(json_object *o, char *buf, size_t sz)
{
	const char *s = json_object_get_string(o);

	if (!o || !s) {
		snprintf(buf, sz, "-");
		return buf;
	}
	/* Strings may hold NUL (json-c keeps their length); numbers only have their text. */
	escape_printable(s,
	                 json_object_is_type(o, json_type_string)
	                         ? (size_t)json_object_get_string_len(o)
	                         : strlen(s),
	                 buf, sz);
	return buf;
}

static const char *report_esc_key(json_object *o, const char *key, char *buf, size_t sz)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return report_esc(v, buf, sz);
}

/* NUL-separated strings (argv, env) as a JSON array; a trailing NUL ends the last one. */
static json_object *report_jstrv(const char *data, uint32_t len)
{
	json_object *a = json_object_new_array();
	size_t n = MIN((size_t)len, (size_t)EV_DATA_MAX);

	for (size_t i = 0; a && i < n;) {
		size_t l = strnlen(data + i, n - i);

		json_object_array_add(a, report_jstr(data + i, l));
		i += l + 1;
	}
	return a;
}

static json_object *report_octal(uint64_t mode)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0%03llo", (unsigned long long)(mode & 07777));
	return json_object_new_string(buf);
}

static json_object *report_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

/* ---- small containers ------------------------------------------------------------------ */

static int report_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	p = reallocarray(*v, ncap, elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

static int report_list_add(struct report_list *l, size_t max, uint64_t time_ns, json_object *obj)
{
	int r;

	if (!obj)
		return -ENOMEM;
	if (l->n >= max) {
		l->over++;
		json_object_put(obj);
		return 0;
	}
	r = report_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v));
	if (r < 0) {
		json_object_put(obj);
		return r;
	}
	l->v[l->n++] = (struct report_timed){.time_ns = time_ns, .obj = obj};
	return 0;
}

static void report_list_free(struct report_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_object_put(l->v[i].obj);
	free(l->v);
}

/* ---- life cycle and simple setters ----------------------------------------------------- */

int report_new(struct report **ret)
{
	struct report *r = calloc(1, sizeof(*r));

	*ret = NULL;
	if (!r)
		return -ENOMEM;
	r->dropped = json_object_new_array();
	if (!r->dropped) {
		free(r);
		return -ENOMEM;
	}
	r->main_status = -1;
	snprintf(r->outcome, sizeof(r->outcome), "error");
	*ret = r;
	return 0;
}

void report_free(struct report *r)
{
	if (!r)
		return;

	for (size_t i = 0; i < r->n_events; i++)
		free(r->events[i].body);
	free(r->events);
	for (size_t i = 0; i < r->n_procs; i++) {
		json_object_put(r->procs[i].exe);
		json_object_put(r->procs[i].argv);
		report_list_free(&r->procs[i].execs);
	}
	free(r->procs);
	report_list_free(&r->dns);
	report_list_free(&r->conns);
	report_list_free(&r->http);
	report_list_free(&r->tls);
	report_list_free(&r->udp);
	json_object_put(r->dropped);
	json_object_put(r->object);
	json_object_put(r->output);
	json_object_put(r->verdict);
	free(r->limit_hit);
	free(r);
}

int report_set_object(struct report *r, const struct report_object *obj)
{
	const struct file_hashes *h = &obj->hashes;
	json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "name", report_jcstr(obj->name));
	json_object_object_add(o, "size", json_object_new_uint64(h->size));
	json_object_object_add(o, "type", report_jcstr(obj->type));
	json_object_object_add(o, "mime", report_jcstr(obj->mime));
	json_object_object_add(o, "sha256", json_object_new_string(h->sha256));
	json_object_object_add(o, "sha1", json_object_new_string(h->sha1));
	json_object_object_add(o, "md5", json_object_new_string(h->md5));

	json_object_put(r->object);
	r->object = o;
	snprintf(r->sha256, sizeof(r->sha256), "%s", h->sha256);
	return 0;
}

void report_set_times(struct report *r, uint64_t start_real_ns, uint64_t end_real_ns,
                      uint64_t start_mono_ns)
{
	r->start_real_ns = start_real_ns;
	r->end_real_ns = end_real_ns;
	r->start_mono_ns = start_mono_ns;
}

void report_set_outcome(struct report *r, const char *outcome, int main_status)
{
	static const char *const known[] = {"exited", "timeout", "error", "not_run"};
	const char *o = "error";

	/* The schema promises one of these words; anything else is the supervisor's error. */
	for (size_t i = 0; outcome && i < ARRAY_SIZE(known); i++)
		if (strcmp(outcome, known[i]) == 0)
			o = known[i];
	snprintf(r->outcome, sizeof(r->outcome), "%s", o);
	r->main_status = main_status;
}

int report_set_output(struct report *r, const char *buf, size_t len, bool truncated)
{
	json_object *o;

	if (len > REPORT_OUTPUT_MAX) {
		len = REPORT_OUTPUT_MAX;
		truncated = true;
	}
	o = report_jstr(buf ? buf : "", buf ? len : 0);
	if (!o)
		return -ENOMEM;
	json_object_put(r->output);
	r->output = o;
	r->output_truncated = truncated;
	return 0;
}

void report_set_limits(struct report *r, uint64_t events_lost, bool events_truncated,
                       const char *limit_hit)
{
	r->events_lost = events_lost;
	r->events_truncated = events_truncated;
	free(r->limit_hit);
	r->limit_hit = limit_hit ? strdup(limit_hit) : NULL;
}

void report_set_no_verdict(struct report *r)
{
	/*
	 * Nothing to record: without a detection engine the verdict is always "none", and
	 * the writer has no other branch, so a report cannot say "clean" by omission.
	 */
}

static json_object *report_str(const char *s)
{
	return s ? report_jstr(s, strlen(s)) : NULL;
}

static json_object *report_strings_json(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, report_str(v[i]));
	return a;
}

static json_object *report_detection_json(const struct report_detection *d)
{
	json_object *o = json_object_new_object(), *ev = json_object_new_array();

	json_object_object_add(o, "id", report_str(d->id));
	json_object_object_add(o, "title", report_str(d->title));
	json_object_object_add(o, "severity", report_str(d->severity));
	json_object_object_add(o, "kind", report_str(d->kind));
	json_object_object_add(o, "techniques", report_strings_json(d->techniques, d->n_techniques));
	for (size_t i = 0; i < d->n_evidence; i++)
		json_object_array_add(ev, json_object_new_int64((int64_t)d->evidence[i]));
	json_object_object_add(o, "evidence", ev);
	json_object_object_add(o, "count", json_object_new_int64((int64_t)d->count));
	return o;
}

int report_set_verdict(struct report *r, const struct report_verdict *v)
{
	json_object *o = json_object_new_object(), *dets = json_object_new_array();

	if (!o || !dets)
		return -ENOMEM;
	json_object_object_add(o, "computed", json_object_new_boolean(1));
	json_object_object_add(o, "result", report_str(v->result));
	json_object_object_add(o, "score", json_object_new_int(v->score));
	json_object_object_add(o, "threat", v->threat ? report_str(v->threat) : NULL);
	json_object_object_add(o, "techniques", report_strings_json(v->techniques, v->n_techniques));
	for (size_t i = 0; i < v->n_detections; i++)
		json_object_array_add(dets, report_detection_json(&v->detections[i]));
	json_object_object_add(o, "detections", dets);
	json_object_object_add(o, "rules_version", report_str(v->rules_version));
	json_object_object_add(o, "detection_us", json_object_new_uint64(v->detection_us));

	json_object_put(r->verdict);
	r->verdict = o;
	snprintf(r->result, sizeof(r->result), "%s", v->result);
	return 0;
}

const char *report_result(const struct report *r)
{
	return r->verdict ? r->result : "none";
}

const char *report_sha256(const struct report *r)
{
	return r->sha256;
}

/* ---- one event as JSON ----------------------------------------------------------------- */

struct report_addr {
	char family[16];
	char address[128];
	size_t address_len;
	int port; /* -1 when the family has none */
};

static const struct {
	int af;
	const char *name;
} report_families[] = {
        {AF_UNIX, "unix"},       {AF_INET, "inet"},     {AF_INET6, "inet6"},
        {AF_NETLINK, "netlink"}, {AF_PACKET, "packet"},
};

static void report_family_name(uint64_t af, char *buf, size_t sz)
{
	for (size_t i = 0; i < ARRAY_SIZE(report_families); i++)
		if ((uint64_t)report_families[i].af == af) {
			snprintf(buf, sz, "%s", report_families[i].name);
			return;
		}
	snprintf(buf, sz, "af_%llu", (unsigned long long)af);
}

static void report_addr_inet(const char *data, size_t len, struct report_addr *a)
{
	struct sockaddr_in sin = {0};

	memcpy(&sin, data, MIN(len, sizeof(sin)));
	inet_ntop(AF_INET, &sin.sin_addr, a->address, sizeof(a->address));
	a->address_len = strlen(a->address);
	a->port = ntohs(sin.sin_port);
}

static void report_addr_inet6(const char *data, size_t len, struct report_addr *a)
{
	struct sockaddr_in6 sin6 = {0};

	memcpy(&sin6, data, MIN(len, sizeof(sin6)));
	inet_ntop(AF_INET6, &sin6.sin6_addr, a->address, sizeof(a->address));
	a->address_len = strlen(a->address);
	a->port = ntohs(sin6.sin6_port);
}

/* Path sockets end at the first NUL; abstract ones start with NUL and are shown as "@name". */
static void report_addr_unix(const char *data, size_t len, struct report_addr *a)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);
	const char *p = data + off;
	size_t n = MIN(len - off, sizeof(a->address) - 1);

	if (p[0] != '\0') {
		a->address_len = strnlen(p, n);
		memcpy(a->address, p, a->address_len);
		return;
	}
	while (n > 1 && p[n - 1] == '\0')
		n--;
	a->address[0] = '@';
	memcpy(a->address + 1, p + 1, n - 1);
	a->address_len = n;
}

/* data holds the sockaddr as the guest passed it; its length decides what can be read. */
static void report_addr_decode(const struct event *ev, struct report_addr *a)
{
	size_t len = MIN((size_t)ev->data_len, (size_t)EV_DATA_MAX);
	sa_family_t af = (sa_family_t)ev->arg0;

	memset(a, 0, sizeof(*a));
	a->port = -1;
	if (len >= sizeof(af))
		memcpy(&af, ev->data, sizeof(af));
	report_family_name(af, a->family, sizeof(a->family));

	if (af == AF_INET && len >= offsetof(struct sockaddr_in, sin_zero))
		report_addr_inet(ev->data, len, a);
	else if (af == AF_INET6 && len >= offsetof(struct sockaddr_in6, sin6_scope_id))
		report_addr_inet6(ev->data, len, a);
	else if (af == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path))
		report_addr_unix(ev->data, len, a);
}

static void report_addr_json(json_object *o, const struct event *ev)
{
	struct report_addr a;

	report_addr_decode(ev, &a);
	json_object_object_add(o, "family", json_object_new_string(a.family));
	if (a.address_len)
		json_object_object_add(o, "address", report_jstr(a.address, a.address_len));
	if (a.port >= 0)
		json_object_object_add(o, "port", json_object_new_int(a.port));
}

static const char *report_socktype_name(uint64_t type)
{
	static const char *const names[] = {
	        [SOCK_STREAM] = "stream", [SOCK_DGRAM] = "dgram",         [SOCK_RAW] = "raw",
	        [SOCK_RDM] = "rdm",       [SOCK_SEQPACKET] = "seqpacket",
	};
	/* The creation flags share the field with the type. */
	uint64_t t = type & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC);

	return t < ARRAY_SIZE(names) && names[t] ? names[t] : "other";
}

static void report_status_json(json_object *o, int status)
{
	if (WIFSIGNALED(status)) {
		json_object_object_add(o, "signal", json_object_new_int(WTERMSIG(status)));
		if (WCOREDUMP(status))
			json_object_object_add(o, "core_dumped", json_object_new_boolean(1));
		return;
	}
	json_object_object_add(o, "exit_code", json_object_new_int(WEXITSTATUS(status)));
}

static void report_extra_exec(json_object *o, const struct event *ev)
{
	json_object_object_add(o, "argv", report_jstrv(ev->data, ev->data_len));
	if (ev->data2_len)
		json_object_object_add(o, "env", report_jstrv(ev->data2, ev->data2_len));
}

static void report_extra_exit(json_object *o, const struct event *ev)
{
	report_status_json(o, (int)ev->arg0);
}

static void report_extra_open(json_object *o, const struct event *ev)
{
	static const char *const access[] = {"read", "write", "read_write", "invalid"};

	json_object_object_add(o, "access", json_object_new_string(access[ev->arg0 & O_ACCMODE]));
}

static void report_extra_socket(json_object *o, const struct event *ev)
{
	char family[16];

	report_family_name(ev->arg0, family, sizeof(family));
	json_object_object_add(o, "family", json_object_new_string(family));
	json_object_object_add(o, "socktype",
	                       json_object_new_string(report_socktype_name(ev->arg1)));
}

static const char *report_protocol_of(uint64_t socktype)
{
	const char *t = report_socktype_name(socktype);

	if (strcmp(t, "stream") == 0)
		return "tcp";
	if (strcmp(t, "dgram") == 0)
		return "udp";
	return t;
}

static void report_extra_connect(json_object *o, const struct event *ev)
{
	const char *family = json_object_get_string(json_object_object_get(o, "family"));
	bool inet = family && strncmp(family, "inet", 4) == 0;
	const char *type = report_socktype_name(ev->arg2);

	/* "tcp" and "udp" only name IP traffic; a unix stream socket is just a stream. */
	json_object_object_add(o, "socktype", json_object_new_string(type));
	json_object_object_add(o, "protocol",
	                       json_object_new_string(inet ? report_protocol_of(ev->arg2) : type));
}

static void report_extra_tcp(json_object *o, const struct event *ev)
{
	json_object_object_add(o, "protocol", json_object_new_string("tcp"));
}

static void report_extra_mem(json_object *o, const struct event *ev)
{
	static const char *const via[] = {"other", "mmap", "mprotect"};

	json_object_object_add(o, "via", json_object_new_string(via[ev->arg1 < 3 ? ev->arg1 : 0]));
}

static const struct {
	uint16_t qtype;
	const char *name;
} report_qtypes[] = {
        {1, "A"},   {2, "NS"},   {5, "CNAME"}, {6, "SOA"},  {12, "PTR"},
        {15, "MX"}, {16, "TXT"}, {28, "AAAA"}, {33, "SRV"}, {255, "ANY"},
};

static void report_extra_dns(json_object *o, const struct event *ev)
{
	const char *name = "other";
	struct in_addr in = {.s_addr = htonl((uint32_t)ev->arg1)};
	char buf[INET_ADDRSTRLEN];

	for (size_t i = 0; i < ARRAY_SIZE(report_qtypes); i++)
		if (report_qtypes[i].qtype == ev->arg0)
			name = report_qtypes[i].name;
	json_object_object_add(o, "qtype_name", json_object_new_string(name));

	if (ev->arg1 == 0) {
		json_object_object_add(o, "answer", NULL);
		return;
	}
	inet_ntop(AF_INET, &in, buf, sizeof(buf));
	json_object_object_add(o, "answer", json_object_new_string(buf));
}

/* path2 is "METHOD SP path"; a request line without a space is all method. */
static void report_extra_http(json_object *o, const struct event *ev)
{
	size_t len = strnlen(ev->path2, EV_PATH_MAX);
	const char *sp = memchr(ev->path2, ' ', len);
	size_t mlen = sp ? (size_t)(sp - ev->path2) : len;

	json_object_object_add(o, "method", report_jstr(ev->path2, mlen));
	json_object_object_add(o, "path", sp ? report_jstr(sp + 1, len - mlen - 1) : NULL);
	json_object_object_add(
	        o, "user_agent",
	        report_jstr(ev->data, strnlen(ev->data, MIN(ev->data_len, EV_DATA_MAX))));
}

enum report_fmt { FMT_U = 1, FMT_I, FMT_OCT, FMT_HEX, FMT_BOOL };

struct report_arg {
	const char *key;
	uint8_t arg; /* 0, 1 or 2: which of arg0..arg2 */
	uint8_t fmt;
};

/* How each event type's fields become JSON keys; docs/report-schema.md mirrors this table. */
struct report_layout {
	const char *path_key, *path2_key;
	bool sockaddr;
	struct report_arg args[3];
	void (*extra)(json_object *o, const struct event *ev);
};

static const struct report_layout report_layouts[EV_TYPE_MAX] = {
        [EV_PROC_FORK] = {.args = {{"clone_flags", 0, FMT_HEX}}},
        [EV_PROC_EXEC] = {.path_key = "path", .extra = report_extra_exec},
        [EV_PROC_EXIT] = {.extra = report_extra_exit},
        [EV_FILE_OPEN] = {.path_key = "path",
                          .args = {{"flags", 0, FMT_HEX}, {"created", 1, FMT_BOOL}},
                          .extra = report_extra_open},
        [EV_FILE_WRITE] = {.path_key = "path"},
        [EV_FILE_RENAME] = {.path_key = "path", .path2_key = "path2"},
        [EV_FILE_UNLINK] = {.path_key = "path", .args = {{"rmdir", 0, FMT_BOOL}}},
        [EV_FILE_CHMOD] = {.path_key = "path", .args = {{"mode", 0, FMT_OCT}}},
        [EV_FILE_CHOWN] = {.path_key = "path",
                           .args = {{"owner_uid", 0, FMT_I}, {"owner_gid", 1, FMT_I}}},
        [EV_FILE_LINK] = {.path_key = "path", .path2_key = "path2"},
        [EV_FILE_SYMLINK] = {.path_key = "path", .path2_key = "path2"},
        [EV_FILE_TRUNCATE] = {.path_key = "path"},
        [EV_FILE_MKDIR] = {.path_key = "path", .args = {{"mode", 0, FMT_OCT}}},
        [EV_MEM_EXEC] = {.path_key = "path",
                         .args = {{"prot", 0, FMT_HEX}},
                         .extra = report_extra_mem},
        [EV_MEMFD_CREATE] = {.path_key = "name", .args = {{"flags", 0, FMT_HEX}}},
        [EV_NET_SOCKET] = {.args = {{"protocol", 2, FMT_U}}, .extra = report_extra_socket},
        [EV_NET_CONNECT] = {.sockaddr = true, .extra = report_extra_connect},
        [EV_NET_BIND] = {.sockaddr = true},
        [EV_NET_LISTEN] = {.sockaddr = true, .args = {{"backlog", 1, FMT_I}}},
        [EV_NET_ACCEPT] = {.sockaddr = true},
        [EV_NET_SENDTO] = {.sockaddr = true},
        [EV_FD_DUP] = {.args = {{"old_fd", 0, FMT_I},
                                {"new_fd", 1, FMT_I},
                                {"socket", 2, FMT_BOOL}}},
        [EV_PRIV_SETUID] = {.args = {{"ruid", 0, FMT_I}, {"euid", 1, FMT_I}}},
        [EV_PRIV_SETGID] = {.args = {{"rgid", 0, FMT_I}, {"egid", 1, FMT_I}}},
        [EV_PRIV_CAPSET] = {.args = {{"effective", 0, FMT_HEX}, {"permitted", 1, FMT_HEX}}},
        [EV_PTRACE] = {.args = {{"request", 0, FMT_U}, {"target_pid", 1, FMT_I}}},
        [EV_PROC_VM_WRITE] = {.args = {{"target_pid", 1, FMT_I}}},
        [EV_PROC_VM_READ] = {.args = {{"target_pid", 1, FMT_I}}},
        [EV_FILE_UTIMES] = {.path_key = "path", .args = {{"mtime", 0, FMT_I}}},
        [EV_FILE_XATTR] = {.path_key = "path", .path2_key = "name"},
        [EV_SIGNAL] = {.args = {{"signal", 0, FMT_I}, {"target_pid", 1, FMT_I}}},
        [EV_KMOD_LOAD] = {.args = {{"syscall", 0, FMT_U}}},
        [EV_BPF] = {.args = {{"command", 0, FMT_U}}},
        [EV_NAMESPACE] = {.args = {{"syscall", 0, FMT_U}, {"flags", 1, FMT_HEX}}},
        [EV_MOUNT] = {.path_key = "path", .args = {{"syscall", 0, FMT_U}}},
        [EV_SYSCALL_DENIED] = {.args = {{"syscall", 0, FMT_U}}},
        [EV_DNS_QUERY] = {.path_key = "name",
                          .args = {{"qtype", 0, FMT_U}},
                          .extra = report_extra_dns},
        [EV_TCP_SESSION] = {.path_key = "first_bytes", .sockaddr = true, .extra = report_extra_tcp},
        [EV_HTTP_REQUEST] = {.path_key = "host", .extra = report_extra_http},
        [EV_TLS_HELLO] = {.path_key = "sni"},
        [EV_UDP_DATAGRAM] = {.sockaddr = true, .args = {{"length", 0, FMT_U}}},
};

static json_object *report_arg_json(uint64_t v, uint8_t fmt)
{
	switch (fmt) {
	case FMT_I:
		return json_object_new_int((int32_t)v);
	case FMT_OCT:
		return report_octal(v);
	case FMT_HEX:
		return report_hex(v);
	case FMT_BOOL:
		return json_object_new_boolean(v != 0);
	default:
		return json_object_new_uint64(v);
	}
}

static void report_layout_apply(json_object *o, const struct event *ev,
                                const struct report_layout *l)
{
	const uint64_t args[3] = {ev->arg0, ev->arg1, ev->arg2};

	if (l->path_key && ev->path[0])
		json_object_object_add(o, l->path_key, report_jfield(ev->path, EV_PATH_MAX));
	if (l->path2_key && ev->path2[0])
		json_object_object_add(o, l->path2_key, report_jfield(ev->path2, EV_PATH_MAX));
	if (l->sockaddr)
		report_addr_json(o, ev);
	for (size_t i = 0; i < ARRAY_SIZE(l->args) && l->args[i].key; i++)
		json_object_object_add(o, l->args[i].key,
		                       report_arg_json(args[l->args[i].arg], l->args[i].fmt));
	if (l->extra)
		l->extra(o, ev);
}

static json_object *report_event_json(const struct event *ev)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "type", json_object_new_string(event_type_name(ev->type)));
	json_object_object_add(o, "pid", json_object_new_int(ev->pid));
	json_object_object_add(o, "ppid", json_object_new_int(ev->ppid));
	json_object_object_add(o, "uid", json_object_new_uint64(ev->uid));
	json_object_object_add(o, "comm", report_jfield(ev->comm, EV_COMM_LEN));
	json_object_object_add(o, "ret", json_object_new_int64(ev->ret));
	if (ev->type < EV_TYPE_MAX)
		report_layout_apply(o, ev, &report_layouts[ev->type]);
	return o;
}

/* ---- derived views --------------------------------------------------------------------- */

/* The newest node wins: pids are reused, and an event belongs to the live holder. */
static ssize_t report_proc_find(const struct report *r, int32_t pid)
{
	for (size_t i = r->n_procs; i-- > 0;)
		if (r->procs[i].pid == pid)
			return (ssize_t)i;
	return -1;
}

static struct report_proc *report_proc_new(struct report *r, const struct event *ev)
{
	struct report_proc *p;

	if (r->n_procs >= REPORT_PROCS_MAX) {
		r->procs_over++;
		return NULL;
	}
	if (report_grow((void **)&r->procs, &r->cap_procs, r->n_procs, sizeof(*r->procs)) < 0)
		return NULL;

	p = &r->procs[r->n_procs];
	*p = (struct report_proc){
	        .pid = ev->pid,
	        .ppid = ev->ppid,
	        .parent = report_proc_find(r, ev->ppid),
	        .start_ns = ev->time_ns,
	};
	r->n_procs++;
	return p;
}

/* Takes a reference to a value of the event object so both can be freed independently. */
static json_object *report_jref(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return json_object_get(v);
}

static int report_proc_exec(struct report *r, const struct event *ev, json_object *evo)
{
	ssize_t i = report_proc_find(r, ev->pid);
	struct report_proc *p = i >= 0 && !r->procs[i].ended ? &r->procs[i] : NULL;
	json_object *e;

	if (!p)
		p = report_proc_new(r, ev);
	if (!p)
		return r->procs_over ? 0 : -ENOMEM;

	json_object_put(p->exe);
	json_object_put(p->argv);
	p->exe = report_jref(evo, "path");
	p->argv = report_jref(evo, "argv");

	e = json_object_new_object();
	if (!e)
		return -ENOMEM;
	json_object_object_add(e, "path", json_object_get(p->exe));
	json_object_object_add(e, "argv", json_object_get(p->argv));
	return report_list_add(&p->execs, REPORT_EXECS_MAX, ev->time_ns, e);
}

static int report_track_process(struct report *r, const struct event *ev, json_object *evo)
{
	ssize_t i;

	switch (ev->type) {
	case EV_PROC_FORK:
		/* A new thread is not a new process; the tree is about programs. */
		if (ev->arg0 & CLONE_THREAD)
			return 0;
		return report_proc_new(r, ev) || r->procs_over ? 0 : -ENOMEM;
	case EV_PROC_EXEC:
		return report_proc_exec(r, ev, evo);
	case EV_PROC_EXIT:
		i = report_proc_find(r, ev->pid);
		if (i >= 0 && !r->procs[i].ended) {
			r->procs[i].ended = true;
			r->procs[i].end_ns = ev->time_ns;
			r->procs[i].status = (int)ev->arg0;
		}
		return 0;
	default:
		return 0;
	}
}

/* Which event types feed which network list, and which keys of the event they keep. */
static const struct {
	uint32_t type;
	size_t list;
	const char *source;
	const char *keys[6];
} report_views[] = {
        {EV_DNS_QUERY,
         offsetof(struct report, dns),
         NULL,
         {"pid", "name", "qtype", "qtype_name", "answer"}},
        {EV_NET_CONNECT,
         offsetof(struct report, conns),
         "connect",
         {"pid", "family", "address", "port", "protocol"}},
        {EV_TCP_SESSION,
         offsetof(struct report, conns),
         "netsim",
         {"pid", "family", "address", "port", "protocol", "first_bytes"}},
        {EV_HTTP_REQUEST,
         offsetof(struct report, http),
         NULL,
         {"method", "host", "path", "user_agent"}},
        {EV_TLS_HELLO, offsetof(struct report, tls), NULL, {"sni"}},
        {EV_UDP_DATAGRAM,
         offsetof(struct report, udp),
         NULL,
         {"pid", "family", "address", "port", "length"}},
};

static int report_track_network(struct report *r, const struct event *ev, json_object *evo)
{
	for (size_t i = 0; i < ARRAY_SIZE(report_views); i++) {
		struct report_list *l = (void *)((char *)r + report_views[i].list);
		json_object *o;

		if (report_views[i].type != ev->type)
			continue;
		o = json_object_new_object();
		if (!o)
			return -ENOMEM;
		for (size_t k = 0; k < ARRAY_SIZE(report_views[i].keys) && report_views[i].keys[k];
		     k++)
			if (json_object_object_get_ex(evo, report_views[i].keys[k], NULL))
				json_object_object_add(o, report_views[i].keys[k],
				                       report_jref(evo, report_views[i].keys[k]));
		if (report_views[i].source)
			json_object_object_add(o, "source",
			                       json_object_new_string(report_views[i].source));
		return report_list_add(l, REPORT_LIST_MAX, ev->time_ns, o);
	}
	return 0;
}

/*
 * Plain reads of the system image are what every program does, and forks, exits and
 * plain descriptor shuffles are in the process tree already: they drown the summary.
 */
static bool report_is_routine(const struct event *ev)
{
	if (ev->type == EV_PROC_FORK || ev->type == EV_PROC_EXIT || ev->type == EV_NET_SOCKET)
		return true;
	if (ev->type == EV_FD_DUP && ev->arg2 == 0)
		return true;
	static const char *const prefixes[] = {
	        "/usr/", "/lib/", "/lib64/", "/etc/ld.so", "/etc/nsswitch.conf", "/etc/locale",
	        "/etc/localtime", "/etc/host", "/etc/resolv.conf", "/etc/gai.conf", "/proc/", "/sys/",
	        "/dev/", "/bin/", "/sbin/",
	};

	if (ev->type != EV_FILE_OPEN || (ev->arg0 & O_ACCMODE) != O_RDONLY ||
	    (ev->arg0 & (O_CREAT | O_TRUNC)) || ev->arg1)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(ev->path, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* The one thing a reader wants to see of an event: its object, address or name. */
static void report_note_detail(json_object *evo, char *out, size_t sz)
{
	static const char *const keys[] = {"host", "sni", "name", "path", "address"};
	char a[160], b[160];
	json_object *port = NULL, *v = NULL;

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(keys) && !v; i++)
		json_object_object_get_ex(evo, keys[i], &v);
	if (!v)
		return;

	report_esc(v, a, sizeof(a));
	if (json_object_object_get_ex(evo, "path2", NULL))
		report_fmt(out, sz, "%s -> %s", a, report_esc_key(evo, "path2", b, sizeof(b)));
	else if (json_object_object_get_ex(evo, "port", &port))
		report_fmt(out, sz, "%s port %d", a, json_object_get_int(port));
	else
		report_fmt(out, sz, "%s", a);
}

static void report_note_add(struct report *r, const struct event *ev, json_object *evo)
{
	struct report_note *n;
	char comm[EV_COMM_LEN * 4 + 1], detail[240];

	if (report_is_routine(ev))
		return;
	if (r->n_notes >= REPORT_NOTES_MAX) {
		r->notes_over++;
		return;
	}

	n = &r->notes[r->n_notes++];
	n->time_ns = ev->time_ns;
	escape_printable(ev->comm, strnlen(ev->comm, EV_COMM_LEN), comm, sizeof(comm));
	report_note_detail(evo, detail, sizeof(detail));
	report_fmt(n->line, sizeof(n->line), "pid %-6d %-15s %-14s %s", ev->pid, comm,
	           event_type_name(ev->type), detail);
}

static int report_timeline_add(struct report *r, const struct event *ev, json_object *evo)
{
	const char *s;
	char *body;

	if (r->n_events >= REPORT_EVENTS_MAX) {
		r->events_over++;
		return 0;
	}
	if (report_grow((void **)&r->events, &r->cap_events, r->n_events, sizeof(*r->events)) < 0)
		return -ENOMEM;

	s = json_object_to_json_string_ext(evo, REPORT_JSON_FLAGS);
	body = s ? strdup(s) : NULL;
	if (!body)
		return -ENOMEM;
	r->events[r->n_events++] = (struct report_event){.time_ns = ev->time_ns, .body = body};
	return 0;
}

int report_add_event(struct report *r, const struct event *ev)
{
	json_object *evo = report_event_json(ev);
	int ret;

	if (!evo)
		return -ENOMEM;

	ret = report_track_process(r, ev, evo);
	if (ret >= 0)
		ret = report_track_network(r, ev, evo);
	if (ret >= 0) {
		report_note_add(r, ev, evo);
		ret = report_timeline_add(r, ev, evo);
	}
	json_object_put(evo);
	return ret;
}

/* ---- dropped files --------------------------------------------------------------------- */

static void report_drop_unsaved(json_object *o, const char *reason)
{
	json_object_object_add(o, "saved", json_object_new_boolean(0));
	json_object_object_add(o, "reason", json_object_new_string(reason));
}

static void report_drop_describe(json_object *o, int fd, const struct file_hashes *h)
{
	struct obj_type t;

	json_object_object_add(o, "size", json_object_new_uint64(h->size));
	json_object_object_add(o, "sha256", json_object_new_string(h->sha256));
	json_object_object_add(o, "sha1", json_object_new_string(h->sha1));
	json_object_object_add(o, "md5", json_object_new_string(h->md5));
	if (objtype_detect(fd, &t) < 0)
		return;
	json_object_object_add(o, "type", report_jcstr(t.description));
	json_object_object_add(o, "mime", report_jcstr(t.mime));
}

/* Hash and type without keeping a copy: over budget, or no directory to keep it in. */
static int report_drop_hash_only(json_object *o, int fd, const char *reason)
{
	struct file_hashes h;
	int r;

	report_drop_unsaved(o, reason);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return neg_errno();
	r = hash_fd(fd, REPORT_DROP_FILE_MAX, &h);
	if (r < 0)
		return r;
	report_drop_describe(o, fd, &h);
	return 0;
}

static int report_drop_dir_open(int save_dirfd)
{
	if (mkdirat(save_dirfd, "dropped", 0700) < 0 && errno != EEXIST)
		return neg_errno();
	/* A "dropped" that is a symlink is not ours: refuse rather than write through it. */
	return openat(save_dirfd, "dropped", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * Copy first, then hash the copy: the name is the digest of what was saved, even if the
 * source changed underneath. The copy is 0400 from creation and never executable.
 */
static int report_drop_copy(struct report *r, json_object *o, int fd, int dirfd)
{
	_cleanup_close_ int out = -1;
	struct file_hashes h;
	char tmp[64], saved_as[80];
	int ret;

	snprintf(tmp, sizeof(tmp), ".tmp-%d-%u", (int)getpid(), r->tmp_counter++);
	out = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (out < 0)
		return neg_errno();

	ret = lseek(fd, 0, SEEK_SET) < 0 ? neg_errno() : fd_copy(fd, out, REPORT_DROP_FILE_MAX);
	if (ret >= 0 && fchmod(out, 0400) < 0)
		ret = neg_errno();
	if (ret >= 0 && lseek(out, 0, SEEK_SET) < 0)
		ret = neg_errno();
	if (ret >= 0)
		ret = hash_fd(out, REPORT_DROP_FILE_MAX, &h);
	if (ret >= 0 && renameat(dirfd, tmp, dirfd, h.sha256) < 0)
		ret = neg_errno();
	if (ret < 0) {
		unlinkat(dirfd, tmp, 0);
		return ret;
	}

	report_drop_describe(o, out, &h);
	snprintf(saved_as, sizeof(saved_as), "dropped/%s", h.sha256);
	json_object_object_add(o, "saved", json_object_new_boolean(1));
	json_object_object_add(o, "saved_as", json_object_new_string(saved_as));
	r->saved_bytes += h.size;
	return 0;
}

static int report_drop_file(struct report *r, json_object *o, int fd, int save_dirfd)
{
	_cleanup_close_ int dirfd = -1;
	struct stat st;
	int ret;

	if (fd < 0) {
		report_drop_unsaved(o, "no content was captured");
		return 0;
	}
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode)) {
		report_drop_unsaved(o, "not a regular file");
		return 0;
	}
	if ((uint64_t)st.st_size > REPORT_DROP_FILE_MAX) {
		json_object_object_add(o, "size", json_object_new_uint64((uint64_t)st.st_size));
		report_drop_unsaved(o, "larger than the 64 MiB limit for one dropped file");
		return 0;
	}
	if (r->saved_bytes + (uint64_t)st.st_size > REPORT_DROP_TOTAL_MAX)
		return report_drop_hash_only(o, fd,
		                             "the 512 MiB budget for dropped files is spent");
	if (save_dirfd < 0)
		return report_drop_hash_only(o, fd, "no report directory to save into");

	dirfd = report_drop_dir_open(save_dirfd);
	if (dirfd < 0)
		ret = dirfd;
	else
		ret = report_drop_copy(r, o, fd, dirfd);
	if (ret < 0) {
		char reason[128];

		report_fmt(reason, sizeof(reason), "copying failed: %s", strerror(-ret));
		report_drop_unsaved(o, reason);
	}
	return ret;
}

static int report_drop_content(struct report *r, json_object *o, const struct report_dropped *d,
                               int save_dirfd)
{
	json_object_object_add(o, "mode", report_octal(d->mode));
	return report_drop_file(r, o, d->content_fd, save_dirfd);
}

static int report_drop_symlink(struct report *r, json_object *o, const struct report_dropped *d,
                               int save_dirfd)
{
	json_object_object_add(o, "link_target",
	                       report_jcstr(d->link_target ? d->link_target : ""));
	return 0;
}

static int report_drop_directory(struct report *r, json_object *o, const struct report_dropped *d,
                                 int save_dirfd)
{
	json_object_object_add(o, "mode", report_octal(d->mode));
	return 0;
}

static int report_drop_deleted(struct report *r, json_object *o, const struct report_dropped *d,
                               int save_dirfd)
{
	return 0;
}

static const struct {
	const char *kind;
	int (*fill)(struct report *r, json_object *o, const struct report_dropped *d,
	            int save_dirfd);
} report_drop_kinds[] = {
        {"file", report_drop_content},
        {"symlink", report_drop_symlink},
        {"directory", report_drop_directory},
        {"deleted", report_drop_deleted},
};

int report_add_dropped(struct report *r, const struct report_dropped *d, int save_dirfd,
                       char ret_sha256[65])
{
	json_object *o, *sha;
	int ret;

	if (ret_sha256)
		ret_sha256[0] = '\0';
	if (!d || !d->path || !d->kind)
		return -EINVAL;
	if (json_object_array_length(r->dropped) >= REPORT_LIST_MAX) {
		r->dropped_over++;
		return 0;
	}

	for (size_t i = 0; i < ARRAY_SIZE(report_drop_kinds); i++) {
		if (strcmp(d->kind, report_drop_kinds[i].kind) != 0)
			continue;
		o = json_object_new_object();
		if (!o)
			return -ENOMEM;
		json_object_object_add(o, "path", report_jcstr(d->path));
		json_object_object_add(o, "kind",
		                       json_object_new_string(report_drop_kinds[i].kind));
		/* The entry is kept even when saving failed: the reader must know the file existed.
		 */
		ret = report_drop_kinds[i].fill(r, o, d, save_dirfd);
		if (ret_sha256 && json_object_object_get_ex(o, "sha256", &sha))
			snprintf(ret_sha256, 65, "%s", json_object_get_string(sha));
		json_object_array_add(r->dropped, o);
		return ret;
	}
	return -EINVAL;
}

/* ---- JSON output ----------------------------------------------------------------------- */

static json_object *report_ms(const struct report *r, uint64_t t_ns)
{
	/* Signed: an event stamped before the start is shown as negative, not as 2^64. */
	return json_object_new_int64((int64_t)(t_ns - r->start_mono_ns) / 1000000);
}

static json_object *report_rfc3339(uint64_t real_ns)
{
	time_t sec = (time_t)(real_ns / 1000000000ull);
	char date[32], buf[48];
	struct tm tm;

	if (real_ns == 0 || !gmtime_r(&sec, &tm))
		return NULL;
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	report_fmt(buf, sizeof(buf), "%s.%03uZ", date,
	           (unsigned)(real_ns % 1000000000ull / 1000000ull));
	return json_object_new_string(buf);
}

static json_object *report_verdict_json(const struct report *r)
{
	json_object *o;

	if (r->verdict)
		return json_object_get(r->verdict);
	o = json_object_new_object();

	json_object_object_add(o, "computed", json_object_new_boolean(0));
	json_object_object_add(o, "result", json_object_new_string("none"));
	json_object_object_add(
	        o, "reason",
	        json_object_new_string("no detection engine has ruled on this report"));
	json_object_object_add(o, "score", NULL);
	json_object_object_add(o, "threat", NULL);
	json_object_object_add(o, "techniques", json_object_new_array());
	json_object_object_add(o, "detections", json_object_new_array());
	return o;
}

static json_object *report_omitted_json(const struct report *r)
{
	json_object *o = json_object_new_object();
	uint64_t net = r->dns.over + r->conns.over + r->http.over + r->tls.over + r->udp.over;
	uint64_t execs = 0;

	for (size_t i = 0; i < r->n_procs; i++)
		execs += r->procs[i].execs.over;
	json_object_object_add(o, "events", json_object_new_uint64(r->events_over));
	json_object_object_add(o, "processes", json_object_new_uint64(r->procs_over));
	json_object_object_add(o, "execs", json_object_new_uint64(execs));
	json_object_object_add(o, "network", json_object_new_uint64(net));
	json_object_object_add(o, "dropped", json_object_new_uint64(r->dropped_over));
	return o;
}

static json_object *report_analysis_json(const struct report *r)
{
	json_object *o = json_object_new_object();
	bool ended = r->end_real_ns >= r->start_real_ns && r->start_real_ns;
	int st = r->main_status;

	json_object_object_add(o, "start", report_rfc3339(r->start_real_ns));
	json_object_object_add(o, "end", report_rfc3339(r->end_real_ns));
	json_object_object_add(
	        o, "duration_ms",
	        ended ? json_object_new_uint64((r->end_real_ns - r->start_real_ns) / 1000000)
	              : NULL);
	json_object_object_add(o, "outcome", json_object_new_string(r->outcome));
	json_object_object_add(o, "main_exit_status", st >= 0 ? json_object_new_int(st) : NULL);
	json_object_object_add(o, "main_exit_code",
	                       st >= 0 && WIFEXITED(st) ? json_object_new_int(WEXITSTATUS(st))
	                                                : NULL);
	json_object_object_add(o, "main_signal",
	                       st >= 0 && WIFSIGNALED(st) ? json_object_new_int(WTERMSIG(st))
	                                                  : NULL);
	json_object_object_add(o, "limit_hit", report_jcstr(r->limit_hit));
	json_object_object_add(o, "events_lost", json_object_new_uint64(r->events_lost));
	json_object_object_add(o, "events_truncated",
	                       json_object_new_boolean(r->events_truncated || r->events_over));
	json_object_object_add(o, "omitted", report_omitted_json(r));
	return o;
}

static json_object *report_output_json(const struct report *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "text",
	                       r->output ? json_object_get(r->output) : json_object_new_string(""));
	json_object_object_add(o, "truncated", json_object_new_boolean(r->output_truncated));
	return o;
}

static json_object *report_list_json(const struct report *r, const struct report_list *l)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < l->n; i++) {
		json_object_object_add(l->v[i].obj, "t_ms", report_ms(r, l->v[i].time_ns));
		json_object_array_add(a, json_object_get(l->v[i].obj));
	}
	return a;
}

static json_object *report_children_json(const struct report *r, size_t idx)
{
	json_object *a = json_object_new_array();

	/* A child is always recorded after its parent, so the scan starts past it. */
	for (size_t j = idx + 1; a && j < r->n_procs; j++)
		if (r->procs[j].parent == (ssize_t)idx)
			json_object_array_add(a, json_object_new_int(r->procs[j].pid));
	return a;
}

static json_object *report_proc_json(const struct report *r, size_t idx)
{
	const struct report_proc *p = &r->procs[idx];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int(p->pid));
	json_object_object_add(o, "ppid", json_object_new_int(p->ppid));
	json_object_object_add(o, "exe", json_object_get(p->exe));
	json_object_object_add(o, "argv",
	                       p->argv ? json_object_get(p->argv) : json_object_new_array());
	json_object_object_add(o, "execs", report_list_json(r, &p->execs));
	json_object_object_add(o, "start_ms", report_ms(r, p->start_ns));
	json_object_object_add(o, "end_ms", p->ended ? report_ms(r, p->end_ns) : NULL);
	if (p->ended)
		report_status_json(o, p->status);
	json_object_object_add(o, "children", report_children_json(r, idx));
	return o;
}

static json_object *report_procs_json(const struct report *r)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < r->n_procs; i++)
		json_object_array_add(a, report_proc_json(r, i));
	return a;
}

static json_object *report_network_json(const struct report *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "dns", report_list_json(r, &r->dns));
	json_object_object_add(o, "connections", report_list_json(r, &r->conns));
	json_object_object_add(o, "http", report_list_json(r, &r->http));
	json_object_object_add(o, "tls", report_list_json(r, &r->tls));
	json_object_object_add(o, "udp", report_list_json(r, &r->udp));
	return o;
}

/* Takes ownership of v. */
static void report_write_key(FILE *out, const char *key, json_object *v)
{
	fprintf(out, ",\n\"%s\": %s", key,
	        v ? json_object_to_json_string_ext(v, REPORT_JSON_FLAGS) : "null");
	json_object_put(v);
}

/* One event per line: the timeline is the bulk of a report and stays greppable. */
static void report_write_events(const struct report *r, FILE *out)
{
	fputs(",\n\"events\": [", out);
	for (size_t i = 0; i < r->n_events; i++)
		fprintf(out, "%s\n{\"t_ms\":%lld,%s", i ? "," : "",
		        (long long)((int64_t)(r->events[i].time_ns - r->start_mono_ns) / 1000000),
		        r->events[i].body + 1);
	fputs("\n]", out);
}

int report_write_json(struct report *r, FILE *out)
{
	fprintf(out, "{\n\"schema_version\": %d", REPORT_SCHEMA_VERSION);
	report_write_key(out, "sha256", r->sha256[0] ? json_object_new_string(r->sha256) : NULL);
	report_write_key(out, "object", json_object_get(r->object));
	report_write_key(out, "analysis", report_analysis_json(r));
	report_write_key(out, "verdict", report_verdict_json(r));
	report_write_key(out, "processes", report_procs_json(r));
	report_write_events(r, out);
	report_write_key(out, "network", report_network_json(r));
	report_write_key(out, "dropped", json_object_get(r->dropped));
	report_write_key(out, "output", report_output_json(r));
	fputs("\n}\n", out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}

/* ---- readable summary ------------------------------------------------------------------ */

#define REPORT_SUMMARY_PROCS_MAX 200

static void report_print_object(const struct report *r, FILE *out)
{
	char name[1024], type[1024];

	fprintf(out, "Object:   %s\n", report_esc_key(r->object, "name", name, sizeof(name)));
	fprintf(out, "Type:     %s\n", report_esc_key(r->object, "type", type, sizeof(type)));
	fprintf(out, "SHA-256:  %s\n", r->sha256[0] ? r->sha256 : "-");
}

static void report_print_outcome(const struct report *r, FILE *out)
{
	int st = r->main_status;

	fprintf(out, "Outcome:  %s", r->outcome);
	if (st >= 0 && WIFEXITED(st))
		fprintf(out, " (exit code %d)", WEXITSTATUS(st));
	else if (st >= 0 && WIFSIGNALED(st))
		fprintf(out, " (killed by signal %d)", WTERMSIG(st));
	if (r->start_real_ns && r->end_real_ns >= r->start_real_ns)
		fprintf(out, " after %llu ms",
		        (unsigned long long)((r->end_real_ns - r->start_real_ns) / 1000000));
	fputc('\n', out);
	if (r->events_lost || r->events_truncated || r->events_over || r->limit_hit)
		fprintf(out, "Limits:   %llu events lost, %llu beyond the timeline cap%s%s\n",
		        (unsigned long long)r->events_lost, (unsigned long long)r->events_over,
		        r->limit_hit ? ", limit hit: " : "", r->limit_hit ? r->limit_hit : "");
}

/* argv joined by spaces, each word escaped; a cut line ends in "…". */
static void report_argv_text(json_object *argv, char *buf, size_t sz)
{
	size_t o = 0, n = argv ? json_object_array_length(argv) : 0;
	char word[512];

	buf[0] = '\0';
	for (size_t i = 0; i < n && o + 4 < sz; i++) {
		size_t w = escape_printable(
		        json_object_get_string(json_object_array_get_idx(argv, i)),
		        (size_t)json_object_get_string_len(json_object_array_get_idx(argv, i)),
		        word, sizeof(word));

		if (o + w + 5 >= sz) {
			snprintf(buf + o, sz - o, "%s…", i ? " " : "");
			return;
		}
		o += (size_t)snprintf(buf + o, sz - o, "%s%s", i ? " " : "", word);
	}
}

/* Kept out of the recursion so its buffers are not multiplied by the tree depth. */
__attribute__((noinline)) static void report_print_proc_line(const struct report_proc *p,
                                                             unsigned depth, FILE *out)
{
	char exe[1024], argv[400];

	report_argv_text(p->argv, argv, sizeof(argv));
	fprintf(out, "%*s[%d] %s", (int)(2 + 2 * depth), "", p->pid,
	        p->exe ? report_esc(p->exe, exe, sizeof(exe)) : "(no exec seen)");
	if (argv[0])
		fprintf(out, "  argv: %s", argv);
	if (!p->ended)
		fputs("  (still running at the end)", out);
	else if (WIFSIGNALED(p->status))
		fprintf(out, "  (killed by signal %d)", WTERMSIG(p->status));
	else
		fprintf(out, "  (exit %d)", WEXITSTATUS(p->status));
	fputc('\n', out);
}

static void report_print_subtree(const struct report *r, size_t idx, unsigned depth,
                                 size_t *printed, FILE *out)
{
	if ((*printed)++ >= REPORT_SUMMARY_PROCS_MAX)
		return;
	report_print_proc_line(&r->procs[idx], depth, out);
	for (size_t j = idx + 1; j < r->n_procs; j++)
		if (r->procs[j].parent == (ssize_t)idx)
			report_print_subtree(r, j, MIN(depth + 1, REPORT_TREE_DEPTH_MAX), printed,
			                     out);
}

static void report_print_procs(const struct report *r, FILE *out)
{
	size_t printed = 0;

	fprintf(out, "\nProcesses (%zu):\n", r->n_procs);
	for (size_t i = 0; i < r->n_procs; i++)
		if (r->procs[i].parent < 0)
			report_print_subtree(r, i, 0, &printed, out);
	if (r->n_procs > REPORT_SUMMARY_PROCS_MAX)
		fprintf(out, "  … %zu more\n", r->n_procs - REPORT_SUMMARY_PROCS_MAX);
	if (!r->n_procs)
		fputs("  none observed\n", out);
}

static void report_print_notes(const struct report *r, FILE *out)
{
	fprintf(out, "\nNotable events:\n");
	for (size_t i = 0; i < r->n_notes; i++)
		fprintf(out, "  %+8lld ms  %s\n",
		        (long long)((int64_t)(r->notes[i].time_ns - r->start_mono_ns) / 1000000),
		        r->notes[i].line);
	if (r->notes_over)
		fprintf(out, "  … %llu more\n", (unsigned long long)r->notes_over);
	if (!r->n_notes)
		fputs("  none\n", out);
}

/* One network list, each entry as "label k1 k2 k3" with values escaped. */
static void report_print_list(const struct report_list *l, const char *label,
                              const char *const keys[3], FILE *out)
{
	char v[3][300];

	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < 3; k++)
			if (keys[k])
				report_esc_key(l->v[i].obj, keys[k], v[k], sizeof(v[k]));
			else
				v[k][0] = '\0';
		fprintf(out, "  %-5s %s %s %s\n", label, v[0], v[1], v[2]);
	}
}

static void report_print_network(const struct report *r, FILE *out)
{
	static const char *const dns[3] = {"name", "qtype_name", "answer"};
	static const char *const conn[3] = {"protocol", "address", "port"};
	static const char *const http[3] = {"method", "host", "path"};
	static const char *const tls[3] = {"sni", NULL, NULL};
	static const char *const udp[3] = {"address", "port", "length"};

	fputs("\nNetwork:\n", out);
	report_print_list(&r->dns, "dns", dns, out);
	report_print_list(&r->conns, "conn", conn, out);
	report_print_list(&r->http, "http", http, out);
	report_print_list(&r->tls, "tls", tls, out);
	report_print_list(&r->udp, "udp", udp, out);
	if (!(r->dns.n + r->conns.n + r->http.n + r->tls.n + r->udp.n))
		fputs("  none\n", out);
}

static void report_print_dropped(const struct report *r, FILE *out)
{
	size_t n = json_object_array_length(r->dropped);
	char path[1024], kind[32], extra[1024], sha[80];

	fputs("\nDropped files:\n", out);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(r->dropped, i);
		bool link = json_object_object_get_ex(o, "link_target", NULL);

		report_esc_key(o, "path", path, sizeof(path));
		report_esc_key(o, "kind", kind, sizeof(kind));
		report_esc_key(o, link ? "link_target" : "type", extra, sizeof(extra));
		sha[0] = '\0';
		if (json_object_object_get_ex(o, "sha256", NULL))
			report_fmt(sha, sizeof(sha), "  sha256 %s",
			           json_object_get_string(json_object_object_get(o, "sha256")));
		fprintf(out, "  %-9s %s%s%s%s\n", kind, path, link ? " -> " : "  ", extra, sha);
	}
	if (!n)
		fputs("  none\n", out);
}

static void report_print_verdict(const struct report *r, FILE *out)
{
	json_object *v = r->verdict, *dets, *techs;
	char a[160], b[160];

	if (!v) {
		fputs("\nVerdict: none — no detection engine has ruled; this is not a clean verdict\n",
		      out);
		return;
	}
	fprintf(out, "\nVerdict: %s (score %d)", r->result,
		json_object_get_int(json_object_object_get(v, "score")));
	if (json_object_object_get(v, "threat"))
		fprintf(out, "  %s", report_esc_key(v, "threat", a, sizeof(a)));
	fputc('\n', out);

	techs = json_object_object_get(v, "techniques");
	if (json_object_array_length(techs) > 0) {
		fputs("  techniques:", out);
		for (size_t i = 0; i < json_object_array_length(techs); i++)
			fprintf(out, " %s", report_esc(json_object_array_get_idx(techs, i), a, sizeof(a)));
		fputc('\n', out);
	}
	dets = json_object_object_get(v, "detections");
	for (size_t i = 0; i < json_object_array_length(dets); i++) {
		json_object *d = json_object_array_get_idx(dets, i);

		fprintf(out, "  - %-8s %s  %s (x%lld)\n", report_esc_key(d, "severity", a, sizeof(a)),
			report_esc_key(d, "id", b, sizeof(b)),
			report_esc_key(d, "title", (char[160]){ 0 }, 160),
			(long long)json_object_get_int64(json_object_object_get(d, "count")));
	}
	fprintf(out, "  rules %s\n", report_esc_key(v, "rules_version", a, sizeof(a)));
}

int report_print_summary(struct report *r, FILE *out)
{
	report_print_object(r, out);
	report_print_outcome(r, out);
	report_print_procs(r, out);
	report_print_notes(r, out);
	report_print_network(r, out);
	report_print_dropped(r, out);
	report_print_verdict(r, out);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
