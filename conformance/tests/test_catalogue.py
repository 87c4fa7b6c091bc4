"""The catalogue: cases.txt lines, the msgs field, quick.txt."""

import os
import tempfile
import unittest

from canned import case
from psconf import catalogue
from psconf.catalogue import CatalogueError, FieldCheck, parse_line, parse_msgs


class ParseLine(unittest.TestCase):
    LINE = ("CF-V1-002 | btc | responder | -> version(70015); <- version, verack | --protocol-version 70015 "
            "| handshake | recv=version,features,verack | no wtxidrelay below 70016 | Core WTXID_RELAY_VERSION")

    def test_fields(self):
        c = parse_line(self.LINE)
        self.assertEqual((c.id, c.protocol, c.role, c.expect), ("CF-V1-002", "btc", "responder", "handshake"))
        self.assertEqual(c.arrow, "-> version(70015); <- version, verack")
        self.assertEqual(c.args, ("--protocol-version", "70015"))
        self.assertEqual(c.msgs.recv, (("version", "features", "verack"),))
        self.assertEqual(c.kind, "conformance")
        self.assertEqual(c.our_version, 70015)
        self.assertEqual(c.as_json()["msgs"], "recv=version,features,verack")

    def test_target_switches_apart(self):
        c = parse_line("CF-NN-029 | noise | responder | x | --bug silent target:empty-psk | bad-psk "
                       "| recv=- tester=none | r | s")
        self.assertEqual(c.args, ("--bug", "silent"))
        self.assertEqual(c.target_opts, ("empty-psk",))
        self.assertEqual(c.switches, "--bug silent target:empty-psk")
        self.assertEqual(c.msgs.recv, ((),))
        self.assertEqual(c.msgs.tester, ("none",))

    def test_our_version(self):
        self.assertEqual(case(canned_std(), switches="").our_version, 70016)
        self.assertEqual(case(canned_std(), switches="--bug obsolete-version").our_version, 31799)
        self.assertEqual(case(canned_std(), switches="--protocol-version 31800").our_version, 31800)
        self.assertEqual(case(canned_std(), switches="--protocol-version 2147483647").our_version, 2147483647)

    def test_kind_and_endings(self):
        c = parse_line(self.LINE.replace("CF-V1-002", "RS-V1-009").replace("| handshake |", "| disconnect/handshake+disconnect |"))
        self.assertEqual(c.kind, "resistance")
        self.assertEqual(c.endings, ("disconnect", "handshake+disconnect"))

    def test_bad_lines(self):
        bad = {
            "eight fields": "A | btc | responder | x |  | handshake | r | s",
            "protocol": self.LINE.replace("| btc |", "| ltc |"),
            "role": self.LINE.replace("| responder |", "| client |"),
            "empty msgs": self.LINE.replace("recv=version,features,verack", ""),
            "empty arrow": self.LINE.replace("-> version(70015); <- version, verack", ""),
        }
        for what, line in bad.items():
            with self.subTest(what), self.assertRaises(CatalogueError) as e:
                parse_line(line, "cases.txt:7")
            self.assertIn("cases.txt:7", str(e.exception))

    def test_duplicates_and_comments(self):
        lines = ["# a comment", "", ParseLine.LINE, "  ", ParseLine.LINE]
        with self.assertRaises(CatalogueError) as e:
            catalogue.parse_cases(lines, "x.txt")
        self.assertIn("x.txt:5: duplicate case ID CF-V1-002", str(e.exception))
        self.assertEqual(len(catalogue.parse_cases(lines[:4])), 1)


def canned_std():
    return "recv=version,features,verack"


