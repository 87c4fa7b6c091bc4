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
import base64
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from psconf.targets import Bcoin  # noqa: E402  (its reader of DIR/ports)

TIMEOUT_S = 10


def rpc(url, key, method, params):
    """One JSON-RPC call; its result, or RuntimeError with bcoin's message."""
    req = urllib.request.Request(url, data=json.dumps({"method": method, "params": params, "id": 1}).encode(),
                                 headers={"Content-Type": "application/json"})
    if key:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"x:{key}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
            reply = json.loads(r.read())
    except urllib.error.HTTPError as e:  # a bad key: 401, no body (bweb basicauth.js fail()); a proxy may say more
        try:
            reply = json.loads(e.read())
        except ValueError:
            raise RuntimeError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (OSError, ValueError) as e:
        raise RuntimeError(f"{url}: {getattr(e, 'reason', e)}") from None
    err = reply.get("error") if isinstance(reply, dict) else "not a JSON-RPC reply"
    if err:
        raise RuntimeError(f"{method} {params}: {err.get('message', err) if isinstance(err, dict) else err}")
    return reply.get("result")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bcoin_connect.py", description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--dir", metavar="DIR", help="a bcoin started by conformance/bcoin/start DIR")
    where.add_argument("--http", metavar="HOST:PORT", help="another bcoin's HTTP API (key: $BCOIN_API_KEY)")
    ap.add_argument("peer", metavar="HOST:PORT", help="where bcoin is to connect")
    a = ap.parse_args(argv)
    if a.dir:
        try:
            ports = Bcoin._ports(a.dir)
            http, key = f"127.0.0.1:{ports['BCOIN_HTTP_PORT']}", ports.get("BCOIN_API_KEY", "")
        except (OSError, KeyError) as e:
            print(f"bcoin_connect.py: {a.dir}/ports: no BCOIN_HTTP_PORT ({e})", file=sys.stderr)
            return 1
    else:
        http, key = a.http, os.environ.get("BCOIN_API_KEY", "")
    try:
        rpc(f"http://{http}/", key, "addnode", [a.peer, "onetry"])
    except RuntimeError as e:
        print(f"bcoin_connect.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
