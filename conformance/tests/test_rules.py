"""Every message rule, held by Bitcoin Core's transcripts and broken on
purpose: each break must be judged Fail, naming the rule it breaks (and
only the rules it breaks)."""

import unittest

from canned import (CORE_HANDSHAKE, CORE_POST, CORE_RESPONDER, CORE_SELF, CORE_V2_RESPONDER, CORE_VERSION, SELF_CASE,
                    SESSION, STD, case, events, self_events, v2_events)
from psconf import judging
from psconf.judging import (BTC_RULES, NOISE_RULES, TargetVerdict, check, judge, observe_btc, observe_noise,
                            observe_self)

NOISE_R = "recv=msg2,echo tester=SUCCESS"
# a Noise responder target that did everything right, as the tester (our
# initiator) logs it: msg1 out, msg2 in, transport out, echo in
NOISE_OK = ">msg1:50 <msg2:50 >transport:20 <echo:20 =SUCCESS #us"
NOISE_RESULT = {"handshake_hash": "ab" * 32, "payload2": "b0b0", "transport": "74657374"}


def btc(transcript, version=None, **kw):
    return observe_btc(events(transcript, version=version, **kw))


def noise(transcript, target="ok", result=None, at=None):
    evs = events(transcript, proto="noise", result_extra=dict(NOISE_RESULT, **(result or {})))
    tv = TargetVerdict(target, NOISE_RESULT["handshake_hash"] if target == "ok" else None, at=at)
    return observe_noise(target, tv.hash, evs, target=tv)


def rules(c, obs):
    return sorted(v.rule for v in check(c, obs))


def v2obs(transcript, target_session=SESSION, **kw):
    o = observe_btc(v2_events(transcript, **kw))
    o.target_session = target_session
    return o


V2_STD = STD + " v2=key,garbage,version transport=v2"
SELF = case(SELF_CASE, expect="disconnect", role="self")


