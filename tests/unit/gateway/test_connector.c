/*
 * Connector plugins loaded from disk: the loader's refusals (ABI, modes,
 * owners, symlinks, names, missing files, bad settings with full rollback),
 * the host services a plugin gets, and the shipped plugins driven through
 * their operations table (test-auto and example-national).
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "app.h"
#include "config.h"
#include "connector.h"
#include "core/store.h"
#include "core/util.h"
#include "gwfixture.h"

#define STATE_1 "txn-4f2a9c"
#define NATID_KEY_B64 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define NATID_KEY "0123456789abcdef0123456789abcdef"

static const char TA_SETTINGS[] =
    "i_understand_this_is_for_tests: true\n"
    "person_identifier: DE/DE/TEST-0001\n"
    "family_name: \"Mustermann\"\n"
    "given_name: 'Erika Anna'\n"
    "birth_date: 1964-08-12\n"
    "loa: substantial\n";

static const char NI_SETTINGS[] =
    "login_url: https://login.natid.example/authorize\n"
    "client_id: eidgw-test\n"
    "answer_key: " NATID_KEY_B64 "\n"
    "destination: NL\n"
    "max_age_s: 300\n"
    "clock_skew_s: 60\n";

static struct {
	char *confdir;
	char *plugdir;
	struct gw_config *cfg;
	struct gw_app app;
} G;

/* ---- fixture ------------------------------------------------------------- */

static int
copy_file(const char *from, const char *to, mode_t mode)
{
	size_t len;
	char *data = tl_read_file(from, &len);
	int rc;

	if (data == NULL)
		return -1;
	(void)unlink(to);
	rc = tl_write_file(to, data, len);
	free(data);
	if (rc == 0)
		rc = chmod(to, mode);
	return rc;
}

static const char *
built(const char *name)
{
	static char p[4096];

	(void)snprintf(p, sizeof(p), "%s/connectors/%s.so", EIDGW_BINARY_DIR, name);
	return p;
}

static int
group_setup(void **state)
{
	static const char *const plugins[] = { "test-auto", "bad-abi", "example-national" };
	char tail[4200], so[512], *country = NULL;
	struct gw_config_errors errs = { 0 };
	size_t i;

	(void)state;
	if ((G.plugdir = tl_mkdtemp()) == NULL || chmod(G.plugdir, 0755) != 0)
		return -1;
	for (i = 0; i < EIDGW_ARRAY_LEN(plugins); i++) {
		(void)snprintf(so, sizeof(so), "%s.so", plugins[i]);
		if (copy_file(built(plugins[i]), tl_path(G.plugdir, so), 0755) != 0) {
			fprintf(stderr, "cannot copy %s (plugins not built?)\n", built(plugins[i]));
			return -1;
		}
	}
	(void)snprintf(tail, sizeof(tail), "plugins_dir: %s\n", G.plugdir);
	if ((G.confdir = gwf_config_dir(NULL, tail)) == NULL)
		return -1;
	/* One country through the real configuration path (plugin_settings as YAML text). */
	if (asprintf(&country,
	    "country: DE\n"
	    "name: Germany\n"
	    "max_loa: substantial\n"
	    "connector: test-auto\n"
	    "plugin_settings:\n"
	    "  i_understand_this_is_for_tests: true\n"
	    "  person_identifier: \"DE/DE/TEST-0001\"\n"
	    "  family_name: Mustermann\n"
	    "  given_name: 'Erika Anna'\n"
	    "  birth_date: \"1964-08-12\"   # synthetic\n"
	    "  loa: substantial\n") < 0)
		return -1;
	if (tl_write_file(tl_path(G.confdir, "countries/DE.yaml"), country, strlen(country)) != 0) {
		free(country);
		return -1;
	}
	free(country);
	if (gw_config_load(tl_path(G.confdir, "gateway.yaml"), &G.cfg, &errs) != EIDGW_OK) {
		gw_config_errors_print(&errs, stderr);
		gw_config_errors_free(&errs);
		return -1;
	}
	gw_config_errors_free(&errs);
	if (eidgw_store_mem_new(&G.app.store) != EIDGW_OK)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	eidgw_store_free(G.app.store);
	gw_config_unref(G.cfg);
	if (G.confdir != NULL)
		tl_rmtree(G.confdir);
	if (G.plugdir != NULL)
		tl_rmtree(G.plugdir);
	free(G.confdir);
	free(G.plugdir);
	return 0;
}

/* Loads connector `name` for country cc with these settings from dir (NULL: the plugins dir). */
static enum eidgw_err
load(const char *name, const char *cc, const char *settings, const char *dir,
    struct gw_connector **out, struct eidgw_diag *d)
{
	struct gw_country_conf c;
	struct gw_config cfg;
	char n[128], s[4096];
	enum eidgw_err rc;

	memset(&c, 0, sizeof(c));
	(void)snprintf(n, sizeof(n), "%s", name);
	(void)snprintf(s, sizeof(s), "%s", settings != NULL ? settings : "");
	(void)snprintf(c.code, sizeof(c.code), "%s", cc);
	c.enabled = true;
	c.connector = n;
	c.plugin_settings_yaml = settings != NULL ? s : NULL;
	memcpy(&cfg, G.cfg, sizeof(cfg));
	if (dir != NULL)
		cfg.plugins_dir = (char *)(uintptr_t)dir;
	eidgw_diag_clear(d);
	rc = gw_connector_load_plugin(&G.app, &cfg, &c, out, d);
	if (rc != EIDGW_OK)
		fprintf(stderr, "  (expected?) %s: %s\n", eidgw_err_name(rc), d->reason);
	return rc;
}

/* True when the file is still mapped in this process (dlopen RTLD_NOLOAD). */
static bool
still_loaded(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);

	if (h == NULL)
		return false;
	(void)dlclose(h);
	return true;
}

static void
identity_free(struct eidgw_identity *id)
{
	free(id->person_identifier);
	free(id->family_name);
	free(id->given_name);
	free(id->birth_date);
	free(id->loa);
	free(id->issuer);
	free(id->assertion_ref);
	free(id->extra_claims_json);
	free(id->reason);
	memset(id, 0, sizeof(*id));
	id->struct_size = sizeof(*id);
}

