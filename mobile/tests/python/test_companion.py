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
import time
import datetime
import json
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
    AgreementStatus,
    BackupOptions,
    CheckInInput,
    CommitmentKind,
    Companion,
    CompanionEvent,
    CompanionObserver,
    CompanionConfig,
    EntryKind,
    KintsugiError,
    LogLevel,
    LogSink,
    NetworkMode,
    NoticeKind,
    Phase,
    PrivateSpaceLock,
    ProgressListener,
    ProgressStep,
    QuestionResponse,
    QuestionStatus,
    RecordKind,
    RequestAnswerKind,
    Role,
    SignName,
    SummaryChoice,
    SyncStateKind,
    TimelineFilter,
    TogetherKind,
    android_context_installed,
    first_screen,
    generate_storage_key,
    init_logging,
    mood_vocabulary,
    restore_from_backup,
    survey_items,
    wipe_data_dir,
)

# Upper bound for any single await; a hung network call fails the test
# instead of hanging the run.
TIMEOUT = 30

# Every saved Automerge document starts with these bytes.
AUTOMERGE_MAGIC = bytes([0x85, 0x6F, 0x4A, 0x83])


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


def in_days(n):
    """The local day `n` days from today, as YYYY-MM-DD."""
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


class Recorder(CompanionObserver):
    """Keeps every event an observer hears; throws on the first `fail_first`."""

    def __init__(self, fail_first=0):
        self.events = []
        self.fail_first = fail_first

    def on_event(self, event):
        self.events.append(event)
        if self.fail_first > 0:
            self.fail_first -= 1
            raise RuntimeError("the app's observer threw")

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]

    def has(self, kind):
        return bool(self.of(kind))

    def statuses(self):
        current = [e.state.sync_status for e in self.of(CompanionEvent.CURRENT)]
        return current + [e.status for e in self.of(CompanionEvent.SYNC_STATUS_CHANGED)]

    def changed(self, kind, from_partner):
        return any(
            e.kinds == [kind] and e.from_partner == from_partner
            for e in self.of(CompanionEvent.DOCUMENT_CHANGED)
        )


class Steps(ProgressListener):
    """Keeps every progress report; throws on each one with `throws`."""

    def __init__(self, throws=False):
        self.seen = []
        self.throws = throws

    def on_progress(self, step, done, total):
        self.seen.append((step, done, total))
        if self.throws:
            raise RuntimeError("the app's progress bar threw")

    def steps(self):
        return {step for step, _, _ in self.seen}

    def assert_monotonic(self, test):
        """Within a run of one step, `done` never goes back nor passes `total`."""
        for (s1, d1, _), (s2, d2, _) in zip(self.seen, self.seen[1:]):
            if s1 == s2:
                test.assertGreaterEqual(d2, d1, self.seen)
        for _, done, total in self.seen:
            test.assertLessEqual(done, total, self.seen)


def notes(companion):
    """The check-in notes and appreciations a companion holds, sorted."""
    said = [c.note for c in companion.checkins() if c.note] + [a.text for a in companion.appreciations()]
    return sorted(said)


class CompanionTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        # unittest runs the loop in debug mode, which logs any step over
        # 0.1 s; only flag calls that really block the loop.
        asyncio.get_running_loop().slow_callback_duration = 0.5
        self._companions = []
        self._dirs = []
        self._subscriptions = []

    async def asyncTearDown(self):
        # Observers first: none may be called once the interpreter exits.
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()
        for companion in self._companions:
            try:
                await bounded(companion.shutdown())
            except Exception as e:  # a failing shutdown must not hide the test's result
                print(f"shutdown failed: {e!r}", file=sys.stderr)
        self._companions.clear()
        for d in self._dirs:
            shutil.rmtree(d, ignore_errors=True)

    def new_data_dir(self, name):
        """A data directory inside a fresh temporary one (so a wipe can remove it)."""
        parent = tempfile.mkdtemp(prefix=f"kintsugi-py-{name.lower()}-")
        self._dirs.append(parent)
        return os.path.join(parent, "data")

    def open(self, name, data_dir=None, key=None):
        """A companion on `data_dir` (a new one by default) unlocked with `key`
        (a new storage key by default), as an app does on launch."""
        if data_dir is None:
            data_dir = self.new_data_dir(name)
        if key is None:
            key = generate_storage_key()
        companion = Companion(
            CompanionConfig(
                data_dir=data_dir,
                display_name=name,
                network=NetworkMode.LOOPBACK,
                storage_key=key,
            )
        )
        self._companions.append(companion)
        return companion

    async def close(self, companion):
        """Shuts a companion down and lets it go, as an app does when it stops."""
        await bounded(companion.shutdown())
        self._companions.remove(companion)

    async def pair(self, inviter, joiner):
        """Inviter shows a code and waits while the joiner joins with it."""
        invite = await bounded(inviter.create_invite())
        self.assertTrue(invite.payload.startswith("kintsugi:"), invite.payload)
        self.assertIn("<svg", invite.qr_svg)
        # The code works for a few minutes from now, and says so.
        self.assertTrue(0 < invite.expires_at - time.time() <= 5 * 60 + 1, invite.expires_at)
        self.assertTrue(invite.payload.endswith(f"&exp={invite.expires_at}"), invite.payload)
        request = asyncio.ensure_future(bounded(inviter.next_pairing_request()))
        joiners_code = await bounded(joiner.join(invite.payload))
        inviters_code = await request
        # Both screens show one code, and nothing yet of who is on the other side.
        self.assertEqual(joiners_code.code, inviters_code.code)
        self.assertRegex(joiners_code.code, r"^\d{3} \d{3}$")
        for code in (joiners_code, inviters_code):
            self.assertFalse(hasattr(code, "partner_name"), code)
            self.assertFalse(hasattr(code, "partner_role"), code)
        waited, joined = await asyncio.gather(
            bounded(inviter.confirm_pairing()), bounded(joiner.confirm_pairing())
        )
        # Once both confirmed, each knows the other.
        self.assertEqual(waited.member_id, joiner.member_id())
        self.assertEqual(joined.member_id, inviter.member_id())
        self.assertIsNotNone(joined.role)  # the inviter had a space, hence a role
        self.assertIsNone(waited.role)  # the joiner had none yet
        self.assertTrue(waited.age_recipient.startswith("age1"), waited.age_recipient)
        self.assertTrue(joined.signing_key, joined.signing_key)
        return invite, waited, joined

    async def paired(self):
        """Alex (who was hurt) and Sam (who broke the trust), paired and synced."""
        alex = self.open("Alex")
        sam = self.open("Sam")
        await self.pair(alex, sam)
        alex.set_role(Role.HURT)
        sam.set_role(Role.BROKE_TRUST)
        await self.sync(sam)
        return alex, sam

    async def sync(self, companion):
        return await bounded(companion.sync_now())

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
        # Live sync may have carried some of it already; after sync_now
        # returns, Sam holds everything either way.
        self.assertEqual(len(sam.checkins()), 2, first)
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

    def subscribe(self, companion, observer):
        """Subscribes `observer`; the subscription is cancelled at tear-down."""
        subscription = companion.subscribe(observer)
        self._subscriptions.append(subscription)
        return subscription

    async def eventually(self, what, check):
        """Polls `check` every 20 ms for at most one step."""

        async def poll():
            while not check():
                await asyncio.sleep(0.02)

        await bounded(poll())
        self.assertTrue(check(), what)

    async def test_live_sync_observer_and_unpair(self):
        alex = self.open("Alex")
        sam = self.open("Sam")
        await self.pair(alex, sam)

        recorder = Recorder()
        subscription = self.subscribe(alex, recorder)
        await self.eventually("the current state comes first", lambda: recorder.events)
        first = recorder.events[0]
        self.assertIsInstance(first, CompanionEvent.CURRENT)
        self.assertEqual(first.state.partner.name, "Sam")
        self.assertIsNone(first.state.pending_pairing)
        await bounded(alex.app_foregrounded())
        await bounded(sam.app_foregrounded())
        await self.eventually(
            "Alex's status reaches up to date",
            lambda: any(
                s.state == SyncStateKind.UP_TO_DATE
                for s in recorder.statuses()
            ),
        )
        sam.record_checkin(checkin_input(7))
        await self.eventually(
            "the observer hears Sam's check-in with no sync_now",
            lambda: recorder.changed(RecordKind.CHECK_IN, from_partner=True),
        )
        self.assertEqual(len(alex.checkins()), 1)
        # Alex ends the pairing; both observers hear it, Sam's device forgets Alex.
        sam_hears = Recorder()
        sam_subscription = self.subscribe(sam, sam_hears)
        self.assertTrue(await bounded(alex.unpair(True, False)))
        self.assertIsNone(alex.partner())
        await self.eventually("Alex hears Unpaired", lambda: recorder.has(CompanionEvent.UNPAIRED))
        await self.eventually("Sam hears Unpaired", lambda: sam_hears.has(CompanionEvent.UNPAIRED))
        self.assertIsNone(sam.partner())
        # Sam keeps the shared history, read-only.
        self.assertEqual(len(sam.archives()), 1)
        subscription.cancel()
        sam_subscription.cancel()

    async def test_observers_hear_the_pairing_and_a_throwing_one_goes_on(self):
        alex = self.open("Alex")
        sam = self.open("Sam")
        # Alex's observer throws on its first two events.
        alex_hears, sam_hears = Recorder(fail_first=2), Recorder()
        alex_sub, sam_sub = self.subscribe(alex, alex_hears), self.subscribe(sam, sam_hears)
        invite = await bounded(alex.create_invite())
        # Nobody awaits next_pairing_request: the observer hears the request.
        joiners = await bounded(sam.join(invite.payload))
        await self.eventually(
            "Alex hears the pairing request",
            lambda: any(
                e.code.code == joiners.code
                for e in alex_hears.of(CompanionEvent.PAIRING_REQUESTED)
            ),
        )
        await self.eventually(
            "Sam hears his side of the request", lambda: sam_hears.has(CompanionEvent.PAIRING_REQUESTED)
        )
        await asyncio.gather(bounded(alex.confirm_pairing()), bounded(sam.confirm_pairing()))
        await self.eventually("Alex hears Paired", lambda: alex_hears.has(CompanionEvent.PAIRED))
        await self.eventually("Sam hears Paired", lambda: sam_hears.has(CompanionEvent.PAIRED))
        await self.eventually(
            "Sam hears the shared space arrive",
            lambda: any(e.members_changed and e.from_partner for e in sam_hears.of(CompanionEvent.DOCUMENT_CHANGED)),
        )
        self.assertEqual(alex_hears.of(CompanionEvent.PAIRED)[0].partner.name, "Sam")
        # A cancelled subscription hears nothing more.
        sam_sub.cancel()
        # No call starts after cancel(); one already running may still finish.
        await asyncio.sleep(0.2)
        heard = len(sam_hears.events)
        alex.record_checkin(checkin_input(6))
        await self.sync(alex)
        await self.eventually(
            "Alex's observer, which threw, still hears his own check-in",
            lambda: alex_hears.changed(RecordKind.CHECK_IN, from_partner=False),
        )
        await asyncio.sleep(0.3)
        self.assertEqual(len(sam_hears.events), heard)
        alex_sub.cancel()

    async def test_a_cancelled_call_leaves_the_companion_usable(self):
        alex = self.open("Alex")
        sam = self.open("Sam")
        # Nobody joins yet: the wait is cancelled midway (the Rust future is dropped).
        with self.assertRaises(asyncio.TimeoutError):
            await asyncio.wait_for(alex.wait_for_partner(), 0.3)
        await self.pair(alex, sam)
        # A sync cancelled at once, then one that runs to the end.
        pending = asyncio.ensure_future(sam.sync_now())
        await asyncio.sleep(0)
        pending.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await pending
        sam.record_checkin(checkin_input(6))
        await self.sync(sam)
        self.assertEqual(len(alex.checkins()), 1)
        self.assertEqual((await bounded(alex.wait_for_partner())).name, "Sam")

    async def test_each_error_kind_is_a_kintsugi_error_with_a_message(self):
        kinds = ["InvalidInput", "NotFound", "NotAllowed", "NotPaired", "PairingRefused",
                 "Network", "Storage", "WrongKey", "Internal"]
        for kind in kinds:
            self.assertTrue(issubclass(getattr(KintsugiError, kind), KintsugiError), kind)
        caught = {}

        def expect(kind, call):
            with self.assertRaises(getattr(KintsugiError, kind)) as raised:
                call()
            self.assertTrue(str(raised.exception), f"{kind} has a message")
            caught[kind] = str(raised.exception)

        alex = self.open("Alex")
        expect("NotPaired", lambda: alex.record_checkin(checkin_input(5)))
        expect("InvalidInput", lambda: self.open("Alex", key="not a key"))
        # The data directory cannot be made: a file is in the way.
        blocker = os.path.join(os.path.dirname(self.new_data_dir("Kim")), "file")
        with open(blocker, "w") as f:
            f.write("not a directory")
        expect("Storage", lambda: self.open("Kim", data_dir=os.path.join(blocker, "data")))
        sam = self.open("Sam")
        await self.pair(alex, sam)
        expect("NotFound", lambda: alex.accept_agreement("no-such-agreement"))
        expect("InvalidInput", lambda: alex.record_checkin(checkin_input(11)))
        with self.assertRaises(KintsugiError.NotAllowed) as raised:
            await bounded(alex.confirm_pairing())
        caught["NotAllowed"] = str(raised.exception)
        self.assertIn("no pairing", caught["NotAllowed"])

    async def test_init_logging_routes_records_to_a_sink_and_can_be_called_again(self):
        class Sink(LogSink):
            def __init__(self):
                self.records = []

            def log(self, level, target, message):
                self.records.append((level, target, message))

        class ThrowingSink(LogSink):
            def log(self, level, target, message):
                raise RuntimeError("the app's log is full")

        sink = Sink()
        init_logging(LogLevel.DEBUG, sink)
        init_logging(LogLevel.DEBUG, ThrowingSink())
        init_logging(LogLevel.DEBUG, sink)
        alex = self.open("Alex")
        await bounded(alex.create_invite())
        try:
            await self.eventually("the sink hears the core", lambda: sink.records)
            self.assertTrue(all(isinstance(level, LogLevel) for level, _, _ in sink.records))
            self.assertTrue(any(t.startswith(("kintsugi", "iroh")) for _, t, _ in sink.records), sink.records[:5])
        finally:
            # Back to stderr, warnings only, for the other tests.
            init_logging(LogLevel.WARN, None)
        heard = len(sink.records)
        await bounded(alex.shutdown())
        await bounded(alex.app_foregrounded())
        self.assertEqual(len(sink.records), heard)
        self.assertFalse(android_context_installed())

    async def test_rejecting_the_code_pairs_nobody(self):
        alex = self.open("Alex")
        sam = self.open("Sam")
        invite = await bounded(alex.create_invite())
        request = asyncio.ensure_future(bounded(alex.next_pairing_request()))
        await bounded(sam.join(invite.payload))
        await request
        # Sam says the codes differ; Alex had already confirmed.
        alex_confirms = asyncio.ensure_future(bounded(alex.confirm_pairing()))
        await bounded(sam.reject_pairing())
        with self.assertRaises(KintsugiError.PairingRefused):
            await alex_confirms
        self.assertIsNone(alex.partner())
        self.assertIsNone(sam.partner())
        # Nothing waits any more.
        with self.assertRaises(KintsugiError.NotAllowed):
            await bounded(sam.confirm_pairing())

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

    async def test_only_the_hurt_partner_moves_the_phase_forward(self):
        alex, sam = await self.paired()
        self.assertEqual(alex.role(), Role.HURT)
        self.assertEqual(sam.role(), Role.BROKE_TRUST)
        roles = {m.name: (m.role, m.is_me) for m in sam.members()}
        self.assertEqual(roles, {"Alex": (Role.HURT, False), "Sam": (Role.BROKE_TRUST, True)})
        self.assertEqual(sam.phase(), Phase.ATONE)

        with self.assertRaises(KintsugiError.NotAllowed):
            sam.set_phase(Phase.ATTUNE)
        self.assertEqual(sam.phase_changes(), [])

        alex.set_phase(Phase.ATTUNE, note="we are talking again")
        await self.sync(sam)
        self.assertEqual(sam.phase(), Phase.ATTUNE)
        change = sam.phase_changes()[0]
        self.assertEqual((change.from_phase, change.to_phase), (Phase.ATONE, Phase.ATTUNE))
        self.assertEqual(change.by, alex.member_id())
        self.assertFalse(change.by_me)
        self.assertEqual(change.note, "we are talking again")

        # Either partner may move it back.
        sam.set_phase(Phase.ATONE)
        self.assertEqual(sam.phase(), Phase.ATONE)

    async def test_a_request_is_answered_and_not_now_never_counts(self):
        alex, sam = await self.paired()
        hourly = alex.make_request("Text me every hour")
        await self.sync(sam)

        with self.assertRaises(KintsugiError.NotAllowed):
            alex.answer_request(hourly, RequestAnswerKind.YES)
        sam.answer_request(hourly, RequestAnswerKind.NOT_NOW, note="can we talk about it first")
        with self.assertRaises(KintsugiError.NotAllowed):
            sam.log_request_done(hourly)
        await self.sync(sam)

        request = alex.requests()[0]
        self.assertEqual(request.answer, RequestAnswerKind.NOT_NOW)
        self.assertEqual([(a.kind, a.by_me, a.note) for a in request.answers],
                         [(RequestAnswerKind.NOT_NOW, False, "can we talk about it first")])
        window = alex.consistency(1)[0]
        self.assertEqual(window.requests.done, 0)
        self.assertFalse(hasattr(window.requests, "landed_ratio"), "counts, never a rate")

    async def test_request_done_by_one_and_acknowledged_by_the_other(self):
        alex, sam = await self.paired()
        request_id = alex.make_request("Text me when you leave work")
        await self.sync(sam)

        with self.assertRaises(KintsugiError.NotAllowed):
            alex.log_request_done(request_id)
        done_id = sam.log_request_done(request_id, note="left at six")
        with self.assertRaises(KintsugiError.NotAllowed):
            sam.acknowledge_done(request_id, done_id, True)
        await self.sync(sam)

        request = alex.requests()[0]
        self.assertTrue(request.by_me)
        self.assertEqual(request.text, "Text me when you leave work")
        self.assertEqual([(d.id, d.by_me, d.note) for d in request.done], [(done_id, False, "left at six")])
        self.assertIsNone(request.done[0].acknowledgement)

        alex.acknowledge_done(request_id, done_id, True, note="thank you")
        await self.sync(alex)
        ack = sam.requests()[0].done[0].acknowledgement
        self.assertIsNotNone(ack)
        self.assertTrue(ack.landed)
        self.assertEqual(ack.note, "thank you")

        alex.reword_request(request_id, "Text me when you leave the office")
        alex.retire_request(request_id)
        request = alex.requests()[0]
        self.assertEqual(request.text, "Text me when you leave the office")
        self.assertIsNotNone(request.retired_at_ms)
        self.assertEqual([(r.field, r.before) for r in request.revisions], [("text", "Text me when you leave work")])

    async def test_question_scheduled_then_answered(self):
        alex, sam = await self.paired()
        question_id = alex.ask_question("Where did you go that weekend?", topic="weekend")
        await self.sync(sam)
        window = in_days(3)

        with self.assertRaises(KintsugiError.NotAllowed):
            alex.respond_to_question(question_id, QuestionResponse.SCHEDULE(day=window))
        with self.assertRaises(KintsugiError.InvalidInput):
            sam.respond_to_question(question_id, QuestionResponse.SCHEDULE(day="next tuesday"))
        sam.respond_to_question(question_id, QuestionResponse.SCHEDULE(day=window))
        await self.sync(sam)
        question = alex.questions()[0]
        self.assertEqual(question.status, QuestionStatus.SCHEDULED)
        self.assertEqual(question.scheduled_for, window)
        self.assertEqual(question.topic, "weekend")

        sam.respond_to_question(question_id, QuestionResponse.ANSWER(text="To my brother's."))
        await self.sync(sam)
        question = alex.questions()[0]
        self.assertEqual(question.status, QuestionStatus.ANSWERED)
        responses = [r.response for r in question.responses]
        self.assertEqual(
            responses,
            [QuestionResponse.SCHEDULE(day=window), QuestionResponse.ANSWER(text="To my brother's.")],
        )
        self.assertTrue(responses[1].is_ANSWER())
        self.assertEqual(responses[1].text, "To my brother's.")
        self.assertFalse(any(r.by_me for r in question.responses))

    async def test_offer_is_withdrawn_by_its_owner_only(self):
        alex, sam = await self.paired()
        with self.assertRaises(KintsugiError.InvalidInput):
            sam.offer_transparency("My phone is open to you", 0)
        offer_id = sam.offer_transparency("My phone is open to you this month", 30)
        await self.sync(sam)

        offer = alex.offers()[0]
        self.assertEqual(offer.id, offer_id)
        self.assertTrue(offer.active)
        self.assertFalse(offer.by_me)
        self.assertAlmostEqual(offer.expires_at_ms - offer.offered_at_ms, 30 * 86_400_000, delta=1000)
        with self.assertRaises(KintsugiError.NotAllowed):
            alex.withdraw_offer(offer_id)

        sam.withdraw_offer(offer_id)
        await self.sync(sam)
        for me in (alex, sam):
            offer = me.offers()[0]
            self.assertFalse(offer.active)
            self.assertIsNotNone(offer.withdrawn_at_ms)
        kinds = [e.kind for e in alex.timeline(TimelineFilter(kinds=[RecordKind.OFFER]))]
        self.assertEqual(kinds, [EntryKind.OFFER_WITHDRAWN, EntryKind.OFFER_MADE])

    async def test_revised_agreement_keeps_both_versions(self):
        alex, sam = await self.paired()
        review = in_days(30)
        agreement_id = alex.propose_agreement("No contact with her", review_on=review)
        await self.sync(sam)
        sam.accept_agreement(agreement_id)
        revised = sam.revise_agreement(agreement_id, "No contact with her, and I tell you if she writes")
        self.assertEqual(revised.status, AgreementStatus.REVISION_PENDING)
        await self.sync(sam)

        agreement = alex.agreements()[0]
        self.assertEqual(agreement.status, AgreementStatus.REVISION_PENDING)
        self.assertTrue(agreement.in_force)
        self.assertEqual(agreement.text, "No contact with her")  # still the version in force
        self.assertEqual(agreement.review_on, review)
        self.assertEqual([v.number for v in agreement.versions], [1, 2])
        self.assertEqual([v.by_me for v in agreement.versions], [True, False])
        self.assertEqual([v.accepted_by_me for v in agreement.versions], [True, False])
        self.assertIsNone(agreement.versions[1].review_on)

        accepted = alex.accept_agreement(agreement_id)
        self.assertEqual(accepted.status, AgreementStatus.IN_FORCE)
        self.assertEqual(accepted.text, "No contact with her, and I tell you if she writes")
        self.assertEqual(len(accepted.versions[1].acceptances), 2)

        alex.check_agreement(agreement_id, True)
        sam.check_agreement(agreement_id, False, note="she wrote and I answered")
        await self.sync(sam)
        checks = [(c.kept, c.by_me, c.note) for c in alex.agreements()[0].checks]
        self.assertCountEqual(checks, [(True, True, None), (False, False, "she wrote and I answered")])

        withdrawn_id = sam.propose_agreement("Sunday walks")
        self.assertEqual(sam.withdraw_agreement(withdrawn_id).status, AgreementStatus.WITHDRAWN)

    async def test_private_journal_never_reaches_the_partner(self):
        alex = self.open("Alex")
        # The private space works before pairing.
        first = alex.write_journal("Before we paired I wrote this")
        sam = self.open("Sam")
        await self.pair(alex, sam)
        alex.write_journal("I do not want to say this out loud yet")
        alex.add_private_note("For me", "Things I noticed today")
        alex.record_checkin(checkin_input(6))
        await self.sync(sam)
        await self.sync(alex)

        self.assertEqual(sam.journal(), [])
        self.assertEqual(sam.private_notes(), [])
        journal = alex.journal()
        self.assertEqual([e.text for e in journal], ["I do not want to say this out loud yet", "Before we paired I wrote this"])
        self.assertEqual(journal[1].id, first)
        self.assertEqual([(n.title, n.text) for n in alex.private_notes()], [("For me", "Things I noticed today")])
        summaries = " ".join(e.summary for e in sam.timeline(TimelineFilter()))
        self.assertNotIn("out loud", summaries)
        self.assertNotIn("noticed", summaries)
        self.assertEqual(len(sam.checkins()), 1)  # the shared check-in did arrive

    async def test_views_of_a_calm_couple(self):
        alex, sam = await self.paired()
        self.assertIn("hopeful", mood_vocabulary())
        yesterday = in_days(-1)
        alex.record_checkin(
            CheckInInput(
                safety=7, trust=6, connection=7, moods=["hopeful"], heard=8,
                free_words=["steadier"], note="a good walk", day=yesterday,
            )
        )
        alex.record_checkin(CheckInInput(safety=8, trust=7, connection=8, heard=7))
        sam.record_checkin(checkin_input(7))
        sam.appreciate("Thank you for listening last night")
        await self.sync(sam)

        mine = {c.day: c for c in alex.checkins() if c.by_me}
        self.assertEqual(mine[yesterday].free_words, ["steadier"])
        self.assertEqual(mine[yesterday].heard, 8)
        self.assertEqual(alex.appreciations()[0].to_me, True)

        timeline = alex.timeline(TimelineFilter())
        stamps = [e.at_ms for e in timeline]
        self.assertEqual(stamps, sorted(stamps, reverse=True), "newest first")
        self.assertEqual(timeline[0].kind, EntryKind.APPRECIATION)
        self.assertFalse(timeline[0].by_me)
        only_mine = alex.timeline(TimelineFilter(author=alex.member_id(), kinds=[RecordKind.CHECK_IN], limit=1))
        self.assertEqual(len(only_mine), 1)
        self.assertTrue(only_mine[0].by_me)

        # Page by page, two at a time, the pages put together are the timeline.
        paged, cursor = [], None
        while True:
            page = alex.timeline_page(TimelineFilter(limit=2, cursor=cursor))
            self.assertLessEqual(len(page.entries), 2)
            paged += page.entries
            cursor = page.next_cursor
            if cursor is None:
                break
        self.assertEqual([e.entry_id for e in paged], [e.entry_id for e in timeline])
        with self.assertRaises(KintsugiError.InvalidInput):
            alex.timeline_page(TimelineFilter(limit=2, cursor="not a cursor"))

        bands = alex.weekly_bands()
        self.assertEqual({b.is_me for b in bands}, {True, False})
        self.assertTrue(all(b.checkins >= 1 and b.safety.low <= b.safety.high for b in bands))

        self.assertIsNone(alex.counselling_prompt())
        progress = alex.signs_of_progress()
        self.assertIsNotNone(progress.now_period)
        self.assertEqual(len(progress.signs), 6)  # three signs for each partner
        warm = [s for s in progress.signs if s.name == SignName.WARM_MOMENTS and s.is_me]
        self.assertEqual(warm[0].now, 1.0)
        windows = alex.consistency(2)
        self.assertEqual(len(windows), 2)
        self.assertEqual(windows[0].end, in_days(0))
        self.assertEqual(alex.consistency(-1), [])

    async def test_the_first_screen_shows_before_the_companion_opens(self):
        key, data_dir = generate_storage_key(), self.new_data_dir("Alex")
        config = CompanionConfig(
            data_dir=data_dir, display_name="Alex", network=NetworkMode.LOOPBACK, storage_key=key
        )
        first = TimelineFilter(limit=3)
        self.assertIsNone(first_screen(config, first), "nothing saved on a first launch")
        alex = self.open("Alex", data_dir, key)
        sam = self.open("Sam")
        await self.pair(alex, sam)
        for n in range(4):
            alex.record_checkin(CheckInInput(safety=5 + n, trust=5, connection=5, day=in_days(-n)))
        sam.appreciate("Thank you for the walk")
        await self.sync(alex)
        await self.close(alex)

        # As at the next launch: the page at once, the companion after.
        shown = first_screen(config, first)
        self.assertIsNotNone(shown)
        alex = self.open("Alex", data_dir, key)
        page = alex.timeline_page(first)
        self.assertEqual([e.entry_id for e in shown.entries], [e.entry_id for e in page.entries])
        self.assertEqual([e.by_me for e in shown.entries], [e.by_me for e in page.entries])
        self.assertEqual(shown.next_cursor, page.next_cursor)
        # Its cursor goes on in the open companion.
        rest = alex.timeline_page(TimelineFilter(limit=3, cursor=shown.next_cursor))
        self.assertTrue(rest.entries)

        # A sync since the last close: the saved page no longer speaks for
        # the document, and nothing is shown from it.
        sam.appreciate("And for the dinner")
        await self.sync(alex)
        self.assertIsNone(first_screen(config, first))
        # The wrong key is an error, not an empty screen.
        config.storage_key = generate_storage_key()
        with self.assertRaises(KintsugiError):
            first_screen(config, first)

    async def test_sync_carries_content_free_notices(self):
        alex, sam = await self.paired()
        alex.notices_since_last_call()  # start from here
        alex.appreciate("You remembered the anniversary of my father's death")
        alex.record_checkin(checkin_input(3, note="a hard day at the clinic"))

        summary = await self.sync(sam)
        kinds = {n.kind: n.count for n in summary.notices}
        self.assertEqual(kinds, {NoticeKind.APPRECIATION: 1, NoticeKind.CHECKED_IN: 1})
        for n in summary.notices:
            self.assertTrue(n.text.startswith("Your partner"), n.text)
            self.assertNotIn("father", n.text)
            self.assertNotIn("clinic", n.text)
        # Reported once.
        self.assertEqual(sam.notices_since_last_call(), [])
        self.assertEqual((await self.sync(sam)).notices, [])
        # What Sam's sync pushed to Alex is waiting for Alex.
        sam.record_checkin(checkin_input(5))
        await self.sync(sam)
        self.assertEqual([(n.kind, n.count) for n in alex.notices_since_last_call()], [(NoticeKind.CHECKED_IN, 1)])
        self.assertEqual(alex.notices_since_last_call(), [])

    async def test_the_lock_screen_gets_one_neutral_notification_per_interval(self):
        # Paired without roles: a role change is news too, and its
        # notification would open the interval before the triggers arrive.
        alex = self.open("Alex")
        sam = self.open("Sam")
        await self.pair(alex, sam)
        await self.sync(sam)
        self.assertIsNone(sam.take_os_notification().notification, "nothing yet")
        for i in range(10):
            alex.log_trigger(f"the song, again ({i})", 7)
        summary = await self.sync(sam)
        # The in-app list has every one, by kind.
        self.assertEqual([(n.kind, n.count) for n in summary.notices], [(NoticeKind.TRIGGER, 10)])
        check = sam.take_os_notification()
        self.assertIsNotNone(check.notification)
        self.assertEqual(check.notification.body, "Something new in Kintsugi")
        self.assertEqual(check.notification.coalesced, 10)
        for word in ("trigger", "hard moment", "partner", "song", "Alex"):
            self.assertNotIn(word.lower(), check.notification.body.lower())
        # Within the interval: nothing more, and a time to ask again.
        alex.log_trigger("one more", 5)
        summary = await self.sync(sam)
        self.assertEqual([(n.kind, n.count) for n in summary.notices], [(NoticeKind.TRIGGER, 1)])
        again = sam.take_os_notification()
        self.assertIsNone(again.notification)
        self.assertIsNotNone(again.next_check_at_ms)
        # The interval is Sam's own setting.
        sam.set_notice_interval_minutes(60)
        self.assertEqual(sam.notice_interval_minutes(), 60)
        self.assertEqual(alex.notice_interval_minutes(), 15)
        with self.assertRaises(KintsugiError.InvalidInput):
            sam.set_notice_interval_minutes(0)

    async def test_every_other_family_round_trips(self):
        alex, sam = await self.paired()
        disclosure = sam.disclose("She messaged me today")
        sam.update_disclosure_action(disclosure, "I did not answer and blocked the number")
        trigger = alex.log_trigger("The song from that summer", 6)
        plan = alex.plan_together(TogetherKind.RECREATE_MEMORY, "Dinner where we met", in_days(5))
        commitment = sam.make_commitment(CommitmentKind.NO_CONTACT, "No contact with her")
        sam.log_commitment(commitment, True, note="nothing today")
        sam.end_commitment(commitment)
        with self.assertRaises(KintsugiError.NotAllowed):
            sam.log_commitment(commitment, True)
        self.assertEqual(len(survey_items()), 6)
        alex.answer_survey([2, 2, 2, 2, 2, 2])
        alex.answer_survey([3, 3, 3, 3, 3, 3])
        with self.assertRaises(KintsugiError.InvalidInput):
            alex.answer_survey([5, 3, 3, 3, 3, 3])
        await self.sync(sam)

        with self.assertRaises(KintsugiError.NotAllowed):
            alex.respond_to_trigger(trigger, "I am here")
        sam.respond_to_trigger(trigger, "I am sorry. Do you want to walk?")
        sam.record_together_outcome(plan, True, felt=8)
        await self.sync(sam)

        d = alex.disclosures()[0]
        self.assertEqual((d.what, d.action_taken, d.by_me), ("She messaged me today", "I did not answer and blocked the number", False))
        # Setting the action for the first time overwrote nothing: no history entry.
        self.assertEqual(d.revisions, [])
        t = alex.triggers()[0]
        self.assertEqual((t.intensity, [r.text for r in t.repairs]), (6, ["I am sorry. Do you want to walk?"]))
        together = alex.time_together()[0]
        self.assertEqual((together.kind, together.happened, together.by_me), (TogetherKind.RECREATE_MEMORY, True, True))
        self.assertEqual([(o.by_me, o.felt) for o in together.outcomes], [(False, 8)])
        c = alex.commitments()[0]
        self.assertEqual((c.kind, c.by_me, [l.kept for l in c.log]), (CommitmentKind.NO_CONTACT, False, [True]))
        self.assertIsNotNone(c.ended_at_ms)
        survey = sam.surveys()[0]
        self.assertEqual((survey.answers, survey.score, survey.by_me), ([3] * 6, 75, False))
        self.assertEqual([r.answers for r in survey.earlier_answers], [[2] * 6])

    async def test_the_same_key_reopens_the_data(self):
        data_dir, key = self.new_data_dir("Alex"), generate_storage_key()
        self.assertTrue(key.startswith("AGE-SECRET-KEY-1"), "an age identity")
        self.assertNotEqual(key, generate_storage_key())
        alex = self.open("Alex", data_dir, key)
        member = alex.member_id()
        alex.write_journal("the night it came out")
        await self.close(alex)
        del alex

        again = self.open("Alex", data_dir, key)
        self.assertEqual(again.member_id(), member)
        self.assertEqual([e.text for e in again.journal()], ["the night it came out"])

    async def test_another_key_is_wrong_key_and_the_data_stays(self):
        data_dir, key = self.new_data_dir("Alex"), generate_storage_key()
        alex = self.open("Alex", data_dir, key)
        alex.write_journal("still here")
        await self.close(alex)
        del alex

        with self.assertRaises(KintsugiError.WrongKey) as caught:
            self.open("Alex", data_dir, generate_storage_key())
        self.assertNotIn("AGE-SECRET-KEY", str(caught.exception))
        with self.assertRaises(KintsugiError.InvalidInput):
            self.open("Alex", data_dir, "not a key")
        again = self.open("Alex", data_dir, key)
        self.assertEqual([e.text for e in again.journal()], ["still here"])

    async def test_no_file_holds_the_journal_in_the_clear(self):
        data_dir = self.new_data_dir("Alex")
        alex = self.open("Alex", data_dir)
        alex.write_journal("a sentence nobody else may read")
        for root, _, files in os.walk(data_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    self.assertNotIn(b"nobody else", f.read(), name)

    async def test_export_automerge_and_import_it_back(self):
        alex, sam = await self.paired()
        alex.record_checkin(checkin_input(6))
        document = alex.export_automerge()
        self.assertIsInstance(document, bytes)
        self.assertEqual(document[:4], AUTOMERGE_MAGIC)
        # Its own export brings nothing new.
        self.assertEqual(alex.import_automerge(document), 0)
        # The partner's export brings what Sam wrote while apart (his phone
        # offline, so live sync cannot carry it first).
        await bounded(sam.shutdown())
        sam.record_checkin(checkin_input(4, note="written on the train"))
        new = alex.import_automerge(sam.export_automerge())
        self.assertGreater(new, 0)
        self.assertIn("written on the train", [c.note for c in alex.checkins()])
        with self.assertRaises(KintsugiError.InvalidInput):
            alex.import_automerge(b"not an automerge document")
        # Another couple's space is refused.
        kim = self.open("Kim")
        await bounded(kim.create_invite())
        with self.assertRaises(KintsugiError.InvalidInput):
            alex.import_automerge(kim.export_automerge())

    async def test_export_needs_a_shared_space(self):
        alex = self.open("Alex")
        with self.assertRaises(KintsugiError.NotPaired):
            alex.export_automerge()

    async def test_export_json_holds_the_checkin_note(self):
        alex, sam = await self.paired()
        alex.record_checkin(checkin_input(5, note="we talked until two"))
        alex.write_journal("only for me")
        exported = alex.export_json(False)
        document = json.loads(exported)
        self.assertEqual(document["format"], "kintsugi-export")
        self.assertIn("we talked until two", exported)
        self.assertNotIn("only for me", exported)
        self.assertIn("only for me", alex.export_json(True))

    async def test_a_private_lock_written_in_python_guards_the_journal(self):
        alex = self.open("Alex")
        entry = alex.write_journal("not ready to forgive")

        class Lock(PrivateSpaceLock):
            def __init__(self):
                self.open = False
                self.asked = 0

            def unlock(self):
                self.asked += 1
                return self.open

        class Throwing(PrivateSpaceLock):
            def unlock(self):
                raise RuntimeError("no biometrics enrolled")

        lock = Lock()
        alex.set_private_lock(lock)
        for call in (
            alex.journal,
            alex.private_notes,
            lambda: alex.export_json(True),
            alex.storage_info_with_private,
            lambda: alex.delete_journal(entry),
            lambda: alex.set_private_lock(None),
        ):
            with self.assertRaises(KintsugiError.PrivateLocked):
                call()
        self.assertEqual(lock.asked, 6)
        # Writing shows nothing, so it does not ask.
        alex.write_journal("written while locked")
        self.assertIsNone(alex.storage_info().private)
        self.assertEqual(lock.asked, 6)

        lock.open = True
        alex.edit_journal(entry[:8], "still not ready")
        self.assertEqual(sorted(e.text for e in alex.journal()), ["still not ready", "written while locked"])
        alex.set_private_lock(Throwing())
        with self.assertRaises(KintsugiError.PrivateLocked):
            alex.journal()
        self.assertEqual(alex.member_id(), alex.member_id(), "the companion still works")

    async def test_storage_info_and_compact(self):
        alex, _ = await self.paired()
        for day in range(1, 8):
            alex.record_checkin(CheckInInput(safety=day, trust=day, connection=day, day=in_days(-day)))
        alex.write_journal("mine")
        # Without asking, the private space is not counted.
        info = alex.storage_info()
        self.assertGreater(info.shared.total_bytes, 0)
        self.assertIsNone(info.private)
        self.assertEqual(info.total_bytes, info.shared.total_bytes)
        full = alex.storage_info_with_private()
        self.assertGreater(full.private.total_bytes, 0)
        for doc in (full.shared, full.private):
            self.assertEqual(doc.total_bytes, doc.snapshot_bytes + doc.chunk_bytes)
            self.assertGreaterEqual(doc.snapshots + doc.chunks, 1)
        self.assertEqual(full.total_bytes, full.shared.total_bytes + full.private.total_bytes)

        compacted = alex.compact()
        self.assertIsNone(compacted.private)
        for doc in (compacted.shared, alex.storage_info_with_private().private):
            self.assertEqual((doc.snapshots, doc.chunks), (1, 0))
            self.assertGreater(doc.snapshot_bytes, 0)
        self.assertEqual(alex.storage_info(), compacted)
        self.assertEqual(len([c for c in alex.checkins() if c.by_me]), 7)
        self.assertEqual(alex.damaged_files(), [])

    async def test_wipe_removes_the_data_and_later_calls_fail(self):
        data_dir, key = self.new_data_dir("Alex"), generate_storage_key()
        alex = self.open("Alex", data_dir, key)
        sam = self.open("Sam")
        await self.pair(alex, sam)
        # Sam's phone goes offline, so only Alex holds what she writes next.
        await bounded(sam.shutdown())
        alex.record_checkin(checkin_input(7))
        alex.write_journal("gone soon")

        summary = await bounded(alex.wipe())
        self.assertGreater(summary.removed_files, 0)
        self.assertEqual(summary.left, [])
        self.assertFalse(os.path.exists(data_dir))

        for call in (alex.checkins, alex.journal, alex.member_id, alex.storage_info, alex.export_automerge):
            with self.assertRaises(KintsugiError.NotAllowed) as caught:
                call()
            self.assertIn("wiped", str(caught.exception))
        with self.assertRaises(KintsugiError.NotAllowed):
            alex.record_checkin(checkin_input(7))
        with self.assertRaises(KintsugiError.NotAllowed):
            await bounded(alex.sync_now())
        self.assertFalse(os.path.exists(data_dir), "a call after the wipe recreated files")
        # Wiping again does nothing more; the partner keeps the shared space.
        self.assertEqual((await bounded(alex.wipe())).removed_files, 0)
        self.assertEqual(len(sam.checkins()), 0)  # Sam was offline, so only Alex had it
        self.assertEqual(len(sam.members()), 2)

        fresh = self.open("Alex", data_dir, key)
        self.assertEqual(fresh.journal(), [])
        with self.assertRaises(KintsugiError.NotPaired):
            fresh.checkins()

    async def test_wipe_data_dir_when_the_key_is_lost(self):
        data_dir = self.new_data_dir("Alex")
        alex = self.open("Alex", data_dir)
        alex.write_journal("the key is lost")
        await self.close(alex)
        del alex

        summary = wipe_data_dir(data_dir)
        self.assertGreater(summary.removed_files, 0)
        self.assertFalse(os.path.exists(data_dir))
        self.assertEqual(wipe_data_dir(data_dir).removed_files, 0)
        fresh = self.open("Alex", data_dir, generate_storage_key())
        self.assertEqual(fresh.journal(), [])

    async def apart(self):
        """Alex and Sam paired over loopback, then with networking off on both
        phones: from here only bundles carry anything between them."""
        alex, sam = await self.paired()
        await bounded(alex.shutdown())
        await bounded(sam.shutdown())
        return alex, sam

    async def test_bundles_carry_checkins_both_ways_with_networking_off(self):
        alex, sam = await self.apart()
        alex.record_checkin(checkin_input(4, note="written on the plane"))
        sam.record_checkin(checkin_input(6, note="night shift again"))

        steps = Steps()
        bundle = await bounded(alex.create_bundle(False, steps))
        self.assertIsInstance(bundle.bytes, bytes)
        self.assertEqual(bundle.seq, 1)
        self.assertGreaterEqual(bundle.changes, 1)
        opened = await bounded(sam.open_bundle(bundle.bytes, steps))
        self.assertGreaterEqual(opened.new_changes, 1)
        self.assertFalse(opened.already_opened)
        self.assertEqual(opened.partner_name, "Alex")
        self.assertEqual([n.kind for n in opened.notices], [NoticeKind.CHECKED_IN])
        self.assertTrue({ProgressStep.SEALING, ProgressStep.OPENING, ProgressStep.APPLYING} <= steps.steps(), steps.seen)
        steps.assert_monotonic(self)

        back = await bounded(sam.create_bundle())
        await bounded(alex.open_bundle(back.bytes))
        both = ["night shift again", "written on the plane"]
        self.assertEqual(notes(alex), both)
        self.assertEqual(notes(sam), both)
        again = await bounded(sam.open_bundle(bundle.bytes))
        self.assertTrue(again.already_opened)
        self.assertEqual(again.new_changes, 0)
        self.assertEqual((await bounded(alex.create_bundle())).changes, 0)

    async def test_a_cancelled_bundle_call_leaves_the_companion_usable(self):
        alex, sam = await self.apart()
        alex.record_checkin(checkin_input(4, note="sent twice"))
        for call in (lambda: alex.create_bundle(), lambda: alex.create_bundle(True)):
            pending = asyncio.ensure_future(call())
            await asyncio.sleep(0)
            pending.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await pending
        bundle = await bounded(alex.create_bundle())
        pending = asyncio.ensure_future(sam.open_bundle(bundle.bytes))
        await asyncio.sleep(0)
        pending.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await pending
        # Merged entirely or not at all: opening it again settles it either way.
        await bounded(sam.open_bundle(bundle.bytes))
        self.assertEqual(notes(sam), ["sent twice"])

    async def test_a_strangers_or_tampered_bundle_is_invalid_input_and_changes_nothing(self):
        alex, sam = await self.apart()
        kim, lee = self.open("Kim"), self.open("Lee")
        await self.pair(kim, lee)
        await self.sync(lee)
        kim.record_checkin(checkin_input(3, note="not yours"))
        strangers = await bounded(kim.create_bundle())
        alex.record_checkin(checkin_input(5, note="a quiet day"))
        bundle = await bounded(alex.create_bundle())
        tampered = bytearray(bundle.bytes)
        tampered[len(tampered) // 2] ^= 1
        before = sam.export_automerge()
        for what, data in (("a stranger's", strangers.bytes), ("a tampered", bytes(tampered)), ("no", b"hello")):
            with self.assertRaises(KintsugiError.InvalidInput, msg=f"{what} bundle"):
                await bounded(sam.open_bundle(data))
            self.assertEqual(sam.export_automerge(), before, f"{what} bundle changed Sam's space")
        self.assertEqual(notes(sam), [])
        # The real one still opens afterwards.
        await bounded(sam.open_bundle(bundle.bytes))
        self.assertEqual(notes(sam), ["a quiet day"])

    async def test_a_shared_folder_converges_and_empties(self):
        alex, sam = await self.apart()
        alex.record_checkin(checkin_input(7, note="from Alex"))
        sam.record_checkin(checkin_input(5, note="from Sam"))
        folder = tempfile.mkdtemp(prefix="kintsugi-py-folder-")
        self._dirs.append(folder)
        first = await bounded(alex.sync_bundle_dir(folder))
        self.assertIsNone(first.opened)
        self.assertIsNotNone(first.written)
        for _ in range(4):
            await bounded(sam.sync_bundle_dir(folder))
            await bounded(alex.sync_bundle_dir(folder))
            if not os.listdir(folder):
                break
        self.assertEqual(os.listdir(folder), [])
        self.assertEqual(notes(alex), ["from Alex", "from Sam"])
        self.assertEqual(notes(sam), ["from Alex", "from Sam"])

    async def test_backup_restores_with_the_recovery_key_and_not_without(self):
        alex, sam = await self.paired()
        alex.record_checkin(checkin_input(4, note="before the backup"))
        alex.write_journal("only mine")
        steps = Steps(throws=True)  # a listener that throws: the work goes on
        backup = await bounded(alex.create_backup(BackupOptions(include_private=True), steps))
        self.assertTrue(backup.includes_private)
        self.assertIn(ProgressStep.SEALING, steps.steps())
        steps.assert_monotonic(self)
        key = alex.recovery_key()
        self.assertTrue(key.startswith("AGE-SECRET-KEY-1"))
        member = alex.member_id()

        def config(data_dir):
            return CompanionConfig(
                data_dir=data_dir,
                display_name="not used",
                network=NetworkMode.LOOPBACK,
                storage_key=generate_storage_key(),
            )

        data_dir = self.new_data_dir("Restored")
        for wrong, error in ((sam.recovery_key(), KintsugiError.WrongKey), ("my dog's name", KintsugiError.InvalidInput)):
            with self.assertRaises(error):
                await bounded(restore_from_backup(config(data_dir), backup.bytes, wrong, True))
            self.assertFalse(os.path.exists(data_dir), "a refused restore wrote files")

        steps = Steps()
        back = await bounded(restore_from_backup(config(data_dir), backup.bytes, key, True, steps))
        self._companions.append(back)
        self.assertIn(ProgressStep.OPENING, steps.steps())
        steps.assert_monotonic(self)
        self.assertEqual(back.member_id(), member)
        self.assertEqual(back.partner().name, "Sam")
        self.assertEqual([m.name for m in back.members() if m.is_me], ["Alex"])
        self.assertEqual([e.text for e in back.journal()], ["only mine"])
        self.assertEqual(notes(back), ["before the backup"])
        # The restored phone syncs with Sam again.
        back.appreciate("thank you for waiting")
        await self.sync(back)
        self.assertIn("thank you for waiting", notes(sam))
        # A second restore into the same place is refused.
        with self.assertRaises(KintsugiError.NotAllowed):
            await bounded(restore_from_backup(config(data_dir), backup.bytes, key, True))

    async def test_the_partner_absorbs_a_backup_made_for_it(self):
        alex, sam = await self.apart()
        alex.record_checkin(checkin_input(3, note="never synced"))
        with self.assertRaises(KintsugiError.InvalidInput):
            await bounded(alex.create_backup(BackupOptions(include_private=True, partner_can_open=True)))
        backup = await bounded(alex.create_backup(BackupOptions(partner_can_open=True)))
        absorbed = await bounded(sam.absorb_backup(backup.bytes))
        self.assertEqual(absorbed.from_name, "Alex")
        self.assertGreaterEqual(absorbed.new_changes, 1)
        self.assertEqual(notes(sam), ["never synced"])
        with self.assertRaises(KintsugiError.InvalidInput):
            await bounded(sam.absorb_backup((await bounded(alex.create_backup())).bytes))

    async def test_summary_holds_the_chosen_records_and_private_entries_only_when_chosen(self):
        alex, sam = await self.paired()
        alex.record_checkin(checkin_input(3, note="the drive home was hard"))
        sam.appreciate("Thank you for staying")
        await self.sync(sam)
        chosen = alex.write_journal("I keep replaying the phone call")
        alex.write_journal("Not for anyone else")

        def choice(private_entries=()):
            return SummaryChoice(
                first_day=in_days(-7),
                last_day=in_days(0),
                kinds=[RecordKind.CHECK_IN],
                private_entries=list(private_entries),
            )

        rendered = alex.therapist_summary(choice([chosen]))
        summary = rendered.summary
        self.assertEqual(summary.prepared_by.name, "Alex")
        self.assertEqual(summary.partner.name, "Sam")
        self.assertEqual(summary.included, [RecordKind.CHECK_IN])
        self.assertIn(RecordKind.APPRECIATION, summary.left_out)
        self.assertEqual([s.kind for s in summary.sections], [RecordKind.CHECK_IN])
        self.assertEqual([e.record_id for e in summary.private_entries], [chosen])
        for text in (rendered.markdown, rendered.html):
            self.assertIn("the drive home was hard", text)
            self.assertIn("replaying the phone call", text)
            self.assertNotIn("Not for anyone else", text)
            self.assertNotIn("Thank you for staying", text)
        self.assertIn("<svg", rendered.html)
        plain = alex.therapist_summary(choice())
        self.assertEqual(plain.summary.private_entries, [])
        for text in (plain.markdown, plain.html):
            self.assertNotIn("replaying the phone call", text)

        with self.assertRaises(KintsugiError.InvalidInput):
            alex.sealed_therapist_summary(choice(), "not a recipient")
        # Sealed to a therapist: nothing readable in the bytes.
        recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
        sealed = alex.sealed_therapist_summary(choice([chosen]), recipient)
        self.assertTrue(sealed.html_sealed.startswith(b"age-encryption.org/v1"))
        self.assertNotIn(b"the drive home", sealed.html_sealed)
        self.assertNotIn(b"the drive home", sealed.markdown_sealed)
        with self.assertRaises(KintsugiError.NotFound):
            alex.therapist_summary(choice(["no-such-entry"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
