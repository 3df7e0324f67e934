"""Drives the UniFFI-generated Python bindings of kintsugi-mobile.

Every test opens real `Companion` objects in temporary directories; the
two-device cases pair them over loopback and sync. Run through
`mobile/scripts/run-binding-tests.sh`, which builds the library, generates the
bindings into `target/bindings/python` and puts the `.so` beside them.

By hand: `KINTSUGI_PYTHON_BINDINGS=<dir with kintsugi_mobile.py and
libkintsugi_mobile.so> python3 -m unittest -v` from this directory.
Only the standard library is used.
"""

import asyncio
import os
import shutil
import sys
import tempfile
import unittest

_HERE = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_BINDINGS = os.path.join(_HERE, "..", "..", "..", "target", "bindings", "python")
BINDINGS = os.path.abspath(os.environ.get("KINTSUGI_PYTHON_BINDINGS", _DEFAULT_BINDINGS))
if BINDINGS not in sys.path:
    sys.path.insert(0, BINDINGS)

from kintsugi_mobile import (  # noqa: E402  (the path is set just above)
    CheckInInput,
    Companion,
    CompanionConfig,
    KintsugiError,
    NetworkMode,
)

# Upper bound for any single await; a hung network call fails the test
# instead of hanging the run.
TIMEOUT = 30


async def bounded(awaitable):
    return await asyncio.wait_for(awaitable, TIMEOUT)


def checkin_input(score=7, note=None):
    return CheckInInput(
        safety=score,
        trust=score,
        connection=score,
        moods=["calm"],
        note=note,
    )


class CompanionTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        # unittest runs the loop in debug mode, which logs any step over
        # 0.1 s; only flag calls that really block the loop.
        asyncio.get_running_loop().slow_callback_duration = 0.5
        self._companions = []
        self._dirs = []

    async def asyncTearDown(self):
        for companion in self._companions:
            try:
                await bounded(companion.shutdown())
            except Exception as e:  # a failing shutdown must not hide the test's result
                print(f"shutdown failed: {e!r}", file=sys.stderr)
        self._companions.clear()
        for d in self._dirs:
            shutil.rmtree(d, ignore_errors=True)

    def open(self, name):
        data_dir = tempfile.mkdtemp(prefix=f"kintsugi-py-{name.lower()}-")
        self._dirs.append(data_dir)
        companion = Companion(
            CompanionConfig(data_dir=data_dir, display_name=name, network=NetworkMode.LOOPBACK)
        )
        self._companions.append(companion)
        return companion

    async def pair(self, inviter, joiner):
        """Inviter shows a code and waits while the joiner joins with it."""
        invite = await bounded(inviter.create_invite())
        self.assertTrue(invite.payload.startswith("kintsugi:"), invite.payload)
        self.assertIn("<svg", invite.qr_svg)
        waiting = asyncio.ensure_future(bounded(inviter.wait_for_partner()))
        joined = await bounded(joiner.join(invite.payload))
        waited = await waiting
        return invite, waited, joined

    async def test_pair_checkin_agree_and_sync(self):
        alex = self.open("Alex")
        sam = self.open("Sam")
        self.assertIsNone(alex.partner())

        _, alex_sees, sam_sees = await self.pair(alex, sam)
        self.assertEqual(alex_sees.name, "Sam")
        self.assertEqual(alex_sees.member_id, sam.member_id())
        self.assertEqual(sam_sees.name, "Alex")
        self.assertEqual(sam_sees.member_id, alex.member_id())
        self.assertEqual(alex.partner().member_id, sam.member_id())
        self.assertEqual(sam.partner().member_id, alex.member_id())

        alex.record_checkin(checkin_input(8, note="good week"))
        sam.record_checkin(checkin_input(6))
        agreement_id = alex.propose_agreement("Phones away at dinner")

        first = await bounded(sam.sync_now())
        self.assertGreater(first.changes_received, 0)
        self.assertGreater(first.bytes_sent, 0)
        self.assertGreater(first.bytes_received, 0)

        proposed = [a for a in sam.agreements() if a.id == agreement_id]
        self.assertEqual(len(proposed), 1)
        self.assertFalse(proposed[0].in_force)
        self.assertFalse(proposed[0].proposed_by_me)

        accepted = sam.accept_agreement(agreement_id)
        self.assertTrue(accepted.in_force)
        self.assertIsNotNone(accepted.accepted_at_ms)
        await bounded(sam.sync_now())

        for me, other in ((alex, sam), (sam, alex)):
            checkins = me.checkins()
            self.assertEqual(len(checkins), 2)
            self.assertEqual({c.author for c in checkins}, {me.member_id(), other.member_id()})
            mine = [c for c in checkins if c.by_me]
            self.assertEqual(len(mine), 1)
            self.assertEqual(mine[0].author, me.member_id())

            agreements = me.agreements()
            self.assertEqual(len(agreements), 1)
            self.assertEqual(agreements[0].id, agreement_id)
            self.assertEqual(agreements[0].text, "Phones away at dinner")
            self.assertEqual(agreements[0].proposed_by, alex.member_id())
            self.assertTrue(agreements[0].in_force)
            self.assertEqual(agreements[0].proposed_by_me, me is alex)

        alex_note = [c for c in alex.checkins() if c.by_me][0]
        self.assertEqual(alex_note.note, "good week")
        self.assertEqual(alex_note.moods, ["calm"])
        self.assertEqual((alex_note.safety, alex_note.trust, alex_note.connection), (8, 8, 8))
        self.assertEqual(sorted(c.id for c in alex.checkins()), sorted(c.id for c in sam.checkins()))

    async def test_score_out_of_range_is_invalid_input(self):
        alex = self.open("Alex")
        sam = self.open("Sam")
        await self.pair(alex, sam)
        with self.assertRaises(KintsugiError.InvalidInput) as caught:
            alex.record_checkin(checkin_input(11))
        self.assertIsInstance(caught.exception, KintsugiError)
        self.assertIn("11", str(caught.exception))
        self.assertEqual(alex.checkins(), [])

    async def test_malformed_code_is_invalid_input(self):
        sam = self.open("Sam")
        with self.assertRaises(KintsugiError.InvalidInput):
            await bounded(sam.join("not a code"))
        self.assertIsNone(sam.partner())

    async def test_unknown_agreement_is_not_found(self):
        alex = self.open("Alex")
        sam = self.open("Sam")
        await self.pair(alex, sam)
        with self.assertRaises(KintsugiError.NotFound):
            sam.accept_agreement("no-such-agreement")

    async def test_checkin_before_pairing_is_not_paired(self):
        alex = self.open("Alex")
        with self.assertRaises(KintsugiError.NotPaired):
            alex.record_checkin(checkin_input(5))

    async def test_used_code_is_refused(self):
        alex = self.open("Alex")
        sam = self.open("Sam")
        invite, _, _ = await self.pair(alex, sam)
        latecomer = self.open("Kim")
        with self.assertRaises(KintsugiError.PairingRefused):
            await bounded(latecomer.join(invite.payload))
        self.assertIsNone(latecomer.partner())
        self.assertEqual(alex.partner().member_id, sam.member_id())


if __name__ == "__main__":
    unittest.main(verbosity=2)
