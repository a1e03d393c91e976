/*
 * Unit tests for the configuration loader (gateway/src/config.c).
 *
 * Every test works on a copy: a temp dir T with T/certs/dev -> the test PKI
 * (certs/mkdev.sh, made once per build tree) and T/conf = a copy of
 * tests/data/config/valid overlaid with one case of tests/data/config/invalid.
 * Each invalid case names the file, the 1-based line and the error code
 * that must come back.
 */
#include "testlib.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "core/util.h"

static const char *
test_pki(void)
{
	static char dir[4096];
	char cmd[8192];

	if (dir[0] != '\0')
		return dir;
	(void)snprintf(dir, sizeof(dir), "%s/test-pki", EIDGW_BINARY_DIR);
	if (snprintf(cmd, sizeof(cmd), "flock %s.lock %s/certs/mkdev.sh %s >/dev/null", dir,
	    EIDGW_SOURCE_DIR, dir) >= (int)sizeof(cmd) || system(cmd) != 0) {
		dir[0] = '\0';
		return NULL;
	}
	return dir;
}

/* Copies a directory tree (files and folders only). */
static int
copy_tree(const char *from, const char *to)
{
	char src[4096], dst[4096];
	struct dirent *de;
	struct stat st;
	size_t len;
	char *data;
	DIR *d;
	int rc = 0;

	if (mkdir(to, 0700) != 0 && access(to, F_OK) != 0)
		return -1;
	if ((d = opendir(from)) == NULL)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(src, sizeof(src), "%s/%s", from, de->d_name) >= (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name) >= (int)sizeof(dst) ||
		    stat(src, &st) != 0)
			rc = -1;
		else if (S_ISDIR(st.st_mode))
			rc = copy_tree(src, dst);
		else if ((data = tl_read_file(src, &len)) == NULL)
			rc = -1;
		else {
			rc = tl_write_file(dst, data, len);
			free(data);
		}
	}
	closedir(d);
	return rc;
}

struct tdir {
	char *root;
	char conf[4096];
	char gw[4096];
};

/* T/certs/dev -> PKI, T/conf <- src (+ overlay). */
static void
tdir_make(struct tdir *t, const char *src, const char *overlay)
{
	char p[4096];
	const char *pki = test_pki();

	assert_non_null(pki);
	assert_non_null(t->root = tl_mkdtemp());
	(void)snprintf(p, sizeof(p), "%s/certs", t->root);
	assert_int_equal(mkdir(p, 0700), 0);
	(void)snprintf(p, sizeof(p), "%s/certs/dev", t->root);
	assert_int_equal(symlink(pki, p), 0);
	(void)snprintf(t->conf, sizeof(t->conf), "%s/conf", t->root);
	assert_int_equal(copy_tree(src, t->conf), 0);
	if (overlay != NULL)
		assert_int_equal(copy_tree(overlay, t->conf), 0);
	assert_true(snprintf(t->gw, sizeof(t->gw), "%s/gateway.yaml", t->conf) <
	    (int)sizeof(t->gw));
}