class ParseMsgs(unittest.TestCase):
    def test_btc_clauses(self):
        e = parse_msgs("recv=-/version,features,verack post=pong may=addr,addrv2 "
                       "fields=version>=70016,services&0x9,relay=1,start_height>=0,version!=5,version<9,version>1,version<=9", "btc")
        self.assertEqual(e.recv, ((), ("version", "features", "verack")))
        self.assertEqual(e.post, ("pong",))
        self.assertEqual(e.may, frozenset({"addr", "addrv2"}))
        self.assertEqual([str(f) for f in e.fields],
                         ["version>=70016", "services&0x9", "relay=1", "start_height>=0", "version!=5",
                          "version<9", "version>1", "version<=9"])

    def test_field_checks(self):
        self.assertTrue(FieldCheck("services", "&", 9).holds(0x409))
        self.assertFalse(FieldCheck("services", "&", 9).holds(0x408))
        self.assertTrue(FieldCheck("version", ">=", 70016).holds(70016))
        self.assertFalse(FieldCheck("version", ">=", 70016).holds(70015))
        self.assertTrue(FieldCheck("relay", "=", 1).holds(True))
        self.assertFalse(FieldCheck("relay", "=", 1).holds(None))
        self.assertTrue(FieldCheck("version", "!=", 1).holds(2))
        self.assertTrue(FieldCheck("version", "<", 2).holds(1))
        self.assertTrue(FieldCheck("version", ">", 1).holds(2))
        self.assertTrue(FieldCheck("version", "<=", 2).holds(2))

    def test_noise_repeats_and_at(self):
        e = parse_msgs("recv=msg2,echo*3 tester=closed at=transport:3/echo:2", "noise")
        self.assertEqual(e.recv, (("msg2", "echo", "echo", "echo"),))
        self.assertEqual(e.at, ("transport:3", "echo:2"))
        self.assertEqual(parse_msgs("recv=- tester=none at=none", "noise").at, ("none",))
        for bad, why in (("recv=echo*0 tester=SUCCESS", "ITEM*N"), ("recv=echo*x tester=SUCCESS", "ITEM*N"),
                         ("recv=- tester=closed at=transport", "not a message"),
                         ("recv=- tester=closed at=transport:0", "not a message"),
                         ("recv=- tester=closed at=msg3", "not a message")):
            with self.subTest(msgs=bad):
                with self.assertRaises(CatalogueError) as cm:
                    parse_msgs(bad, "noise")
                self.assertIn(why, str(cm.exception))
        c = parse_line("CF-NN-900 | noise | responder | x | --messages 3 target:continue target:transport-len=9 "
                       "| ok | recv=msg2,echo*3 tester=SUCCESS | r | s")
        self.assertEqual((c.messages, c.target_option("continue"), c.target_option("transport-len")),
                         (3, True, "9"))
        self.assertIsNone(c.target_option("payload1-len"))
        for bad in ("--messages 0", "--messages x", "target:transport-len=abc", "target:payload1-len"):
            with self.subTest(switches=bad):
                with self.assertRaises(CatalogueError):
                    parse_line(f"CF-NN-900 | noise | responder | x | {bad} | ok | recv=- tester=none | r | s")

    def test_noise_clauses(self):
        e = parse_msgs("recv=msg2,echo tester=closed/timeout", "noise")
        self.assertEqual(e.recv, (("msg2", "echo"),))
        self.assertEqual(e.tester, ("closed", "timeout"))

    def test_errors(self):
        bad = [("", "btc", "recv= is required"),
               ("recv=version post", "btc", "not NAME=VALUE"),
               ("recv=version recv=verack", "btc", "given twice"),
               ("recv=version tester=SUCCESS", "btc", "not a btc clause"),
               ("recv=msg1 may=ping", "noise", "not a noise clause"),
               ("recv=msg1", "noise", "tester= is required"),
               ("recv=version,hello", "btc", "unknown item 'hello'"),
               ("recv=msg3 tester=SUCCESS", "noise", "unknown item 'msg3'"),
               ("recv=version may=Bad!", "btc", "not a message command"),
               ("recv=version fields=nonce=1", "btc", "unknown field 'nonce'"),
               ("recv=version fields=version~1", "btc", "no operator"),
               ("recv=version fields=version>=x", "btc", "not a number"),
               ("recv=msg1 tester=maybe", "noise", "unknown verdict 'maybe'")]
        for text, proto, want in bad:
            with self.subTest(text), self.assertRaises(CatalogueError) as e:
                parse_msgs(text, proto)
            self.assertIn(want, str(e.exception))


