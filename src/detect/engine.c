/* SPDX-License-Identifier: MIT */
/*
 * Rule evaluation over one run's events. Each event first updates the run's process table
 * (fork and exec give parents, exe and argv), then meets only the rules indexed under its
 * type. Sequences keep partial matches and thresholds keep sliding windows; both are capped,
 * as is the process table, so a hostile sample cannot grow the engine's memory.
 */
#include "rules.h"

#include "macros.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Values of one event, computed the first time a rule asks for them. */
struct eval_ctx {
	struct detect_run *r;
	const struct event *ev;
	const struct run_proc *proc;  /* the event's process, or NULL */
	const struct run_proc *lproc; /* inside parent:/ancestor: the process examined */
	int path_len, path2_len, argv_len, env_len, addr_len, port;
	char path[EV_PATH_MAX + 1], path2[EV_PATH_MAX + 1];
	char argv[EV_DATA_MAX + 1], env[EV_DATA_MAX + 1];
	char addr[INET6_ADDRSTRLEN + 110];
	char method[32];
};

/* ---- process table ---------------------------------------------------------------------- */

static size_t proc_hash_of(int32_t pid)
{
	return ((uint32_t)pid * 2654435761u) % RUN_PROC_HASH;
}

static struct run_proc *proc_find(const struct detect_run *r, int32_t pid)
{
	size_t h = proc_hash_of(pid);

	if (pid <= 0)
		return NULL;
	for (size_t i = 0; i < RUN_PROC_HASH && r->proc_hash[h]; i++) {
		struct run_proc *p = &r->procs[r->proc_hash[h] - 1];

		if (p->pid == pid)
			return p;
		h = (h + 1) % RUN_PROC_HASH;
	}
	return NULL;
}

static struct run_proc *proc_add(struct detect_run *r, int32_t pid, int32_t ppid)
{
	size_t h = proc_hash_of(pid);
	struct run_proc *p;

