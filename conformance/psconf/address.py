"""Targets the user names on the command line, already running or built
by them: `--target btc=HOST:PORT` (a Bitcoin node at that address) and
`--target noise=SHIM` (a program that follows the shim contract of
conformance/noise/README.md). The runner starts and stops nothing of a
`btc=` target.

A spec is `PROTOCOL=WHERE[,KEY=VALUE]...`; the keys:

  config=PATH       a target config (conformance/targets/*.json format): its
                    divergences, divergent_rules, disabled, not_run,
                    transport, v1_reason, v2_reason, protocol_version and
                    roles apply to this target (CONFIG_KEYS); its other
                    keys (name, version, how a managed target starts) do
                    not
  transport=v1|v2   btc: what the node speaks (BtcTarget.transport); the
                    default v1 runs the v2 cases only where they want a
                    v1-only target, the others Unimplemented with the reason

The target is named as the user wrote it, without the keys (`btc=
127.0.0.1:18444`). Its version: for Bitcoin the user agent and protocol
version of the first `version` it sends us, for a shim its `--version`.

As initiator (`--initiator-cmd`), the user's command makes the node
connect to our listener: run through /bin/sh with {host} and {port}
replaced, within a time limit, its exit status checked; a failure makes
that case Missing with the command's stderr (targets.CaseMissing), as does
the lack of a command. The self cases point the same command at the relay
(psconf/selfrelay.py), whose upstream is the node's own address.
"""

import contextlib
import ipaddress
import json
import os
import signal
import socket
import subprocess

from .targets import NETWORK_MAGIC, BtcTarget, CaseMissing, NoHandle, NoiseShim

PROTOCOLS = ("btc", "noise")
# What a config= file may say about an address target; the keys a managed
# target's config has besides (its name, version, how it starts) are not
# this target's.
CONFIG_KEYS = ("divergences", "divergent_rules", "disabled", "not_run", "transport", "v1_reason", "v2_reason",
               "protocol_version", "roles")
# peershake's -n names (ref/btc/params.c, with its aliases)
NETWORK_ALIASES = {"main": "mainnet", "test": "testnet3", "testnet": "testnet3"}
# How long a TCP connect to a btc= target may take before the run gives up.
REACH_TIMEOUT_S = 3.0
STDERR_TAIL = 300


class SpecError(ValueError):
    """A --target, --network or --magic the runner cannot use (run.py exits 2)."""