class TheCatalogue(unittest.TestCase):
    """conformance/cases.txt and quick.txt as committed."""

    @classmethod
    def setUpClass(cls):
        cls.cases = catalogue.load_cases()

    def test_counts_and_fields(self):
        btc = [c for c in self.cases if c.protocol == "btc"]
        noise = [c for c in self.cases if c.protocol == "noise"]
        self.assertGreaterEqual(len(btc), 60)
        self.assertGreaterEqual(len(noise), 25)
        for c in self.cases:
            self.assertIn(c.id[:3], ("CF-", "RS-"), c.id)
            self.assertTrue(c.arrow and c.expect and c.reference and c.source, c.id)
            self.assertTrue(c.msgs.recv, c.id)  # every case states its messages
            if c.protocol == "noise":
                self.assertTrue(c.msgs.tester, c.id)

    def test_endings_known(self):
        btc = {"handshake", "handshake+disconnect", "disconnect", "kept", "v2-handshake", "info"}
        self.assertEqual(btc, set(catalogue.BTC_ENDINGS))
        noise = {"ok", "decrypt-failed", "bad-size", "bad-dh", "echo-mismatch", "timeout", "closed", "bad-psk",
                 "too-large"}
        for c in self.cases:
            for e in c.endings:
                self.assertIn(e, btc if c.protocol == "btc" else noise, c.id)

    def test_noise_failures_name_their_message(self):
        """Every Noise case that ends in a failure of the target with a
        message under way says which (at=), and every at= is consistent
        with the case: an ok case has none, K within the exchange."""
        for c in self.cases:
            if c.protocol != "noise":
                continue
            with self.subTest(case=c.id):
                if c.expect == "ok":
                    self.assertEqual(c.msgs.at, ())
                    continue
                self.assertTrue(c.msgs.at, "no at=")
                for a in c.msgs.at:
                    if ":" in a:
                        self.assertLessEqual(int(a.split(":")[1]), c.messages)

    def test_noise_citations(self):
        """The sections the issue found wrong, as rev 34 numbers them:
        12.5 SHA256, 12.6 SHA512, 9.4 NNpsk2, 11.4 replay."""
        by = {c.id: c.source for c in self.cases}
        for cid in ("CF-NN-005", "CF-NN-006"):
            self.assertIn("12.5", by[cid])
            self.assertNotIn("12.6", by[cid])
        for cid in ("CF-NN-007", "CF-NN-008"):
            self.assertIn("12.6", by[cid])
            self.assertNotIn("12.7", by[cid])
        self.assertIn("9.4", by["CF-NN-001"])
        self.assertNotIn("7.4", by["CF-NN-001"])
        self.assertIn("11.4", by["CF-NN-023"])
        self.assertNotIn("11.5", by["CF-NN-023"])

    def test_expected_core_in_step(self):
        """EXPECTED-CORE.md has one row per Bitcoin case, with the case's
        role, ending and msgs as the catalogue has them."""
        with open(os.path.join(catalogue.HERE, "EXPECTED-CORE.md"), encoding="utf-8") as f:
            rows = [line.split(" | ") for line in f if line.startswith(("| CF-V1-", "| RS-V1-", "| CF-V2-", "| RS-V2-"))]
        got = {r[0][2:]: (r[1], r[2], r[3].strip("`")) for r in rows}
        want = {c.id: (c.role, c.expect, c.msgs.text) for c in self.cases if c.protocol == "btc"}
        self.assertEqual(got, want)

    def test_connection_types(self):
        """target:conn=TYPE: Core's connection types, the initiator's only."""
        def one(role, sw):
            line = f"CF-V1-999 | btc | {role} | x | {sw} | handshake | recv=version,features,verack | r | s"
            return catalogue.parse_cases([line])[0]
        self.assertEqual(one("initiator", "target:conn=feeler").conn, "feeler")
        self.assertEqual(one("initiator", "").conn, "outbound-full-relay")
        with self.assertRaisesRegex(catalogue.CatalogueError, "want target:conn="):
            one("initiator", "target:conn=inbound")
        with self.assertRaisesRegex(catalogue.CatalogueError, "the initiator's"):
            one("responder", "target:conn=manual")
        # the services check on both connection types Core tells apart
        by = {c.id: c for c in self.cases}
        self.assertEqual((by["CF-V1-063"].conn, by["CF-V1-063"].expect), ("outbound-full-relay", "disconnect"))
        self.assertEqual((by["CF-V1-073"].conn, by["CF-V1-073"].expect), ("manual", "handshake"))

    def test_v2_cases(self):
        """At least 30 BIP324 cases, both roles, conformance and resistance;
        the tester's transport always stated; an initiator case says how
        the target dials; V1 cases leave the transport to the runner."""
        v2 = [c for c in self.cases if c.family == "V2"]
        self.assertGreaterEqual(len(v2), 30)
        self.assertEqual({c.role for c in v2}, {"responder", "initiator"})
        self.assertEqual({c.kind for c in v2}, {"conformance", "resistance"})
        for c in self.cases:
            if c.protocol != "btc":
                continue
            if c.family == "V1":
                self.assertNotIn("--v2transport", c.args, c.id)
                # a V1 case names at most the connection type it runs on
                self.assertEqual([t for t in c.target_opts if not t.startswith("conn=")], [], c.id)
                continue
            self.assertEqual(c.family, "V2", c.id)
            self.assertIn("--v2transport", c.args, c.id)
            if c.role == "initiator":
                self.assertIn(c.dial, ("v1", "v2", "auto"), c.id)
            # a v2 connection's case names the target's transport items or the transport
            i = c.args.index("--v2transport")
            if c.args[i + 1] == "0" and c.role == "responder" and c.expect not in ("v2-handshake",):
                self.assertEqual(c.msgs.v2, ((),), c.id)
        # the coverage the issue asks for
        sw = " ".join(c.switches for c in v2)
        for name in ("v2-garbage-4096", "v2-no-terminator", "v2-wrong-terminator", "v2-flip-length",
                     "v2-flip-tag", "v2-flip-garbage", "v2-decoys=", "v2-decoy-before-version",
                     "v2-version-contents", "v2-unknown-short-id", "v2-oversize", "v2-key-only",
                     "v2-byte-at-a-time", "v2-v1-version", "v2-close-after-key",
                     "--v2-garbage 0", "--v2-garbage 1", "--v2-garbage 4095", "--v2transport auto",
                     "--bug wrong-magic", "target:v1"):
            self.assertIn(name, sw)
        self.assertIn("v2-handshake", {c.expect for c in v2})

    def test_v2_clauses(self):
        e = parse_msgs("recv=- v2=key/key,garbage,version transport=v2 retry=1", "btc")
        self.assertEqual((e.v2, e.transport, e.retry), ((("key",), ("key", "garbage", "version")), "v2", 1))
        self.assertEqual(parse_msgs("recv=-", "btc").v2, ((),))
        self.assertIsNone(parse_msgs("recv=-", "btc").retry)
        for text, want in (("recv=- v2=key,tag", "unknown item 'tag'"), ("recv=- transport=v3", "transport"),
                           ("recv=- retry=x", "not a count"), ("recv=msg1 v2=key tester=SUCCESS", "not a noise")):
            with self.subTest(text), self.assertRaises(CatalogueError) as e:
                parse_msgs(text, "noise" if "msg1" in text else "btc")
            self.assertIn(want, str(e.exception))

    def test_target_words(self):
        c = parse_line("CF-V2-900 | btc | initiator | x | --v2transport 0 target:auto | handshake | recv=- | r | s")
        self.assertEqual((c.family, c.dial, c.args), ("V2", "auto", ("--v2transport", "0")))
        self.assertEqual(case("recv=-").family, "V1")
        with self.assertRaises(CatalogueError) as e:
            parse_line("CF-V2-900 | btc | initiator | x | target:v3 | handshake | recv=- | r | s", "c.txt:3")
        self.assertIn("target:v3", str(e.exception))

    def test_quick(self):
        ids = catalogue.load_quick(cases=self.cases)
        self.assertGreater(len(ids), 5)
        self.assertEqual(len(ids), len(set(ids)))
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "quick.txt")
            with open(p, "w") as f:
                f.write("CF-V1-001  # a comment\nNO-SUCH-1\n")
            self.assertEqual(catalogue.load_quick(p), ["CF-V1-001", "NO-SUCH-1"])
            with self.assertRaises(CatalogueError) as e:
                catalogue.load_quick(p, cases=self.cases)
            self.assertIn("NO-SUCH-1", str(e.exception))


if __name__ == "__main__":
    unittest.main()
