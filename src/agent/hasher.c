/* SPDX-License-Identifier: MIT */
/*
 * Two rings under one mutex: requests (fd, id, max) that the threads take in order, and
 * results that the loop takes. Both hold at most queue_max entries; a request is refused
 * when the requests plus the results not yet taken would pass that, so a result always
 * has room.
 */
#include "hasher.h"

#include "hash.h"
#include "log.h"
#include "macros.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define HASHER_THREADS_MAX 8

struct request {
	uint64_t id;
	int fd;
	uint64_t max;
};

struct hasher {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct request *req;
	struct hash_result *res;
	size_t cap, req_head, n_req, res_head, n_res, busy;
	bool stopping;
	int event_fd;
	pthread_t threads[HASHER_THREADS_MAX];
	unsigned n_threads;
};

static void *hasher_main(void *userdata)
{
	struct hasher *h = userdata;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		struct request q;
		struct hash_result res = {0};
		uint64_t one = 1;

		while (!h->n_req && !h->stopping)
			pthread_cond_wait(&h->work, &h->lock);
		if (h->stopping)
			break;
		q = h->req[h->req_head];
		h->req_head = (h->req_head + 1) % h->cap;
		h->n_req--;
		h->busy++;
		pthread_mutex_unlock(&h->lock);

		res.id = q.id;
		res.fd = q.fd;
		res.r = hash_fd_sha256(q.fd, q.max, res.sha256, &res.size);

		pthread_mutex_lock(&h->lock);
		h->busy--;
		h->res[(h->res_head + h->n_res) % h->cap] = res;
		h->n_res++;
		if (write(h->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn_errno(neg_errno(), "hasher: eventfd");
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

int hasher_new(unsigned threads, size_t queue_max, struct hasher **ret)
{
	struct hasher *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->work, NULL);
	h->cap = MAX(queue_max, (size_t)1);
	h->req = calloc(h->cap, sizeof(*h->req));
	h->res = calloc(h->cap, sizeof(*h->res));
	h->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!h->req || !h->res || h->event_fd < 0) {
		r = h->event_fd < 0 && h->req && h->res ? neg_errno() : -ENOMEM;
		hasher_free(h);
		return r;
	}
	threads = MIN(MAX(threads, 1u), (unsigned)HASHER_THREADS_MAX);
	for (; h->n_threads < threads; h->n_threads++) {
		r = pthread_create(&h->threads[h->n_threads], NULL, hasher_main, h);
		if (r != 0) {
			hasher_free(h);
			return -r;
		}
	}
	*ret = h;
	return 0;
}

void hasher_free(struct hasher *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_broadcast(&h->work);
	pthread_mutex_unlock(&h->lock);
	for (unsigned i = 0; i < h->n_threads; i++)
		pthread_join(h->threads[i], NULL);
	for (size_t i = 0; i < h->n_req; i++)
		close(h->req[(h->req_head + i) % h->cap].fd);
	for (size_t i = 0; i < h->n_res; i++)
		close(h->res[(h->res_head + i) % h->cap].fd);
	if (h->event_fd >= 0)
		close(h->event_fd);
	free(h->req);
	free(h->res);
	pthread_cond_destroy(&h->work);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int hasher_fd(const struct hasher *h)
{
	return h->event_fd;
}

int hasher_submit(struct hasher *h, uint64_t id, int fd, uint64_t max)
{
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (h->n_req + h->busy + h->n_res >= h->cap) {
		r = -EAGAIN;
	} else {
		h->req[(h->req_head + h->n_req) % h->cap] =
		        (struct request){.id = id, .fd = fd, .max = max};
		h->n_req++;
		pthread_cond_signal(&h->work);
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

size_t hasher_take(struct hasher *h, struct hash_result *out, size_t n)
{
	uint64_t count;
	size_t k = 0;

	if (read(h->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn_errno(neg_errno(), "hasher: eventfd");
	pthread_mutex_lock(&h->lock);
	for (; k < n && h->n_res; k++) {
		out[k] = h->res[h->res_head];
		h->res_head = (h->res_head + 1) % h->cap;
		h->n_res--;
	}
	/* Some left for the next call: keep the eventfd readable. */
	if (h->n_res) {
		count = 1;
		if (write(h->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			log_warn_errno(neg_errno(), "hasher: eventfd");
	}
	pthread_mutex_unlock(&h->lock);
	return k;
}
