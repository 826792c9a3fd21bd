/* SPDX-License-Identifier: MIT */
#include "uplink.h"

#include "macros.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define ANSWER_MAX (4u << 20)

struct uplink {
	const struct uplink_config *cfg;
	CURL *curl;
	char *buf;
	size_t len;
	bool too_big;
	int upload_fd;
	off_t upload_off;
	const bool *cancel;
};

void uplink_set_cancel(struct uplink *u, const bool *flag)
{
	u->cancel = flag;
}

static int uplink_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
			   curl_off_t ultotal, curl_off_t ulnow)
{
	const struct uplink *u = userdata;

	return u->cancel && __atomic_load_n(u->cancel, __ATOMIC_RELAXED);
}

int uplink_new(const struct uplink_config *cfg, struct uplink **ret)
{
	struct uplink *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->cfg = cfg;
	u->curl = curl_easy_init();
	if (!u->curl) {
		free(u);
		return -ENOMEM;
	}
	*ret = u;
	return 0;
}

void uplink_free(struct uplink *u)
{
	if (!u)
		return;
	curl_easy_cleanup(u->curl);
	free(u->buf);
	free(u);
}

static size_t uplink_sink(char *data, size_t size, size_t n, void *userdata)
{
	struct uplink *u = userdata;
	size_t add = size * n;
	char *p;

	if (u->len + add > ANSWER_MAX) {
		u->too_big = true;
		return 0;
	}
	p = realloc(u->buf, u->len + add + 1);
	if (!p)
		return 0;
	memcpy(p + u->len, data, add);
	u->buf = p;
	u->len += add;
	u->buf[u->len] = '\0';
	return add;
}

static size_t uplink_source(char *data, size_t size, size_t n, void *userdata)
{
	struct uplink *u = userdata;
	ssize_t got;

	do
		got = pread(u->upload_fd, data, size * n, u->upload_off);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	u->upload_off += got;
	return (size_t)got;
}

static void uplink_prepare(struct uplink *u, const char *method, const char *path,
			   long timeout_ms, struct curl_slist **hdr)
{
	char url[2048], auth[512];
	CURL *c = u->curl;

	curl_easy_reset(c);
	free(u->buf);
	u->buf = NULL;
	u->len = 0;
	u->too_big = false;
	snprintf(url, sizeof(url), "%s%s", u->cfg->server, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", u->cfg->token);
	*hdr = curl_slist_append(*hdr, auth);
	*hdr = curl_slist_append(*hdr, "Expect:");
	explicit_bzero(auth, sizeof(auth));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, MIN(timeout_ms, 5000L));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (u->cfg->cacert && u->cfg->cacert[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, u->cfg->cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, uplink_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, uplink_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, u);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

static int uplink_finish(struct uplink *u, CURLcode rc, struct curl_slist *hdr,
			 struct json_object **ret_json)
{
	long status = 0;

	curl_slist_free_all(hdr);
	if (ret_json)
		*ret_json = NULL;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return -ETIMEDOUT;
	if (rc != CURLE_OK)
		return u->too_big ? -EFBIG : -EHOSTUNREACH;
	curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &status);
	if (ret_json && u->buf)
		*ret_json = json_tokener_parse(u->buf);
	return (int)status;
}

int uplink_call(struct uplink *u, const char *method, const char *path, const char *body,
		long timeout_ms, struct json_object **ret_json)
{
	struct curl_slist *hdr = NULL;

	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	uplink_prepare(u, method, path, timeout_ms, &hdr);
	curl_easy_setopt(u->curl, CURLOPT_HTTPHEADER, hdr);
	if (body) {
		curl_easy_setopt(u->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(u->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	return uplink_finish(u, curl_easy_perform(u->curl), hdr, ret_json);
}

int uplink_upload(struct uplink *u, const char *path, int fd, long timeout_ms,
		  struct json_object **ret_json)
{
	struct curl_slist *hdr = NULL;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	hdr = curl_slist_append(hdr, "Content-Type: application/octet-stream");
	uplink_prepare(u, "POST", path, timeout_ms, &hdr);
	u->upload_fd = fd;
	u->upload_off = 0;
	curl_easy_setopt(u->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(u->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(u->curl, CURLOPT_READFUNCTION, uplink_source);
	curl_easy_setopt(u->curl, CURLOPT_READDATA, u);
	curl_easy_setopt(u->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
	return uplink_finish(u, curl_easy_perform(u->curl), hdr, ret_json);
}

int uplink_server_addr(const struct uplink_config *cfg, char *buf, size_t size)
{
	CURLU *url = curl_url();
	char *host = NULL, *port = NULL;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	char ip[INET6_ADDRSTRLEN];
	int r = -EINVAL;

	if (!url || curl_url_set(url, CURLUPART_URL, cfg->server, 0) != CURLUE_OK ||
	    curl_url_get(url, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if (host[0] == '[') { /* an IPv6 literal keeps its brackets in the URL API */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		goto out;
	if (ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip,
			  sizeof(ip));
	snprintf(buf, size, ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", ip, port);
	r = 0;
out:
	if (ai)
		freeaddrinfo(ai);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(url);
	return r;
}