static void
start_free(struct eidgw_login_start *o)
{
	size_t i;

	free(o->url);
	free(o->request_ref);
	for (i = 0; i < EIDGW_START_MAX_FIELDS; i++) {
		free(o->field_names[i]);
		free(o->field_values[i]);
	}
	memset(o, 0, sizeof(*o));
}

static int
start(struct gw_connector *c, const char *st, int loa, struct eidgw_login_start *out)
{
	struct eidgw_login_request in;

	memset(&in, 0, sizeof(in));
	memset(out, 0, sizeof(*out));
	in.struct_size = sizeof(in);
	in.state = st;
	in.min_loa = loa;
	in.sp_type = "public";
	in.requester_id = "https://service.example/";
	in.locale = "en";
	out->struct_size = sizeof(*out);
	return c->ops.start_login(c->state, &in, out);
}

static int
finish(struct gw_connector *c, const char *const *names, const char *const *values, size_t n,
    const char *ref, int loa, int64_t now, struct eidgw_identity *id)
{
	struct eidgw_login_response in;

	memset(&in, 0, sizeof(in));
	memset(id, 0, sizeof(*id));
	in.struct_size = sizeof(in);
	in.method = "GET";
	in.names = names;
	in.values = values;
	in.n_params = n;
	in.request_ref = ref;
	in.min_loa = loa;
	in.now = now;
	id->struct_size = sizeof(*id);
	return c->ops.finish_login(c->state, &in, id);
}

/* The value of ?name= in url (copied into out; no decoding needed for our tokens). */
static bool
query_param(const char *url, const char *name, char *out, size_t cap)
{
	const char *q = strchr(url, '?'), *p, *e;
	size_t nl = strlen(name);

	if (q == NULL)
		return false;
	for (p = q + 1; p != NULL && *p != '\0'; p = (e = strchr(p, '&')) != NULL ? e + 1 : NULL) {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			p += nl + 1;
			e = strchr(p, '&');
			if (e == NULL)
				e = p + strlen(p);
			if ((size_t)(e - p) >= cap)
				return false;
			memcpy(out, p, (size_t)(e - p));
			out[e - p] = '\0';
			return true;
		}
	}
	return false;
}

/* ---- test-auto -------------------------------------------------------- */

static void
test_auto_roundtrip(void **state)
{
	const struct gw_country_conf *de = gw_config_country(G.cfg, "DE");
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	struct eidgw_login_start o;
	struct eidgw_identity id;
	char ticket[128], st[128];
	const char *names[] = { "state", "ticket" }, *values[2];

	(void)state;
	assert_non_null(de);
	assert_int_equal(gw_connector_load_plugin(&G.app, G.cfg, de, &c, &d), EIDGW_OK);
	assert_non_null(c);
	assert_string_equal(c->ops.name, "test-auto");
	assert_string_equal(c->country, "DE");

	assert_int_equal(start(c, STATE_1, EIDGW_CX_LOA_SUBSTANTIAL, &o), EIDGW_CX_OK);
	assert_int_equal(o.kind, EIDGW_START_REDIRECT);
	assert_true(eidgw_starts_with(o.url, "http://127.0.0.1:8080/login/return?state="));
	assert_true(query_param(o.url, "ticket", ticket, sizeof(ticket)));
	assert_true(query_param(o.url, "state", st, sizeof(st)));
	assert_string_equal(st, STATE_1);
	assert_string_equal(o.request_ref, ticket);
	values[0] = STATE_1;
	values[1] = ticket;

	/* A request_ref of another login is refused (the ticket stays usable). */
	assert_int_equal(finish(c, names, values, 2, "another-login", EIDGW_CX_LOA_LOW, 1000, &id),
	    EIDGW_CX_REJECTED);
	identity_free(&id);

	assert_int_equal(finish(c, names, values, 2, o.request_ref, EIDGW_CX_LOA_SUBSTANTIAL,
	    1700000000, &id), EIDGW_CX_OK);
	assert_string_equal(id.person_identifier, "DE/DE/TEST-0001");
	assert_string_equal(id.family_name, "Mustermann");
	assert_string_equal(id.given_name, "Erika Anna");
	assert_string_equal(id.birth_date, "1964-08-12");
	assert_string_equal(id.loa, "http://eidas.europa.eu/LoA/substantial");
	assert_int_equal(id.auth_time, 1700000000);
	assert_non_null(id.issuer);
	assert_non_null(id.assertion_ref);
	identity_free(&id);

	/* The ticket is single use. */
	assert_int_equal(finish(c, names, values, 2, o.request_ref, EIDGW_CX_LOA_LOW, 1700000001,
	    &id), EIDGW_CX_REJECTED);
	assert_null(id.person_identifier);
	assert_non_null(id.reason);
	assert_non_null(strstr(id.reason, "already used"));
	identity_free(&id);
	start_free(&o);
	gw_connector_free(c);
	gw_connector_free(NULL);
}

