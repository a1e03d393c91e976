/* metadata_fetch.c - see metadata_fetch.h. */
#include "metadata_fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit.h"
#include "core/buf.h"
#include "core/util.h"
#include "fetch.h"
#include "log.h"
#include "runtime.h"
#include "saml/metadata.h"

#define MD_RETRY_S 300
#define MD_MIN_REFRESH_S 60			/* after a failure, try again sooner */
#define MD_IN_FLIGHT INT64_MAX			/* sched.next while the fetcher has it */
#define MD_PARALLEL 8				/* forced fetches at a time */

/*
 * Per country code (two upper-case letters, so 26 * 26 slots and no
 * country is ever left out): when its metadata_url is next due, for which
 * source (URL, cache file, expected entity, signer), and the validUntil of
 * the in-service copy for which a reload was last asked because it had
 * expired.  Main thread only.
 */
static struct md_sched {
	int64_t next;
	int64_t expired_reload;
	unsigned char source[32];	/* source_id() of what next was set for */
} sched[26 * 26];

static struct md_sched *
sched_of(const char *code)
{
	if (code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2] != '\0')
		return NULL;
	return &sched[(code[0] - 'A') * 26 + (code[1] - 'A')];
}

int64_t
gw_metadata_next_due(int64_t now, unsigned int every, bool ok, int64_t cache_s,
    int64_t valid_until)
{
	int64_t wait = every != 0 ? (int64_t)every : 3600, left;

	if (!ok)
		return now + (wait < MD_RETRY_S ? wait : MD_RETRY_S);
	/* SAML metadata 2.3.1: cacheDuration bounds how long a copy may be relied on */
	if (cache_s > 0 && cache_s < wait)
		wait = cache_s;
	/*
	 * Fetch again well before validUntil: at the latest half-way to it, so
	 * a source that publishes short-lived documents is asked in time and a
	 * failed attempt still leaves room for retries before the copy expires.
	 */
	if (valid_until > now) {
		left = (valid_until - now) / 2;
		if (left < wait)
			wait = left;
	}
	if (wait < MD_MIN_REFRESH_S)
		wait = MD_MIN_REFRESH_S;	/* never hammer the source */
	return now + wait;
}

/*
 * Writes data to path through a temporary file, fsync and rename: never a
 * torn copy.  The temporary file gets a fresh random name and is created
 * with O_EXCL (mkostemp), so nothing planted beside the cache file (a
 * symbolic link named like the temporary) can make the gateway write
 * through it; the directory is synced after the rename so that the new copy
 * survives a crash.
 */