static void
tdir_free(struct tdir *t)
{
	tl_rmtree(t->root);
	free(t->root);
	t->root = NULL;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void
test_valid_fixture(void **state)
{
	struct gw_config_errors errs;
	struct gw_config *c = NULL, *c2 = NULL;
	const struct gw_client_conf *cl;
	const struct gw_country_conf *co;
	unsigned char zero[32] = { 0 };
	struct tdir t;

	(void)state;
	tdir_make(&t, EIDGW_TEST_DATA "/config/valid", NULL);
	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_OK);
	gw_config_errors_print(&errs, stderr);
	assert_int_equal(errs.n, 0);
	assert_non_null(c);
	assert_string_equal(c->server.listen_host, "127.0.0.1");
	assert_int_equal(c->server.listen_port, 18080);
	assert_string_equal(c->server.public_url, "http://127.0.0.1:18080");
	assert_int_equal(c->server.threads, 2);
	assert_int_equal(c->server.n_trusted_proxies, 2);
	assert_int_equal(c->server.trusted_proxies[0].prefix, 8);
	assert_int_equal(c->server.trusted_proxies[1].prefix, 128);
	assert_int_equal(c->server.max_body_bytes, 1048576);
	assert_non_null(c->saml_signing.key);
	assert_int_equal(c->saml_signing.key->type, EIDGW_KEY_EC);
	assert_string_equal(c->saml_signature_alg, "ecdsa-sha256");
	assert_int_equal(c->n_saml_encryption, 1);
	assert_non_null(c->saml_encryption[0].key);
	assert_int_equal(c->n_oidc_keys, 2);
	assert_int_equal(c->oidc_keys[0].status, GW_KEY_ACTIVE);
	assert_int_equal(c->oidc_keys[1].status, GW_KEY_NEXT);
	assert_non_null(c->oidc_keys[1].key);
	assert_memory_not_equal(c->pairwise_key, zero, 32);
	assert_int_equal(c->store.backend, GW_STORE_MEMORY);
	assert_string_equal(c->store.key_prefix, "eidgw:");
	assert_true(c->audit.enabled);
	assert_non_null(c->audit.signing_key);
	assert_int_equal(c->audit.signing_key->type, EIDGW_KEY_ED25519);
	assert_int_equal(c->audit.hmac_key_len, 32);
	assert_int_equal(c->log.level, 7);
	assert_string_equal(c->log.sink, "stderr");
	assert_int_equal(c->limits.code_ttl_s, 30);
	assert_int_equal(c->limits.login_ttl_s, 600);
	assert_string_equal(c->default_locale, "en");
	assert_int_equal(c->min_rsa_bits, 3072);

	assert_int_equal(c->n_clients, 2);
	/* Files are read in name order: jwt.yaml, svc.yaml. */
	assert_string_equal(c->clients[0].client_id, "jwt-client");
	assert_non_null(cl = gw_config_client(c, "svc"));
	assert_string_equal(cl->client_name, "Service");
	assert_int_equal(cl->auth_method, GW_AUTH_CLIENT_SECRET_BASIC);
	assert_string_equal(cl->client_secret, "0123456789abcdef0123456789abcdef");
	assert_string_equal(cl->sector_identifier, "localhost");
	assert_string_equal(cl->id_token_alg, "PS256");
	assert_int_equal(cl->n_scopes, 2);
	assert_int_equal(cl->min_loa, GW_LOA_LOW);
	assert_int_equal(cl->default_loa, GW_LOA_SUBSTANTIAL);
	assert_string_equal(cl->requester_id, "http://127.0.0.1:18080/rp/svc");
	assert_string_equal(cl->sp_type, "public");
	assert_true(ends_with(cl->file, "/clients/svc.yaml"));
	assert_int_equal(cl->line, 1);
	assert_non_null(cl = gw_config_client(c, "jwt-client"));
	assert_int_equal(cl->auth_method, GW_AUTH_PRIVATE_KEY_JWT);
	assert_true(cl->require_par);
	assert_int_equal(cl->min_loa, GW_LOA_HIGH);
	assert_int_equal(cl->default_loa, GW_LOA_HIGH);
	assert_string_equal(cl->sector_identifier, "rp.example.org");
	assert_null(cl->client_secret);
	assert_int_equal(cl->n_scopes, 1);
	assert_string_equal(cl->scopes[0], "openid");
	assert_null(gw_config_client(c, "nobody"));

	assert_int_equal(c->n_countries, 2);
	assert_non_null(co = gw_config_country(c, "BE"));
	assert_false(co->enabled);
	assert_string_equal(co->connector, "eidas-saml");
	assert_true(co->saml.require_encryption);
	assert_int_equal(co->saml.n_metadata_signers, 0);	/* disabled: not loaded */
	assert_int_equal(co->saml.n_requested_attributes, 4);
	assert_non_null(co = gw_config_country(c, "LU"));
	assert_true(co->enabled);
	assert_int_equal(co->max_loa, GW_LOA_SUBSTANTIAL);
	assert_int_equal(co->saml.binding, GW_BINDING_REDIRECT);
	assert_string_equal(co->saml.signature_alg, "ecdsa-sha384");
	assert_string_equal(co->saml.nameid_format,
	    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient");
	assert_int_equal(co->saml.n_metadata_signers, 1);
	assert_int_equal(co->saml.metadata_refresh_s, 3600);
	assert_null(gw_config_country(c, "XX"));

	/* Same files, same hash; a reference outlives the first owner. */
	assert_memory_not_equal(c->hash, zero, 32);
	assert_int_equal(gw_config_load(t.gw, &c2, NULL), EIDGW_OK);
	assert_memory_equal(c->hash, c2->hash, 32);
	assert_ptr_equal(gw_config_ref(c2), c2);
	gw_config_unref(c2);
	assert_string_equal(c2->server.listen_host, "127.0.0.1");
	gw_config_unref(c2);
	gw_config_unref(c);
	gw_config_unref(NULL);
	gw_config_errors_free(&errs);
	tdir_free(&t);
}

/* The shipped demo configuration (conf/) loads with the development PKI. */
static void
test_demo_conf(void **state)
{
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	struct tdir t;

	(void)state;
	tdir_make(&t, EIDGW_SOURCE_DIR "/conf", NULL);
	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_OK);
	gw_config_errors_print(&errs, stderr);
	assert_int_equal(errs.n, 0);
	assert_int_equal(c->n_clients, 2);
	assert_non_null(gw_config_client(c, "demo-service"));
	assert_non_null(gw_config_client(c, "demo-par-jwt"));
	assert_int_equal(c->n_countries, 9);
	assert_true(gw_config_country(c, "LU")->enabled);
	assert_false(gw_config_country(c, "DE")->enabled);
	assert_string_equal(c->server.public_url, "http://127.0.0.1:8080");
	assert_int_equal(c->store.backend, GW_STORE_LMDB);
	gw_config_unref(c);
	gw_config_errors_free(&errs);
	tdir_free(&t);
}