# rule -> (case, observation, the violations expected): one break per rule
# family of judging.BTC_RULES / NOISE_RULES. The transcripts differ from
# Core's by the one thing the rule is about.
BTC_BREAKS = {
    "recv": (case("recv=-", expect="disconnect", switches="--bug obsolete-version"),
             btc(">version:103 <version:102 V =FAILED/closed #peer"),
             ["recv"]),
    "features:missing": (case(STD), btc(f">version:103 <version:102 V <verack >wtxidrelay >sendaddrv2 >verack "
                                        f"=SUCCESS {CORE_POST} #us"),
                         ["features:missing"]),
    # the planted survivor: wtxidrelay/sendaddrv2 to a peer at 70015
    "features:low-version": (case(STD, switches="--protocol-version 70015"),
                             btc(f">version:103 {CORE_HANDSHAKE} >verack =SUCCESS {CORE_POST} #us"),
                             ["features:low-version"]),
    "order": (case(STD), btc(f">version:103 <version:102 V <sendaddrv2 <verack >wtxidrelay >sendaddrv2 >verack "
                             f"<wtxidrelay =SUCCESS {CORE_POST} #us"),
              ["order:wtxidrelay"]),
    # a redundant version answered with a second version and verack
    "once": (case(STD, switches="--bug duplicate-version"),
             btc(f">version:103 >version:103 {CORE_HANDSHAKE} <version:102 <verack >wtxidrelay >sendaddrv2 "
                 f">verack =SUCCESS {CORE_POST} #us"),
             ["once:verack", "once:version"]),
    "first-version": (case(STD), btc(f">version:103 <getheaders:69 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 "
                                     f">verack =SUCCESS {CORE_POST} #us"),
                      ["early:getheaders", "first-version"]),
    "early": (case(STD), btc(">version:103 <version:102 V <wtxidrelay <sendaddrv2 <sendcmpct:9 <verack "
                             ">wtxidrelay >sendaddrv2 >verack =SUCCESS <ping:8 #us"),
              ["early:sendcmpct"]),
    "unexpected": (case(STD), btc(f"{CORE_RESPONDER.replace('#us', '')} <inv:37 #us"),
                   ["unexpected:inv"]),
    # the planted survivor: a ping before version answered with a pong
    "pong:early": (case(STD, switches="--bug send=ping@before-version"),
                   btc(f">ping:8 >version:103 <version:102 V <wtxidrelay <sendaddrv2 <pong:8 <verack "
                       f">wtxidrelay >sendaddrv2 >verack =SUCCESS {CORE_POST} #us"),
                   ["pong:early"]),
    # the planted survivor: a pong that does not echo the ping's nonce
    "pong:nonce": (case(STD + " post=pong", switches="--bug send=ping@after-verack"),
                   btc(f">version:103 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 >verack >ping:8~0x1122334455667788 "
                       f"=SUCCESS <pong:8~0x0000000000000000 {CORE_POST} #us"),
                   ["pong:nonce"]),
    # BIP 31 by the common version: a ping after the handshake at 60000
    # answered all the same
    "pong:bip31": (case(STD, switches="--protocol-version 60000 --bug send=ping@after-verack"),
                   btc(">version:103 <version:102 V <verack >verack >ping:8 <pong:8 =SUCCESS #us"),
                   ["pong:bip31"]),
    # a target whose config says it announces 70016 announcing 70017 (the
    # fourth item: the target's config)
    "announced": (case(STD), btc(CORE_RESPONDER, version=dict(CORE_VERSION, version=70017)), ["announced"],
                  {"protocol_version": 70016}),
    "post": (case(STD + " post=pong", switches="--bug send=ping@after-verack"),
             btc(f">version:103 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 >verack >ping:8 =SUCCESS {CORE_POST} #us"),
             ["post:pong"]),
    "length": (case(STD), btc(CORE_RESPONDER.replace("<sendcmpct:9", "<sendcmpct:8")),
               ["length:sendcmpct"]),
    "framing": (case(STD), btc(CORE_RESPONDER.replace("<verack ", "<verack:0:25 ")),
                ["framing:verack"]),
    "dropped": (case(STD), btc(CORE_RESPONDER.replace("#us", "!feefilter:bad-checksum #us")),
                ["dropped:feefilter"]),
    "field": (case(STD + " fields=version>=70016,services&0x9"),
              btc(CORE_RESPONDER.replace(CORE_HANDSHAKE, "<version:102 V <verack"),
                  version=dict(CORE_VERSION, version=70015, services="0x1")),
              ["field:services", "field:version"]),
    "tester": (case(STD), btc(CORE_RESPONDER.replace("#us", "D:wtxidrelay-after-verack #us")),
               ["tester:wtxidrelay-after-verack"]),
    "log": (case(STD), observe_btc(events(CORE_RESPONDER, result_extra={"events_lost": 3})),
            ["log:events-lost"]),
    # BIP324: Core's responder without its version packet
    "v2:items": (case(V2_STD, cid="CF-V2-900"), v2obs(CORE_V2_RESPONDER.replace(" <@version:0", "")),
                 ["v2:items"]),
    # a case that wants v2, a target that answered over v1
    "v2:transport": (case(STD + " transport=v2", cid="CF-V2-900"), btc(CORE_RESPONDER), ["v2:transport"]),
    # --v2transport auto against a v1-only target: the v1 handshake came without the retry
    "v2:retry": (case(STD + " retry=1 transport=v1", switches="--v2transport auto", cid="CF-V2-900"),
                 observe_btc(events(CORE_RESPONDER, transport="v1")), ["v2:retry"]),
    "v2:session-id": (case(V2_STD, cid="CF-V2-900"), v2obs(CORE_V2_RESPONDER, target_session="5f" * 32),
                      ["v2:session-id"]),
    "v2:key-length": (case(V2_STD, cid="CF-V2-900"), v2obs(CORE_V2_RESPONDER.replace("<@key:64", "<@key:63")),
                      ["v2:key-length"]),
    "v2:garbage-len": (case(V2_STD, cid="CF-V2-900"),
                       v2obs(CORE_V2_RESPONDER.replace("<@garbage:1500", "<@garbage:4096")), ["v2:garbage-len"]),
    # role self: Core dialing itself, but its outbound side pings before any answer
    "self:out": (SELF, observe_self(self_events(CORE_SELF.replace(">version:102", ">version:102 >ping:8"))),
                 ["self:out"]),
    # its inbound side ends the connection before anything reached it (and
    # the outbound side has sent nothing): no nonce was there to check
    "self:before-version": (SELF, observe_self(self_events("U #in")), ["self:before-version", "self:out"]),
    # five stray bytes from the inbound side before its end
    "self:bytes": (SELF, observe_self(self_events(CORE_SELF.replace("#in", "<~5 #in"))), ["self:bytes"]),
}

