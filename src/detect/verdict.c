/* SPDX-License-Identifier: MIT */
/*
 * From detections to a verdict. Everything here is a pure function of the hits in rule
 * order and the signals in arrival order, so the same events and signals give the same
 * verdict, score, threat name and techniques every time (docs/rules.md, "Verdict").
 */
#include "rules.h"

#include "macros.h"

#include <string.h>

/*
 * The score adds up the detections: clean < 30 <= suspicious < 90 <= malicious. One
 * critical detection is malicious on its own; so are a high and a medium, or three mediums,
 * because independent pieces of evidence from one sample corroborate each other. Weak
 * static signals together add at most WEAK_SCORE_MAX, so alone they never go past
 * suspicious.
 */
static const int severity_weight[] = {
        [DETECT_SEV_INFO] = 0,      [DETECT_SEV_LOW] = 10,      [DETECT_SEV_MEDIUM] = 30,
        [DETECT_SEV_HIGH] = 60,     [DETECT_SEV_CRITICAL] = 100,
};
#define SCORE_SUSPICIOUS 30
#define SCORE_MALICIOUS  90
#define WEAK_SCORE_MAX   30

static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};

/* The threat category of a rule without its own, by the tactic its file is named after. */
static const struct {
	const char *file;
	const char *category;
} tactic_categories[] = {
        {"behaviour/execution.yml", "Trojan"},
        {"behaviour/persistence.yml", "Backdoor"},
        {"behaviour/privilege-escalation.yml", "Trojan"},
        {"behaviour/defense-evasion.yml", "Trojan"},
        {"behaviour/credential-access.yml", "Stealer"},
        {"behaviour/discovery.yml", "Generic"},
        {"behaviour/lateral-movement.yml", "Trojan"},
        {"behaviour/collection-exfiltration.yml", "Stealer"},
        {"behaviour/command-and-control.yml", "Backdoor"},
        {"behaviour/impact.yml", "Generic"},
};

const char *detect_severity_name(int severity)
{
	if (severity < DETECT_SEV_INFO || severity > DETECT_SEV_CRITICAL)
		return "unknown";
	return severity_names[severity];
}

const char *detect_result_name(enum detect_result r)
{
	static const char *const names[] = {
	        [DETECT_CLEAN] = "clean",
	        [DETECT_SUSPICIOUS] = "suspicious",
	        [DETECT_MALICIOUS] = "malicious",
	};

	return (unsigned)r < ARRAY_SIZE(names) ? names[r] : "unknown";
}

static int severity_clamp(int s)
{
	return MAX(DETECT_SEV_INFO, MIN(s, DETECT_SEV_CRITICAL));
}

static void copy_bounded(char *dst, size_t sz, const char *src)
{
	snprintf(dst, sz, "%s", src ? src : "");
}

void detect_run_signal(struct detect_run *r, const char *kind, const char *id,
                       const char *family, int severity, const char *technique, bool weak)
{
	struct run_signal *s;

	if (r->n_signals >= RUN_SIGNALS_MAX || !kind || !id)
		return;
	s = &r->signals[r->n_signals++];
	memset(s, 0, sizeof(*s));
	copy_bounded(s->kind, sizeof(s->kind), kind);
	copy_bounded(s->id, sizeof(s->id), id);
	copy_bounded(s->family, sizeof(s->family), family);
	copy_bounded(s->technique, sizeof(s->technique), technique);
	s->techniques[0] = s->technique;
	s->severity = severity_clamp(severity);
	s->weak = weak;
}

/* A YARA match that names a family is decisive on its own, like a critical rule. */
static bool signal_is_family(const struct run_signal *s)
{
	return !s->weak && strcmp(s->kind, "yara") == 0 && s->family[0];
}

static int signal_severity(const struct run_signal *s)
{
	if (signal_is_family(s))
		return DETECT_SEV_CRITICAL;
	return s->weak ? MIN(s->severity, DETECT_SEV_MEDIUM) : s->severity;
}

static const char *rule_category(const struct rule *rl)
{
	if (rl->category)
		return rl->category;
	for (size_t i = 0; i < ARRAY_SIZE(tactic_categories); i++)
		if (strcmp(rl->file, tactic_categories[i].file) == 0)
			return tactic_categories[i].category;
	return "Generic";
}

