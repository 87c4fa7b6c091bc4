#include "btc/transport.h"

void btc_transport_set_keep(struct btc_transport *t, uint8_t *buf, size_t cap)
{
	if (cap < BTC_HS_KEEP)
		buf = NULL;
	if (t->ops == &btc_v1_ops) {
		t->u.v1.big = buf;
		t->u.v1.big_cap = buf ? cap : 0;
	} else if (t->ops == &btc_v2_ops) {
		t->u.v2.big = buf;
		t->u.v2.big_len = buf ? BTC_V2_KEEP_OVERHEAD + cap : 0;
	}
}

int btc_transport_open(struct btc_transport *t, enum btc_transport_kind kind,
		       const uint8_t magic[4], enum btc_role role, const struct btc_v2_config *v2,
		       struct ps_wcur *out)
{
	switch (kind) {
	case BTC_TRANSPORT_V1:
		/* v1 is the same in both roles and sends nothing before the
		 * first message */
		t->ops = &btc_v1_ops;
		btc_v1_init(&t->u.v1, magic);
		return PS_OK;
	case BTC_TRANSPORT_V2:
	case BTC_TRANSPORT_DETECT:
		/* BIP324: "the responder ... If the first 16 bytes received match
		 * the v1 prefix, the v1 protocol is used instead": only a
		 * responder tells them apart */
		if (!v2 || (kind == BTC_TRANSPORT_DETECT && role != BTC_RESPONDER))
			return PS_ERR_INVALID_ARG;
		t->ops = kind == BTC_TRANSPORT_DETECT ? &btc_v2_detect_ops : &btc_v2_ops;
		return btc_v2_init(&t->u.v2, magic, role == BTC_INITIATOR,
				   kind == BTC_TRANSPORT_DETECT, v2, out);
	default:
		return PS_ERR_INVALID_ARG;
	}
}