NOISE_BREAKS = {
    # a responder that sends msg2 and no echo
    "recv": (case(NOISE_R, expect="ok", proto="noise", cid="CF-NN-900"),
             noise(">msg1:50 <msg2:50 >transport:20 =FAILED/closed #peer"),
             ["recv", "tester:closed"]),
    "length": (case(NOISE_R, expect="ok", proto="noise", cid="CF-NN-900"),
               noise(NOISE_OK.replace("<msg2:50", "<msg2:51")), ["length:msg2"]),
    "framing": (case(NOISE_R, expect="ok", proto="noise", cid="CF-NN-900"),
                noise(NOISE_OK.replace("<echo:20", "<echo:20:23")), ["framing:echo"]),
    # the judge part of the issue: the target says ok, the tester echo-mismatch
    "tester": (case(NOISE_R, expect="ok", proto="noise", cid="CF-NN-900"),
               noise(">msg1:50 <msg2:50 >transport:20 <echo:20 =FAILED/echo-mismatch #us",
                     result={"transport": "74657375"}),
               ["field:transport", "tester:echo-mismatch"]),
    "field": (case(NOISE_R, expect="ok", proto="noise", cid="CF-NN-900"),
              noise(NOISE_OK, result={"payload2": "b0b1"}), ["field:payload2"]),
    "log": (case(NOISE_R, expect="ok", proto="noise", cid="CF-NN-900"),
            noise(NOISE_OK, result={"events_lost": 1}), ["log:events-lost"]),
    # the target failed on the right token, at the wrong message: it read
    # msg1 and failed on the transport message (a wrong PSK case)
    "at": (case("recv=- tester=closed at=msg1", expect="decrypt-failed", proto="noise", cid="CF-NN-900"),
           noise(">msg1:50 =FAILED/closed #peer", target="decrypt-failed", at="transport:1"), ["at"]),
    # it says it failed on transport 1, then echoed it anyway
    "after-failure": (case("recv=msg2 tester=closed at=transport:1", expect="decrypt-failed", proto="noise",
                           cid="CF-NN-900"),
                      noise(">msg1:50 <msg2:50 >transport:20 <echo:20 =FAILED/closed #peer",
                            target="decrypt-failed", at="transport:1"),
                      ["after-failure:echo", "recv"]),
    # the tester queued one more transport message after its result
    "tester-after-end": (case(NOISE_R, expect="ok", proto="noise", cid="CF-NN-900"),
                         noise(">msg1:50 <msg2:50 >transport:20 <echo:20 =SUCCESS >transport:20 #us"),
                         ["tester-after-end:transport"]),
}


class EveryRuleHasABreak(unittest.TestCase):
    def test_btc(self):
        self.assertEqual(set(BTC_BREAKS), set(BTC_RULES))

    def test_noise(self):
        self.assertEqual(set(NOISE_BREAKS), set(NOISE_RULES))


class Breaks(unittest.TestCase):
    """One test per rule (made below from BTC_BREAKS and NOISE_BREAKS)."""

    def check_break(self, rule, c, obs, want, cfg=None):
        cfg = cfg or {}
        got = sorted(rules(c, obs) + [x.rule for x in judging.check_announced(obs, cfg)])
        self.assertEqual(got, want)
        self.assertTrue(any(judging.rule_matches(rule, r) for r in got), got)
        v = judge(c, obs, cfg)
        self.assertEqual(v.outcome, "Fail", v.note)
        self.assertIn(want[0], v.note)


def _make(rule, c, obs, want, cfg=None):
    return lambda self: self.check_break(rule, c, obs, want, cfg)