struct bad_case {
	const char *name;
	const char *file;	/* relative to the conf dir */
	int line;
	enum eidgw_err code;
};

static const struct bad_case bad_cases[] = {
	{ "unknown_key", "gateway.yaml", 8, EIDGW_E_CONFIG_UNKNOWN_KEY },
	{ "wrong_type_number", "gateway.yaml", 7, EIDGW_E_CONFIG_TYPE },
	{ "wrong_type_bool", "gateway.yaml", 30, EIDGW_E_CONFIG_TYPE },
	{ "wrong_type_list", "clients/svc.yaml", 3, EIDGW_E_CONFIG_TYPE },
	{ "wrong_type_string", "clients/svc.yaml", 1, EIDGW_E_CONFIG_TYPE },
	{ "missing_required", "gateway.yaml", 4, EIDGW_E_CONFIG_MISSING },
	{ "missing_key_file", "gateway.yaml", 13, EIDGW_E_CONFIG_FILE },
	{ "key_cert_mismatch", "gateway.yaml", 13, EIDGW_E_KEY_MISMATCH },
	{ "duplicate_client_id", "clients/zz.yaml", 1, EIDGW_E_CONFIG_DUPLICATE },
	{ "duplicate_mapping_key", "gateway.yaml", 36, EIDGW_E_CONFIG_DUPLICATE },
	{ "bad_public_url", "gateway.yaml", 6, EIDGW_E_CONFIG_VALUE },
	{ "bad_public_url_http", "gateway.yaml", 6, EIDGW_E_CONFIG_VALUE },
	{ "bad_redirect_uri", "clients/jwt.yaml", 4, EIDGW_E_CONFIG_VALUE },
	{ "bad_cidr", "gateway.yaml", 9, EIDGW_E_CONFIG_VALUE },
	{ "bad_enum", "gateway.yaml", 28, EIDGW_E_CONFIG_VALUE },
	{ "unsupported_jws_alg", "clients/svc.yaml", 7, EIDGW_E_CONFIG_VALUE },
	{ "out_of_range", "gateway.yaml", 37, EIDGW_E_CONFIG_VALUE },
	{ "yaml_syntax", "clients/svc.yaml", 6, EIDGW_E_CONFIG_SYNTAX },
	{ "country_mismatch", "countries/BE.yaml", 1, EIDGW_E_CONFIG_VALUE },
	{ "two_active_oidc", "gateway.yaml", 25, EIDGW_E_CONFIG_DUPLICATE },
	{ "metadata_missing_enabled", "countries/LU.yaml", 5, EIDGW_E_CONFIG_FILE },
	{ "secret_too_short", "clients/svc.yaml", 5, EIDGW_E_CONFIG_VALUE },
	{ "empty_scopes", "clients/svc.yaml", 6, EIDGW_E_CONFIG_VALUE },
	{ "unknown_scope", "clients/svc.yaml", 6, EIDGW_E_CONFIG_VALUE },
	{ "weak_client_jwks", "clients/jwt.yaml", 6, EIDGW_E_CONFIG_VALUE },
	/* 342 base64url characters like a 2048-bit modulus, but 2047 bits */
	{ "rsa2047_client_jwks", "clients/jwt.yaml", 6, EIDGW_E_CONFIG_VALUE },
};

static void
run_bad(const char *name, struct gw_config_errors *errs, struct tdir *t)
{
	struct gw_config *c = (struct gw_config *)1;

	tdir_make(t, EIDGW_TEST_DATA "/config/valid",
	    tl_path(EIDGW_TEST_DATA "/config/invalid", name));
	assert_int_equal(gw_config_load(t->gw, &c, errs), EIDGW_E_CONFIG);
	assert_null(c);
}

static void
test_invalid_fixtures(void **state)
{
	struct gw_config_errors errs;
	char want[4096];
	struct tdir t;
	size_t i;

	(void)state;
	for (i = 0; i < EIDGW_ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *b = &bad_cases[i];

		run_bad(b->name, &errs, &t);
		fprintf(stderr, "case %s:\n", b->name);
		gw_config_errors_print(&errs, stderr);
		assert_true(snprintf(want, sizeof(want), "%s/%s", t.conf, b->file) <
		    (int)sizeof(want));
		if (errs.n != 1)
			fail_msg("%s: %zu errors, expected 1", b->name, errs.n);
		if (strcmp(errs.v[0].file, want) != 0 || errs.v[0].line != b->line ||
		    errs.v[0].code != b->code)
			fail_msg("%s: got %s:%d code %d, expected %s:%d code %d", b->name,
			    errs.v[0].file, errs.v[0].line, errs.v[0].code, want, b->line,
			    b->code);
		if (strcmp(b->name, "unknown_key") == 0)
			assert_non_null(strstr(errs.v[0].reason, "did you mean 'server.listen'?"));
		gw_config_errors_free(&errs);
		tdir_free(&t);
	}
}

