"""Observations and outcomes: every judging rule (Pass, Non-strict, Fail,
Info, Unimplemented, Missing) on canned JSON Lines."""

import os
import unittest

from canned import CORE_HANDSHAKE, CORE_RESPONDER, CORE_VERSION, STD, case, events, jsonl
from psconf import judging
from psconf.judging import Observation, judge, observe_btc, observe_noise, skipped
from psconf.procs import parse_jsonl

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
PING_EARLY = case(STD, switches="--bug send=ping@before-version", cid="CF-V1-030")
# bcoin 1.0.2's answer (70015: no features), with the pong Core would not send
BCOINISH_030 = ">ping:8 >version:103 <version:100 V >verack <pong:8 <verack =SUCCESS <sendcmpct:9 <getaddr #us"
BCOIN_VERSION = dict(CORE_VERSION, version=70015, user_agent="/bcoin:v1.0.2/", services="0x9")


def btc(t, **kw):
    return observe_btc(events(t, **kw))


class ObserveBtc(unittest.TestCase):
    def test_endings(self):
        cases = {
            ">version =SUCCESS #us": "handshake",
            ">version =SUCCESS #peer": "handshake+disconnect",
            ">version =FAILED/closed #peer": "disconnect",
            ">version =PARTIAL/closed #peer": "disconnect",
            ">version =FAILED/timeout #us": "kept",
            ">version =FAILED/refused": "refused",
            ">version": "no-result",
        }
        for t, want in cases.items():
            with self.subTest(t):
                self.assertEqual(btc(t).ending, want)

    def test_timeline_and_version(self):
        o = btc(CORE_RESPONDER)
        self.assertEqual([(m.dir, m.command) for m in o.timeline][:3],
                         [("sent", "version"), ("recv", "version"), ("recv", "wtxidrelay")])
        self.assertEqual(o.version["user_agent"], "/Satoshi:31.1.0/")
        self.assertEqual(o.tester, "SUCCESS")
        self.assertEqual(btc(">version =FAILED/closed #peer").tester, "closed")
        self.assertEqual(btc(">version").tester, "none")

    def test_jsonl_round_trip(self):
        text = "$ peershake btc connect ...\n" + jsonl(events(CORE_RESPONDER)) + "not json\n{broken\n"
        self.assertEqual(observe_btc(parse_jsonl(text)).ending, "handshake")

    def test_real_bcoin_log(self):
        # bcoin 1.0.2 against --bug send=ping@before-version, as the tester logged it
        with open(os.path.join(DATA, "bcoin-CF-V1-030.log"), encoding="utf-8") as f:
            o = observe_btc(parse_jsonl(f.read()))
        self.assertEqual(o.ending, "handshake")
        self.assertEqual(o.version["user_agent"], "/bcoin:v1.0.2/")
        self.assertEqual([v.rule for v in judging.check(PING_EARLY, o)], ["pong:early"])