static void
test_auto_refusals(void **state)
{
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	struct eidgw_login_start o;
	struct eidgw_identity id;
	char ticket[128];
	const char *names[] = { "state", "ticket", "ticket" }, *values[3];

	(void)state;
	assert_int_equal(load("test-auto", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_OK);

	/* Asked for high, configured substantial: LoA unmet (and the ticket is gone). */
	assert_int_equal(start(c, STATE_1, EIDGW_CX_LOA_HIGH, &o), EIDGW_CX_OK);
	assert_true(query_param(o.url, "ticket", ticket, sizeof(ticket)));
	values[0] = STATE_1;
	values[1] = ticket;
	assert_int_equal(finish(c, names, values, 2, o.request_ref, EIDGW_CX_LOA_HIGH, 1, &id),
	    EIDGW_CX_LOA_UNMET);
	assert_null(id.loa);
	assert_non_null(strstr(id.reason, "LoA"));
	identity_free(&id);
	start_free(&o);

	/* Asked for low: the configured (higher) level is what is asserted. */
	assert_int_equal(start(c, STATE_1, EIDGW_CX_LOA_LOW, &o), EIDGW_CX_OK);
	assert_true(query_param(o.url, "ticket", ticket, sizeof(ticket)));
	values[1] = ticket;
	/* a ticket presented for another state is refused and burnt */
	values[0] = "txn-other";
	assert_int_equal(finish(c, names, values, 2, o.request_ref, EIDGW_CX_LOA_LOW, 1, &id),
	    EIDGW_CX_REJECTED);
	identity_free(&id);
	values[0] = STATE_1;
	assert_int_equal(finish(c, names, values, 2, o.request_ref, EIDGW_CX_LOA_LOW, 1, &id),
	    EIDGW_CX_REJECTED);
	identity_free(&id);
	start_free(&o);

	/* A repeated ticket parameter, a missing one, a made-up one. */
	assert_int_equal(start(c, STATE_1, EIDGW_CX_LOA_LOW, &o), EIDGW_CX_OK);
	assert_true(query_param(o.url, "ticket", ticket, sizeof(ticket)));
	values[1] = ticket;
	values[2] = ticket;
	assert_int_equal(finish(c, names, values, 3, NULL, EIDGW_CX_LOA_LOW, 1, &id),
	    EIDGW_CX_REJECTED);
	identity_free(&id);
	assert_int_equal(finish(c, names, values, 1, NULL, EIDGW_CX_LOA_LOW, 1, &id),
	    EIDGW_CX_REJECTED);
	identity_free(&id);
	values[1] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	assert_int_equal(finish(c, names, values, 2, NULL, EIDGW_CX_LOA_LOW, 1, &id),
	    EIDGW_CX_REJECTED);
	identity_free(&id);
	values[1] = ticket;
	assert_int_equal(finish(c, names, values, 2, NULL, EIDGW_CX_LOA_LOW, 1, &id),
	    EIDGW_CX_OK);
	assert_string_equal(id.loa, "http://eidas.europa.eu/LoA/substantial");
	identity_free(&id);
	start_free(&o);
	gw_connector_free(c);
}

static void
test_auto_bad_settings(void **state)
{
	static const char *const bad[] = {
		/* no acknowledgement */
		"person_identifier: DE/DE/1\nfamily_name: a\ngiven_name: b\n"
		"birth_date: 1990-01-01\nloa: low\n",
		/* acknowledgement not true */
		"i_understand_this_is_for_tests: false\nperson_identifier: DE/DE/1\n"
		"family_name: a\ngiven_name: b\nbirth_date: 1990-01-01\nloa: low\n",
		/* unknown key */
		"i_understand_this_is_for_tests: true\nperson_identifier: DE/DE/1\n"
		"family_name: a\ngiven_name: b\nbirth_date: 1990-01-01\nloa: low\ncolour: red\n",
		/* bad LoA */
		"i_understand_this_is_for_tests: true\nperson_identifier: DE/DE/1\n"
		"family_name: a\ngiven_name: b\nbirth_date: 1990-01-01\nloa: extreme\n",
		/* missing birth_date */
		"i_understand_this_is_for_tests: true\nperson_identifier: DE/DE/1\n"
		"family_name: a\ngiven_name: b\nloa: low\n",
		/* nested */
		"i_understand_this_is_for_tests: true\nperson:\n  id: 1\n",
		/* duplicate key */
		"i_understand_this_is_for_tests: true\nloa: low\nloa: high\n",
		/* bad person identifier */
		"i_understand_this_is_for_tests: true\nperson_identifier: 12345\n"
		"family_name: a\ngiven_name: b\nbirth_date: 1990-01-01\nloa: low\n",
		"",
	};
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = (struct gw_connector *)&d;	/* must come back NULL */
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(bad); i++) {
		c = (struct gw_connector *)&d;
		assert_int_equal(load("test-auto", "DE", bad[i], NULL, &c, &d), EIDGW_E_PLUGIN_INIT);
		assert_null(c);
		assert_non_null(strstr(d.reason, "plugin test-auto: init failed: bad config"));
	}
	/* Settings absent altogether: handed over as "". */
	assert_int_equal(load("test-auto", "DE", NULL, NULL, &c, &d), EIDGW_E_PLUGIN_INIT);
	/* Rolled back: nothing of the plugin stays mapped. */
	assert_false(still_loaded(tl_path(G.plugdir, "test-auto.so")));
}

/* Two threads race to redeem the same tickets: each ticket succeeds exactly once. */
#define RACE_TICKETS 200

struct race {
	struct gw_connector *c;
	char tickets[RACE_TICKETS][64];
	atomic_int wins[RACE_TICKETS];
	atomic_int errors;
};

static void *
race_thread(void *arg)
{
	struct race *r = arg;
	const char *names[] = { "state", "ticket" }, *values[2];
	struct eidgw_identity id;
	size_t i;
	int st;

	for (i = 0; i < RACE_TICKETS; i++) {
		values[0] = STATE_1;
		values[1] = r->tickets[i];
		st = finish(r->c, names, values, 2, NULL, EIDGW_CX_LOA_LOW, 1, &id);
		if (st == EIDGW_CX_OK)
			atomic_fetch_add(&r->wins[i], 1);
		else if (st != EIDGW_CX_REJECTED)
			atomic_fetch_add(&r->errors, 1);
		identity_free(&id);
	}
	return NULL;
}

static void
test_auto_concurrent_single_use(void **state)
{
	struct eidgw_diag d = { 0 };
	struct eidgw_login_start o;
	struct race *r = calloc(1, sizeof(*r));
	pthread_t t[4];
	size_t i;

	(void)state;
	assert_non_null(r);
	assert_int_equal(load("test-auto", "DE", TA_SETTINGS, NULL, &r->c, &d), EIDGW_OK);
	for (i = 0; i < RACE_TICKETS; i++) {
		assert_int_equal(start(r->c, STATE_1, EIDGW_CX_LOA_LOW, &o), EIDGW_CX_OK);
		assert_true(query_param(o.url, "ticket", r->tickets[i], sizeof(r->tickets[i])));
		start_free(&o);
	}
	for (i = 0; i < EIDGW_ARRAY_LEN(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, r), 0);
	for (i = 0; i < EIDGW_ARRAY_LEN(t); i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&r->errors), 0);
	for (i = 0; i < RACE_TICKETS; i++)
		assert_int_equal(atomic_load(&r->wins[i]), 1);
	gw_connector_free(r->c);
	free(r);
}

/* ---- loader refusals ------------------------------------------------------ */

