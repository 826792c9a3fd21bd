/* SPDX-License-Identifier: MIT */
/*
 * The privilege-separation protocol between the unprivileged HTTP process and the
 * privileged detonator, over a SOCK_SEQPACKET socketpair. Fixed-size messages only, each
 * with at most one file descriptor: a job (id, timeout, the object as a sealed memory
 * file) one way, a result (id, status, why, the report as a memory file) the other.
 * Nothing of variable length is parsed on the privileged side.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define JOBMSG_MAGIC       0x53544a42u /* "STJB" */
#define JOBMSG_TIMEOUT_MAX 3600u
#define JOBMSG_WHY_MAX     200
/* A result message with this magic is a progress note: status is a phase, no descriptor. */
#define JOBMSG_PROGRESS_MAGIC 0x53544a50u /* "STJP" */

/*
 * A result message with this magic is a dropped file: why is its sha256 (64 hex digits),
 * the descriptor the saved copy, read-only. Sent before the job's result, at most
 * JOBMSG_ARTEFACTS_MAX of them, each at most JOBMSG_ARTEFACT_MAX bytes and
 * JOBMSG_ARTEFACTS_BYTES_MAX in all (the report's own limits for dropped files).
 */
#define JOBMSG_ARTEFACT_MAGIC      0x53544a41u /* "STJA" */
#define JOBMSG_ARTEFACT_MAX        (64ull << 20)
#define JOBMSG_ARTEFACTS_BYTES_MAX (512ull << 20)
#define JOBMSG_ARTEFACTS_MAX       1000

/*
 * A rules bundle (POST /api/v1/rules): a job message with this magic carries a directory
 * (the unpacked bundle, the HTTP process's own files) and no timeout; its answer is a
 * result message with the same magic and no descriptor: status 0 and why
 * "<version> <behaviour rules> <YARA rules> <hashes>", or -errno and why the error.
 */
#define JOBMSG_RULES_MAGIC 0x53544a52u /* "STJR" */

enum jobmsg_phase {
	JOBMSG_PHASE_SCORING = 1, /* the detonation has ended, the verdict is being made */
};

struct jobmsg_job {
	uint32_t magic;
	uint32_t timeout_sec;
	int64_t id;
};

struct jobmsg_result {
	uint32_t magic;
	int32_t status; /* 0: report attached; -errno: failed, why says how */
	int64_t id;
	char why[JOBMSG_WHY_MAX];
};

/*
 * One datagram of len bytes, with fd attached when fd >= 0: the framing both directions
 * use. The typed senders below are what the daemon calls; the fuzzer sends raw bytes.
 */
int jobmsg_send(int sock, const void *msg, size_t len, int fd);

/* fd is the object; ownership stays with the caller. */
int jobmsg_job_send(int sock, const struct jobmsg_job *job, int fd);
/*
 * 0 with *ret_fd set; -EBADMSG for anything not exactly a well-formed job; 0 with id 0 at
 * EOF; 1 for a rules bundle (*ret_fd a directory).
 */
int jobmsg_job_recv(int sock, struct jobmsg_job *ret, int *ret_fd);
/* A rules bundle's directory (kept by the caller) to install, under id. */
int jobmsg_rules_send(int sock, int64_t id, int dirfd);

/* fd: the report, or -1 when the job failed. */
int jobmsg_result_send(int sock, const struct jobmsg_result *res, int fd);
/*
 * As jobmsg_job_recv(); *ret_fd is -1 when no report came. -ECONNRESET at EOF.
 * 0: a result; 1: a progress note (ret->status is the enum jobmsg_phase, no descriptor);
 * 2: an artefact (ret->why its sha256, *ret_fd a regular file of at most
 * JOBMSG_ARTEFACT_MAX bytes); 3: a rules bundle's answer (no descriptor).
 */
int jobmsg_result_recv(int sock, struct jobmsg_result *ret, int *ret_fd);
/* A dropped file of job id: fd (kept by the caller) holds the bytes whose sha256 is given. */
int jobmsg_artefact_send(int sock, int64_t id, const char *sha256, int fd);
/* The worker's note that job id has reached phase. */
int jobmsg_progress_send(int sock, int64_t id, enum jobmsg_phase phase);