def hostport(host, port):
    """HOST:PORT as peershake and the user's tools write it ([::1]:N for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_hostport(text):
    """'127.0.0.1:18444' or '[::1]:18444' -> (host, port). HOST is an IP
    address: the tester would connect to every address of a name
    (peershake's TARGET), the case to one."""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise SpecError(f"bad address '{text}': want HOST:PORT or [IPV6]:PORT")
        port = rest[1:]
    else:
        host, sep, port = text.rpartition(":")
        if not sep or ":" in host:
            raise SpecError(f"bad address '{text}': want HOST:PORT or [IPV6]:PORT")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise SpecError(f"bad address '{text}': HOST must be an IPv4 or [IPv6] address") from None
    if text.startswith("[") != (ip.version == 6):
        raise SpecError(f"bad address '{text}': an IPv6 address is written [IPV6]:PORT")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SpecError(f"bad address '{text}': PORT must be 1..65535")
    return str(ip), int(port)


def parse_spec(text):
    """'btc=127.0.0.1:18444,config=x.json' -> (protocol, where, {key: value},
    name); name is the spec without its keys."""
    proto, eq, rest = text.partition("=")
    if not eq:
        raise SpecError(f"--target '{text}': want PROTOCOL=WHERE (btc=HOST:PORT or noise=SHIM)")
    if proto not in PROTOCOLS:
        raise SpecError(f"--target '{text}': unknown protocol '{proto}' (btc or noise)")
    where, *pairs = rest.split(",")
    if not where:
        raise SpecError(f"--target '{text}': nothing after '{proto}='")
    opts = {}
    for p in pairs:
        k, eq, v = p.partition("=")
        if not eq or k not in ("config", "transport") or not v:
            raise SpecError(f"--target '{text}': bad key '{p}' (config=PATH, transport=v1|v2)")
        if k in opts:
            raise SpecError(f"--target '{text}': {k}= given twice")
        opts[k] = v
    if "transport" in opts and (proto != "btc" or opts["transport"] not in ("v1", "v2")):
        raise SpecError(f"--target '{text}': transport= is v1 or v2, for btc only")
    return proto, where, opts, f"{proto}={where}"


def read_config(path):
    """The CONFIG_KEYS of a target config file."""
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        raise SpecError(f"config {path}: {e}") from None
    if not isinstance(cfg, dict):
        raise SpecError(f"config {path}: not a JSON object")
    return {k: cfg[k] for k in CONFIG_KEYS if k in cfg}


def parse_network(network, magic):
    """--network (peershake's -n names) and --magic (8 hex digits, or None)
    -> (network, magic), checked."""
    network = NETWORK_ALIASES.get(network, network)
    if network not in NETWORK_MAGIC:
        raise SpecError(f"--network '{network}': want one of {', '.join(NETWORK_MAGIC)}")
    if magic is not None:
        try:
            ok = len(magic) == 8 and len(bytes.fromhex(magic)) == 4
        except ValueError:
            ok = False
        if not ok:
            raise SpecError(f"--magic '{magic}': want 8 hex digits")
        magic = magic.lower()
    return network, magic


def local_host_towards(host):
    """The address our listeners bind for a node at `host`: its own
    loopback for a loopback node, else the local address the kernel would
    send from to reach it (a UDP connect: no packet leaves)."""
    ip = ipaddress.ip_address(host)
    if ip.is_loopback:
        return "127.0.0.1" if ip.version == 4 else "::1"
    with socket.socket(socket.AF_INET6 if ip.version == 6 else socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((host, 9))
        return s.getsockname()[0]


def unreachable(host, port, timeout=REACH_TIMEOUT_S):
    """None when something accepts a TCP connection at host:port, else why
    not (the connection is closed at once, before any byte)."""
    try:
        socket.create_connection((host, port), timeout).close()
        return None
    except OSError as e:
        return e.strerror or str(e)


def substitute(cmd, host, port):
    """The initiator command with {host} and {port} replaced (nothing else:
    a command may hold other braces, a JSON body for one)."""
    return cmd.replace("{host}", host).replace("{port}", str(port))


def run_command(cmd, timeout):
    """Run `cmd` through /bin/sh in a session of its own, within `timeout`
    seconds (then its process group is killed: a child holding the pipes
    would keep communicate() waiting). None on exit 0, else why it failed,
    with its stderr."""
    p = subprocess.Popen(["/bin/sh", "-c", cmd], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return f"did not finish within {timeout:g} s"
    if p.returncode == 0:
        return None
    tail = " ".join(err.decode("utf-8", "replace").split())[-STDERR_TAIL:]
    return f"exited {p.returncode}" + (f": {tail}" if tail else " (nothing on stderr)")


class AddressBtc(BtcTarget):
    """A Bitcoin node the user runs at `host:port`: the tester connects to
    it as responder; as initiator and for the self cases the user's
    --initiator-cmd makes it dial. Nothing is started or stopped here."""

    def __init__(self, cfg, ctx, host, port, initiator_cmd=None, network="regtest", magic=None,
                 cmd_timeout=20.0):
        super().__init__(cfg, ctx)
        self.host, self.port = host, port
        self.initiator_cmd = initiator_cmd
        self.network, self.magic = network, magic
        self.cmd_timeout = float(cmd_timeout)
        self.listen_host = local_host_towards(host)

    def as_json(self):
        d = super().as_json()
        # the command itself is not recorded: it may hold a node's API key
        d.update({"address": hostport(self.host, self.port), "network": self.network,
                  "magic": self.magic or NETWORK_MAGIC[self.network],
                  "initiator": "--initiator-cmd" if self.initiator_cmd else "none"})
        return d

    def v1_listener_reason(self):
        return self.cfg.get("v1_reason", f"{self.name} is transport=v2: it answers v2, not a v1-only responder "
                                         "(transport=v1 runs these cases)")

    def case_missing(self, case):
        if case.role == "initiator" and not self.initiator_cmd:
            return (f"no --initiator-cmd: nothing makes {self.name} connect to us "
                    "(give one with {host} and {port}, e.g. 'bitcoin-cli -regtest addnode {host}:{port} onetry')")
        return None

    @contextlib.contextmanager
    def responder(self, case):
        yield (self.host, self.port)

    def dial_to(self, host, port):
        """Make the node connect to host:port with the user's command."""
        why = run_command(substitute(self.initiator_cmd, host, port), self.cmd_timeout)
        if why:  # not the command itself in the reason: it may hold an API key
            raise CaseMissing(f"--initiator-cmd for {hostport(host, port)} {why}")

    def initiator(self, port, case):
        self.dial_to(self.listen_host, port)
        return NoHandle()   # the connection ends when our listener closes it

    def self_dial_reason(self):
        if self.initiator_cmd:
            return None
        return f"no --initiator-cmd: nothing makes {self.name} dial (the self case points it at our relay)"

    def self_initiator(self, relay, case):
        """The relay's upstream is the node's own address; the user's command
        then points the node at the relay, as at our listener."""
        relay.set_upstream((self.host, self.port))
        self.dial_to(relay.address[0], relay.address[1])
        return NoHandle()


def make_address_target(spec, ctx, initiator_cmd=None, network="regtest", magic=None, cmd_timeout=20.0):
    """One --target spec -> an AddressBtc or a NoiseShim (SpecError when
    the spec is bad, names a config that does not load, or a shim that is
    not an executable file)."""
    proto, where, opts, name = parse_spec(spec)
    cfg = {"name": name, "protocol": proto, "roles": ["responder", "initiator"], "version": "",
           "divergences": {}}
    try:
        if "config" in opts:
            cfg.update(read_config(opts["config"]))
        host, port = parse_hostport(where) if proto == "btc" else (None, None)
    except SpecError as e:
        raise SpecError(f"--target '{spec}': {e}") from None
    if "transport" in opts:
        cfg["transport"] = opts["transport"]
    if proto == "btc":
        cfg.setdefault("v2_reason", f"{name} is transport=v1, the default of a --target btc=: "
                                    ",transport=v2 runs the v2 cases (a node that speaks BIP324 v2 and v1)")
        return AddressBtc(cfg, ctx, host, port, initiator_cmd, network, magic, cmd_timeout)
    shim = os.path.abspath(where)
    if not os.path.isfile(shim) or not os.access(shim, os.X_OK):
        raise SpecError(f"--target '{spec}': {shim} is not an executable file (the shim contract: "
                        "conformance/noise/README.md)")
    cfg["shim"] = [shim]
    return NoiseShim(cfg, ctx)


def address_targets(specs, ctx, initiator_cmd=None, network="regtest", magic=None, cmd_timeout=20.0,
                    reach_timeout=REACH_TIMEOUT_S):
    """Every --target, checked: each spec once, and something accepting a
    TCP connection at each btc= address (nobody listening is an error)."""
    network, magic = parse_network(network, magic)
    if not any(parse_spec(s)[0] == "btc" for s in specs) and (initiator_cmd or network != "regtest" or magic):
        raise SpecError("--initiator-cmd, --network and --magic are for --target btc=HOST:PORT")
    out, names = [], set()
    for spec in specs:
        t = make_address_target(spec, ctx, initiator_cmd, network, magic, cmd_timeout)
        if t.name in names:
            raise SpecError(f"--target '{t.name}' given twice")
        names.add(t.name)
        if isinstance(t, AddressBtc):
            why = unreachable(t.host, t.port, reach_timeout)
            if why:
                raise SpecError(f"--target '{t.name}': nothing accepts a TCP connection at "
                                f"{hostport(t.host, t.port)} ({why})")
        out.append(t)
    return out
