/*
 * audit_events.h - what the request handlers record in the audit log, in
 * one place: each helper builds the record's fields and appends it durably
 * before the handler answers.  A failed append makes the handler refuse
 * the step (fail closed): nothing happens that the log cannot show.
 * Personal data only ever enters a record as a keyed hash (PII fields).
 */
#ifndef EIDGW_GW_AUDIT_EVENTS_H
#define EIDGW_GW_AUDIT_EVENTS_H

#include <stddef.h>

#include "audit.h"
#include "core/err.h"
#include "http.h"
#include "oidc/oidc.h"

/*
 * Writes ev with fields when the audit log is on (EIDGW_OK when it is off)
 * and makes the answer to req wait until the record is on disk
 * (gw_req_hold_for_audit); an error means the record was not written.
 */
enum eidgw_err gw_audit_req(const struct gw_req *req, enum gw_audit_event ev,
    const struct gw_audit_field *f, size_t n) EIDGW_MUST_USE;
/*
 * Writes a progress record (login_started, authn_request_sent): one that
 * hands nothing out.  The answer does not wait for it; it reaches the disk
 * with the next sync, at the latest about a second later, and always before
 * any later record's answer (a sync covers every line written before it).
 * An error means the record was not written.
 */
enum eidgw_err gw_audit_req_progress(const struct gw_req *req, enum gw_audit_event ev,
    const struct gw_audit_field *f, size_t n) EIDGW_MUST_USE;
/* Lowercase hex SHA-256 of data (for message and token hashes). */
void gw_sha256_hex(const void *data, size_t len, char out[65]);
/* A string claim of a compact JWS payload, NOT verified (caller frees); NULL if absent. */
char *gw_jwt_claim_str(const char *jwt, const char *claim);
/* Records what the token endpoint issued (client, sub, scope, token type, token hashes). */
enum eidgw_err gw_audit_tokens(const struct gw_req *req, const struct oidc_issued *is)
    EIDGW_MUST_USE;

#endif