/* A private key or secret file readable by others is refused. */
static void
test_secret_file_mode(void **state)
{
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	char key[4096], secret[4096], yaml[8192];
	const char *pem;
	size_t len;
	char *data;
	struct tdir t;

	(void)state;
	tdir_make(&t, EIDGW_TEST_DATA "/config/valid", NULL);
	/* A world-readable copy of a key and a 0644 client secret file. */
	assert_true(snprintf(key, sizeof(key), "%s/loose.key", t.conf) < (int)sizeof(key));
	assert_non_null(data = tl_read_file(tl_path(t.root, "certs/dev/oidc-es256.key"), &len));
	assert_int_equal(tl_write_file(key, data, len), 0);
	free(data);
	assert_int_equal(chmod(key, 0644), 0);
	assert_true(snprintf(secret, sizeof(secret), "%s/svc.secret", t.conf) <
	    (int)sizeof(secret));
	pem = "0123456789abcdef0123456789abcdef-from-a-file\n";
	assert_int_equal(tl_write_file(secret, pem, strlen(pem)), 0);
	assert_int_equal(chmod(secret, 0644), 0);
	assert_non_null(data = tl_read_file(t.gw, &len));
	assert_non_null(strstr(data, "../certs/dev/oidc-es256.key"));
	assert_true(snprintf(yaml, sizeof(yaml), "%.*sloose.key%s",
	    (int)(strstr(data, "../certs/dev/oidc-es256.key") - data), data,
	    strstr(data, "../certs/dev/oidc-es256.key") + strlen("../certs/dev/oidc-es256.key")) <
	    (int)sizeof(yaml));
	free(data);
	assert_int_equal(tl_write_file(t.gw, yaml, strlen(yaml)), 0);
	pem = "client_id: svc\nredirect_uris: [\"http://localhost:9000/cb\"]\n"
	    "client_secret_file: svc.secret\n";
	assert_int_equal(tl_write_file(tl_path(t.conf, "clients/svc.yaml"), pem, strlen(pem)), 0);

	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_E_CONFIG);
	gw_config_errors_print(&errs, stderr);
	assert_int_equal(errs.n, 2);
	assert_int_equal(errs.v[0].line, 24);
	assert_int_equal(errs.v[0].code, EIDGW_E_CONFIG_FILE);
	assert_true(ends_with(errs.v[1].file, "/clients/svc.yaml"));
	assert_int_equal(errs.v[1].line, 3);
	assert_int_equal(errs.v[1].code, EIDGW_E_CONFIG_FILE);
	gw_config_errors_free(&errs);

	/* Tightened, both load, and the secret comes from the file's first line. */
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(chmod(secret, 0640), 0);
	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_OK);
	assert_string_equal(gw_config_client(c, "svc")->client_secret,
	    "0123456789abcdef0123456789abcdef-from-a-file");
	gw_config_unref(c);
	gw_config_errors_free(&errs);
	tdir_free(&t);
}

