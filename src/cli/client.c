/* SPDX-License-Identifier: MIT */
#include "client.h"

#include "macros.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESPONSE_MAX    (512ull << 20)
#define REQUEST_TIMEOUT 600L

int client_setup(struct client *c, const char *cmd)
{
	if (!c->server)
		c->server = getenv("SANDTRAP_SERVER");
	if (!c->server || !c->server[0])
		c->server = CLIENT_DEFAULT_SERVER;
	if (!c->token)
		c->token = getenv("SANDTRAP_TOKEN");
	if (!c->cacert)
		c->cacert = getenv("SANDTRAP_CACERT");
	if (!c->token || !c->token[0]) {
		fprintf(stderr, "sandtrap %s: no token: give --token or set SANDTRAP_TOKEN\n", cmd);
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