/* Runs load() with stderr captured into buf. */
static enum eidgw_err
load_captured(const char *name, struct gw_connector **c, struct eidgw_diag *d, char *buf,
    size_t cap)
{
	char *dir = tl_mkdtemp();
	const char *file = tl_path(dir, "stderr.txt");
	enum eidgw_err rc;
	size_t len = 0;
	char *text;
	int fd, saved;

	assert_non_null(dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	rc = load(name, "DE", TA_SETTINGS, NULL, c, d);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	(void)close(saved);
	(void)close(fd);
	text = tl_read_file(file, &len);
	(void)snprintf(buf, cap, "%s", text != NULL ? text : "");
	free(text);
	tl_rmtree(dir);
	free(dir);
	fprintf(stderr, "%s", buf);
	return rc;
}

static void
test_bad_abi_refused(void **state)
{
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	char log[8192];

	(void)state;
	assert_int_equal(load_captured("bad-abi", &c, &d, log, sizeof(log)), EIDGW_E_PLUGIN_ABI);
	assert_null(c);
	assert_int_equal(d.code, EIDGW_E_PLUGIN_ABI);
	assert_non_null(strstr(d.reason, "plugin bad-abi: ABI major 2"));
	assert_non_null(strstr(d.reason, "this gateway speaks 1"));
	/* One clear log line. */
	assert_non_null(strstr(log, "\"event\":\"connector.load_failed\""));
	assert_non_null(strstr(log, "ABI major 2"));
	assert_non_null(strstr(log, "\"connector\":\"bad-abi\""));
	assert_false(still_loaded(tl_path(G.plugdir, "bad-abi.so")));
}

/* The other faults of the tables (bad-abi's EIDGW_TEST_BAD_ABI modes). */
static void
test_bad_tables_refused(void **state)
{
	static const struct {
		const char *mode;
		enum eidgw_err rc;
		const char *reason;
	} cases[] = {
		{ "size", EIDGW_E_PLUGIN_ABI, "operations table of 24 bytes, ABI 1.0 needs at least" },
		{ "noinit", EIDGW_E_PLUGIN_ABI, "lacks init" },
		{ "fail", EIDGW_E_PLUGIN_LOAD, "entry point failed: error" },
		/* a later minor with a larger table passes the ABI checks (its init refuses) */
		{ "minor", EIDGW_E_PLUGIN_INIT, "init failed: bad config" },
	};
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(cases); i++) {
		assert_int_equal(setenv("EIDGW_TEST_BAD_ABI", cases[i].mode, 1), 0);
		assert_int_equal(load("bad-abi", "DE", NULL, NULL, &c, &d), cases[i].rc);
		assert_null(c);
		assert_non_null(strstr(d.reason, cases[i].reason));
		assert_false(still_loaded(tl_path(G.plugdir, "bad-abi.so")));
	}
	assert_int_equal(unsetenv("EIDGW_TEST_BAD_ABI"), 0);
}

/*
 * plugins_dir reached through a symbolic link that lives in a directory
 * anybody may write to (no sticky bit): whoever can write there can point
 * the link elsewhere at any moment.  The loader resolves plugins_dir once
 * and checks, opens and dlopen()s only the resolved path, so the plugin
 * mapped is the one under the real directory, not one reached through
 * the link.
 */
static void
test_symlinked_plugins_dir(const char *open_dir)
{
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	char link[4096], real[4096], want[4200], *r;
	Dl_info info;
	void *fn;

	assert_non_null(r = realpath(G.plugdir, NULL));
	(void)snprintf(real, sizeof(real), "%s", r);
	free(r);
	assert_int_equal(chmod(open_dir, 0777), 0);
	assert_int_equal(copy_file(built("test-auto"), tl_path(real, "via-link.so"), 0755), 0);
	(void)snprintf(link, sizeof(link), "%s/link", open_dir);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(load("via-link", "DE", TA_SETTINGS, link, &c, &d), EIDGW_OK);
	assert_non_null(c);
	memcpy(&fn, &c->ops.init, sizeof(fn));
	assert_int_not_equal(dladdr(fn, &info), 0);
	(void)snprintf(want, sizeof(want), "%s/via-link.so", real);
	if (strcmp(info.dli_fname, want) != 0)
		fail_msg("plugin mapped from %s, not from the resolved %s", info.dli_fname, want);
	gw_connector_free(c);
	assert_int_equal(chmod(open_dir, 01777), 0);
}

