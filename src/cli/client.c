/* SPDX-License-Identifier: MIT */
#include "client.h"

#include "fileio.h"
#include "macros.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RESPONSE_MAX     (512ull << 20)
#define REQUEST_TIMEOUT  600L
#define CONFIG_FILE_MAX  (64u << 10)
#define CONFIG_VALUE_MAX 4096

/* What a config file gave: kept for the process's life, as flags and the environment are. */
static struct {
	char server[CONFIG_VALUE_MAX], token[CONFIG_VALUE_MAX], ca[CONFIG_VALUE_MAX];
} config_values[2];

struct config_key {
	const char *key;
	size_t value_off;  /* in config_values[] */
	size_t client_off; /* in struct client */
};

static const struct config_key config_keys[] = {
	{"server", offsetof(typeof(config_values[0]), server), offsetof(struct client, server)},
	{"token", offsetof(typeof(config_values[0]), token), offsetof(struct client, token)},
	{"ca", offsetof(typeof(config_values[0]), ca), offsetof(struct client, cacert)},
};

static char *config_trim(char *s)
{
	char *end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* One `key = value` line into slot; values only fill what is still NULL in c. */
static int config_line(struct client *c, unsigned slot, char *line, const char *path,
		       unsigned lineno, bool *ret_token)
{
	char *eq = strchr(line, '='), *key, *value;

	line = config_trim(line);
	if (!line[0] || line[0] == '#')
		return 0;
	if (!eq) {
		fprintf(stderr, "sandtrap: %s:%u: expected key = value\n", path, lineno);
		return -EINVAL;
	}
	*eq = '\0';
	key = config_trim(line);
	value = config_trim(eq + 1);
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		char *dst = (char *)&config_values[slot] + k->value_off;
		const char **field = (const char **)((char *)c + k->client_off);

		if (strcmp(key, k->key) != 0)
			continue;
		if (strlen(value) >= CONFIG_VALUE_MAX) {
			fprintf(stderr, "sandtrap: %s:%u: the value of %s is too long\n", path,
				lineno, key);
			return -EINVAL;
		}
		*ret_token = *ret_token || field == &c->token;
		snprintf(dst, CONFIG_VALUE_MAX, "%s", value);
		if (!*field || !(*field)[0])
			*field = dst;
		return 0;
	}
	fprintf(stderr, "sandtrap: %s:%u: unknown key '%.64s' (server, token, ca)\n", path,
		lineno, key);
	return -EINVAL;
}

/* A token must not be readable by others: the file is the user's (or root's), 0600 or less. */
static int config_private(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	if ((st.st_uid != getuid() && st.st_uid != 0) || (st.st_mode & 077)) {
		fprintf(stderr,
			"sandtrap: %s holds a token but %s: refusing it (chmod 600 %s)\n", path,
			(st.st_mode & 077) ? "others may read it" : "it belongs to another user",
			path);
		return -EPERM;
	}
	return 0;
}

/* 0 when read or (not named) missing. */
static int config_read(struct client *c, unsigned slot, const char *path, bool named)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	char *line, *next;
	unsigned lineno = 0;
	bool token = false;
	size_t len;
	int r;

	if (fd < 0 && errno == ENOENT && !named)
		return 0;
	if (fd < 0 || fd_read_all(fd, CONFIG_FILE_MAX, &buf, &len) < 0) {
		fprintf(stderr, "sandtrap: cannot read the config file '%s': %m\n", path);
		return -EINVAL;
	}
	if (memchr(buf, '\0', len)) {
		fprintf(stderr, "sandtrap: '%s' is not a text file\n", path);
		return -EINVAL;
	}
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		r = config_line(c, slot, line, path, ++lineno, &token);
		if (r < 0)
			return r;
	}
	if (token && config_private(fd, path) < 0) {
		explicit_bzero(config_values[slot].token, CONFIG_VALUE_MAX);
		if (c->token == config_values[slot].token)
			c->token = NULL;
		explicit_bzero(buf, len);
		return -EPERM;
	}
	explicit_bzero(buf, len);
	return 0;
}

/* --config FILE, else the user's file and then the system's. */
static int config_load(struct client *c)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char path[4096];
	int r;

	if (c->config)
		return config_read(c, 0, c->config, true);
	path[0] = '\0';
	if (xdg && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/" CLIENT_CONFIG_USER, xdg);
	else if (home && home[0] == '/')
		snprintf(path, sizeof(path), "%s/.config/" CLIENT_CONFIG_USER, home);
	r = path[0] ? config_read(c, 0, path, false) : 0;
	if (r < 0)
		return r;
	if (c->server && c->token && c->cacert)
		return 0;
	return config_read(c, 1, CLIENT_CONFIG_SYSTEM, false);
}

int client_setup(struct client *c, const char *cmd)
{
	if (!c->server)
		c->server = getenv("SANDTRAP_SERVER");
	if (!c->token)
		c->token = getenv("SANDTRAP_TOKEN");
	if (!c->cacert)
		c->cacert = getenv("SANDTRAP_CACERT");
	if (config_load(c) < 0)
		return -EINVAL;
	if (!c->server || !c->server[0])
		c->server = CLIENT_DEFAULT_SERVER;
	if (!c->token || !c->token[0]) {
		fprintf(stderr,
			"sandtrap %s: no token: give --token, set SANDTRAP_TOKEN or put token = "
			"in a config file (see --help)\n",
			cmd);
		return -EINVAL;
	}
	return 0;
}

static size_t client_sink(char *data, size_t size, size_t n, void *userdata)
{
	struct client_response *r = userdata;
	size_t add = size * n;
	char *p;

	if (r->len + add > RESPONSE_MAX)
		return 0;
	p = realloc(r->body, r->len + add + 1);
	if (!p)
		return 0;
	memcpy(p + r->len, data, add);
	r->body = p;
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

int client_request(const struct client *c, const char *method, const char *path, const void *body,
		   size_t len, struct client_response *ret)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char url[2048], auth[512];
	CURLcode rc;

	*ret = (struct client_response){0};
	if (!curl)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s%s", c->server, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	hdr = curl_slist_append(hdr, auth);
	hdr = curl_slist_append(hdr, "Content-Type: application/octet-stream");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, REQUEST_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (c->cacert && c->cacert[0])
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_sink);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, ret);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ret->status);
	else
		fprintf(stderr, "sandtrap: %s: %s\n", c->server, curl_easy_strerror(rc));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		client_response_free(ret);
		return -EIO;
	}
	if (!ret->body)
		ret->body = strdup("");
	return ret->body ? 0 : -ENOMEM;
}

void client_response_free(struct client_response *r)
{
	free(r->body);
	*r = (struct client_response){0};
}

const char *client_error_text(const struct client_response *r)
{
	static __thread char buf[256];
	struct json_object *o = json_tokener_parse(r->body ? r->body : "");
	struct json_object *e;

	snprintf(buf, sizeof(buf), "HTTP status %ld", r->status);
	if (o && json_object_object_get_ex(o, "error", &e))
		snprintf(buf, sizeof(buf), "%s (HTTP %ld)", json_object_get_string(e), r->status);
	json_object_put(o);
	return buf;
}
