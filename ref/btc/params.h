/*
 * params.h - Bitcoin network parameters and the protocol constants the
 * handshake depends on, as Bitcoin Core v31.1 defines them: the magics
 * (pchMessageStart) and ports (nDefaultPort) in src/kernel/chainparams.cpp
 * (CMainParams, CTestNetParams, CTestNet4Params, SigNetParams for the
 * default signet challenge, CRegTestParams); the versions in
 * src/node/protocol_version.h; the size limits in src/net.h; the service
 * bits in src/protocol.h (ServiceFlags).
 */
#ifndef PS_BTC_PARAMS_H
#define PS_BTC_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define BTC_PROTOCOL_VERSION	70016 /* src/node/protocol_version.h PROTOCOL_VERSION */
#define BTC_MIN_PEER_VERSION	31800 /* src/node/protocol_version.h MIN_PEER_PROTO_VERSION */
#define BTC_WTXID_RELAY_VERSION 70016 /* src/node/protocol_version.h WTXID_RELAY_VERSION */
#define BTC_BIP0031_VERSION	60000 /* src/node/protocol_version.h BIP0031_VERSION: ping nonces */
#define BTC_MAX_PAYLOAD		4000000u /* src/net.h MAX_PROTOCOL_MESSAGE_LENGTH */
#define BTC_MAX_SUBVERSION	256u	 /* src/net.h MAX_SUBVERSION_LENGTH */

/* Service bits (src/protocol.h). */
#define BTC_NODE_NETWORK	 (UINT64_C(1) << 0)
#define BTC_NODE_BLOOM		 (UINT64_C(1) << 2)
#define BTC_NODE_WITNESS	 (UINT64_C(1) << 3)
#define BTC_NODE_COMPACT_FILTERS (UINT64_C(1) << 6)
#define BTC_NODE_NETWORK_LIMITED (UINT64_C(1) << 10)
#define BTC_NODE_P2P_V2		 (UINT64_C(1) << 11)

struct btc_network {
	const char *name;
	uint8_t magic[4];
	uint16_t port;
};

/* The known networks: mainnet, testnet3, testnet4, signet, regtest. */
extern const struct btc_network btc_networks[];
extern const size_t btc_network_count;

/* The network called name (also "main", "test", "testnet" as aliases), or NULL. */
const struct btc_network *btc_network_find(const char *name);

#endif
