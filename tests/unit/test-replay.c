/* SPDX-License-Identifier: MIT */
/*
 * detect_event_from_json(): events written into a report and read back give the rules the
 * same fields, so re-scoring a stored report rules as the detonation did.
 */
#include "event.h"
#include "replay.h"
#include "report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#define T0 1000000000ull

/* ev through a report's JSON and back. */
static void round_trip(const struct event *ev, struct event *ret)
{
	struct report *r;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json_object *root, *events;

	assert_non_null(f);
	assert_int_equal(report_new(&r), 0);
	report_set_times(r, 1700000000000000000ull, 1700000001000000000ull, T0);
	report_set_outcome(r, "exited", 0);
	report_set_no_verdict(r);
	assert_int_equal(report_add_event(r, ev), 0);
	assert_int_equal(report_write_json(r, f), 0);
	fclose(f);
	root = json_tokener_parse(text);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "events", &events));
	assert_int_equal(json_object_array_length(events), 1);
	assert_int_equal(detect_event_from_json(json_object_array_get_idx(events, 0), ret), 0);
	json_object_put(root);
	report_free(r);
	free(text);
}

static struct event *event_new(enum event_type type)
{
	struct event *ev = calloc(1, sizeof(*ev));

	assert_non_null(ev);
	ev->type = type;
	ev->time_ns = T0 + 42000000ull;
	ev->pid = 7;
	ev->ppid = 1;
	ev->uid = 1000;
	snprintf(ev->comm, sizeof(ev->comm), "dropper");
	return ev;
}

static void test_exec(void **state)
{
	struct event *ev = event_new(EV_PROC_EXEC), *back = calloc(1, sizeof(*back));
	static const char argv[] = "curl\0-s\0http://x/y";

	snprintf(ev->path, sizeof(ev->path), "/usr/bin/curl");
	memcpy(ev->data, argv, sizeof(argv));
	ev->data_len = sizeof(argv);
	round_trip(ev, back);
	assert_int_equal(back->type, EV_PROC_EXEC);
	assert_int_equal(back->pid, 7);
	assert_int_equal(back->ppid, 1);
	assert_int_equal(back->uid, 1000);
	assert_string_equal(back->comm, "dropper");
	assert_string_equal(back->path, "/usr/bin/curl");
	assert_int_equal(back->data_len, sizeof(argv));
	assert_memory_equal(back->data, argv, sizeof(argv));
	assert_true(back->time_ns == ev->time_ns); /* t_ms: exact to the millisecond */
	free(ev);
	free(back);
}

static void test_connect_inet(void **state)
{
	struct event *ev = event_new(EV_NET_CONNECT), *back = calloc(1, sizeof(*back));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(4444)};
	struct sockaddr_in got;

	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	memcpy(ev->data, &sin, sizeof(sin));
	ev->data_len = sizeof(sin);
	ev->arg0 = AF_INET;
	ev->arg2 = SOCK_STREAM;
	round_trip(ev, back);
	assert_int_equal(back->arg0, AF_INET);
	assert_int_equal(back->arg2, SOCK_STREAM);
	memcpy(&got, back->data, sizeof(got));
	assert_int_equal(got.sin_family, AF_INET);
	assert_int_equal(ntohs(got.sin_port), 4444);
	assert_int_equal(got.sin_addr.s_addr, sin.sin_addr.s_addr);
	free(ev);
	free(back);
}

static void test_open_chmod_exit(void **state)
{
	struct event *ev = event_new(EV_FILE_OPEN), *back = calloc(1, sizeof(*back));

	snprintf(ev->path, sizeof(ev->path), "/etc/shadow");
	ev->arg0 = 02 | 0100; /* O_RDWR | O_CREAT */
	ev->arg1 = 1;
	round_trip(ev, back);
	assert_int_equal(back->arg0, 02 | 0100);
	assert_int_equal(back->arg1, 1);

	*ev = (struct event){.type = EV_FILE_CHMOD, .pid = 7, .arg0 = 04755};
	snprintf(ev->path, sizeof(ev->path), "/tmp/x");
	round_trip(ev, back);
	assert_int_equal(back->arg0, 04755);

	*ev = (struct event){.type = EV_PROC_EXIT, .pid = 7, .arg0 = 3 << 8};
	round_trip(ev, back);
	assert_int_equal(back->arg0, 3 << 8);
	free(ev);
	free(back);
}

static void test_http_dns(void **state)
{
	struct event *ev = event_new(EV_HTTP_REQUEST), *back = calloc(1, sizeof(*back));

	snprintf(ev->path, sizeof(ev->path), "evil.example");
	snprintf(ev->path2, sizeof(ev->path2), "POST /upload");
	snprintf(ev->data, sizeof(ev->data), "curl/7.88");
	ev->data_len = (__u32)strlen(ev->data);
	round_trip(ev, back);
	assert_string_equal(back->path, "evil.example");
	assert_string_equal(back->path2, "POST /upload");
	assert_string_equal(back->data, "curl/7.88");

	*ev = (struct event){.type = EV_DNS_QUERY, .arg0 = 1, .arg1 = 0x0a000001};
	snprintf(ev->path, sizeof(ev->path), "evil.example");
	round_trip(ev, back);
	assert_string_equal(back->path, "evil.example");
	assert_int_equal(back->arg0, 1);
	assert_int_equal(back->arg1, 0x0a000001);
	free(ev);
	free(back);
}

static void test_refuses_garbage(void **state)
{
	struct event ev;
	struct json_object *o = json_tokener_parse("{\"type\":\"no_such_type\",\"pid\":1}");

	assert_int_equal(detect_event_from_json(o, &ev), -EINVAL);
	json_object_put(o);
	o = json_tokener_parse("[1,2]");
	assert_int_equal(detect_event_from_json(o, &ev), -EINVAL);
	json_object_put(o);
	/* Wrong value types are skipped, not trusted. */
	o = json_tokener_parse("{\"type\":\"proc_exec\",\"pid\":\"x\",\"path\":5,\"argv\":[1]}");
	assert_int_equal(detect_event_from_json(o, &ev), 0);
	assert_string_equal(ev.path, "");
	assert_int_equal(ev.data_len, 0);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exec),
	        cmocka_unit_test(test_connect_inet),
	        cmocka_unit_test(test_open_chmod_exit),
	        cmocka_unit_test(test_http_dns),
	        cmocka_unit_test(test_refuses_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
