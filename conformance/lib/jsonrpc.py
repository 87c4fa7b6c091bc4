#!/usr/bin/python3
"""One JSON-RPC call over HTTP, its result printed as JSON: what a target
config ("run" in conformance/targets/*.json) runs to make a node connect
out or to read its peers, for any node whose RPC speaks JSON-RPC 1.0 over
HTTP with basic authentication (bitcoind, btcd, bcoin).

usage: jsonrpc.py --url URL [--cookie FILE | --auth-env VAR | --auth USER:PASSWORD]
                  METHOD [PARAM...]

  --cookie FILE   USER:PASSWORD from a file (bitcoind's DATADIR/regtest/.cookie)
  --auth-env VAR  USER:PASSWORD from the environment variable VAR
  --auth U:P      on the command line, for a throwaway credential of a node
                  the runner starts (a process list shows it: never a real one)

A PARAM that parses as JSON is that value (true, 3, {"a": 1}, null); any
other PARAM is a string (127.0.0.1:8333, onetry). A string that would
parse, such as a number, is written as JSON: '"3"'.

Exit 0 with the result on stdout; 1 when the server cannot be reached or
answers an error (its message on stderr: bitcoind answers an RPC error
with HTTP 500 and the error in the body); 2 on bad usage.
"""

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 10


def param(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def rpc(url, auth, method, params, timeout=TIMEOUT_S):
    """One call; its result, or RuntimeError with the server's message.
    auth: "USER:PASSWORD" or None."""
    req = urllib.request.Request(url, data=json.dumps({"method": method, "params": params, "id": 1}).encode(),
                                 headers={"Content-Type": "application/json"})
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            reply = json.loads(r.read())
    except urllib.error.HTTPError as e:  # an RPC error (HTTP 500 with a body), or a bad key (401, none)
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
    ap = argparse.ArgumentParser(prog="jsonrpc.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    auth = ap.add_mutually_exclusive_group()
    auth.add_argument("--cookie", metavar="FILE")
    auth.add_argument("--auth-env", metavar="VAR")
    auth.add_argument("--auth", metavar="USER:PASSWORD")
    ap.add_argument("method")
    ap.add_argument("params", nargs="*", metavar="PARAM")
    a = ap.parse_args(argv)
    secret = a.auth
    try:
        if a.cookie:
            with open(a.cookie, encoding="utf-8") as f:
                secret = f.read().strip()
        elif a.auth_env:
            secret = os.environ.get(a.auth_env)
            if secret is None:
                print(f"jsonrpc.py: ${a.auth_env} is not set", file=sys.stderr)
                return 2
        result = rpc(a.url, secret, a.method, [param(p) for p in a.params])
    except OSError as e:
        print(f"jsonrpc.py: {a.cookie}: {e.strerror}", file=sys.stderr)
        return 1
    except RuntimeError as e:
        print(f"jsonrpc.py: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