static void
test_unsafe_files_refused(void **state)
{
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	char *sub = NULL;

	(void)state;
	/* world-writable */
	assert_int_equal(copy_file(built("test-auto"), tl_path(G.plugdir, "ww.so"), 0757), 0);
	assert_int_equal(chmod(tl_path(G.plugdir, "ww.so"), 0666), 0);
	assert_int_equal(load("ww", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_E_PLUGIN_UNSAFE);
	assert_null(c);
	assert_non_null(strstr(d.reason, "is world-writable"));
	assert_false(still_loaded(tl_path(G.plugdir, "ww.so")));
	/* group-writable */
	assert_int_equal(copy_file(built("test-auto"), tl_path(G.plugdir, "gw.so"), 0775), 0);
	assert_int_equal(load("gw", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_E_PLUGIN_UNSAFE);
	assert_non_null(strstr(d.reason, "is group-writable"));
	/* a symbolic link to a good plugin */
	(void)unlink(tl_path(G.plugdir, "ln.so"));
	assert_int_equal(symlink(tl_path(G.plugdir, "test-auto.so"), tl_path(G.plugdir, "ln.so")), 0);
	assert_int_equal(load("ln", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_E_PLUGIN_UNSAFE);
	assert_null(c);
	assert_non_null(strstr(d.reason, "symbolic link"));
	/* not a regular file */
	assert_int_equal(mkdir(tl_path(G.plugdir, "dir.so"), 0755), 0);
	assert_int_equal(load("dir", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_E_PLUGIN_UNSAFE);
	assert_non_null(strstr(d.reason, "not a regular file"));
	/* owned by someone else (needs root to arrange) */
	if (geteuid() == 0) {
		assert_int_equal(copy_file(built("test-auto"), tl_path(G.plugdir, "other.so"), 0755),
		    0);
		assert_int_equal(chown(tl_path(G.plugdir, "other.so"), 65534, 65534), 0);
		assert_int_equal(load("other", "DE", TA_SETTINGS, NULL, &c, &d),
		    EIDGW_E_PLUGIN_UNSAFE);
		assert_non_null(strstr(d.reason, "owned by uid 65534"));
	}
	/* a world-writable plugins directory */
	assert_int_equal(asprintf(&sub, "%s/open", G.plugdir) > 0, 1);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(copy_file(built("test-auto"), tl_path(sub, "test-auto.so"), 0755), 0);
	assert_int_equal(load("test-auto", "DE", TA_SETTINGS, sub, &c, &d), EIDGW_OK);
	gw_connector_free(c);
	c = NULL;
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(load("test-auto", "DE", TA_SETTINGS, sub, &c, &d), EIDGW_E_PLUGIN_UNSAFE);
	assert_non_null(strstr(d.reason, "directory"));
	assert_non_null(strstr(d.reason, "is world-writable"));
	assert_null(c);
	/* a parent directory others can write to (no sticky bit), then with the sticky bit */
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(mkdir(tl_path(sub, "p"), 0755), 0);
	assert_int_equal(copy_file(built("test-auto"), tl_path(tl_path(sub, "p"), "test-auto.so"),
	    0755), 0);
	assert_int_equal(load("test-auto", "DE", TA_SETTINGS, tl_path(sub, "p"), &c, &d),
	    EIDGW_E_PLUGIN_UNSAFE);
	assert_non_null(strstr(d.reason, "parent directory"));
	assert_non_null(strstr(d.reason, "writable by others"));
	assert_null(c);
	assert_int_equal(chmod(sub, 01777), 0);
	assert_int_equal(load("test-auto", "DE", TA_SETTINGS, tl_path(sub, "p"), &c, &d), EIDGW_OK);
	gw_connector_free(c);
	c = NULL;
	test_symlinked_plugins_dir(sub);
	free(sub);
}

/*
 * A plugin file replaced on disk (a new inode, as install(1) or a package
 * upgrade makes) while a copy loaded from the same path is still in use:
 * dlopen() hands back the copy already mapped, whose code is not the file
 * just checked.  The loader refuses that, so a reload never runs old code
 * under the name of the new file; once the old copy is unloaded the new
 * file loads.
 */
static void
test_replaced_plugin_refused(void **state)
{
	struct eidgw_diag d = { 0 };
	struct gw_connector *old = NULL, *c = NULL;
	const char *so = tl_path(G.plugdir, "upgraded.so");

	(void)state;
	assert_int_equal(copy_file(built("test-auto"), so, 0755), 0);
	assert_int_equal(load("upgraded", "DE", TA_SETTINGS, NULL, &old, &d), EIDGW_OK);
	/* a new file under the same name (copy_file unlinks first: a new inode) */
	assert_int_equal(copy_file(built("test-auto"), so, 0755), 0);
	assert_int_equal(load("upgraded", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_E_PLUGIN_LOAD);
	assert_null(c);
	assert_non_null(strstr(d.reason, "replaced on disk"));
	/* the refusal did not unload the copy in use */
	assert_true(still_loaded(so));
	gw_connector_free(old);
	assert_false(still_loaded(so));
	assert_int_equal(load("upgraded", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_OK);
	gw_connector_free(c);
}

static void
test_missing_and_bad_names(void **state)
{
	static const char *const names[] = { "../test-auto", "a/b", "..", ".hidden", "",
		"x123456789012345678901234567890123456789012345678901234567890123456789" };
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	size_t i;

	(void)state;
	assert_int_equal(load("not-there", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_E_PLUGIN_LOAD);
	assert_null(c);
	assert_non_null(strstr(d.reason, "not-there.so"));
	assert_non_null(strstr(d.reason, "No such file"));
	for (i = 0; i < EIDGW_ARRAY_LEN(names); i++) {
		assert_int_equal(load(names[i], "DE", TA_SETTINGS, NULL, &c, &d),
		    EIDGW_E_PLUGIN_LOAD);
		assert_non_null(strstr(d.reason, "not a plain file name"));
		assert_null(c);
	}
	/* A file that is not a shared object. */
	assert_int_equal(tl_write_file(tl_path(G.plugdir, "junk.so"), "not ELF", 7), 0);
	assert_int_equal(chmod(tl_path(G.plugdir, "junk.so"), 0755), 0);
	assert_int_equal(load("junk", "DE", TA_SETTINGS, NULL, &c, &d), EIDGW_E_PLUGIN_LOAD);
	assert_non_null(strstr(d.reason, "dlopen failed"));
}

/* ---- host services ------------------------------------------------------ */

static void
test_host_services(void **state)
{
	struct eidgw_host_api h;
	struct eidgw_buf b;
	unsigned char sig[512];
	char buf[64], *body = NULL;
	size_t len = 0;
	void *ctx = NULL;
	const char *kv_ok[] = { "result", "ok", "step", "finish", NULL };
	const char *kv_bad[] = { "Bad Key", "x", NULL };
	const char *kv_reserved[] = { "event", "x", NULL };

	(void)state;
	assert_int_equal(gw_connector_host_init(&G.app, G.cfg, "unit", "BE", &h, &ctx), EIDGW_OK);
	assert_int_equal(h.abi_version, EIDGW_CONNECTOR_ABI_VERSION);
	assert_int_equal(h.struct_size, sizeof(h));

	/* store: put-if-absent, atomic take, the connector's own key space */
	assert_int_equal(h.store_put_new(h.host, "k1", "v1", 2, 60), EIDGW_CX_OK);
	assert_int_equal(h.store_put_new(h.host, "k1", "v2", 2, 60), EIDGW_CX_EXISTS);
	eidgw_buf_init(&b, 64);
	assert_int_equal(G.app.store->ops->get(G.app.store, "cx:unit:BE:k1", &b), EIDGW_OK);
	assert_string_equal(b.data, "v1");
	eidgw_buf_free(&b);
	assert_int_equal(h.store_take(h.host, "k1", buf, sizeof(buf), &len), EIDGW_CX_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(buf, "v1", 2);
	assert_int_equal(h.store_take(h.host, "k1", buf, sizeof(buf), &len), EIDGW_CX_MISSING);
	/* too small a buffer: the value is consumed and the size reported */
	assert_int_equal(h.store_put_new(h.host, "k2", "0123456789", 10, 60), EIDGW_CX_OK);
	assert_int_equal(h.store_take(h.host, "k2", buf, 4, &len), EIDGW_CX_ERROR);
	assert_int_equal(len, 10);
	/* keys: no spaces, no control characters, bounded; TTL positive */
	assert_int_equal(h.store_put_new(h.host, "a b", "v", 1, 60), EIDGW_CX_ERROR);
	assert_int_equal(h.store_put_new(h.host, "", "v", 1, 60), EIDGW_CX_ERROR);
	assert_int_equal(h.store_put_new(h.host, "k3", "v", 1, 0), EIDGW_CX_ERROR);

	/* random */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(h.random(h.host, buf, 32), EIDGW_CX_OK);
	assert_int_equal(h.random(h.host, buf, 1u << 20), EIDGW_CX_ERROR);

	/* sign: ECDSA-SHA256 with the SAML key verifies; RSA codes refused for an EC key */
	len = 0;
	assert_int_equal(h.sign(h.host, 1, "data", 4, sig, sizeof(sig), &len), EIDGW_CX_OK);
	assert_true(len > 0);
	assert_int_equal(eidgw_sig_verify(G.cfg->saml_signing.key->pub, EIDGW_SIG_ECDSA_SHA256,
	    (const unsigned char *)"data", 4, sig, len), EIDGW_OK);
	assert_int_equal(h.sign(h.host, 2, "data", 4, sig, sizeof(sig), &len), EIDGW_CX_ERROR);
	assert_int_equal(h.sign(h.host, 9, "data", 4, sig, sizeof(sig), &len), EIDGW_CX_ERROR);
	assert_int_equal(h.sign(h.host, 1, "data", 4, sig, 8, &len), EIDGW_CX_ERROR);

	/* http_get: https, or http to loopback only */
	assert_int_equal(h.http_get(h.host, "http://example.com/x", 1024, &body, &len),
	    EIDGW_CX_BAD_CONFIG);
	assert_int_equal(h.http_get(h.host, "file:///etc/passwd", 1024, &body, &len),
	    EIDGW_CX_BAD_CONFIG);
	assert_int_equal(h.http_get(h.host, "ftp://127.0.0.1/x", 1024, &body, &len),
	    EIDGW_CX_BAD_CONFIG);
	assert_int_equal(h.http_get(h.host, "https://user:pw@example.com/", 1024, &body, &len),
	    EIDGW_CX_BAD_CONFIG);
	assert_null(body);
	/* loopback, nothing listening on port 1: unavailable, not refused */
	assert_int_equal(h.http_get(h.host, "http://127.0.0.1:1/x", 1024, &body, &len),
	    EIDGW_CX_UNAVAILABLE);
	assert_null(body);

	/* audit */
	assert_int_equal(h.audit(h.host, "unit_event", kv_ok), EIDGW_CX_OK);
	assert_int_equal(h.audit(h.host, "unit_event", NULL), EIDGW_CX_OK);
	assert_int_equal(h.audit(h.host, "Bad Event", kv_ok), EIDGW_CX_ERROR);
	assert_int_equal(h.audit(h.host, "unit_event", kv_bad), EIDGW_CX_ERROR);
	assert_int_equal(h.audit(h.host, "unit_event", kv_reserved), EIDGW_CX_ERROR);

	/* alloc/free, log (no crash on odd input) */
	body = h.alloc(h.host, 0);
	assert_non_null(body);
	h.free(h.host, body);
	h.free(h.host, NULL);
	h.log(h.host, 0, "Not An Event", NULL);
	h.log(h.host, 99, "fine", "message");
	gw_connector_host_free(ctx);
	gw_connector_host_free(NULL);
}

/* A one-shot HTTP server on 127.0.0.1: answers one request with a canned reply. */
struct canned {
	int fd;
	uint16_t port;
	const char *reply;
	pthread_t thread;
};

static void *
canned_serve(void *arg)
{
	struct canned *k = arg;
	char req[4096];
	size_t got = 0;
	ssize_t n;
	int c = accept(k->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	while (got < sizeof(req) - 1 && (n = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	(void)send(c, k->reply, strlen(k->reply), MSG_NOSIGNAL);
	(void)close(c);
	return NULL;
}

static void
canned_start(struct canned *k, const char *reply)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	k->reply = reply;
	k->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(k->fd >= 0);
	assert_int_equal(bind(k->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(k->fd, 1), 0);
	assert_int_equal(getsockname(k->fd, (struct sockaddr *)&a, &al), 0);
	k->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&k->thread, NULL, canned_serve, k), 0);
}

static void
canned_stop(struct canned *k)
{
	(void)shutdown(k->fd, SHUT_RDWR);
	(void)pthread_join(k->thread, NULL);
	(void)close(k->fd);
}

static int
fetch(const struct eidgw_host_api *h, const char *reply, size_t max, char **body, size_t *len)
{
	struct canned k;
	char url[64];
	int st;

	canned_start(&k, reply);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%u/doc", (unsigned int)k.port);
	st = h->http_get(h->host, url, max, body, len);
	canned_stop(&k);
	return st;
}

static void
test_host_http_get(void **state)
{
	static char big[4096];
	struct eidgw_host_api h;
	char *body = NULL;
	size_t len = 0;
	void *ctx = NULL;

	(void)state;
	assert_int_equal(gw_connector_host_init(&G.app, G.cfg, "unit", "BE", &h, &ctx), EIDGW_OK);
	assert_int_equal(fetch(&h, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n"
	    "\r\nhello", 1024, &body, &len), EIDGW_CX_OK);
	assert_int_equal(len, 5);
	assert_string_equal(body, "hello");
	h.free(h.host, body);
	body = NULL;
	/* over the cap, announced and not announced */
	assert_int_equal(fetch(&h, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n"
	    "\r\nhello", 4, &body, &len), EIDGW_CX_REJECTED);
	assert_null(body);
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", 38);
	assert_int_equal(fetch(&h, big, 1000, &body, &len), EIDGW_CX_REJECTED);
	assert_null(body);
	/* a redirect is not followed from plain http, and not a success */
	assert_int_equal(fetch(&h, "HTTP/1.1 302 Found\r\nLocation: http://example.com/\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n", 1024, &body, &len),
	    EIDGW_CX_UNAVAILABLE);
	assert_null(body);
	assert_int_equal(fetch(&h, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close"
	    "\r\n\r\n", 1024, &body, &len), EIDGW_CX_UNAVAILABLE);
	assert_null(body);
	gw_connector_host_free(ctx);
}

/* ---- example-national --------------------------------------------------- */

/* An answer as NatID would build it: the fields, then the MAC over them. */
struct natid_answer {
	const char *names[12];
	const char *values[12];
	size_t n;
	char mac[64];
};

static const char *const natid_order[] = { "nonce", "state", "ts", "error", "nationalId",
	"surname", "forenames", "dob", "assurance" };

static void
natid_add(struct natid_answer *a, const char *name, const char *value)
{
	a->names[a->n] = name;
	a->values[a->n] = value;
	a->n++;
}

static void
natid_sign(struct natid_answer *a)
{
	struct eidgw_buf m, out;
	unsigned char mac[32];
	unsigned int maclen = 0;
	size_t i, j;

	eidgw_buf_init(&m, 8192);
	assert_int_equal(eidgw_buf_puts(&m, "natid-answer-v1\n"), EIDGW_OK);
	for (i = 0; i < EIDGW_ARRAY_LEN(natid_order); i++)
		for (j = 0; j < a->n; j++)
			if (strcmp(a->names[j], natid_order[i]) == 0)
				assert_int_equal(eidgw_buf_printf(&m, "%s=%s\n", a->names[j],
				    a->values[j]), EIDGW_OK);
	assert_non_null(HMAC(EVP_sha256(), NATID_KEY, 32, (const unsigned char *)m.data, m.len, mac,
	    &maclen));
	eidgw_buf_init(&out, 64);
	assert_int_equal(eidgw_b64_encode(&out, mac, maclen, true), EIDGW_OK);
	(void)snprintf(a->mac, sizeof(a->mac), "%s", out.data);
	eidgw_buf_free(&out);
	eidgw_buf_free(&m);
	natid_add(a, "mac", a->mac);
}

/* A fresh login: returns the nonce (and checks the signed request). */
static void
natid_start(struct gw_connector *c, int loa, char *nonce, size_t cap, char **ref)
{
	struct eidgw_login_start o;
	struct eidgw_buf sig;
	char sigtxt[512], level[16];
	const char *q, *s;

	assert_int_equal(start(c, STATE_1, loa, &o), EIDGW_CX_OK);
	assert_int_equal(o.kind, EIDGW_START_REDIRECT);
	assert_true(eidgw_starts_with(o.url, "https://login.natid.example/authorize?client=eidgw-test&"));
	assert_non_null(strstr(o.url, "&return=http%3A%2F%2F127.0.0.1%3A8080%2Flogin%2Freturn&"));
	assert_true(query_param(o.url, "nonce", nonce, cap));
	assert_true(query_param(o.url, "level", level, sizeof(level)));
	assert_string_equal(level, loa == 3 ? "strong" : loa == 2 ? "medium" : "basic");
	assert_true(query_param(o.url, "sig", sigtxt, sizeof(sigtxt)));
	/* The scheme's side: the signature covers the query up to "&sig=". */
	q = strchr(o.url, '?') + 1;
	s = strstr(o.url, "&sig=");
	eidgw_buf_init(&sig, 512);
	assert_int_equal(eidgw_b64_decode(&sig, sigtxt, strlen(sigtxt), true), EIDGW_OK);
	assert_int_equal(eidgw_sig_verify(G.cfg->saml_signing.key->pub, EIDGW_SIG_ECDSA_SHA256,
	    (const unsigned char *)q, (size_t)(s - q), (const unsigned char *)sig.data, sig.len),
	    EIDGW_OK);
	/* ... and not anything else */
	assert_int_not_equal(eidgw_sig_verify(G.cfg->saml_signing.key->pub,
	    EIDGW_SIG_ECDSA_SHA256, (const unsigned char *)q, (size_t)(s - q) - 1,
	    (const unsigned char *)sig.data, sig.len), EIDGW_OK);
	eidgw_buf_free(&sig);
	*ref = o.request_ref;
	o.request_ref = NULL;
	start_free(&o);
}

static void
natid_citizen(struct natid_answer *a, const char *nonce, const char *ts, const char *assurance)
{
	memset(a, 0, sizeof(*a));
	natid_add(a, "nonce", nonce);
	natid_add(a, "state", STATE_1);
	natid_add(a, "ts", ts);
	natid_add(a, "nationalId", "123456782");
	natid_add(a, "surname", "Jansen");
	natid_add(a, "forenames", "Piet Klaas");
	natid_add(a, "dob", "1985-03-17");
	natid_add(a, "assurance", assurance);
}

static void
test_national_roundtrip(void **state)
{
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	struct natid_answer a;
	struct eidgw_identity id;
	char nonce[64], ts[32], old[32], future[32], *ref = NULL;
	int64_t now = eidgw_now();

	(void)state;
	(void)snprintf(ts, sizeof(ts), "%lld", (long long)now - 5);
	(void)snprintf(old, sizeof(old), "%lld", (long long)now - 1000);
	(void)snprintf(future, sizeof(future), "%lld", (long long)now + 600);
	assert_int_equal(load("example-national", "BE", NI_SETTINGS, NULL, &c, &d), EIDGW_OK);
	assert_string_equal(c->ops.name, "example-national");

	natid_start(c, EIDGW_CX_LOA_SUBSTANTIAL, nonce, sizeof(nonce), &ref);

	/* Tampered after the MAC: refused, and the nonce is still unused. */
	natid_citizen(&a, nonce, ts, "medium");
	natid_sign(&a);
	a.values[4] = "999999999";
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 2, now, &id), EIDGW_CX_REJECTED);
	assert_non_null(strstr(id.reason, "MAC"));
	identity_free(&id);
	/* A MAC field stripped, or a field removed from under it. */
	natid_citizen(&a, nonce, ts, "medium");
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 2, now, &id), EIDGW_CX_REJECTED);
	identity_free(&id);
	natid_citizen(&a, nonce, ts, "medium");
	natid_sign(&a);
	a.names[7] = "ignored-by-natid";
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 2, now, &id), EIDGW_CX_REJECTED);
	identity_free(&id);
	/* Stale and future answers, correctly MAC'd. */
	natid_citizen(&a, nonce, old, "medium");
	natid_sign(&a);
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 2, now, &id), EIDGW_CX_REJECTED);
	assert_non_null(strstr(id.reason, "stale"));
	identity_free(&id);
	natid_citizen(&a, nonce, future, "medium");
	natid_sign(&a);
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 2, now, &id), EIDGW_CX_REJECTED);
	assert_non_null(strstr(id.reason, "future"));
	identity_free(&id);
	/* For another login. */
	natid_citizen(&a, nonce, ts, "medium");
	natid_sign(&a);
	assert_int_equal(finish(c, a.names, a.values, a.n, "0123456789abcdef0123456789abcdef", 2,
	    now, &id), EIDGW_CX_REJECTED);
	identity_free(&id);

	/* The valid answer. */
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 2, now, &id), EIDGW_CX_OK);
	assert_string_equal(id.person_identifier, "BE/NL/123456782");
	assert_string_equal(id.family_name, "Jansen");
	assert_string_equal(id.given_name, "Piet Klaas");
	assert_string_equal(id.birth_date, "1985-03-17");
	assert_string_equal(id.loa, "http://eidas.europa.eu/LoA/substantial");
	assert_int_equal(id.auth_time, now - 5);
	assert_string_equal(id.issuer, "https://login.natid.example/authorize");
	identity_free(&id);
	/* Replayed. */
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 2, now, &id), EIDGW_CX_REJECTED);
	assert_non_null(strstr(id.reason, "replayed"));
	identity_free(&id);
	free(ref);

	/* Authenticated at "basic" when "substantial" was asked. */
	natid_start(c, EIDGW_CX_LOA_SUBSTANTIAL, nonce, sizeof(nonce), &ref);
	natid_citizen(&a, nonce, ts, "basic");
	natid_sign(&a);
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 2, now, &id), EIDGW_CX_LOA_UNMET);
	assert_null(id.person_identifier);
	identity_free(&id);
	free(ref);

	/* "strong" maps to high. */
	natid_start(c, EIDGW_CX_LOA_HIGH, nonce, sizeof(nonce), &ref);
	natid_citizen(&a, nonce, ts, "strong");
	natid_sign(&a);
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 3, now, &id), EIDGW_CX_OK);
	assert_string_equal(id.loa, "http://eidas.europa.eu/LoA/high");
	identity_free(&id);
	free(ref);

	/* The citizen cancelled at the scheme. */
	natid_start(c, EIDGW_CX_LOA_LOW, nonce, sizeof(nonce), &ref);
	memset(&a, 0, sizeof(a));
	natid_add(&a, "nonce", nonce);
	natid_add(&a, "state", STATE_1);
	natid_add(&a, "ts", ts);
	natid_add(&a, "error", "cancelled");
	natid_sign(&a);
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 1, now, &id), EIDGW_CX_DENIED);
	identity_free(&id);
	free(ref);

	/* An unknown assurance value, and a state that is not the nonce's. */
	natid_start(c, EIDGW_CX_LOA_LOW, nonce, sizeof(nonce), &ref);
	natid_citizen(&a, nonce, ts, "medium");
	a.values[1] = "txn-other";
	natid_sign(&a);
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 1, now, &id), EIDGW_CX_REJECTED);
	assert_non_null(strstr(id.reason, "another state"));
	identity_free(&id);
	free(ref);
	natid_start(c, EIDGW_CX_LOA_LOW, nonce, sizeof(nonce), &ref);
	natid_citizen(&a, nonce, ts, "platinum");
	natid_sign(&a);
	assert_int_equal(finish(c, a.names, a.values, a.n, ref, 1, now, &id), EIDGW_CX_REJECTED);
	identity_free(&id);
	free(ref);
	gw_connector_free(c);
}