bool
gw_metadata_write_cache(const char *path, const char *data, size_t len)
{
	char tmp[4096], *slash;
	ssize_t w;
	size_t off;
	int fd, dfd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return false;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return false;
	for (off = 0; off < len; off += (size_t)w) {
		if ((w = write(fd, data + off, len - off)) <= 0) {
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			goto fail;
		}
	}
	/* metadata is public: readable like the rest of the configuration */
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	if ((slash = strrchr(tmp, '/')) != NULL) {
		if (slash == tmp)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if ((dfd = open(slash != NULL ? tmp : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	return true;
fail:
	e = errno;
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(tmp);
	errno = e;
	return false;
}

static bool
same_as_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n, off = 0;
	bool same = true;

	if (f == NULL)
		return false;
	while (same && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (off + n > len || memcmp(buf, data + off, n) != 0)
			same = false;
		off += n;
	}
	fclose(f);
	return same && off == len;
}

enum md_result {
	MD_FAILED = 0,		/* not fetched or not valid: the last good copy stays */
	MD_SAME,		/* valid and identical to the cache */
	MD_CHANGED,		/* valid and new: the cache now holds it */
};

/*
 * One fetch, with copies of everything it needs from the snapshot, so that
 * it can run on the fetcher thread while the snapshot is released.
 */
struct md_job {
	char code[3];
	unsigned char source[32];	/* the source it was made for */
	char *url;
	char *cache_file;
	char *expected_entity;		/* idp_entity_id, or NULL */
	X509 *signers[GW_MAX_MD_SIGNERS];	/* references of its own */
	size_t nsigners;
	bool allow_rsa_pkcs1;
	int min_rsa_bits;
	int64_t now;
	/* the outcome */
	enum md_result res;
	int64_t cache_s;		/* cacheDuration, 0 when none */
	int64_t valid_until;
	char *entity;			/* entityID of the verified document */
	size_t nsigning;
	char sha256[65];
};

/*
 * A digest of where a country's metadata comes from and what it must
 * verify against.  A reload that changes any of it (a node moved to a new
 * URL, a new metadata signer) makes the country due at once: the schedule
 * of the old source must not keep the new one waiting for up to
 * metadata_refresh_s.
 */
static void
source_id(const struct gw_country_conf *c, unsigned char out[32])
{
	const struct gw_country_saml_conf *s = &c->saml;
	const char *parts[3] = { s->metadata_url, s->metadata_cache_file, s->idp_entity_id };
	unsigned char fp[EVP_MAX_MD_SIZE];
	unsigned int fplen = 0;
	EVP_MD_CTX *md;
	size_t i;

	memset(out, 0, 32);
	if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 0; i < 3; i++)
		if (EVP_DigestUpdate(md, parts[i] != NULL ? parts[i] : "", parts[i] != NULL ?
		    strlen(parts[i]) + 1 : 1) != 1)
			goto out;
	for (i = 0; i < s->n_metadata_signers; i++)
		if (X509_digest(s->metadata_signers[i], EVP_sha256(), fp, &fplen) != 1 ||
		    EVP_DigestUpdate(md, fp, fplen) != 1)
			goto out;
	(void)EVP_DigestFinal_ex(md, out, NULL);
out:
	EVP_MD_CTX_free(md);
}

static void
job_clear(struct md_job *j)
{
	free(j->url);
	free(j->cache_file);
	free(j->expected_entity);
	free(j->entity);
	size_t i;

	for (i = 0; i < j->nsigners; i++)
		X509_free(j->signers[i]);
	memset(j, 0, sizeof(*j));
}

static bool
job_init(struct md_job *j, const struct gw_config *cfg, const struct gw_country_conf *c,
    int64_t now)
{
	const struct gw_country_saml_conf *s = &c->saml;
	size_t i;

	memset(j, 0, sizeof(*j));
	memcpy(j->code, c->code, sizeof(j->code));
	source_id(c, j->source);
	j->allow_rsa_pkcs1 = s->allow_rsa_pkcs1;
	j->min_rsa_bits = (int)cfg->min_rsa_bits;
	j->now = now;
	if ((j->url = eidgw_strdup(s->metadata_url)) == NULL ||
	    (s->metadata_cache_file != NULL &&
	    (j->cache_file = eidgw_strdup(s->metadata_cache_file)) == NULL) ||
	    (s->idp_entity_id != NULL &&
	    (j->expected_entity = eidgw_strdup(s->idp_entity_id)) == NULL)) {
		job_clear(j);
		return false;
	}
	for (i = 0; i < s->n_metadata_signers; i++)
		if (X509_up_ref(s->metadata_signers[i]) == 1)
			j->signers[j->nsigners++] = s->metadata_signers[i];
	return true;
}

/* Fetches, verifies and keeps one document; any thread (logs, no audit). */
static void
job_run(struct md_job *j)
{
	struct saml_idp_metadata *md = NULL;
	struct saml_sig_policy pol = { 0 };
	struct eidgw_diag d = { 0 };
	struct saml_trust trust;
	struct eidgw_buf doc;
	EVP_PKEY *signers[GW_MAX_MD_SIGNERS];
	size_t i;
	unsigned char dg[32];
	unsigned int dl = 0;
	char why[256], nkeys[16];

	j->res = MD_FAILED;
	if (j->cache_file == NULL || j->nsigners == 0) {
		gw_logkv(LOG_ERR, NULL, "metadata.fetch_failed",
		    "metadata_url needs metadata_cache_file and metadata_signing_cert",
		    "country", j->code, (const char *)NULL);
		return;
	}
	eidgw_buf_init(&doc, SAML_METADATA_MAX_BYTES);
	if (gw_fetch(j->url, 0, &doc, why, sizeof(why)) != GW_FETCH_OK) {
		gw_logkv(LOG_WARNING, NULL, "metadata.fetch_failed", why, "country", j->code,
		    "url", j->url, "using", "last good copy", (const char *)NULL);
		goto out;
	}
	for (i = 0; i < j->nsigners; i++)
		signers[i] = X509_get0_pubkey(j->signers[i]);
	trust.keys = signers;
	trust.nkeys = j->nsigners;
	pol.allow_rsa_pkcs1 = j->allow_rsa_pkcs1;
	pol.min_rsa_bits = j->min_rsa_bits;
	if (saml_idp_metadata_parse(doc.data, doc.len, &trust, &pol, j->now, j->expected_entity,
	    &md, &d) != EIDGW_OK) {
		gw_logkv(LOG_ERR, NULL, "metadata.refused", d.reason, "country", j->code,
		    "code", eidgw_err_name(d.code), "url", j->url,
		    "using", "last good copy", (const char *)NULL);
		goto out;
	}
	j->cache_s = md->cache_duration_s;
	j->valid_until = md->valid_until;
	if (same_as_file(j->cache_file, doc.data, doc.len)) {
		j->res = MD_SAME;
		goto out;
	}
	if (!gw_metadata_write_cache(j->cache_file, doc.data, doc.len)) {
		gw_logkv(LOG_ERR, NULL, "metadata.cache_failed", strerror(errno), "country", j->code,
		    "file", j->cache_file, (const char *)NULL);
		goto out;
	}
	if (EVP_Digest(doc.data, doc.len, dg, &dl, EVP_sha256(), NULL) == 1 && dl == 32)
		eidgw_hex(j->sha256, dg, 32);
	j->nsigning = md->nsigning;
	j->entity = eidgw_strdup(md->entity_id);
	(void)snprintf(nkeys, sizeof(nkeys), "%zu", md->nsigning);
	gw_logkv(LOG_NOTICE, NULL, "metadata.changed", "new verified metadata in the cache",
	    "country", j->code, "entity", md->entity_id, "signing_keys", nkeys,
	    (const char *)NULL);
	j->res = MD_CHANGED;
out:
	saml_idp_metadata_free(md);
	eidgw_buf_free(&doc);
}

/* Main thread: the schedule and the audit record of a finished job. */
static bool
job_apply(const struct gw_config *cfg, const struct md_job *j, struct gw_audit *audit,
    int64_t now)
{
	const struct gw_country_conf *c = gw_config_country(cfg, j->code);
	struct md_sched *sc = sched_of(j->code);

	/* a job made for a source the configuration no longer names only reports */
	if (sc != NULL && memcmp(sc->source, j->source, sizeof(j->source)) == 0)
		sc->next = gw_metadata_next_due(now, c != NULL ? c->saml.metadata_refresh_s : 0,
		    j->res != MD_FAILED, j->cache_s, j->valid_until);
	if (j->res != MD_CHANGED)
		return false;
	if (audit != NULL) {
		struct eidgw_diag ad = { 0 };

		if (gw_audit_append(audit, GW_AUDIT_METADATA_CHANGED, (struct gw_audit_field[]){
		    GW_AUDIT_STR("country", j->code), GW_AUDIT_STR("entity", j->entity),
		    GW_AUDIT_INT("signing_keys", (int64_t)j->nsigning),
		    GW_AUDIT_STR("metadata_sha256", j->sha256) }, 4, &ad) != EIDGW_OK)
			gw_log_diag(LOG_CRIT, NULL, "audit.append_failed", &ad);
	}
	return true;
}

static void *
job_thread(void *arg)
{
	job_run(arg);
	return NULL;
}

/*
 * Runs n jobs, MD_PARALLEL at a time, each on a thread of its own (on the
 * calling thread when one cannot be started), and returns when all are
 * done: a forced refresh of many countries whose sources hang then takes
 * about one transfer timeout per MD_PARALLEL countries, not one per country.
 */
static void
jobs_run_parallel(struct md_job *jobs, size_t n)
{
	pthread_t t[MD_PARALLEL];
	bool started[MD_PARALLEL];
	sigset_t all, old;
	size_t i, k, m;

	/* signals belong to the main thread */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < n; i += m) {
		m = n - i < MD_PARALLEL ? n - i : MD_PARALLEL;
		for (k = 0; k < m; k++)
			started[k] = pthread_create(&t[k], NULL, job_thread, &jobs[i + k]) == 0;
		for (k = 0; k < m; k++) {
			if (started[k])
				(void)pthread_join(t[k], NULL);
			else
				job_run(&jobs[i + k]);
		}
	}
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * The fetcher thread.  Periodic refreshes run on it, so that a source that
 * is slow, unreachable or answers byte by byte (each fetch may take up to
 * its 15 s timeout) never holds up the main loop, which takes SIGTERM and
 * SIGHUP, flushes the store and keeps the other countries' schedules.  It
 * takes one batch at a time; the main thread hands a batch over only when
 * the previous one is back, and does the schedule and audit work itself.
 * Forced refreshes (start-up, SIGHUP) are waited for (jobs_run_parallel):
 * the caller builds a snapshot on their outcome right after.
 */
static pthread_mutex_t fetcher_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fetcher_cv = PTHREAD_COND_INITIALIZER;
static struct md_job *fetcher_batch;	/* owned by the fetcher while !fetcher_done */
static size_t fetcher_n;
static bool fetcher_done;
static bool fetcher_started;

static void *
fetcher_main(void *arg)
{
	struct md_job *batch;
	size_t i, n;

	(void)arg;
	for (;;) {
		(void)pthread_mutex_lock(&fetcher_mu);
		while (fetcher_batch == NULL || fetcher_done)
			(void)pthread_cond_wait(&fetcher_cv, &fetcher_mu);
		batch = fetcher_batch;
		n = fetcher_n;
		(void)pthread_mutex_unlock(&fetcher_mu);
		for (i = 0; i < n; i++)
			job_run(&batch[i]);
		(void)pthread_mutex_lock(&fetcher_mu);
		fetcher_done = true;
		(void)pthread_mutex_unlock(&fetcher_mu);
	}
	return NULL;
}

static bool
fetcher_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	bool ok;

	if (fetcher_started)
		return true;
	if (pthread_attr_init(&attr) != 0)
		return false;
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* signals belong to the main thread */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(&t, &attr, fetcher_main, NULL) == 0;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void)pthread_attr_destroy(&attr);
	fetcher_started = ok;
	return ok;
}