/* Country rules: disabled countries need no files; the saml section's companions. */
static void
test_country_rules(void **state)
{
	static const struct {
		const char *yaml;
		int line;
		enum eidgw_err code;
	} v[] = {
		{ "country: BE\nname: B\nmax_loa: high\nenabled: false\nsaml:\n"
		  "  metadata_url: \"https://x.example/md\"\n"
		  "  metadata_cache_file: c.xml\n", 6, EIDGW_E_CONFIG_MISSING },
		{ "country: BE\nname: B\nmax_loa: high\nenabled: false\nsaml:\n"
		  "  metadata_url: \"https://x.example/md\"\n"
		  "  metadata_signing_cert: s.crt\n", 6, EIDGW_E_CONFIG_MISSING },
		{ "country: BE\nname: B\nmax_loa: high\nenabled: false\nsaml:\n"
		  "  metadata_file: m.xml\n  metadata_url: \"https://x.example/md\"\n"
		  "  metadata_signing_cert: s.crt\n  metadata_cache_file: c.xml\n", 6,
		  EIDGW_E_CONFIG_VALUE },
		{ "country: BE\nname: B\nmax_loa: high\nenabled: false\nsaml:\n"
		  "  binding: redirect\n", 5, EIDGW_E_CONFIG_MISSING },
		{ "country: BE\nname: B\nmax_loa: high\n", 1, EIDGW_E_CONFIG_MISSING },
		{ "country: BE\nname: B\nmax_loa: high\nenabled: false\nsaml:\n"
		  "  metadata_url: \"http://x.example/md\"\n", 6, EIDGW_E_CONFIG_VALUE },
		{ "country: BE\nname: B\nmax_loa: high\nenabled: false\nsaml:\n"
		  "  metadata_file: m.xml\n  signature_alg: rsa-sha256\n", 7,
		  EIDGW_E_CONFIG_VALUE },
		{ "country: BE\nname: B\nmax_loa: medium\n", 3, EIDGW_E_CONFIG_VALUE },
		{ "country: be\nname: B\nmax_loa: low\n", 1, EIDGW_E_CONFIG_VALUE },
		{ "country: BE\nname: B\nmax_loa: low\nconnector: my-plugin\nenabled: false\n"
		  "saml:\n  metadata_file: m.xml\n", 6, EIDGW_E_CONFIG_VALUE },
		{ "country: BE\nname: B\nmax_loa: low\nconnector: my-plugin\nenabled: false\n"
		  "plugin_settings: [1]\n", 6, EIDGW_E_CONFIG_TYPE },
		{ "country: BE\nname: B\nmax_loa: low\nconnector: my-plugin\nenabled: false\n"
		  "plugin_settings:\n  a: {b: 1, b: 2}\n", 7, EIDGW_E_CONFIG_DUPLICATE },
		{ "country: BE\nname: B\nmax_loa: low\nconnector: my-plugin\n", 1,
		  EIDGW_E_CONFIG_MISSING },
		/* plugin_settings: no aliases, anchors or tags there either */
		{ "country: BE\nname: B\nmax_loa: low\nconnector: my-plugin\nenabled: false\n"
		  "plugin_settings:\n  a: &x [1, 2]\n  b: [*x, *x]\n", 8, EIDGW_E_CONFIG_TYPE },
		{ "country: BE\nname: B\nmax_loa: low\nconnector: my-plugin\nenabled: false\n"
		  "plugin_settings:\n  a: &x [1, 2]\n", 7, EIDGW_E_CONFIG_TYPE },
		{ "country: BE\nname: B\nmax_loa: low\nconnector: my-plugin\nenabled: false\n"
		  "plugin_settings:\n  a:\n    b: !!str 5\n", 8, EIDGW_E_CONFIG_TYPE },
		/* an enabled remote country whose cache cannot be kept */
		{ "country: BE\nname: B\nmax_loa: high\nsaml:\n"
		  "  metadata_url: \"https://x.example/md\"\n"
		  "  metadata_signing_cert: ../certs/dev/demo-idp-metadata-signing.crt\n"
		  "  metadata_cache_file: ../nonexistent-dir/BE.xml\n", 7, EIDGW_E_CONFIG_FILE },
		{ "country: BE\nname: B\nmax_loa: high\nsaml:\n"
		  "  metadata_url: \"https://x.example/md\"\n"
		  "  metadata_cache_file: ../certs\n"
		  "  metadata_signing_cert: ../certs/dev/demo-idp-metadata-signing.crt\n", 6,
		  EIDGW_E_CONFIG_FILE },
	};
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	char be[4096];
	struct tdir t;
	size_t i, j;
	bool found;

	(void)state;
	tdir_make(&t, EIDGW_TEST_DATA "/config/valid", NULL);
	assert_true(snprintf(be, sizeof(be), "%s/countries/BE.yaml", t.conf) < (int)sizeof(be));
	for (i = 0; i < EIDGW_ARRAY_LEN(v); i++) {
		assert_int_equal(tl_write_file(be, v[i].yaml, strlen(v[i].yaml)), 0);
		if (gw_config_load(t.gw, &c, &errs) != EIDGW_E_CONFIG)
			fail_msg("country case %zu loads", i);
		found = false;
		for (j = 0; j < errs.n; j++)
			if (errs.v[j].line == v[i].line && errs.v[j].code == v[i].code &&
			    strcmp(errs.v[j].file, be) == 0)
				found = true;
		if (!found) {
			gw_config_errors_print(&errs, stderr);
			fail_msg("country case %zu: want an error at line %d with code %d", i,
			    v[i].line, v[i].code);
		}
		gw_config_errors_free(&errs);
	}
	/* A disabled plugin country with settings loads; they are kept as YAML text. */
	assert_int_equal(tl_write_file(be, "country: BE\nname: B\nmax_loa: low\n"
	    "connector: my-plugin\nenabled: false\nplugin_settings:\n  a: 1\n  b: [x, y]\n",
	    105), 0);
	if (gw_config_load(t.gw, &c, &errs) != EIDGW_OK) {
		gw_config_errors_print(&errs, stderr);
		fail_msg("a disabled plugin country does not load");
	}
	assert_non_null(strstr(gw_config_country(c, "BE")->plugin_settings_yaml, "a: 1"));
	assert_true(gw_config_country(c, "BE")->saml.require_encryption);	/* defaults */
	gw_config_unref(c);
	gw_config_errors_free(&errs);
	tdir_free(&t);
}

/*
 * metadata_signing_cert with a good certificate and then one that does not
 * parse (a botched rollover) is refused at its line, not loaded with the
 * first certificate alone; two good ones load.
 */
