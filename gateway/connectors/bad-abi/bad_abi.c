/*
 * bad-abi - a deliberately broken connector for the loader's refusal test:
 * it claims ABI major 2, which this gateway does not speak.  Its functions
 * must never run; each one aborts to prove that.  Built only with the tests.
 */
#include <eidgw/connector.h>

#include <stdlib.h>
#include <string.h>

static int
bad_init(const struct eidgw_host_api *host, const struct eidgw_connector_init *in, void **state)
{
	(void)host;
	(void)in;
	(void)state;
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

EIDGW_CONNECTOR_EXPORT int eidgw_connector_entry(const struct eidgw_host_api *host,
    struct eidgw_connector_ops *out);

EIDGW_CONNECTOR_EXPORT int
eidgw_connector_entry(const struct eidgw_host_api *host, struct eidgw_connector_ops *out)
{
	(void)host;
	memset(out, 0, sizeof(*out));
	out->abi_version = (2u << 16) | 0u;	/* a future major version */
	out->struct_size = (uint32_t)sizeof(*out);
	out->name = "bad-abi";
	out->init = bad_init;
	out->start_login = bad_start;
	out->finish_login = bad_finish;
	out->destroy = bad_destroy;
	return EIDGW_CX_OK;
}