for _proto, _breaks in (("btc", BTC_BREAKS), ("noise", NOISE_BREAKS)):
    for _rule, _b in _breaks.items():
        setattr(Breaks, f"test_{_proto}_breaks_{_rule.replace(':', '_').replace('-', '_')}",
                _make(_rule, *_b))


class CoreHolds(unittest.TestCase):
    """Bitcoin Core's own transcripts break no rule."""

    def test_self(self):
        self.assertEqual(rules(SELF, observe_self(self_events(CORE_SELF))), [])

    def test_responder(self):
        self.assertEqual(rules(case(STD), btc(CORE_RESPONDER)), [])

    def test_ping_after_verack_answered(self):
        c = case(STD + " post=pong", switches="--bug send=ping@after-verack")
        o = btc(f">version:103 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 >verack >ping:8 =SUCCESS "
                f"<sendcmpct:9 <pong:8 <ping:8 #us")
        self.assertEqual(rules(c, o), [])

    def test_ping_before_version_ignored(self):
        c = case(STD, switches="--bug send=ping@before-version")
        self.assertEqual(rules(c, btc(">ping:8 " + CORE_RESPONDER)), [])

    def test_70015_no_features(self):
        c = case(STD, switches="--protocol-version 70015")
        self.assertEqual(rules(c, btc(f">version:103 <version:102 V <verack >verack =SUCCESS {CORE_POST} #us")), [])

    def test_31800_alert_and_nonceless_ping(self):
        # greatest_common_version <= 70012: the final alert after verack; a
        # ping without nonce (<= BIP0031_VERSION is not it: 31800 < 60000);
        # no sendcmpct (< 70014), no feefilter (< 70013)
        c = case(STD, switches="--protocol-version 31800")
        o = btc(">version:103 <version:102 V <verack <alert:168 >verack =SUCCESS <ping:0 <getheaders:69 #us")
        self.assertEqual(rules(c, o), [])
        o = btc(">version:103 <version:102 V <verack >verack =SUCCESS <sendcmpct:9 <feefilter:8 <ping:8 #us")
        self.assertEqual(rules(c, o), ["length:ping", "unexpected:feefilter", "unexpected:sendcmpct"])
        # and no alert to a peer above 70012
        o = btc(f">version:103 {CORE_HANDSHAKE} <alert:168 >wtxidrelay >sendaddrv2 >verack =SUCCESS #us")
        self.assertEqual(rules(case(STD), o), ["early:alert"])

    def test_no_verack_nothing_after(self):
        # Core's SendMessages: "Don't send anything until the version handshake is complete"
        c = case(STD, switches="--bug no-verack")
        self.assertEqual(rules(c, btc(f">version:103 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 =SUCCESS #us")), [])
        self.assertEqual(rules(c, btc(f">version:103 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 =SUCCESS "
                                      "<sendcmpct:9 #us")), ["early:sendcmpct"])

    def test_verack_before_our_version_does_not_count(self):
        c = case(STD, switches="--bug verack-before-version")
        o = btc(f">verack >version:103 {CORE_HANDSHAKE} =SUCCESS <sendcmpct:9 #us")
        self.assertEqual(rules(c, o), ["early:sendcmpct"])

    def test_initiator_getaddr(self):
        # Core outbound: version first; getaddr right after its verack
        c = case(STD, role="initiator", cid="CF-V1-960")
        o = btc(f"<version:102 V >version:103 >wtxidrelay >sendaddrv2 >verack <wtxidrelay <sendaddrv2 <verack "
                f"<getaddr =SUCCESS {CORE_POST} #us")
        self.assertEqual(rules(c, o), [])

    def test_nothing_at_all(self):
        c = case("recv=-", expect="disconnect", switches="--bug wrong-magic")
        self.assertEqual(rules(c, btc(">version:103 =FAILED/closed #peer")), [])

    def test_either_recv(self):
        c = case("recv=-/version,features,verack", expect="disconnect/handshake+disconnect")
        self.assertEqual(rules(c, btc(">version:103 =FAILED/closed #peer")), [])
        self.assertEqual(rules(c, btc(f">version:103 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 >verack =SUCCESS #peer")), [])

    def test_sendtxrcncl_optional_with_features(self):
        o = btc(f">version:103 <version:102 V <wtxidrelay <sendaddrv2 <sendtxrcncl:12 <verack >wtxidrelay "
                f">sendaddrv2 >verack =SUCCESS {CORE_POST} #us")
        self.assertEqual(rules(case(STD), o), [])
        c = case(STD, switches="--protocol-version 70015")
        o = btc(">version:103 <version:102 V <sendtxrcncl:12 <verack >verack =SUCCESS #us")
        self.assertEqual(rules(c, o), ["features:low-version"])

    def test_may(self):
        c = case(STD + " may=addr,addrv2", switches="--bug send=getaddr@after-verack")
        o = btc(f">version:103 {CORE_HANDSHAKE} >wtxidrelay >sendaddrv2 >verack >getaddr =SUCCESS <addrv2:31 #us")
        self.assertEqual(rules(c, o), [])
        self.assertEqual(rules(case(STD), o), ["unexpected:addrv2"])

    def test_user_agent_limit_standing(self):
        o = btc(CORE_RESPONDER, version=dict(CORE_VERSION, user_agent="/" + "x" * 256 + "/"))
        self.assertEqual(rules(case(STD), o), ["field:user_agent_len"])

    def test_fields_without_version(self):
        c = case("recv=- fields=version>=70016", expect="disconnect")
        self.assertEqual(rules(c, btc(">version:103 =FAILED/closed #peer")), ["field:version"])

    def test_second_connection_ignored_by_a_listener(self):
        evs = events(CORE_RESPONDER, direction="inbound") + \
            events("<inv:37 <version:102", peer="127.0.0.1:9", direction="inbound")
        o = observe_btc(evs)
        self.assertEqual((rules(case(STD), o), o.connections, o.retries), ([], 2, 1))
        # the case says the target is to reconnect once: the second is judged
        self.assertEqual(rules(case(STD + " retry=1"), observe_btc(evs, judged=1)),
                         ["early:inv", "first-version", "recv"])

    def test_second_connection_ignored(self):
        # a listener that saw the target reconnect: only the first peer counts
        evs = events(CORE_RESPONDER) + events("<inv:37 <version:102", peer="127.0.0.1:9")
        self.assertEqual(rules(case(STD), observe_btc(evs)), [])


