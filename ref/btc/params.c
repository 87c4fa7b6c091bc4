#include "btc/params.h"

#include <string.h>

const struct btc_network btc_networks[] = {
	{ "mainnet", { 0xf9, 0xbe, 0xb4, 0xd9 }, 8333 },
	{ "testnet3", { 0x0b, 0x11, 0x09, 0x07 }, 18333 },
	{ "testnet4", { 0x1c, 0x16, 0x3f, 0x28 }, 48333 },
	{ "signet", { 0x0a, 0x03, 0xcf, 0x40 }, 38333 },
	{ "regtest", { 0xfa, 0xbf, 0xb5, 0xda }, 18444 },
};
const size_t btc_network_count = sizeof(btc_networks) / sizeof(btc_networks[0]);

const struct btc_network *btc_network_find(const char *name)
{
	static const struct {
		const char *alias, *name;
	} aliases[] = { { "main", "mainnet" }, { "test", "testnet3" }, { "testnet", "testnet3" } };

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(name, aliases[i].alias) == 0)
			name = aliases[i].name;
	for (size_t i = 0; i < btc_network_count; i++)
		if (strcmp(name, btc_networks[i].name) == 0)
			return &btc_networks[i];
	return NULL;
}
