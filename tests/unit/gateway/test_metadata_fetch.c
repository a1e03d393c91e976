/*
 * Unit tests for gateway/src/metadata_fetch.c without a network: when a
 * metadata_url is next due, and the reload asked for when the verified IdP
 * metadata a snapshot serves with passes its validUntil.
 */
#include "testlib.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metadata_fetch.h"
#include "runtime.h"

/* A snapshot with one enabled eidas-saml country served from a file. */
struct fake {
	struct gw_config cfg;
	struct gw_country_conf country;
	struct gw_runtime rt;
	struct gw_country_rt crt;
	struct saml_idp_metadata idp;
};

static void
fake_init(struct fake *f, const char *code, int64_t valid_until)
{
	memset(f, 0, sizeof(*f));
	(void)snprintf(f->country.code, sizeof(f->country.code), "%s", code);
	f->country.enabled = true;
	f->country.connector = (char *)"eidas-saml";
	f->country.saml.metadata_file = (char *)"/nonexistent/md.xml";
	f->cfg.countries = &f->country;
	f->cfg.n_countries = 1;
	f->idp.valid_until = valid_until;
	f->crt.conf = &f->country;
	f->crt.state = GW_COUNTRY_READY;
	f->crt.idp = &f->idp;
	f->rt.countries = &f->crt;
	f->rt.n_countries = 1;
	f->cfg.runtime = &f->rt;
}

static void
test_expired_in_service_asks_reload(void **state)
{
	const int64_t t0 = 1900000000;
	struct fake f;

	(void)state;
	fake_init(&f, "XA", t0 + 100);
	/* still valid: nothing to do */
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0));
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 99));
	/* expired while the snapshot serves it: one reload, not one per tick */
	assert_true(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 100));
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 101));
	assert_false(gw_metadata_refresh_at(&f.cfg, true, NULL, t0 + 500));

	/* the reloaded snapshot marks it unavailable: nothing more to ask */
	f.crt.state = GW_COUNTRY_UNAVAILABLE;
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 600));

	/* a newer copy in service that expires in its turn asks again */
	f.crt.state = GW_COUNTRY_READY;
	f.idp.valid_until = t0 + 1000;
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 999));
	assert_true(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 1000));

	/* disabled countries and plugin connectors are not looked at */
	fake_init(&f, "XB", t0);
	f.country.enabled = false;
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 10));
	f.country.enabled = true;
	f.country.connector = (char *)"test-auto";
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 10));
	/* no runtime (a bare snapshot) */
	fake_init(&f, "XC", t0);
	f.cfg.runtime = NULL;
	assert_false(gw_metadata_refresh_at(&f.cfg, false, NULL, t0 + 10));
}

static void
test_next_due(void **state)
{
	const int64_t now = 1900000000;

	(void)state;
	/* failure: retry in 300 s, or sooner when the interval is shorter */
	assert_int_equal(gw_metadata_next_due(now, 3600, false, 0, 0), now + 300);
	assert_int_equal(gw_metadata_next_due(now, 120, false, 0, 0), now + 120);
	/* success: the interval ... */
	assert_int_equal(gw_metadata_next_due(now, 3600, true, 0, now + 7 * 86400), now + 3600);
	/* ... or cacheDuration when shorter, never under 60 s */
	assert_int_equal(gw_metadata_next_due(now, 3600, true, 600, now + 7 * 86400), now + 600);
	assert_int_equal(gw_metadata_next_due(now, 3600, true, 5, now + 7 * 86400), now + 60);
	/* ... or half-way to validUntil, so the copy is renewed before it expires */
	assert_int_equal(gw_metadata_next_due(now, 86400, true, 0, now + 7200), now + 3600);
	assert_int_equal(gw_metadata_next_due(now, 604800, true, 0, now + 86400), now + 43200);
	assert_int_equal(gw_metadata_next_due(now, 3600, true, 0, now + 30), now + 60);
}

/*
 * The cache is replaced atomically through a temporary file nobody can
 * plant: a symbolic link named like the old fixed temporary name
 * ("<cache>.tmp") pointing at another file is neither written through nor
 * renamed over the cache.
 */
static void
test_write_cache(void **state)
{
	char *dir, *data;
	char cache[4096], planted[4096], victim[4096];
	struct stat st;
	struct dirent *de;
	size_t len, n = 0;
	DIR *d;

	(void)state;
	assert_non_null(dir = tl_mkdtemp());
	(void)snprintf(cache, sizeof(cache), "%s/LU.xml", dir);
	(void)snprintf(planted, sizeof(planted), "%s/LU.xml.tmp", dir);
	(void)snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(tl_write_file(victim, "precious\n", 9), 0);
	assert_int_equal(symlink(victim, planted), 0);
	assert_int_equal(tl_write_file(cache, "old", 3), 0);

	assert_true(gw_metadata_write_cache(cache, "<md>new</md>", 12));
	assert_non_null(data = tl_read_file(victim, &len));
	assert_int_equal(len, 9);
	assert_memory_equal(data, "precious\n", 9);
	free(data);
	assert_int_equal(lstat(cache, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_non_null(data = tl_read_file(cache, &len));
	assert_int_equal(len, 12);
	assert_memory_equal(data, "<md>new</md>", 12);
	free(data);
	/* no temporary left behind: LU.xml, LU.xml.tmp (planted), victim */
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, 3);

	/* a directory that does not exist: false, nothing written */
	(void)snprintf(cache, sizeof(cache), "%s/nope/LU.xml", dir);
	assert_false(gw_metadata_write_cache(cache, "x", 1));
	tl_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expired_in_service_asks_reload),
		cmocka_unit_test(test_next_due),
		cmocka_unit_test(test_write_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