class VersionFields(unittest.TestCase):
    """The relay byte is optional (Core: "if (!vRecv.empty()) vRecv >>
    fRelay"); peershake logs a version without it as "relay":null, and an
    absent byte satisfies no check: relay=1 wants the byte Core always sends."""

    NO_RELAY = dict(CORE_VERSION, relay=None)

    def test_values(self):
        self.assertEqual(judging.version_fields(CORE_VERSION)["relay"], 1)
        self.assertEqual(judging.version_fields(dict(CORE_VERSION, relay=False))["relay"], 0)
        self.assertIsNone(judging.version_fields(self.NO_RELAY)["relay"])
        self.assertIsNone(judging.version_fields({"version": 70016})["relay"])
        # through the log as peershake writes it: null in JSON
        text = jsonl(events(CORE_RESPONDER, version=self.NO_RELAY))
        self.assertIn('"relay":null', text)
        o = observe_btc(parse_jsonl(text))
        self.assertIsNone(judging.version_fields(o.version)["relay"])

    def rules(self, fields, version):
        c = case(STD + " fields=" + fields)
        return [v.rule for v in judging.check(c, btc(CORE_RESPONDER, version=version))]

    def test_absent_relay_is_not_relay_1(self):
        self.assertEqual(self.rules("relay=1", CORE_VERSION), [])
        self.assertEqual(self.rules("relay=1", self.NO_RELAY), ["field:relay"])
        self.assertEqual(self.rules("relay=1", dict(CORE_VERSION, relay=False)), ["field:relay"])
        c = case(STD + " fields=relay=1")
        v = judging.check(c, btc(CORE_RESPONDER, version=self.NO_RELAY))
        self.assertIn("relay is absent", v[0].detail)

    def test_absent_relay_satisfies_no_check(self):
        for f in ("relay=0", "relay!=0", "relay!=1", "relay>=0", "relay<=1"):
            with self.subTest(f):
                self.assertEqual(self.rules(f, self.NO_RELAY), ["field:relay"])
        self.assertEqual(self.rules("relay=0", dict(CORE_VERSION, relay=False)), [])
        # the other fields are checked as before
        self.assertEqual(self.rules("relay=1,version>=70016", self.NO_RELAY), ["field:relay"])

    def test_judged_fail(self):
        c = case(STD + " fields=relay=1")
        self.assertEqual(judge(c, btc(CORE_RESPONDER, version=self.NO_RELAY), {}).outcome, "Fail")
        self.assertEqual(judge(c, btc(CORE_RESPONDER), {}).outcome, "Pass")


class ObserveNoise(unittest.TestCase):
    H = "cd" * 32

    def evs(self, t, **extra):
        return events(t, proto="noise", result_extra=dict({"handshake_hash": self.H}, **extra))

    def test_ok_needs_both_sides(self):
        good = ">msg1:50 <msg2:50 >transport:20 <echo:20 =SUCCESS #us"
        self.assertEqual(observe_noise("ok", self.H, self.evs(good)).ending, "ok")
        # the target says ok with an equal hash, the tester found the echo wrong
        bad = ">msg1:50 <msg2:50 >transport:20 <echo:33 =FAILED/echo-mismatch #us"
        o = observe_noise("ok", self.H, self.evs(bad))
        self.assertEqual(o.ending, "tester-echo-mismatch")
        self.assertEqual(o.tester, "echo-mismatch")
        self.assertEqual(observe_noise("ok", "ef" * 32, self.evs(good)).ending, "hash-mismatch")
        self.assertEqual(observe_noise("ok", self.H, []).ending, "tester-none")

    def test_target_token_recorded(self):
        o = observe_noise("decrypt-failed", None, self.evs(">msg1:50 =FAILED/closed #peer"))
        self.assertEqual((o.ending, o.target_verdict, o.tester), ("decrypt-failed", "decrypt-failed", "closed"))

    def test_judged_fail_when_tester_fails(self):
        c = case("recv=msg2,echo tester=SUCCESS", expect="ok", proto="noise", cid="CF-NN-900")
        o = observe_noise("ok", self.H, self.evs(">msg1:50 <msg2:50 >transport:20 <echo:20 =FAILED/echo-mismatch #us"))
        v = judge(c, o, {})
        self.assertEqual(v.outcome, "Fail")
        self.assertIn("ending tester-echo-mismatch, expected ok", v.note)
        self.assertIn("tester:echo-mismatch", v.note)


