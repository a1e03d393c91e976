/*
 * Drift check: every key the configuration loader accepts
 * (gw_config_known_keys) is documented in docs/configuration.md, and every
 * key the reference documents is accepted.  A documented key is a table row
 * whose first cell is a backticked key path: "| `server.listen` | ...".
 * A missing docs file is a failure, not a skip.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"

#define DOCS EIDGW_SOURCE_DIR "/docs/configuration.md"

struct doc_keys {
	char **v;
	size_t n;
};

static void
doc_keys_parse(char *text, struct doc_keys *k)
{
	char *line, *save = NULL, *end;

	k->v = NULL;
	k->n = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "| `", 3) != 0)
			continue;
		line += 3;
		if ((end = strchr(line, '`')) == NULL)
			fail_msg("malformed reference row: %s", line);
		*end = '\0';
		k->v = realloc(k->v, (k->n + 1) * sizeof(*k->v));
		assert_non_null(k->v);
		k->v[k->n++] = line;
	}
}

static bool
in_docs(const struct doc_keys *k, const char *key)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->v[i], key) == 0)
			return true;
	return false;
}

static bool
in_code(const char *const *known, const char *key)
{
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], key) == 0)
			return true;
	return false;
}

static void
test_docs_match_code(void **state)
{
	const char *const *known = gw_config_known_keys();
	struct doc_keys k;
	size_t i, j, missing = 0, extra = 0, dup = 0;
	char *text;

	(void)state;
	text = tl_read_file(DOCS, NULL);
	if (text == NULL)
		fail_msg("cannot read %s: the configuration reference is missing", DOCS);
	doc_keys_parse(text, &k);
	if (k.n == 0)
		fail_msg("%s documents no keys (rows like | `section.key` | ...)", DOCS);
	assert_non_null(known[0]);
	for (i = 0; known[i] != NULL; i++)
		if (!in_docs(&k, known[i])) {
			fprintf(stderr, "not documented in docs/configuration.md: %s\n", known[i]);
			missing++;
		}
	for (i = 0; i < k.n; i++) {
		if (!in_code(known, k.v[i])) {
			fprintf(stderr, "documented but unknown to the loader: %s\n", k.v[i]);
			extra++;
		}
		for (j = 0; j < i; j++)
			if (strcmp(k.v[i], k.v[j]) == 0) {
				fprintf(stderr, "documented twice: %s\n", k.v[i]);
				dup++;
			}
	}
	free(k.v);
	free(text);
	assert_int_equal(missing, 0);
	assert_int_equal(extra, 0);
	assert_int_equal(dup, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_match_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