	if (r->n_procs >= RUN_PROCS_MAX) {
		r->procs_over++;
		return NULL;
	}
	if (r->n_procs == r->cap_procs) {
		size_t ncap = r->cap_procs ? r->cap_procs * 2 : 64;

		p = reallocarray(r->procs, ncap, sizeof(*p));
		if (!p)
			return NULL;
		r->procs = p;
		r->cap_procs = ncap;
	}
	while (r->proc_hash[h])
		h = (h + 1) % RUN_PROC_HASH;
	r->proc_hash[h] = (uint16_t)(r->n_procs + 1);
	p = &r->procs[r->n_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	return p;
}

static struct run_proc *proc_get(struct detect_run *r, const struct event *ev, int32_t pid,
                                 int32_t ppid)
{
	struct run_proc *p = proc_find(r, pid);

	if (p || pid <= 0)
		return p;
	p = proc_add(r, pid, ppid);
	if (p)
		memcpy(p->comm, ev->comm, EV_COMM_LEN);
	return p;
}

static void proc_set_argv(struct run_proc *p, const char *data, size_t len)
{
	size_t n = MIN(len, sizeof(p->argv) - 1);

	len = MIN(len, (size_t)EV_DATA_MAX);
	memcpy(p->argv, data, n);
	while (n > 0 && p->argv[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (p->argv[i] == '\0')
			p->argv[i] = ' ';
	p->argv[n] = '\0';
	p->argv_len = (uint16_t)n;
}

static void proc_update(struct detect_run *r, const struct event *ev)
{
	struct run_proc *p, *parent;

	if (r->sample_pid == 0 && ev->pid > 0)
		r->sample_pid = ev->type == EV_PROC_FORK && ev->ppid > 0 ? ev->ppid : ev->pid;

	switch (ev->type) {
	case EV_PROC_FORK:
		/* A reused pid starts over as a copy of its new parent. */
		parent = proc_get(r, ev, ev->ppid, 0);
		p = proc_find(r, ev->pid);
		if (!p)
			p = proc_add(r, ev->pid, ev->ppid);
		if (!p)
			return;
		parent = proc_find(r, ev->ppid);
		if (parent && parent != p) {
			*p = *parent;
			p->pid = ev->pid;
		}
		p->ppid = ev->ppid;
		return;
	case EV_PROC_EXEC:
		p = proc_get(r, ev, ev->pid, ev->ppid);
		if (!p)
			return;
		if (ev->ppid > 0)
			p->ppid = ev->ppid;
		p->exe_len = (uint16_t)strnlen(ev->path, sizeof(p->exe) - 1);
		memcpy(p->exe, ev->path, p->exe_len);
		p->exe[p->exe_len] = '\0';
		proc_set_argv(p, ev->data, ev->data_len);
		memcpy(p->comm, ev->comm, EV_COMM_LEN);
		return;
	default:
		proc_get(r, ev, ev->pid, ev->ppid);
		return;
	}
}

/* The path is the executable (or script) of the process or of one of its ancestors. */
static bool path_is_lineage_exe(const struct detect_run *r, const struct run_proc *p,
                                const char *path, size_t len)
{
	for (unsigned i = 0; i < RUN_LINEAGE_MAX && p; i++) {
		if (p->exe_len && p->exe_len == len && memcmp(p->exe, path, len) == 0)
			return true;
		if (p->ppid == p->pid)
			break;
		p = proc_find(r, p->ppid);
	}
	return false;
}

static bool proc_descends(const struct detect_run *r, int32_t pid, int32_t ancestor)
{
	for (unsigned i = 0; i < RUN_LINEAGE_MAX && pid > 0; i++) {
		const struct run_proc *p;

		if (pid == ancestor)
			return true;
		p = proc_find(r, pid);
		if (!p || p->ppid == pid)
			return false;
		pid = p->ppid;
	}
	return false;
}

/* ---- field values ----------------------------------------------------------------------- */

/* A fixed array of struct event, NUL-terminated in ctx when it fills the array. */
static const char *ctx_fixed(const char *field, size_t cap, char *copy, int *len)
{
	if (*len < 0) {
		*len = (int)strnlen(field, cap);
		if ((size_t)*len == cap) {
			memcpy(copy, field, cap);
			copy[cap] = '\0';
		}
	}
	return (size_t)*len == cap ? copy : field;
}

static const char *ctx_strv(const char *data, size_t len, char *out, int *ret_len)
{
	if (*ret_len < 0) {
		size_t n = MIN(len, (size_t)EV_DATA_MAX);

		memcpy(out, data, n);
		while (n > 0 && out[n - 1] == '\0')
			n--;
		for (size_t i = 0; i < n; i++)
			if (out[i] == '\0')
				out[i] = ' ';
		out[n] = '\0';
		*ret_len = (int)n;
	}
	return out;
}

static void ctx_sockaddr(struct eval_ctx *x)
{
	const struct event *ev = x->ev;
	size_t len = MIN((size_t)ev->data_len, (size_t)EV_DATA_MAX);
	sa_family_t af = (sa_family_t)ev->arg0;

	if (x->addr_len >= 0)
		return;
	x->addr_len = 0;
	x->port = -1;
	x->addr[0] = '\0';
	if (len >= sizeof(af))
		memcpy(&af, ev->data, sizeof(af));
	if (af == AF_INET && len >= offsetof(struct sockaddr_in, sin_zero)) {
		struct sockaddr_in s = {0};

		memcpy(&s, ev->data, MIN(len, sizeof(s)));
		inet_ntop(AF_INET, &s.sin_addr, x->addr, sizeof(x->addr));
		x->port = ntohs(s.sin_port);
	} else if (af == AF_INET6 && len >= offsetof(struct sockaddr_in6, sin6_scope_id)) {
		struct sockaddr_in6 s = {0};

		memcpy(&s, ev->data, MIN(len, sizeof(s)));
		inet_ntop(AF_INET6, &s.sin6_addr, x->addr, sizeof(x->addr));
		x->port = ntohs(s.sin6_port);
	} else if (af == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		const char *p = ev->data + offsetof(struct sockaddr_un, sun_path);
		size_t n = MIN(len - offsetof(struct sockaddr_un, sun_path), sizeof(x->addr) - 2);

		/* Abstract names are shown as "@name", as in the report. */
		if (p[0] != '\0') {
			n = strnlen(p, n);
			memcpy(x->addr, p, n);
			x->addr[n] = '\0';
		} else {
			while (n > 1 && p[n - 1] == '\0')
				n--;
			x->addr[0] = '@';
			memcpy(x->addr + 1, p + 1, n - 1);
			x->addr[n] = '\0';
		}
	}
	x->addr_len = (int)strlen(x->addr);
}

static const char *ctx_http(struct eval_ctx *x, bool method, size_t *len)
{
	const char *p = ctx_fixed(x->ev->path2, EV_PATH_MAX, x->path2, &x->path2_len);
	const char *sp = memchr(p, ' ', (size_t)x->path2_len);

	if (!sp) {
		*len = method ? (size_t)x->path2_len : 0;
		return method ? p : "";
	}
	if (!method) {
		*len = (size_t)x->path2_len - (size_t)(sp + 1 - p);
		return sp + 1;
	}
	*len = MIN((size_t)(sp - p), sizeof(x->method) - 1);
	memcpy(x->method, p, *len);
	x->method[*len] = '\0';
	return x->method;
}

static const char *ctx_str(struct eval_ctx *x, const struct cond *cd, size_t *len)
{
	const struct event *ev = x->ev;
	const struct run_proc *p = cd->on_proc ? x->lproc : x->proc;
	enum field_src src;

	if (cd->on_proc) {
		src = (enum field_src)cd->src;
	} else {
		const struct field_def *f = &detect_fields[cd->src];

		src = f->all_types ? f->src_all : f->src[ev->type];
	}
	switch (src) {
	case SRC_PATH:
		ctx_fixed(ev->path, EV_PATH_MAX, x->path, &x->path_len);
		*len = (size_t)x->path_len;
		return ctx_fixed(ev->path, EV_PATH_MAX, x->path, &x->path_len);
	case SRC_PATH2:
		ctx_fixed(ev->path2, EV_PATH_MAX, x->path2, &x->path2_len);
		*len = (size_t)x->path2_len;
		return ctx_fixed(ev->path2, EV_PATH_MAX, x->path2, &x->path2_len);
	case SRC_COMM:
		if (cd->on_proc || !ev) {
			*len = p ? strlen(p->comm) : 0;
			return p ? p->comm : NULL;
		}
		/* comm is 16 bytes and may fill them: go through the process copy if so. */
		*len = strnlen(ev->comm, EV_COMM_LEN);
		if (*len == EV_COMM_LEN)
			return x->proc ? x->proc->comm : NULL;
		return ev->comm;
	case SRC_DATA:
		*len = strnlen(ev->data, MIN((size_t)ev->data_len, (size_t)EV_DATA_MAX - 1));
		return *len < (size_t)EV_DATA_MAX - 1 ? ev->data : NULL;
	case SRC_ARGV:
		ctx_strv(ev->data, ev->data_len, x->argv, &x->argv_len);
		*len = (size_t)x->argv_len;
		return x->argv;
	case SRC_ENV:
		ctx_strv(ev->data2, ev->data2_len, x->env, &x->env_len);
		*len = (size_t)x->env_len;
		return x->env;
	case SRC_HTTP_METHOD:
	case SRC_HTTP_PATH:
		return ctx_http(x, src == SRC_HTTP_METHOD, len);
	case SRC_ADDRESS:
		ctx_sockaddr(x);
		*len = (size_t)x->addr_len;
		return x->addr_len > 0 ? x->addr : NULL;
	case SRC_EXE:
		*len = p ? p->exe_len : 0;
		return p && p->exe_len ? p->exe : NULL;
	case SRC_CMDLINE:
		*len = p ? p->argv_len : 0;
		return p && p->argv_len ? p->argv : NULL;
	case SRC_PREV_OPEN:
		*len = x->proc ? x->proc->prev_open_len : 0;
		return x->proc && x->proc->prev_open_len ? x->proc->prev_open : NULL;
	default:
		return NULL;
	}
}

static bool ctx_num(struct eval_ctx *x, const struct cond *cd, uint64_t *v)
{
	const struct event *ev = x->ev;
	enum field_src src;

	if (cd->on_proc) {
		if (!x->lproc)
			return false;
		*v = (uint64_t)(cd->src == SRC_PID ? x->lproc->pid : x->lproc->ppid);
		return true;
	}
	src = detect_fields[cd->src].all_types ? detect_fields[cd->src].src_all
	                                       : detect_fields[cd->src].src[ev->type];
	switch (src) {
	case SRC_ARG0: *v = ev->arg0; return true;
	case SRC_ARG1: *v = ev->arg1; return true;
	case SRC_ARG2: *v = ev->arg2; return true;
	case SRC_PID: *v = (uint64_t)(int64_t)ev->pid; return true;
	case SRC_PPID: *v = (uint64_t)(int64_t)ev->ppid; return true;
	case SRC_UID: *v = ev->uid; return true;
	case SRC_RET: *v = (uint64_t)ev->ret; return true;
	case SRC_EXIT_CODE: *v = (ev->arg0 >> 8) & 0xff; return true;
	case SRC_FAMILY:
		*v = ev->arg0;
		if (ev->type != EV_NET_SOCKET && ev->data_len >= sizeof(sa_family_t)) {
			sa_family_t af;

			memcpy(&af, ev->data, sizeof(af));
			*v = af;
		}
		return true;
	case SRC_PATH_IS_OWN_PROC: {
		const char *q = ev->path + 6;
		int64_t pid = 0;

		*v = false;
		if (strncmp(ev->path, "/proc/", 6) != 0)
			return true;
		if (strncmp(q, "self/", 5) == 0 || strncmp(q, "thread-self/", 12) == 0) {
			*v = true;
			return true;
		}
		for (; *q >= '0' && *q <= '9' && pid <= INT32_MAX; q++)
			pid = pid * 10 + (*q - '0');
		*v = *q == '/' && pid == ev->pid;
		return true;
	}
	case SRC_COMM_RENAMED: {
		const char *base;
		size_t n;

		if (!x->proc || !x->proc->exe_len)
			return false;
		base = strrchr(x->proc->exe, '/');
		base = base ? base + 1 : x->proc->exe;
		n = strnlen(ev->comm, EV_COMM_LEN);
		/* The kernel keeps 15 bytes of the name a program was started under. */
		*v = strncmp(ev->comm, base, MIN(n, (size_t)EV_COMM_LEN - 1)) != 0 ||
		     (n < EV_COMM_LEN - 1 && base[n] != '\0');
		return true;
	}
	case SRC_PATH_IS_EXE:
		ctx_fixed(ev->path, EV_PATH_MAX, x->path, &x->path_len);
		*v = path_is_lineage_exe(x->r, x->proc, ev->path, (size_t)x->path_len);
		return true;
	case SRC_PORT:
		ctx_sockaddr(x);
		*v = (uint64_t)x->port;
		return x->port >= 0;
	default:
		return false;
	}
}

/* ---- matching --------------------------------------------------------------------------- */

static bool str_match_one(const struct detect_engine *e, const struct cond *cd, uint32_t k,
                          const char *s, size_t len)
{
	const struct rstr *v = &e->strs[cd->first + k];

	/* Most candidates differ in their first (or, for suffixes, last) byte: test it inline. */
	switch (cd->op) {
	case OP_EXACT:
		return len == v->len && (!len || s[0] == v->s[0]) && memcmp(s, v->s, len) == 0;
	case OP_PREFIX:
		return len >= v->len && (!v->len || s[0] == v->s[0]) && memcmp(s, v->s, v->len) == 0;
	case OP_SUFFIX:
		return len >= v->len && (!v->len || s[len - 1] == v->s[v->len - 1]) &&
		       memcmp(s + len - v->len, v->s, v->len) == 0;
	case OP_CONTAINS:
		return memmem(s, len, v->s, v->len) != NULL;
	case OP_GLOB:
		return fnmatch(v->s, s, 0) == 0;
	case OP_REGEX:
		return regexec(&e->regexes[cd->first + k], s, 0, NULL, 0) == 0;
	default:
		return false;
	}
}

static bool num_match(const struct detect_engine *e, const struct cond *cd, uint64_t v)
{
	int64_t a = (int64_t)v, b = (int64_t)cd->num;

	switch (cd->op) {
	case OP_EQ: return v == cd->num;
	case OP_NE: return v != cd->num;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_HAS_ANY: return (v & cd->num) != 0;
	case OP_HAS_ALL: return (v & cd->num) == cd->num;
	case OP_IN:
		for (uint32_t k = 0; k < cd->n; k++)
			if (e->nums[cd->first + k] == v)
				return true;
		return false;
	default: return false;
	}
}

static bool cond_eval(struct eval_ctx *x, uint32_t i);

static bool cond_lineage(struct eval_ctx *x, const struct cond *cd)
{
	const struct detect_engine *e = x->r->e;
	const struct run_proc *p = x->proc;
	int32_t ppid = p ? p->ppid : x->ev->ppid;
	bool found = false;

	for (unsigned depth = 0; depth < RUN_LINEAGE_MAX && !found; depth++) {
		const struct run_proc *parent = proc_find(x->r, ppid);

		if (!parent || parent == p)
			break;
		x->lproc = parent;
		found = cond_eval(x, e->kids[cd->first]);
		if (cd->kind == COND_PARENT)
			break;
		p = parent;
		ppid = parent->ppid;
	}
	x->lproc = NULL;
	return found;
}

static bool cond_eval(struct eval_ctx *x, uint32_t i)
{
	const struct detect_engine *e = x->r->e;
	const struct cond *cd = &e->conds[i];
	const char *s;
	uint64_t v;
	size_t len;

	switch (cd->kind) {
	case COND_TYPE:
		return (cd->types >> x->ev->type) & 1;
	case COND_AND:
		for (uint32_t k = 0; k < cd->n; k++)
			if (!cond_eval(x, e->kids[cd->first + k]))
				return false;
		return true;
	case COND_OR:
		for (uint32_t k = 0; k < cd->n; k++)
			if (cond_eval(x, e->kids[cd->first + k]))
				return true;
		return false;
	case COND_NOT:
		return !cond_eval(x, e->kids[cd->first]);
	case COND_STR:
		s = ctx_str(x, cd, &len);
		if (!s)
			return false;
		for (uint32_t k = 0; k < cd->n; k++)
			if (str_match_one(e, cd, k, s, len))
				return true;
		return false;
	case COND_NUM:
		return ctx_num(x, cd, &v) && num_match(e, cd, v);
	case COND_PARENT:
	case COND_ANCESTOR:
		return cond_lineage(x, cd);
	case COND_SAMPLE:
		return proc_descends(x->r, x->ev->pid, x->r->sample_pid);
	default:
		return false;
	}
}

/* ---- detections ------------------------------------------------------------------------- */

static void evidence_add(size_t *v, size_t *n, size_t idx)
{
	size_t i = *n;

	if (*n >= DETECT_EVIDENCE_MAX)
		return;
	for (size_t k = 0; k < *n; k++)
		if (v[k] == idx)
			return;
	while (i > 0 && v[i - 1] > idx) {
		v[i] = v[i - 1];
		i--;
	}
	v[i] = idx;
	(*n)++;
}

static void hit_record(struct detect_run *r, uint32_t ri, const size_t *ev, size_t n)
{
	struct detect_hit *h = &r->rule_hits[ri];

	/* The first match proves the rule; later ones add events while there is room. */
	for (size_t i = 0; i < n; i++)
		evidence_add(h->evidence, &h->n_evidence, ev[i]);
	h->count++;
}

static int32_t group_key(const struct detect_run *r, const struct rule *rl, int32_t pid)
{
	if (rl->group == GROUP_ALL)
		return 0;
	if (rl->group == GROUP_TREE) {
		/* The top of the known tree: the sample, or the oldest ancestor we know. */
		for (unsigned i = 0; i < RUN_LINEAGE_MAX; i++) {
			const struct run_proc *p = proc_find(r, pid);

			if (pid == r->sample_pid || !p || !proc_find(r, p->ppid) || p->ppid == pid)
				break;
			pid = p->ppid;
		}
	}
	return pid;
}

static bool partial_key_match(const struct detect_run *r, const struct rule *rl,
                              const struct run_partial *p, int32_t pid)
{
	if (rl->group == GROUP_ALL)
		return true;
	if (rl->group == GROUP_PID)
		return p->key == pid;
	return proc_descends(r, pid, p->key);
}

static void sequence_advance(struct eval_ctx *x, uint32_t ri, size_t idx)
{
	struct detect_run *r = x->r;
	const struct rule *rl = &r->e->rules[ri];
	uint64_t bit = 1ull << x->ev->type;

	uint32_t left = r->partials_of[ri];

	/* Visit only this rule's partials: stop once each has been seen. */
	for (size_t i = 0; left && i < r->n_partials;) {
		struct run_partial *p = &r->partials[i];

		if (p->rule != ri) {
			i++;
			continue;
		}
		left--;
		if (x->ev->time_ns > p->start_ns + rl->within_ns) {
			r->partials_of[ri]--;
			r->partials[i] = r->partials[--r->n_partials];
			continue;
		}
		if ((rl->step_types[p->step] & bit) && partial_key_match(r, rl, p, x->ev->pid) &&
		    cond_eval(x, rl->steps[p->step])) {
			evidence_add(p->evidence, &p->n_evidence, idx);
			if (++p->step == rl->n_steps) {
				hit_record(r, ri, p->evidence, p->n_evidence);
				r->partials_of[ri]--;
				r->partials[i] = r->partials[--r->n_partials];
				continue;
			}
		}
		i++;
	}
}

static void sequence_start(struct eval_ctx *x, uint32_t ri, size_t idx)
{
	struct detect_run *r = x->r;
	const struct rule *rl = &r->e->rules[ri];
	struct run_partial *p = NULL;
	int32_t key;

	if (!(rl->step_types[0] & (1ull << x->ev->type)) || !cond_eval(x, rl->steps[0]))
		return;
	/* A repeated first step restarts its window instead of piling up partials. */
	key = rl->group == GROUP_ALL ? 0 : x->ev->pid;
	for (size_t i = 0; i < r->n_partials && !p; i++)
		if (r->partials[i].rule == ri && r->partials[i].step == 1 &&
		    r->partials[i].key == key)
			p = &r->partials[i];
	if (!p) {
		if (r->n_partials >= RUN_PARTIALS_MAX) {
			r->partials_over++;
			return;
		}
		p = &r->partials[r->n_partials++];
		r->partials_of[ri]++;
	}
	*p = (struct run_partial){.rule = ri, .step = 1, .key = key,
	                          .start_ns = x->ev->time_ns, .evidence = {idx}, .n_evidence = 1};
}

static struct run_window *window_get(struct detect_run *r, uint32_t ri, int32_t key)
{
	const struct rule *rl = &r->e->rules[ri];
	struct run_window *w;

	for (size_t i = 0; i < r->n_windows; i++)
		if (r->windows[i].rule == ri && r->windows[i].key == key)
			return &r->windows[i];
	if (r->n_windows >= RUN_WINDOWS_MAX)
		return NULL;
	w = &r->windows[r->n_windows];
	*w = (struct run_window){.rule = ri, .key = key};
	w->times = calloc(rl->count, sizeof(*w->times));
	w->idx = calloc(rl->count, sizeof(*w->idx));
	if (!w->times || !w->idx) {
		free(w->times);
		free(w->idx);
		return NULL;
	}
	r->n_windows++;
	return w;
}

static void threshold_add(struct eval_ctx *x, uint32_t ri, size_t idx)
{
	struct detect_run *r = x->r;
	const struct rule *rl = &r->e->rules[ri];
	struct run_window *w;
	size_t ev[DETECT_EVIDENCE_MAX];
	uint32_t pos;

	if (!cond_eval(x, rl->cond))
		return;
	w = window_get(r, ri, group_key(r, rl, x->ev->pid));
	if (!w)
		return;
	pos = (w->head + w->n) % rl->count;
	w->times[pos] = x->ev->time_ns;
	w->idx[pos] = idx;
	if (w->n < rl->count)
		w->n++;
	else
		w->head = (w->head + 1) % rl->count;
	if (w->n < rl->count || w->times[w->head] + rl->within_ns < x->ev->time_ns)
		return;

	/* Evidence: the first events of the window and the one that crossed the threshold. */
	for (size_t i = 0; i + 1 < DETECT_EVIDENCE_MAX; i++)
		ev[i] = w->idx[(w->head + i) % rl->count];
	ev[DETECT_EVIDENCE_MAX - 1] = idx;
	hit_record(r, ri, ev, MIN((size_t)DETECT_EVIDENCE_MAX, (size_t)rl->count));
	w->n = 0;
}

static void prev_open_set(struct detect_run *r, const struct event *ev);
static void run_rules(struct detect_run *r, const struct event *ev, size_t idx);

void detect_run_event(struct detect_run *r, const struct event *ev)
{
	const struct detect_engine *e = r->e;
	size_t idx = r->n_events++;

	if (ev->type == EV_NONE || ev->type >= EV_TYPE_MAX)
		return;
	proc_update(r, ev);
	if (e->n_by_type[ev->type])
		run_rules(r, ev, idx);
	if (ev->type == EV_FILE_OPEN)
		prev_open_set(r, ev);
}

/* Remember each process's last opened path: an account lookup reads passwd, then shadow. */
static void prev_open_set(struct detect_run *r, const struct event *ev)
{
	struct run_proc *p = proc_find(r, ev->pid);
	size_t n = strnlen(ev->path, EV_PATH_MAX);

	if (!p)
		return;
	if (n >= sizeof(p->prev_open))
		n = 0;
	memcpy(p->prev_open, ev->path, n);
	p->prev_open[n] = '\0';
	p->prev_open_len = (uint16_t)n;
}

static void run_rules(struct detect_run *r, const struct event *ev, size_t idx)
{
	const struct detect_engine *e = r->e;
	struct eval_ctx x;

	x.r = r;
	x.ev = ev;
	x.proc = proc_find(r, ev->pid);
	x.lproc = NULL;
	x.path_len = x.path2_len = x.argv_len = x.env_len = x.addr_len = -1;

	for (size_t i = 0; i < e->n_by_type[ev->type]; i++) {
		uint32_t ri = e->by_type[ev->type][i];
		const struct rule *rl = &e->rules[ri];

		switch (rl->kind) {
		case RULE_WHEN:
			if (cond_eval(&x, rl->cond))
				hit_record(r, ri, &idx, 1);
			break;
		case RULE_SEQUENCE:
			sequence_advance(&x, ri, idx);
			sequence_start(&x, ri, idx);
			break;
		case RULE_THRESHOLD:
			threshold_add(&x, ri, idx);
			break;
		}
	}
}

int detect_run_new(const struct detect_engine *e, struct detect_run **ret)
{
	struct detect_run *r = calloc(1, sizeof(*r));

	*ret = NULL;
	if (!r)
		return -ENOMEM;
	r->e = e;
	r->rule_hits = calloc(e->n_rules ? e->n_rules : 1, sizeof(*r->rule_hits));
	r->partials_of = calloc(e->n_rules ? e->n_rules : 1, sizeof(*r->partials_of));
	if (!r->rule_hits || !r->partials_of) {
		free(r->rule_hits);
		free(r->partials_of);
		free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

void detect_run_free(struct detect_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_windows; i++) {
		free(r->windows[i].times);
		free(r->windows[i].idx);
	}
	free(r->procs);
	free(r->rule_hits);
	free(r->partials_of);
	free(r->hits);
	free(r);
}

/* ---- fixtures --------------------------------------------------------------------------- */

static int fixture_run(const struct detect_engine *e, size_t ri, const struct fixture *fx,
                       bool *ret_matched)
{
	struct detect_run *r;
	int rc = detect_run_new(e, &r);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < fx->n; i++)
		detect_run_event(r, &fx->events[i]);
	*ret_matched = r->rule_hits[ri].count > 0;
	detect_run_free(r);
	return 0;
}

int detect_engine_test(const struct detect_engine *e, FILE *out, size_t *ret_fixtures)
{
	size_t failed = 0, total = 0;

	for (size_t ri = 0; ri < e->n_rules; ri++) {
		const struct rule *rl = &e->rules[ri];

		for (size_t pass = 0; pass < 2; pass++) {
			const struct fixture *fx = pass == 0 ? rl->match : rl->nomatch;
			size_t n = pass == 0 ? rl->n_match : rl->n_nomatch;

			for (size_t k = 0; k < n; k++) {
				bool matched;
				int rc = fixture_run(e, ri, &fx[k], &matched);

				if (rc < 0)
					return rc;
				total++;
				if (matched == (pass == 0))
					continue;
				failed++;
				if (out)
					fprintf(out, "%s:%u:%u: %s: %s fixture %s\n", fx[k].file,
					        fx[k].line, fx[k].col, rl->id,
					        pass == 0 ? "match" : "nomatch",
					        pass == 0 ? "did not match" : "matched");
			}
		}
	}
	if (ret_fixtures)
		*ret_fixtures = total;
	return (int)MIN(failed, (size_t)INT32_MAX);
}
