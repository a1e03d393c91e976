/*
 * bad-abi - a deliberately broken connector for the loader's refusal tests.
 * Built only with the tests.  By default it claims ABI major 2, which this
 * gateway does not speak.  The environment variable EIDGW_TEST_BAD_ABI picks
 * other faults, so one plugin covers every check of the operations table:
 *
 *   (unset), major   abi_version 2.0
 *   size             struct_size smaller than ABI 1.0's table
 *   noinit           init is NULL
 *   fail             the entry point itself fails
 *   minor            a future minor (1.99) with a larger table, written in
 *                    full: must load past the ABI checks; its init then
 *                    refuses (bad config), so nothing else runs
 *
 * Its other functions must never run: each one aborts to prove that.
 */
#include <eidgw/connector.h>

#include <stdlib.h>
#include <string.h>

static const char *
mode(void)
{
	const char *m = getenv("EIDGW_TEST_BAD_ABI");

	return m != NULL ? m : "major";
}

static int
bad_init(const struct eidgw_host_api *host, const struct eidgw_connector_init *in, void **state)
{
	(void)host;
	(void)in;
	*state = NULL;
	if (strcmp(mode(), "minor") == 0)
		return EIDGW_CX_BAD_CONFIG;
	abort();
}

static int
bad_start(void *state, const struct eidgw_login_request *in, struct eidgw_login_start *out)
{
	(void)state;
	(void)in;
	(void)out;
	abort();
}

static int
bad_finish(void *state, const struct eidgw_login_response *in, struct eidgw_identity *out)
{
	(void)state;
	(void)in;
	(void)out;
	abort();
}

static void
bad_destroy(void *state)
{
	(void)state;
	abort();
}

/* What a plugin built for ABI 1.99 might fill: the 1.0 table and more. */
struct future_ops {
	struct eidgw_connector_ops v1_0;
	void *later[8];
};

EIDGW_CONNECTOR_EXPORT int eidgw_connector_entry(const struct eidgw_host_api *host,
    struct eidgw_connector_ops *out);

EIDGW_CONNECTOR_EXPORT int
eidgw_connector_entry(const struct eidgw_host_api *host, struct eidgw_connector_ops *out)
{
	const char *m = mode();

	(void)host;
	if (strcmp(m, "fail") == 0)
		return EIDGW_CX_ERROR;
	if (strcmp(m, "minor") == 0) {
		/* Writes past a 1.0 table: the host must have room for that. */
		memset(out, 0, sizeof(struct future_ops));
		memset(((struct future_ops *)(void *)out)->later, 0xa5,
		    sizeof(((struct future_ops *)0)->later));
	} else {
		memset(out, 0, sizeof(*out));
	}
	out->abi_version = (2u << 16) | 0u;	/* a future major version */
	out->struct_size = (uint32_t)sizeof(*out);
	out->name = "bad-abi";
	out->init = bad_init;
	out->start_login = bad_start;
	out->finish_login = bad_finish;
	out->destroy = bad_destroy;
	if (strcmp(m, "size") == 0) {
		out->abi_version = EIDGW_CONNECTOR_ABI_VERSION;
		out->struct_size = 24;
	} else if (strcmp(m, "noinit") == 0) {
		out->abi_version = EIDGW_CONNECTOR_ABI_VERSION;
		out->init = NULL;
	} else if (strcmp(m, "minor") == 0) {
		out->abi_version = (EIDGW_CONNECTOR_ABI_MAJOR << 16) | 99u;
		out->struct_size = (uint32_t)sizeof(struct future_ops);
	}
	return EIDGW_CX_OK;
}