/* Takes back a finished batch, if any. */
static struct md_job *
fetcher_collect(size_t *np)
{
	struct md_job *batch = NULL;

	*np = 0;
	(void)pthread_mutex_lock(&fetcher_mu);
	if (fetcher_batch != NULL && fetcher_done) {
		batch = fetcher_batch;
		*np = fetcher_n;
		fetcher_batch = NULL;
		fetcher_n = 0;
		fetcher_done = false;
	}
	(void)pthread_mutex_unlock(&fetcher_mu);
	return batch;
}

static bool
fetcher_idle(void)
{
	bool idle;

	(void)pthread_mutex_lock(&fetcher_mu);
	idle = fetcher_batch == NULL;
	(void)pthread_mutex_unlock(&fetcher_mu);
	return idle;
}

static void
fetcher_submit(struct md_job *batch, size_t n)
{
	(void)pthread_mutex_lock(&fetcher_mu);
	fetcher_batch = batch;
	fetcher_n = n;
	fetcher_done = false;
	(void)pthread_cond_signal(&fetcher_cv);
	(void)pthread_mutex_unlock(&fetcher_mu);
}

/*
 * The verified metadata a snapshot holds is checked against validUntil only
 * when the snapshot is built; a snapshot can serve far longer (no change,
 * no SIGHUP, the source down).  When the copy in service has expired, ask
 * for a reload, once per copy: the new snapshot finds the copy expired and
 * marks the country unavailable instead of trusting its keys any longer.
 */