static void
test_metadata_signer_file(void **state)
{
	static const char yaml[] = "country: BE\nname: B\nmax_loa: high\nsaml:\n"
	    "  metadata_url: \"https://x.example/md\"\n"
	    "  metadata_cache_file: BE-cache.xml\n"
	    "  metadata_signing_cert: signers.crt\n";
	static const char broken[] = "-----BEGIN CERTIFICATE-----\n"
	    "MIIBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "-----END CERTIFICATE-----\n";
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	char be[4096], crt[4096], src[4096], *pem, *two;
	size_t len, j;
	struct tdir t;
	bool found = false;

	(void)state;
	tdir_make(&t, EIDGW_TEST_DATA "/config/valid", NULL);
	assert_true(snprintf(be, sizeof(be), "%s/countries/BE.yaml", t.conf) < (int)sizeof(be));
	assert_true(snprintf(crt, sizeof(crt), "%s/signers.crt", t.conf) < (int)sizeof(crt));
	assert_true(snprintf(src, sizeof(src), "%s/demo-idp-metadata-signing.crt", test_pki()) <
	    (int)sizeof(src));
	assert_non_null(pem = tl_read_file(src, &len));
	assert_non_null(two = malloc(2 * len + sizeof(broken)));
	memcpy(two, pem, len);
	memcpy(two + len, broken, sizeof(broken));
	assert_int_equal(tl_write_file(crt, two, len + sizeof(broken) - 1), 0);
	assert_int_equal(tl_write_file(be, yaml, strlen(yaml)), 0);
	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_E_CONFIG);
	for (j = 0; j < errs.n; j++)
		if (errs.v[j].line == 7 && errs.v[j].code == EIDGW_E_KEY_LOAD &&
		    strcmp(errs.v[j].file, be) == 0)
			found = true;
	if (!found) {
		gw_config_errors_print(&errs, stderr);
		fail_msg("a signer file whose second certificate is broken loads");
	}
	gw_config_errors_free(&errs);
	/* two good certificates: both are signers */
	memcpy(two + len, pem, len);
	assert_int_equal(tl_write_file(crt, two, 2 * len), 0);
	if (gw_config_load(t.gw, &c, &errs) != EIDGW_OK) {
		gw_config_errors_print(&errs, stderr);
		fail_msg("a signer file with two certificates does not load");
	}
	assert_int_equal(gw_config_country(c, "BE")->saml.n_metadata_signers, 2);
	gw_config_unref(c);
	gw_config_errors_free(&errs);
	free(two);
	free(pem);
	tdir_free(&t);
}

/* Three problems in one file: all three are reported, in file order. */
static void
test_all_errors_collected(void **state)
{
	static const int lines[] = { 7, 29, 36 };
	static const enum eidgw_err codes[] = {
		EIDGW_E_CONFIG_VALUE, EIDGW_E_CONFIG_UNKNOWN_KEY, EIDGW_E_CONFIG_VALUE,
	};
	struct gw_config_errors errs;
	struct tdir t;
	size_t i;

	(void)state;
	run_bad("three_problems", &errs, &t);
	gw_config_errors_print(&errs, stderr);
	assert_int_equal(errs.n, 3);
	for (i = 0; i < 3; i++) {
		assert_true(ends_with(errs.v[i].file, "/conf/gateway.yaml"));
		assert_int_equal(errs.v[i].line, lines[i]);
		assert_int_equal(errs.v[i].code, codes[i]);
	}
	gw_config_errors_free(&errs);
	tdir_free(&t);
}

static void
test_missing_config_file(void **state)
{
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(gw_config_load("/nonexistent/eidgw/gateway.yaml", &c, &errs),
	    EIDGW_E_CONFIG);
	assert_null(c);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].code, EIDGW_E_CONFIG_FILE);
	assert_int_equal(errs.v[0].line, 0);
	assert_non_null(f = open_memstream(&out, &len));
	gw_config_errors_print(&errs, f);
	fclose(f);
	assert_string_equal(out,
	    "/nonexistent/eidgw/gateway.yaml: cannot read: No such file or directory\n");
	free(out);
	gw_config_errors_free(&errs);
	gw_config_errors_free(NULL);
}

