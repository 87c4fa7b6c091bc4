#!/usr/bin/python3
"""Ask a running bcoin to connect to HOST:PORT, over its HTTP API: the
JSON-RPC `addnode HOST:PORT onetry` (bcoin 1.0.2 lib/node/rpc.js addNode:
"onetry" creates one outbound peer, pool.createOutbound), the way to make
a bcoin that is already running dial peershake's listener:

  run.py --target btc=127.0.0.1:P2P \\
         --initiator-cmd '/usr/bin/python3 conformance/lib/bcoin_connect.py --dir DIR {host}:{port}'

usage: bcoin_connect.py --dir DIR HOST:PORT
       bcoin_connect.py --http HOST:PORT HOST:PORT     (API key: $BCOIN_API_KEY)

--dir: the directory of a bcoin started by conformance/bcoin/start DIR (its
DIR/ports: BCOIN_HTTP_PORT, BCOIN_API_KEY), the HTTP API on 127.0.0.1; --http: another bcoin's
HTTP API, its key in BCOIN_API_KEY (as bcoin-cli reads it), never on the
command line. Exit 0 once bcoin has accepted the call (it dials in the
background); 1 when the API cannot be reached or answers an error
(message on stderr; bcoin-cli prints an RPC error and exits 0, hence this
script); 2 on bad usage.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jsonrpc import rpc  # noqa: E402


def read_ports(d):
    """DIR/ports of conformance/bcoin/start (KEY='VALUE' lines) as a dict."""
    out = {}
    with open(os.path.join(d, "ports"), encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                out[k] = v.strip("'\"")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bcoin_connect.py", description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--dir", metavar="DIR", help="a bcoin started by conformance/bcoin/start DIR")
    where.add_argument("--http", metavar="HOST:PORT", help="another bcoin's HTTP API (key: $BCOIN_API_KEY)")
    ap.add_argument("peer", metavar="HOST:PORT", help="where bcoin is to connect")
    a = ap.parse_args(argv)
    if a.dir:
        try:
            ports = read_ports(a.dir)
            http, key = f"127.0.0.1:{ports['BCOIN_HTTP_PORT']}", ports.get("BCOIN_API_KEY", "")
        except (OSError, KeyError) as e:
            print(f"bcoin_connect.py: {a.dir}/ports: no BCOIN_HTTP_PORT ({e})", file=sys.stderr)
            return 1
    else:
        http, key = a.http, os.environ.get("BCOIN_API_KEY", "")
    try:
        rpc(f"http://{http}/", f"x:{key}" if key else None, "addnode", [a.peer, "onetry"])
    except RuntimeError as e:
        print(f"bcoin_connect.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