static bool
expired_in_service(const struct gw_config *cfg, const struct gw_country_conf *c,
    struct md_sched *sc, int64_t now)
{
	const struct gw_country_rt *rc = gw_runtime_country(gw_runtime_of(cfg), c->code);
	char until[32];

	if (rc == NULL || rc->state != GW_COUNTRY_READY || rc->idp == NULL ||
	    now < rc->idp->valid_until || sc->expired_reload == rc->idp->valid_until)
		return false;
	sc->expired_reload = rc->idp->valid_until;
	eidgw_time_fmt(rc->idp->valid_until, until);
	gw_logkv(LOG_ERR, NULL, "metadata.expired",
	    "the IdP metadata in service passed its validUntil; reloading to take it out of service",
	    "country", c->code, "valid_until", until, (const char *)NULL);
	return true;
}

static bool
remote(const struct gw_country_conf *c)
{
	return c->enabled && c->connector != NULL && strcmp(c->connector, "eidas-saml") == 0 &&
	    c->saml.metadata_url != NULL && c->saml.metadata_file == NULL;
}

bool
gw_metadata_refresh_at(const struct gw_config *cfg, bool force, struct gw_audit *audit,
    int64_t now)
{
	struct md_job *batch;
	struct md_sched *sc;
	unsigned char id[32];
	size_t i, n, due = 0;
	bool changed = false;

	/* what the fetcher finished since the last call */
	if ((batch = fetcher_collect(&n)) != NULL) {
		for (i = 0; i < n; i++) {
			if (job_apply(cfg, &batch[i], audit, now))
				changed = true;
			job_clear(&batch[i]);
		}
		free(batch);
	}
	for (i = 0; i < cfg->n_countries; i++) {
		const struct gw_country_conf *c = &cfg->countries[i];

		if (!remote(c) || (sc = sched_of(c->code)) == NULL)
			continue;
		source_id(c, id);
		if (memcmp(id, sc->source, sizeof(id)) != 0) {
			memcpy(sc->source, id, sizeof(id));
			sc->next = 0;		/* a new source: due now */
		}
		if (force || now >= sc->next)
			due++;
	}
	if (force && due != 0) {
		/* all of them, in parallel, before returning: the caller builds on them */
		if ((batch = calloc(due, sizeof(*batch))) == NULL)
			goto expiry;
		for (i = 0, n = 0; i < cfg->n_countries && n < due; i++) {
			const struct gw_country_conf *c = &cfg->countries[i];

			if (!remote(c) || (sc = sched_of(c->code)) == NULL)
				continue;
			/*
			 * Being fetched by the fetcher thread right now: that fetch
			 * is as fresh as this one would be, and two fetches of one
			 * country must not race to write its cache (the later
			 * writer could put back the older document).
			 */
			if (sc->next == MD_IN_FLIGHT)
				continue;
			if (job_init(&batch[n], cfg, c, now))
				n++;
			else
				sc->next = gw_metadata_next_due(now, c->saml.metadata_refresh_s,
				    false, 0, 0);
		}
		jobs_run_parallel(batch, n);
		for (i = 0; i < n; i++) {
			if (job_apply(cfg, &batch[i], audit, now))
				changed = true;
			job_clear(&batch[i]);
		}
		free(batch);
		goto expiry;
	}
	if (due != 0 && fetcher_idle()) {
		if ((batch = calloc(due, sizeof(*batch))) == NULL)
			goto expiry;
		for (i = 0, n = 0; i < cfg->n_countries && n < due; i++) {
			const struct gw_country_conf *c = &cfg->countries[i];

			if (!remote(c) || (sc = sched_of(c->code)) == NULL || now < sc->next)
				continue;
			if (job_init(&batch[n], cfg, c, now)) {
				sc->next = MD_IN_FLIGHT;
				n++;
			}
		}
		if (n == 0 || !fetcher_start()) {
			/* no thread: fetch here, as before */
			for (i = 0; i < n; i++) {
				job_run(&batch[i]);
				if (job_apply(cfg, &batch[i], audit, now))
					changed = true;
				job_clear(&batch[i]);
			}
			free(batch);
		} else
			fetcher_submit(batch, n);
	}
expiry:
	for (i = 0; i < cfg->n_countries; i++) {
		const struct gw_country_conf *c = &cfg->countries[i];

		if (c->enabled && c->connector != NULL && strcmp(c->connector, "eidas-saml") == 0 &&
		    (sc = sched_of(c->code)) != NULL && expired_in_service(cfg, c, sc, now))
			changed = true;
	}
	return changed;
}

bool
gw_metadata_refresh(const struct gw_config *cfg, bool force, struct gw_audit *audit)
{
	return gw_metadata_refresh_at(cfg, force, audit, eidgw_now());
}