class NoiseTransportPhase(unittest.TestCase):
    """Cases with N transport messages each way, sizes set by the case."""
    H = "cd" * 32

    def obs(self, transcript, result=None, tv=None, closed_bytes=None):
        evs = events(transcript, proto="noise",
                     result_extra=dict({"handshake_hash": self.H, "payload2": "b0b0"}, **(result or {})))
        if closed_bytes is not None:
            for e in evs:
                if e["event"] == "closed":
                    e["bytes_sent"] = closed_bytes
        tv = tv or judging.TargetVerdict("ok", self.H)
        return observe_noise(tv.token, tv.hash, evs, target=tv)

    # T = 74657374 ("test"), T_k = T || k: 6 bytes, 22 on the wire with the tag
    THREE = ">msg1:50 <msg2:50 >transport:22 <echo:22 >transport:22 <echo:22 >transport:22 <echo:22 =SUCCESS #us"

    def case3(self, extra=""):
        return case("recv=msg2,echo*3 tester=SUCCESS", expect="ok", switches="--messages 3 " + extra,
                    proto="noise", cid="CF-NN-900")

    def test_exchange(self):
        ex = judging.noise_exchange(self.case3())
        self.assertEqual((ex.messages, ex.t_k(1), ex.last(), ex.length("echo"), ex.length("msg2")),
                         (3, "746573740001", "746573740003", 22, 50))
        one = judging.noise_exchange(case("recv=- tester=none", expect="ok", proto="noise", cid="CF-NN-900"))
        self.assertEqual((one.messages, one.t_k(1), one.length("echo")), (1, "74657374", 20))
        big = judging.noise_exchange(case("recv=- tester=none", expect="ok", proto="noise", cid="CF-NN-900",
                                          switches="target:transport-len=65519 target:continue"))
        self.assertEqual((len(big.transport) // 2, big.length("transport"), big.cont), (65519, 65535, True))
        self.assertEqual(judging.filler(3), "01080f")

    def test_three_pass(self):
        tv = judging.TargetVerdict("ok", self.H, messages=3, transport="746573740003")
        v = judge(self.case3(), self.obs(self.THREE, {"transport": "746573740003", "messages": 3}, tv), {})
        self.assertEqual((v.outcome, v.violations), ("Pass", []))
        self.assertIn("3 transport messages each way", v.expected)

    def test_three_wrong(self):
        # echoes of T's length: the target dropped the counter
        o = self.obs(self.THREE.replace("<echo:22", "<echo:20"), {"transport": "746573740003", "messages": 3})
        self.assertEqual(sorted({x.rule for x in judging.check(self.case3(), o)}), ["length:echo"])
        # the target says it did 2, or its last plaintext is T_2
        tv = judging.TargetVerdict("ok", self.H, messages=2, transport="746573740002")
        o = self.obs(self.THREE, {"transport": "746573740003", "messages": 3}, tv)
        self.assertEqual(sorted(x.rule for x in judging.check(self.case3(), o)),
                         ["field:target.messages", "field:target.transport"])
        # the tester's last plaintext is not T_3
        o = self.obs(self.THREE, {"transport": "746573740001", "messages": 3})
        self.assertEqual([x.rule for x in judging.check(self.case3(), o)], ["field:transport"])
        # only two echoes
        two = ">msg1:50 <msg2:50 >transport:22 <echo:22 >transport:22 <echo:22 >transport:22 =FAILED/closed #peer"
        o = self.obs(two, {"transport": "746573740002", "messages": 2})
        self.assertEqual(sorted(x.rule for x in judging.check(self.case3(), o)), ["recv", "tester:closed"])

    def test_after_failure(self):
        c = case("recv=msg2,echo*2 tester=closed at=transport:3", expect="decrypt-failed",
                 switches="--messages 3 --bug transport-nonce-skip", proto="noise", cid="CF-NN-900")
        two = ">msg1:50 <msg2:50 >transport:22 <echo:22 >transport:22 <echo:22 >transport:22 =FAILED/closed #peer"
        tv = judging.TargetVerdict("decrypt-failed", at="transport:3")
        v = judge(c, self.obs(two, {"transport": "746573740002", "messages": 2}, tv), {})
        self.assertEqual((v.outcome, v.violations), ("Pass", []))
        self.assertIn("target failed on transport:3", v.expected)
        self.assertIn("target decrypt-failed at transport:3", v.actual)
        # the same target saying transport:2: at, and echo 2 came after its failure
        tv = judging.TargetVerdict("decrypt-failed", at="transport:2")
        rules = sorted(x.rule for x in judging.check(c, self.obs(two, {"transport": "746573740002",
                                                                        "messages": 2}, tv)))
        self.assertEqual(rules, ["after-failure:echo", "at"])
        # an initiator target failing on echo 1 has sent msg1 and transport 1, no more
        ci = case("recv=msg1,transport tester=SUCCESS at=echo:1", expect="echo-mismatch", role="initiator",
                  proto="noise", cid="CF-NN-900")
        tv = judging.TargetVerdict("echo-mismatch", at="echo:1")
        o = self.obs("<msg1:50 >msg2:50 <transport:20 >echo:20 =SUCCESS <transport:20 #peer",
                     {"transport": "74657374", "messages": 1}, tv)
        self.assertEqual(sorted(x.rule for x in judging.check(ci, o)), ["after-failure:transport", "recv"])

    def test_tester_wrote_more_than_it_queued(self):
        c = case("recv=msg2,echo tester=SUCCESS", expect="ok", proto="noise", cid="CF-NN-900")
        ok = ">msg1:50 <msg2:50 >transport:20 <echo:20 =SUCCESS #us"
        res = {"transport": "74657374", "messages": 1}
        self.assertEqual(judging.check(c, self.obs(ok, res, closed_bytes=74)), [])  # 52 + 22
        self.assertEqual([x.rule for x in judging.check(c, self.obs(ok, res, closed_bytes=75))],
                         ["tester-after-end:bytes"])

    def test_at_none_and_too_large(self):
        c = case("recv=- tester=none at=none", expect="too-large", role="initiator", proto="noise",
                 cid="CF-NN-900", switches="target:transport-len=65520")
        v = judge(c, observe_noise("too-large", None, [], target=judging.TargetVerdict("too-large")), {})
        self.assertEqual((v.outcome, v.violations), ("Pass", []))
        v = judge(c, observe_noise("too-large", None, [],
                                   target=judging.TargetVerdict("too-large", at="msg1")), {})
        self.assertEqual([x.rule for x in v.violations], ["at"])


class Outcomes(unittest.TestCase):
    def test_outcome_words(self):
        self.assertEqual(judging.OUTCOMES, ("Pass", "Non-strict", "Fail", "Info", "Unimplemented", "Missing"))

    def test_pass(self):
        v = judge(case(STD), btc(CORE_RESPONDER), {})
        self.assertEqual((v.outcome, v.note, v.violations), ("Pass", "", []))
        self.assertIn("recv version, wtxidrelay, sendaddrv2, verack", v.expected)
        self.assertIn("recv version(102) wtxidrelay sendaddrv2 verack [our verack] sendcmpct(9) ping(8)", v.actual)

    def test_either_ending_passes(self):
        c = case(STD, expect="disconnect/handshake+disconnect")
        self.assertEqual(judge(c, btc(f">version:103 {CORE_HANDSHAKE} >verack =SUCCESS #peer"), {}).outcome, "Pass")

    def test_fail_on_ending(self):
        v = judge(case(STD), btc(">version:103 =FAILED/closed #peer"), {})
        self.assertEqual(v.outcome, "Fail")
        self.assertIn("ending disconnect, expected handshake", v.note)

    def test_pong_nonce(self):
        c = case(STD + " post=pong", switches="--bug send=ping@after-verack")
        good = btc(">version:103 <version:102 V <wtxidrelay <sendaddrv2 <verack >wtxidrelay >sendaddrv2 >verack "
                   ">ping:8~0x00000000000000AB =SUCCESS <pong:8~0x00000000000000ab #us")
        self.assertEqual(judging.check(c, good), [])
        self.assertEqual(good.timeline[-1].nonce, "0x00000000000000ab")
        # a log without nonces (an older tester) judges the rest as before
        plain = btc(">version:103 <version:102 V <wtxidrelay <sendaddrv2 <verack >wtxidrelay >sendaddrv2 >verack "
                    ">ping:8 =SUCCESS <pong:8 #us")
        self.assertEqual(judging.check(c, plain), [])

    def test_announced_protocol_version(self):
        # what the config says the implementation announces, whatever ours
        o = btc(CORE_RESPONDER, version=CORE_VERSION)
        self.assertEqual(judge(case(STD), o, {"protocol_version": 70016}).outcome, "Pass")
        self.assertEqual(judge(case(STD), o, {}).outcome, "Pass")
        v = judge(case(STD), o, {"protocol_version": 70015})
        self.assertEqual(v.outcome, "Fail")
        self.assertIn("announced: the target announces 70016; its config says 70015", v.note)
        # no version from the target: nothing to compare
        self.assertEqual(judging.check_announced(btc(">version:103 =FAILED/closed #peer"),
                                                 {"protocol_version": 70016}), [])

    def test_fail_on_messages_alone(self):
        # the ending is right; only the messages say it is wrong
        v = judge(PING_EARLY, btc(BCOINISH_030, version=BCOIN_VERSION), {})
        self.assertEqual(v.outcome, "Fail")
        self.assertEqual([x.rule for x in v.violations], ["pong:early"])

    def test_non_strict_case_divergence_ending(self):
        cfg = {"divergences": {"CF-V1-900": {"observed": "disconnect", "outcome": "Non-strict",
                                             "reason": "refuses it"}}}
        v = judge(case("recv=-", expect="handshake"), btc(">version:103 =FAILED/closed #peer"), cfg)
        # recv=- holds (nothing sent), the ending is the recorded one
        self.assertEqual((v.outcome, v.note), ("Non-strict", "refuses it"))

    def test_non_strict_case_divergence_rules(self):
        cfg = {"divergences": {"CF-V1-030": {"rules": ["pong:early"], "reason": "pongs any ping"}}}
        v = judge(PING_EARLY, btc(BCOINISH_030, version=BCOIN_VERSION), cfg)
        self.assertEqual((v.outcome, v.note), ("Non-strict", "pongs any ping"))

    def test_divergence_rules_must_cover_everything(self):
        cfg = {"divergences": {"CF-V1-030": {"rules": ["early"], "reason": "x"}}}
        v = judge(PING_EARLY, btc(BCOINISH_030, version=BCOIN_VERSION), cfg)
        self.assertEqual(v.outcome, "Fail")
        self.assertIn("unrecorded: pong:early", v.note)
        self.assertIn("(recorded: x)", v.note)

    def test_divergence_ending_must_match(self):
        cfg = {"divergences": {"CF-V1-900": {"observed": "kept", "reason": "x"}}}
        v = judge(case(STD), btc(">version:103 =FAILED/closed #peer"), cfg)
        self.assertEqual(v.outcome, "Fail")

    def test_divergence_without_observed_keeps_the_expected_ending(self):
        cfg = {"divergences": {"CF-V1-030": {"rules": ["pong:early"], "reason": "x"}}}
        v = judge(PING_EARLY, btc(BCOINISH_030.replace("#us", "#peer"), version=BCOIN_VERSION), cfg)
        self.assertEqual(v.outcome, "Fail")
        self.assertIn("ending handshake+disconnect", v.note)

    def test_divergent_rules_target_wide(self):
        cfg = {"divergent_rules": {"pong:early": "pongs any ping", "unexpected:getblocks": "syncs with getblocks"}}
        v = judge(PING_EARLY, btc(BCOINISH_030, version=BCOIN_VERSION), cfg)
        self.assertEqual((v.outcome, v.note), ("Non-strict", "pong:early: pongs any ping"))
        # a family pattern covers every command of it
        cfg2 = {"divergent_rules": {"unexpected": "sends more"}}
        v = judge(case(STD), btc(CORE_RESPONDER.replace("#us", "<inv:37 <addr:31 #us")), cfg2)
        self.assertEqual(v.outcome, "Non-strict")
        # but not another rule
        v = judge(case(STD), btc(CORE_RESPONDER.replace("<sendcmpct:9", "<sendcmpct:8")), cfg)
        self.assertEqual(v.outcome, "Fail")

    def test_wide_and_case_together(self):
        cfg = {"divergent_rules": {"pong:early": "pongs any ping"},
               "divergences": {"CF-V1-030": {"observed": "handshake+disconnect", "reason": "then drops it"}}}
        v = judge(PING_EARLY, btc(BCOINISH_030.replace("#us", "#peer"), version=BCOIN_VERSION), cfg)
        self.assertEqual(v.outcome, "Non-strict")
        self.assertEqual(v.note, "then drops it; pong:early: pongs any ping")

    def test_recorded_outcome_kept(self):
        cfg = {"divergences": {"CF-V1-900": {"observed": "kept", "outcome": "Info", "reason": "x"}}}
        v = judge(case("recv=-", expect="disconnect"), btc(">version:103 =FAILED/timeout #us"), cfg)
        self.assertEqual(v.outcome, "Info")

    def test_pass_wins_over_a_stale_divergence(self):
        cfg = {"divergences": {"CF-V1-900": {"observed": "disconnect", "reason": "was so once"}}}
        self.assertEqual(judge(case(STD), btc(CORE_RESPONDER), cfg).outcome, "Pass")

    def test_info(self):
        c = case("recv=-", expect="info")
        v = judge(c, btc(">version:103 <version:102 V =FAILED/closed #us"), {})
        self.assertEqual(v.outcome, "Info")
        self.assertIn("recv:", v.note)  # what broke is still said

    def test_unimplemented_exit_89(self):
        c = case("recv=msg2,echo tester=SUCCESS", expect="ok", proto="noise", cid="CF-NN-900")
        v = judge(c, observe_noise("unimplemented", None, []), {})
        self.assertEqual(v.outcome, "Unimplemented")

    def test_unimplemented_role_and_disabled(self):
        c = case(STD, role="initiator")
        v = skipped(c, "ok", "", ["responder"], {}, "pyv1peer")
        self.assertEqual((v.outcome, v.note), ("Unimplemented", "pyv1peer has no initiator role"))
        v = skipped(case(STD), "ok", "", ["responder"], {"CF-V1-900": "cannot be asked to"})
        self.assertEqual((v.outcome, v.note), ("Unimplemented", "cannot be asked to"))
        self.assertIsNone(skipped(case(STD), "ok", "", ["responder"], {}))

    def test_missing(self):
        v = skipped(case(STD), "missing", "no bitcoind: set BITCOIND", ["responder"], {})
        self.assertEqual((v.outcome, v.note), ("Missing", "no bitcoind: set BITCOIND"))

    def test_runner_errors_fail(self):
        v = judge(case(STD), Observation("btc", "runner-error: boom", tester="none"), {})
        self.assertEqual(v.outcome, "Fail")
        v = judge(case(STD), Observation("btc", "no-listener", tester="none"), {})
        self.assertEqual(v.outcome, "Fail")
        self.assertIn("no-listener", v.note)

    def test_rule_matches(self):
        self.assertTrue(judging.rule_matches("early", "early:reject"))
        self.assertTrue(judging.rule_matches("early:reject", "early:reject"))
        self.assertFalse(judging.rule_matches("early:reject", "early:addr"))
        self.assertFalse(judging.rule_matches("ear", "early:reject"))


class Texts(unittest.TestCase):
    def test_expected_expands_features_at_the_common_version(self):
        c = case(STD + " post=pong may=addr fields=version>=70016")
        t = judging.expected_text(c)
        self.assertIn("recv version, wtxidrelay, sendaddrv2, verack (common version 70016)", t)
        self.assertIn("after our verack pong", t)
        self.assertIn("may sendcmpct, ping, getheaders, feefilter, getaddr, addr", t)
        self.assertIn("version version>=70016", t)
        low = case(STD, switches="--protocol-version 31800")
        self.assertIn("recv version, verack (common version 31800)", judging.expected_text(low))
        self.assertIn("alert", judging.expected_text(low))

    def test_actual(self):
        t = judging.actual_text(btc(CORE_RESPONDER.replace("#us", "!inv:bad-checksum #us")))
        self.assertTrue(t.startswith("ending handshake; recv version(102) wtxidrelay sendaddrv2 verack [our verack]"), t)
        self.assertIn("!inv(bad-checksum)", t)
        self.assertIn("ua '/Satoshi:31.1.0/'", t)
        n = observe_noise("ok", None, events(">msg1:50 <msg2:50 =FAILED/closed", proto="noise"))
        self.assertIn("recv msg2(50); tester closed (closed); target ok", judging.actual_text(n))


if __name__ == "__main__":
    unittest.main()