/* Small inline files for rules that need no key material. */
static void
test_inline_rules(void **state)
{
	static const struct {
		const char *yaml;
		int line;
		enum eidgw_err code;
	} v[] = {
		{ "", 0, EIDGW_E_CONFIG_SYNTAX },
		{ "- a\n- b\n", 1, EIDGW_E_CONFIG_TYPE },
		{ "server: {}\n---\nkeys: {}\n", 3, EIDGW_E_CONFIG_SYNTAX },
		{ "server:\n  public_url: &u \"http://127.0.0.1\"\n  listen: *u\n", 3,
		  EIDGW_E_CONFIG_TYPE },
		{ "server:\n  listen: \"localhost:80\"\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  listen: \"[::1]:99999\"\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  listen: \"::1:80\"\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  listen: \"127.0.0.1:\"\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  listen: \"127.0.0.1:8o\"\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  public_url: \"http://user@127.0.0.1\"\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  public_url: \"http://127.0.0.1?x\"\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  threads: -1\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "server:\n  threads: 1.5\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "server:\n  trusted_proxies: [\"192.168.0.0/33\"]\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  trusted_proxies: [\"fe80::/10\", \"nope\"]\n", 2,
		  EIDGW_E_CONFIG_VALUE },
		{ "server: 5\n", 1, EIDGW_E_CONFIG_TYPE },
		{ "store:\n  backend: redis\n  redis_url: \"http://r:6379\"\n", 3,
		  EIDGW_E_CONFIG_VALUE },
		{ "audit:\n  enabled: True\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "default_locale: xx\n", 1, EIDGW_E_CONFIG_VALUE },
		{ "limits:\n  code_ttl_s: !!int 5\n", 2, EIDGW_E_CONFIG_TYPE },
		/* libfyaml 0.7.12 hangs on this one: invalid UTF-8 never reaches it */
		{ "log: {}\n...\n%\xff\nx: 1\n", 3, EIDGW_E_CONFIG_SYNTAX },
		{ "log:\n  sink: \"\xc0\xaf\"\n", 2, EIDGW_E_CONFIG_SYNTAX },
		{ "log:\n  level: warning\n  sink: \"\xed\xa0\x80\"\n", 3, EIDGW_E_CONFIG_SYNTAX },
		{ "log:\n  level: info\n  level: debug\n", 3, EIDGW_E_CONFIG_DUPLICATE },
		{ "server:\n  threads:\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "server:\n  public_url: 1.5e3\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "server:\n  public_url: -.5\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "server:\n  public_url: 0x1F\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "server:\n  public_url: .inf\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "server:\n  public_url: false\n", 2, EIDGW_E_CONFIG_TYPE },
		/* a bare IP is a string, so this one fails on the CIDR rule, not the type */
		{ "server:\n  trusted_proxies: [127.0.0.1, 10.1.1.1/8]\n", 2, EIDGW_E_CONFIG_VALUE },
		/* every peer trusted: refused (v4 and v6) */
		{ "server:\n  trusted_proxies: [\"0.0.0.0/0\"]\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  trusted_proxies: [\"10.0.0.0/8\", \"::/0\"]\n", 2,
		    EIDGW_E_CONFIG_VALUE },
		/* every IPv4 peer, IPv4-mapped */
		{ "server:\n  trusted_proxies: [\"::ffff:0:0/96\"]\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  trusted_proxies: [\"::/80\"]\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  public_url: ~\n", 2, EIDGW_E_CONFIG_TYPE },
		{ "countries_dir: /nonexistent/eidgw-countries\n", 1, EIDGW_E_CONFIG_FILE },
		{ "plugins_dir: /nonexistent/eidgw-plugins\n", 1, EIDGW_E_CONFIG_FILE },
		{ "keys:\n  pairwise_key: /nonexistent/pw\n", 2, EIDGW_E_CONFIG_FILE },
		{ "keys:\n  oidc: []\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "keys:\n  oidc:\n    - kid: \"a b\"\n", 3, EIDGW_E_CONFIG_VALUE },
		{ "keys:\n  oidc:\n    - alg: HS256\n", 3, EIDGW_E_CONFIG_VALUE },
		{ "keys:\n  oidc:\n    - status: active\n", 3, EIDGW_E_CONFIG_MISSING },
		{ "keys:\n  min_rsa_bits: 1024\n", 2, EIDGW_E_CONFIG_VALUE },
		{ "server:\n  max_body_bytes: 8192\n", 2, EIDGW_E_CONFIG_VALUE },
	};
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	char *dir, *path;
	size_t i, j;
	bool found;

	(void)state;
	assert_non_null(dir = tl_mkdtemp());
	path = strdup(tl_path(dir, "gateway.yaml"));
	assert_non_null(path);
	for (i = 0; i < EIDGW_ARRAY_LEN(v); i++) {
		assert_int_equal(tl_write_file(path, v[i].yaml, strlen(v[i].yaml)), 0);
		assert_int_equal(gw_config_load(path, &c, &errs), EIDGW_E_CONFIG);
		found = false;
		for (j = 0; j < errs.n; j++)
			if (errs.v[j].line == v[i].line && errs.v[j].code == v[i].code &&
			    strcmp(errs.v[j].file, path) == 0)
				found = true;
		if (!found) {
			gw_config_errors_print(&errs, stderr);
			fail_msg("inline case %zu: no error at line %d with code %d", i, v[i].line,
			    v[i].code);
		}
		gw_config_errors_free(&errs);
	}
	free(path);
	tl_rmtree(dir);
	free(dir);
}

/*
 * A FIFO (or device) named *.yaml in a configuration folder is refused as
 * "not a regular file" without blocking: opening or reading one used to
 * hang --check-config and the daemon's reload for ever.  The alarm turns a
 * hang into a failure.
 */
static void
test_fifo_not_read(void **state)
{
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	char fifo[4096];
	struct tdir t;
	size_t i;
	bool found = false;

	(void)state;
	tdir_make(&t, EIDGW_TEST_DATA "/config/valid", NULL);
	assert_true(snprintf(fifo, sizeof(fifo), "%s/clients/zz.yaml", t.conf) <
	    (int)sizeof(fifo));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	(void)alarm(20);
	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_E_CONFIG);
	(void)alarm(0);
	assert_null(c);
	for (i = 0; i < errs.n; i++)
		if (strcmp(errs.v[i].file, fifo) == 0 && errs.v[i].line == 0 &&
		    errs.v[i].code == EIDGW_E_CONFIG_FILE &&
		    strstr(errs.v[i].reason, "not a regular file") != NULL)
			found = true;
	if (!found) {
		gw_config_errors_print(&errs, stderr);
		fail_msg("no 'not a regular file' error for %s", fifo);
	}
	gw_config_errors_free(&errs);
	tdir_free(&t);
}

/* Returns whether errs holds an error of file:line with code whose reason has needle. */
static bool
has_error(const struct gw_config_errors *errs, const char *file, int line, enum eidgw_err code,
    const char *needle)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (strcmp(errs->v[i].file, file) == 0 && errs->v[i].line == line &&
		    errs->v[i].code == code && strstr(errs->v[i].reason, needle) != NULL)
			return true;
	gw_config_errors_print(errs, stderr);
	return false;
}

