#include "btc/transport.h"

int btc_transport_open(struct btc_transport *t, enum btc_transport_kind kind,
		       const uint8_t magic[4], enum btc_role role, struct ps_wcur *out)
{
	(void)role; /* v1 is the same in both roles */
	(void)out;  /* and sends nothing before the first message */
	switch (kind) {
	case BTC_TRANSPORT_V1:
		t->ops = &btc_v1_ops;
		btc_v1_init(&t->u.v1, magic);
		return PS_OK;
	default:
		return PS_ERR_INVALID_ARG;
	}
}
