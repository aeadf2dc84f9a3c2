/* SPDX-License-Identifier: MIT */
/*
 * local.c - the in-process server of local.h: request.c's path on the
 * caller's thread, with the writer's group commit done in line.
 */
#include "local.h"

#include <stdlib.h>

#include "server_impl.h"

wb_err
wb_rpc_local_new(wb_rpc_server **out, wb_journal *j,
                 const wb_rpc_server_opts *o)
{
	wb_err rc;

	*out = NULL;
	if (j == NULL || o == NULL) {
		return WB_EINVAL;
	}
	if ((rc = srv_new(out, j, o)) != WB_OK) {
		return rc;
	}
	(*out)->local = true;
	return WB_OK;
}

void
wb_rpc_local_free(wb_rpc_server *s)
{
	srv_free(s);
}

/* The job ops_dispatch queued for the writer (there is no writer here:
 * the queue holds at most this one). */
static struct submit_job *
take_job(struct wb_rpc_server *s)
{
	struct submit_job *job;

	pthread_mutex_lock(&s->wlock);
	if ((job = s->whead) != NULL) {
		s->whead = job->next;
		if (s->whead == NULL) {
			s->wtail = NULL;
		}
		s->queued_stamps -= job->n;
	}
	pthread_mutex_unlock(&s->wlock);
	return job;
}

wb_err
wb_rpc_local_call(uint8_t **reply_out, size_t *len_out, wb_rpc_server *s,
                  uint32_t conn, const void *msg, size_t len)
{
	op_reply r = { 0 };
	struct submit_job *job = NULL;
	uint64_t id;
	wb_err rc;

	*reply_out = NULL;
	*len_out = 0;
	id = srv_request(s, NULL, msg, len, conn, &r);
	if (r.deferred) {
		if ((job = take_job(s)) == NULL) {
			return WB_EINTERNAL;
		}
		srv_commit_jobs(s, &job, 1, job->n);
		id = job->request_id;
		r = (op_reply){ 0 };
		ops_submit_done(s, job, &r);
		ops_job_free(job);
	}
	if (r.status != WB_OK) {
		atomic_fetch_add(&s->refusals, 1);
	}
	rc = srv_reply_encode(reply_out, len_out, id, &r);
	free(r.body);
	return rc;
}

void
wb_rpc_local_close_conn(wb_rpc_server *s, uint32_t conn)
{
	srv_forget_pipe(s, conn);
}