class V2Holds(unittest.TestCase):
    """Core's v2 behaviour (net.cpp V2Transport) holds every rule."""

    def test_core_v2_responder(self):
        o = v2obs(CORE_V2_RESPONDER)
        self.assertEqual((o.transport, o.session_id, o.ending), ("v2", SESSION, "handshake"))
        self.assertEqual([m.v2_item for m in o.v2], ["handshake", "key", "garbage", "version", "handshake"])
        # the transport items are not messages: first-version, framing, early hold
        self.assertEqual([m.command for m in o.timeline][:2], ["version", "version"])
        self.assertEqual(rules(case(V2_STD, cid="CF-V2-900"), o), [])
        # a target that reports no session id is not checked
        self.assertEqual(rules(case(V2_STD, cid="CF-V2-900"), v2obs(CORE_V2_RESPONDER, target_session=None)), [])
        # a target that completed the handshake must know it: "" is a break
        self.assertEqual([v for v in rules(case(V2_STD, cid="CF-V2-900"), v2obs(CORE_V2_RESPONDER, target_session=""))
                          if v.startswith("v2:session-id")], ["v2:session-id"])

    def test_session_id_after_a_failed_exchange(self):
        # the tester verified the target's version packet, the target never
        # verified ours (the tester misbehaved): the target rightly has none
        o = v2obs(CORE_V2_RESPONDER, target_session="")
        o.ending = "disconnect"
        c = case(V2_STD.replace("recv=version,features,verack", "recv=version,features,verack/-"),
                 cid="RS-V2-900", expect="disconnect")
        self.assertNotIn("v2:session-id", rules(c, o))

    def test_v2_framing(self):
        c = case(V2_STD, cid="CF-V2-900")
        # the long encoding of a type with a short ID is valid (BIP 324: "should accept either encoding")
        self.assertEqual(rules(c, v2obs(CORE_V2_RESPONDER.replace("<sendcmpct:9:30", "<sendcmpct:9:42"))), [])
        # a v1 header's worth of framing on a v2 connection is not
        self.assertEqual(rules(c, v2obs(CORE_V2_RESPONDER.replace("<verack:0:33", "<verack:0:24"))),
                         ["framing:verack"])
        # a short ID for a type the table does not have
        self.assertEqual(rules(c, v2obs(CORE_V2_RESPONDER.replace("<verack:0:33", "<verack:0:21"))),
                         ["framing:verack"])

    def test_our_pieces_are_transport_items(self):
        # the tester logs its own v2 bytes piece by piece, as a switch left them
        t = CORE_V2_RESPONDER.replace(">@handshake:0:1064", ">@key:64 >@ourgarbage:1000").replace(
            ">@handshake:0:36", ">@terminator:0:16 >@ourversion:0:20")
        evs = v2_events(t)
        for e in evs:
            if e.get("note") == "ourgarbage":
                e["note"] = "v2 garbage"
            if e.get("note") == "ourversion":
                e["note"] = "v2 version packet, a bit of its tag flipped"
        o = observe_btc(evs)
        o.target_session = SESSION
        self.assertEqual([(m.dir, m.v2_item) for m in o.v2][:3], [("sent", "key"), ("sent", "garbage"), ("recv", "key")])
        self.assertIn(("sent", "version"), [(m.dir, m.v2_item) for m in o.v2])
        self.assertEqual([m.command for m in o.timeline if not m.command], [])
        self.assertEqual(rules(case(V2_STD, cid="CF-V2-900"), o), [])
        self.assertEqual(judging.v2_kind("v2 something new"), "something-new")
        self.assertEqual(judging.v2_kind("feature negotiation"), "")

    def test_decoys_anywhere_after_the_garbage(self):
        t = CORE_V2_RESPONDER.replace("<@version:0", "<@decoy:5 <@version:0").replace("=SUCCESS", "<@decoy:0 =SUCCESS")
        self.assertEqual(rules(case(V2_STD, cid="CF-V2-900"), v2obs(t)), [])

    def test_v1_case_sees_no_transport_items(self):
        # the default v2= is "none": a v1 case meeting a v2 target is told
        self.assertEqual(rules(case(STD), v2obs(CORE_V2_RESPONDER)), ["v2:items"])

    def test_v1_retry(self):
        # --v2transport auto against a v1-only target: our key, the close, v1
        c = case(STD + " retry=1 transport=v1", switches="--v2transport auto", cid="CF-V2-900")
        o = observe_btc(events(">@handshake:0:64 R " + CORE_RESPONDER, transport="v2"))
        self.assertEqual((o.retries, o.transport, o.ending), (1, "v1", "handshake"))
        self.assertEqual(rules(c, o), [])
        self.assertEqual(judge(c, o, {}).outcome, "Pass")

    def test_v2_handshake_ending(self):
        # our v1 side met a BIP324 key: the result says so; recv=- holds
        o = btc(">verack >version:103 =FAILED/v2-handshake #us")
        self.assertEqual(o.ending, "v2-handshake")
        c = case("recv=-", expect="v2-handshake", switches="--v2transport 0 --bug verack-before-version",
                 cid="CF-V2-900")
        self.assertEqual(judge(c, o, {}).outcome, "Pass")

    def test_target_reconnects_v1(self):
        # our v1-only listener refused the target's key; it came back over v1
        first = events(">@handshake:0:0 =FAILED/v2-handshake #us", direction="inbound", peer="127.0.0.1:5001")
        second = events(CORE_RESPONDER, direction="inbound", peer="127.0.0.1:5002", transport="v1")
        c = case(STD + " retry=1 transport=v1", role="initiator", switches="--v2transport 0", cid="CF-V2-900")
        self.assertEqual(rules(c, observe_btc(first + second, judged=1)), [])
        # it did not come back: the v2-handshake connection is judged, retry 0
        o = observe_btc(first, judged=1)
        self.assertEqual(o.ending, "v2-handshake")
        self.assertEqual(rules(c, o), ["recv", "v2:retry", "v2:transport"])


if __name__ == "__main__":
    unittest.main()
