/* metadata_fetch.c - see metadata_fetch.h. */
#include "metadata_fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * Per country code (two upper-case letters, so 26 * 26 slots and no
 * country is ever left out): when its metadata_url is next due, and the
 * validUntil of the in-service copy for which a reload was last asked
 * because it had expired.  Main thread only.
 */
static struct md_sched {
	int64_t next;
	int64_t expired_reload;
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
 * One country; *cache_s gets the document's cacheDuration (0 when none),
 * *valid_until its validUntil.
 */
static enum md_result
refresh_one(const struct gw_config *cfg, const struct gw_country_conf *c, struct gw_audit *audit,
    int64_t now, int64_t *cache_s, int64_t *valid_until)
{
	const struct gw_country_saml_conf *s = &c->saml;
	struct saml_idp_metadata *md = NULL;
	struct saml_sig_policy pol = { 0 };
	struct eidgw_diag d = { 0 };
	struct saml_trust trust;
	struct eidgw_buf doc;
	EVP_PKEY *signer;
	char why[256], nkeys[16];
	enum md_result res = MD_FAILED;

	if (s->metadata_cache_file == NULL || s->metadata_signer == NULL) {
		gw_logkv(LOG_ERR, NULL, "metadata.fetch_failed",
		    "metadata_url needs metadata_cache_file and metadata_signing_cert",
		    "country", c->code, (const char *)NULL);
		return MD_FAILED;
	}
	eidgw_buf_init(&doc, SAML_METADATA_MAX_BYTES);
	if (gw_fetch(s->metadata_url, 0, &doc, why, sizeof(why)) != GW_FETCH_OK) {
		gw_logkv(LOG_WARNING, NULL, "metadata.fetch_failed", why, "country", c->code,
		    "url", s->metadata_url, "using", "last good copy", (const char *)NULL);
		goto out;
	}
	signer = X509_get0_pubkey(s->metadata_signer);
	trust.keys = &signer;
	trust.nkeys = 1;
	pol.allow_rsa_pkcs1 = s->allow_rsa_pkcs1;
	pol.min_rsa_bits = (int)cfg->min_rsa_bits;
	if (saml_idp_metadata_parse(doc.data, doc.len, &trust, &pol, now,
	    s->idp_entity_id, &md, &d) != EIDGW_OK) {
		gw_logkv(LOG_ERR, NULL, "metadata.refused", d.reason, "country", c->code,
		    "code", eidgw_err_name(d.code), "url", s->metadata_url,
		    "using", "last good copy", (const char *)NULL);
		goto out;
	}
	*cache_s = md->cache_duration_s;
	*valid_until = md->valid_until;
	if (same_as_file(s->metadata_cache_file, doc.data, doc.len)) {
		res = MD_SAME;
		goto out;
	}
	if (!gw_metadata_write_cache(s->metadata_cache_file, doc.data, doc.len)) {
		gw_logkv(LOG_ERR, NULL, "metadata.cache_failed", strerror(errno), "country", c->code,
		    "file", s->metadata_cache_file, (const char *)NULL);
		goto out;
	}
	(void)snprintf(nkeys, sizeof(nkeys), "%zu", md->nsigning);
	gw_logkv(LOG_NOTICE, NULL, "metadata.changed", "new verified metadata in the cache",
	    "country", c->code, "entity", md->entity_id, "signing_keys", nkeys,
	    (const char *)NULL);
	if (audit != NULL) {
		struct eidgw_diag ad = { 0 };
		unsigned char dg[32];
		unsigned int dl = 0;
		char hex[65] = "";

		if (EVP_Digest(doc.data, doc.len, dg, &dl, EVP_sha256(), NULL) == 1 && dl == 32)
			eidgw_hex(hex, dg, 32);
		if (gw_audit_append(audit, GW_AUDIT_METADATA_CHANGED, (struct gw_audit_field[]){
		    GW_AUDIT_STR("country", c->code), GW_AUDIT_STR("entity", md->entity_id),
		    GW_AUDIT_INT("signing_keys", (int64_t)md->nsigning),
		    GW_AUDIT_STR("metadata_sha256", hex) }, 4, &ad) != EIDGW_OK)
			gw_log_diag(LOG_CRIT, NULL, "audit.append_failed", &ad);
	}
	res = MD_CHANGED;
out:
	saml_idp_metadata_free(md);
	eidgw_buf_free(&doc);
	return res;
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

bool
gw_metadata_refresh_at(const struct gw_config *cfg, bool force, struct gw_audit *audit,
    int64_t now)
{
	int64_t cache_s, valid_until;
	struct md_sched *sc;
	enum md_result res;
	bool changed = false;
	size_t i;

	for (i = 0; i < cfg->n_countries; i++) {
		const struct gw_country_conf *c = &cfg->countries[i];

		if (!c->enabled || c->connector == NULL || strcmp(c->connector, "eidas-saml") != 0 ||
		    (sc = sched_of(c->code)) == NULL)
			continue;
		if (c->saml.metadata_url != NULL && c->saml.metadata_file == NULL &&
		    (force || now >= sc->next)) {
			cache_s = 0;
			valid_until = 0;
			res = refresh_one(cfg, c, audit, now, &cache_s, &valid_until);
			if (res == MD_CHANGED)
				changed = true;
			sc->next = gw_metadata_next_due(now, c->saml.metadata_refresh_s,
			    res != MD_FAILED, cache_s, valid_until);
		}
		if (expired_in_service(cfg, c, sc, now))
			changed = true;
	}
	return changed;
}

bool
gw_metadata_refresh(const struct gw_config *cfg, bool force, struct gw_audit *audit)
{
	return gw_metadata_refresh_at(cfg, force, audit, eidgw_now());
}