static void
test_national_bad_settings(void **state)
{
	static const char *const bad[] = {
		/* http login URL */
		"login_url: http://login.natid.example/\nclient_id: x\nanswer_key: "
		NATID_KEY_B64 "\ndestination: NL\n",
		/* short key */
		"login_url: https://login.natid.example/\nclient_id: x\nanswer_key: c2hvcnQ=\n"
		"destination: NL\n",
		/* missing destination */
		"login_url: https://login.natid.example/\nclient_id: x\nanswer_key: "
		NATID_KEY_B64 "\n",
		/* unknown key */
		"login_url: https://login.natid.example/\nclient_id: x\nanswer_key: "
		NATID_KEY_B64 "\ndestination: NL\nfoo: bar\n",
		/* out of range */
		"login_url: https://login.natid.example/\nclient_id: x\nanswer_key: "
		NATID_KEY_B64 "\ndestination: NL\nmax_age_s: 5\n",
		/* unknown algorithm */
		"login_url: https://login.natid.example/\nclient_id: x\nanswer_key: "
		NATID_KEY_B64 "\ndestination: NL\nrequest_signature_alg: hmac-md5\n",
		/* an RSA scheme for the test PKI's EC signing key: found at init */
		"login_url: https://login.natid.example/\nclient_id: x\nanswer_key: "
		NATID_KEY_B64 "\ndestination: NL\nrequest_signature_alg: rsa-pss-sha256\n",
	};
	struct eidgw_diag d = { 0 };
	struct gw_connector *c = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(bad); i++) {
		assert_int_equal(load("example-national", "BE", bad[i], NULL, &c, &d),
		    EIDGW_E_PLUGIN_INIT);
		assert_null(c);
	}
	assert_false(still_loaded(tl_path(G.plugdir, "example-national.so")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_roundtrip),
		cmocka_unit_test(test_auto_refusals),
		cmocka_unit_test(test_auto_bad_settings),
		cmocka_unit_test(test_auto_concurrent_single_use),
		cmocka_unit_test(test_bad_abi_refused),
		cmocka_unit_test(test_bad_tables_refused),
		cmocka_unit_test(test_unsafe_files_refused),
		cmocka_unit_test(test_replaced_plugin_refused),
		cmocka_unit_test(test_missing_and_bad_names),
		cmocka_unit_test(test_host_services),
		cmocka_unit_test(test_host_http_get),
		cmocka_unit_test(test_national_roundtrip),
		cmocka_unit_test(test_national_bad_settings),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