/*
 * Files and directories of the configuration that anybody may write to are
 * refused (sshd StrictModes): whoever can write them decides what the
 * gateway trusts.  A sticky directory (like /tmp) is fine.
 */
static void
test_world_writable(void **state)
{
	struct gw_config_errors errs;
	struct gw_config *c = NULL;
	char svc[4096], countries[4096];
	struct tdir t;

	(void)state;
	tdir_make(&t, EIDGW_TEST_DATA "/config/valid", NULL);
	assert_true(snprintf(svc, sizeof(svc), "%s/clients/svc.yaml", t.conf) < (int)sizeof(svc));
	assert_true(snprintf(countries, sizeof(countries), "%s/countries", t.conf) <
	    (int)sizeof(countries));

	assert_int_equal(chmod(svc, 0666), 0);
	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_E_CONFIG);
	assert_true(has_error(&errs, svc, 0, EIDGW_E_CONFIG_FILE, "writable by anybody"));
	gw_config_errors_free(&errs);
	assert_int_equal(chmod(svc, 0644), 0);

	assert_int_equal(chmod(countries, 0777), 0);
	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_E_CONFIG);
	assert_true(has_error(&errs, t.gw, 0, EIDGW_E_CONFIG_FILE, "countries_dir"));
	gw_config_errors_free(&errs);

	assert_int_equal(chmod(t.conf, 0777), 0);
	assert_int_equal(chmod(countries, 01777), 0);
	assert_int_equal(gw_config_load(t.gw, &c, &errs), EIDGW_E_CONFIG);
	assert_true(has_error(&errs, t.gw, 0, EIDGW_E_CONFIG_FILE, "the directory of the file"));
	gw_config_errors_free(&errs);

	/* sticky directories are fine */
	assert_int_equal(chmod(t.conf, 01777), 0);
	if (gw_config_load(t.gw, &c, &errs) != EIDGW_OK) {
		gw_config_errors_print(&errs, stderr);
		fail_msg("sticky world-writable directories refused");
	}
	gw_config_unref(c);
	gw_config_errors_free(&errs);
	assert_int_equal(chmod(t.conf, 0700), 0);
	tdir_free(&t);
}

static void
test_known_keys(void **state)
{
	const char *const *k = gw_config_known_keys();
	size_t n = 0, i;
	bool listen = false, binding = false, redirect = false, oidc_kid = false;

	(void)state;
	for (i = 0; k[i] != NULL; i++, n++) {
		listen |= strcmp(k[i], "server.listen") == 0;
		binding |= strcmp(k[i], "country.saml.binding") == 0;
		redirect |= strcmp(k[i], "client.redirect_uris") == 0;
		oidc_kid |= strcmp(k[i], "keys.oidc.kid") == 0;
	}
	assert_true(n > 80);
	assert_true(listen && binding && redirect && oidc_kid);
	assert_ptr_equal(gw_config_known_keys(), k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_fixture),
		cmocka_unit_test(test_demo_conf),
		cmocka_unit_test(test_invalid_fixtures),
		cmocka_unit_test(test_all_errors_collected),
		cmocka_unit_test(test_secret_file_mode),
		cmocka_unit_test(test_country_rules),
		cmocka_unit_test(test_metadata_signer_file),
		cmocka_unit_test(test_missing_config_file),
		cmocka_unit_test(test_inline_rules),
		cmocka_unit_test(test_fifo_not_read),
		cmocka_unit_test(test_world_writable),
		cmocka_unit_test(test_known_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