/* Family names come from YARA rule metadata: keep letters and digits only. */
static void threat_name(char *out, size_t sz, const char *category, const char *name)
{
	char clean[64];
	size_t n = 0;

	for (const char *p = name; *p && n + 1 < sizeof(clean); p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			clean[n++] = *p;
	clean[n] = '\0';
	snprintf(out, sz, "Linux.%s.%s", category, n ? clean : "Generic");
}

/*
 * A YARA family may already be a full threat name ("Linux.Miner.XMRig"): keep its
 * category and name. A bare family ("Tsunami") is a Trojan.
 */
static void threat_from_family(char *out, size_t sz, const char *family)
{
	const char *cat = family + 6, *dot;
	char category[32];

	if (strncmp(family, "Linux.", 6) != 0 || !(dot = strchr(cat, '.')) || dot == cat ||
	    (size_t)(dot - cat) >= sizeof(category)) {
		threat_name(out, sz, "Trojan", family);
		return;
	}
	memcpy(category, cat, dot - cat);
	category[dot - cat] = '\0';
	threat_name(out, sz, category, dot + 1);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void techniques_add(struct detect_verdict *v, const struct detect_hit *h)
{
	for (size_t i = 0; i < h->n_techniques && v->n_techniques < DETECT_TECHNIQUES_MAX; i++) {
		bool seen = false;

		if (!h->techniques[i][0])
			continue;
		for (size_t k = 0; k < v->n_techniques && !seen; k++)
			seen = strcmp(v->techniques[k], h->techniques[i]) == 0;
		if (!seen)
			v->techniques[v->n_techniques++] = h->techniques[i];
	}
}

static int hits_collect(struct detect_run *r)
{
	const struct detect_engine *e = r->e;
	size_t n = 0;

	free(r->hits);
	r->hits = calloc(e->n_rules + r->n_signals + 1, sizeof(*r->hits));
	if (!r->hits)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_rules; i++) {
		const struct rule *rl = &e->rules[i];
		struct detect_hit *h = &r->hits[n];

		if (!r->rule_hits[i].count)
			continue;
		*h = r->rule_hits[i];
		h->kind = "behaviour";
		h->rule_id = rl->id;
		h->title = rl->title;
		h->severity = rl->severity;
		h->techniques = (const char *const *)rl->techniques;
		h->n_techniques = rl->n_techniques;
		n++;
	}
	for (size_t i = 0; i < r->n_signals; i++) {
		const struct run_signal *s = &r->signals[i];

		r->hits[n++] = (struct detect_hit){
		        .kind = s->kind,
		        .rule_id = s->id,
		        .title = s->family[0] ? s->family : s->kind,
		        .severity = signal_severity(s),
		        .techniques = s->techniques,
		        .n_techniques = s->technique[0] ? 1 : 0,
		        .count = 1,
		};
	}
	r->n_hits = n;
	return 0;
}

/* The sum of the weights of the distinct detections, weak signals capped, at most 100. */
static int verdict_score(const struct detect_run *r, bool family)
{
	size_t n_rules = r->n_hits - r->n_signals;
	int score = family ? 100 : 0, weak = 0;

	for (size_t i = 0; i < n_rules; i++)
		score += severity_weight[r->hits[i].severity];
	for (size_t i = 0; i < r->n_signals; i++) {
		int w = severity_weight[r->hits[n_rules + i].severity];
		bool seen = false;

		/* A YARA rule matching the object and a dropped file is one piece of evidence. */
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(r->signals[k].kind, r->signals[i].kind) == 0 &&
			       strcmp(r->signals[k].id, r->signals[i].id) == 0;
		if (seen)
			continue;
		if (r->signals[i].weak)
			weak += w;
		else
			score += w;
	}
	return MIN(100, score + MIN(weak, WEAK_SCORE_MAX));
}

int detect_run_finish(struct detect_run *r, struct detect_verdict *ret)
{
	const struct detect_engine *e = r->e;
	int top = -1, rc = hits_collect(r);
	size_t lead = 0;
	bool family = false;

	memset(ret, 0, sizeof(*ret));
	ret->rules_version = e->version;
	if (rc < 0)
		return rc;
	ret->hits = r->hits;
	ret->n_hits = r->n_hits;

	/* The lead detection names the threat: the first of the highest severity. */
	for (size_t i = 0; i < r->n_hits; i++) {
		if (r->hits[i].severity > top)
			top = r->hits[i].severity, lead = i;
		techniques_add(ret, &r->hits[i]);
	}
	for (size_t i = 0; i < r->n_signals; i++)
		family |= signal_is_family(&r->signals[i]);
	qsort(ret->techniques, ret->n_techniques, sizeof(ret->techniques[0]), str_cmp);

	if (top < 0)
		return 0;
	ret->score = verdict_score(r, family);
	if (ret->score >= SCORE_MALICIOUS)
		ret->result = DETECT_MALICIOUS;
	else if (ret->score >= SCORE_SUSPICIOUS)
		ret->result = DETECT_SUSPICIOUS;
	else
		return 0;

	for (size_t i = 0; family && i < r->n_signals; i++)
		if (signal_is_family(&r->signals[i])) {
			threat_from_family(ret->threat, sizeof(ret->threat), r->signals[i].family);
			return 0;
		}
	if (lead < r->n_hits - r->n_signals) {
		const struct rule *rl = NULL;

		for (size_t i = 0; i < e->n_rules && !rl; i++)
			if (e->rules[i].id == r->hits[lead].rule_id)
				rl = &e->rules[i];
		threat_name(ret->threat, sizeof(ret->threat), rule_category(rl),
		            rl->threat ? rl->threat : "Generic");
	} else {
		threat_name(ret->threat, sizeof(ret->threat), "Generic", "Generic");
	}
	return 0;
}
