// Drives the UniFFI-generated Kotlin bindings of kintsugi-mobile on the
// desktop JVM (JNA loads libkintsugi_mobile.so from -Djna.library.path).
//
// A plain main() without JUnit: each scenario opens real `Companion` objects
// in temporary directories, the two-device ones pair them over loopback and
// sync. Every await is bounded; the last line printed is `N passed, M failed`
// and the exit status is non-zero if any scenario failed.
//
// Built and run by mobile/scripts/run-binding-tests.sh.

import app.kintsugi.AgreementStatus
import app.kintsugi.BackupOptions
import app.kintsugi.CheckInInput
import app.kintsugi.CommitmentKind
import app.kintsugi.Companion
import app.kintsugi.CompanionEvent
import app.kintsugi.CompanionObserver
import app.kintsugi.CompanionConfig
import app.kintsugi.EntryKind
import app.kintsugi.Invite
import app.kintsugi.KintsugiException
import app.kintsugi.LogLevel
import app.kintsugi.LogSink
import app.kintsugi.NetworkMode
import app.kintsugi.NoticeKind
import app.kintsugi.PartnerInfo
import app.kintsugi.Phase
import app.kintsugi.PrivateSpaceLock
import app.kintsugi.ProgressListener
import app.kintsugi.ProgressStep
import app.kintsugi.QuestionResponse
import app.kintsugi.QuestionStatus
import app.kintsugi.RecordKind
import app.kintsugi.Role
import app.kintsugi.SummaryChoice
import app.kintsugi.SyncStateKind
import app.kintsugi.SyncStatusInfo
import app.kintsugi.SyncSummary
import app.kintsugi.TimelineFilter
import app.kintsugi.TogetherKind
import app.kintsugi.androidContextInstalled
import app.kintsugi.generateStorageKey
import app.kintsugi.initLogging
import app.kintsugi.moodVocabulary
import app.kintsugi.restoreFromBackup
import app.kintsugi.wipeDataDir
import java.io.File
import java.nio.file.Files
import java.time.LocalDate
import kotlin.system.exitProcess
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull

/** Upper bound for any single await. */
const val STEP_TIMEOUT_MS = 30_000L

/** Upper bound for a whole scenario. */
const val TEST_TIMEOUT_MS = 120_000L

/** Every saved Automerge document starts with these bytes. */
val AUTOMERGE_MAGIC = byteArrayOf(0x85.toByte(), 0x6f, 0x4a, 0x83.toByte())

suspend fun <T> bounded(block: suspend () -> T): T = withTimeout(STEP_TIMEOUT_MS) { block() }

fun check(condition: Boolean, what: () -> String) {
    if (!condition) throw AssertionError(what())
}

fun <T> assertEquals(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected <$expected>, got <$actual>")
}

/** Runs [block] and returns the exception of type [T] it throws; fails if it throws nothing or something else. */
suspend inline fun <reified T : Throwable> assertThrows(what: String, block: suspend () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("$what: expected ${T::class.qualifiedName}, got $e", e)
    }
    throw AssertionError("$what: expected ${T::class.qualifiedName}, nothing was thrown")
}

fun checkin(score: Int, note: String? = null) =
    CheckInInput(safety = score, trust = score, connection = score, moods = listOf("calm"), note = note)

/** The local day [n] days from today, as YYYY-MM-DD. */
fun inDays(n: Long): String = LocalDate.now().plusDays(n).toString()

suspend fun sync(companion: Companion): SyncSummary = bounded { companion.syncNow() }

/** Alex (who was hurt) and Sam (who broke the trust), paired and synced. */
suspend fun paired(devices: Devices): Pair<Companion, Companion> {
    val alex = devices.open("Alex")
    val sam = devices.open("Sam")
    pair(alex, sam)
    alex.setRole(Role.HURT)
    sam.setRole(Role.BROKE_TRUST)
    sync(sam)
    return alex to sam
}

/** The companions and data directories of one scenario, shut down and removed at the end. */
class Devices : AutoCloseable {
    private val companions = mutableListOf<Companion>()
    private val dirs = mutableListOf<File>()

    /** A data directory inside a fresh temporary one (so that a wipe can remove it). */
    fun newDataDir(name: String): File {
        val parent = Files.createTempDirectory("kintsugi-kt-${name.lowercase()}-").toFile()
        dirs += parent
        return File(parent, "data")
    }

    /** A companion on [dir] unlocked with [key] (new ones by default), as an app opens it on launch. */
    fun open(name: String, dir: File = newDataDir(name), key: String = generateStorageKey()): Companion {
        val companion = Companion(CompanionConfig(dir.path, name, NetworkMode.LOOPBACK, key))
        companions += companion
        return companion
    }

    /** Takes [companion] (one restored from a backup) into the scenario's clean-up. */
    fun adopt(companion: Companion): Companion {
        companions += companion
        return companion
    }

    /** Shuts [companion] down and frees it, as an app does when it stops. */
    fun close(companion: Companion) {
        runBlocking { bounded { companion.shutdown() } }
        companion.close()
        companions -= companion
    }

    override fun close() {
        for (companion in companions) {
            try {
                runBlocking { bounded { companion.shutdown() } }
            } catch (e: Throwable) {
                System.err.println("shutdown failed: $e")
            }
            companion.close()
        }
        dirs.forEach { it.deleteRecursively() }
    }
}

data class Pairing(val invite: Invite, val inviterSees: PartnerInfo, val joinerSees: PartnerInfo)

/** The inviter shows a code and waits while the joiner joins with it. */
suspend fun pair(inviter: Companion, joiner: Companion): Pairing = kotlinx.coroutines.coroutineScope {
    val invite = bounded { inviter.createInvite() }
    check(invite.payload.startsWith("kintsugi:")) { "payload is not a kintsugi: URI: ${invite.payload}" }
    check(invite.qrSvg.contains("<svg")) { "qrSvg is not an SVG document" }
    val left = invite.expiresAt.toLong() - System.currentTimeMillis() / 1000
    check(left in 1..301) { "the code should work for a few minutes, not $left s" }
    val request = async { bounded { inviter.nextPairingRequest() } }
    val joinersCode = bounded { joiner.join(invite.payload) }
    val invitersCode = request.await()
    assertEquals(joinersCode.code, invitersCode.code, "both screens show one code")
    check(Regex("\\d{3} \\d{3}").matches(joinersCode.code)) { "six digits: ${joinersCode.code}" }
    val inviterSees = async { bounded { inviter.confirmPairing() } }
    val joined = bounded { joiner.confirmPairing() }
    val waited = inviterSees.await()
    // The code said nothing of who is on the other side; once both confirmed, each knows the other.
    assertEquals(joiner.memberId(), waited.memberId, "the inviter learnt the joiner's member id")
    assertEquals(inviter.memberId(), joined.memberId, "the joiner learnt the inviter's member id")
    check(joined.role != null) { "the inviter had a space, hence a role" }
    check(waited.role == null) { "the joiner had no role yet" }
    check(waited.ageRecipient?.startsWith("age1") == true) { "the joiner's age recipient came in the channel" }
    check(joined.signingKey != null) { "the inviter's signing key came in the channel" }
    Pairing(invite, waited, joined)
}

suspend fun pairCheckInAgreeAndSync(devices: Devices) {
    val alex = devices.open("Alex")
    val sam = devices.open("Sam")
    check(alex.partner() == null) { "a fresh device has no partner" }

    val pairing = pair(alex, sam)
    assertEquals("Sam", pairing.inviterSees.name, "inviter sees the joiner's name")
    assertEquals(sam.memberId(), pairing.inviterSees.memberId, "inviter sees the joiner's member id")
    assertEquals("Alex", pairing.joinerSees.name, "joiner sees the inviter's name")
    assertEquals(alex.memberId(), pairing.joinerSees.memberId, "joiner sees the inviter's member id")
    assertEquals(sam.memberId(), alex.partner()?.memberId, "inviter's stored partner")
    assertEquals(alex.memberId(), sam.partner()?.memberId, "joiner's stored partner")

    alex.recordCheckin(checkin(8, note = "good week"))
    sam.recordCheckin(checkin(6))
    val agreementId = alex.proposeAgreement("Phones away at dinner")

    val first = bounded { sam.syncNow() }
    // Live sync may have carried some of it already; after syncNow Sam holds everything.
    check(sam.checkins().size == 2) { "after the first sync Sam holds both check-ins: $first" }
    check(first.bytesSent > 0u && first.bytesReceived > 0u) { "the first sync moves bytes: $first" }

    val proposed = sam.agreements().single { it.id == agreementId }
    check(!proposed.inForce) { "not in force before Sam accepts" }
    check(!proposed.proposedByMe) { "Sam did not propose it" }

    val accepted = sam.acceptAgreement(agreementId)
    check(accepted.inForce) { "in force once accepted" }
    check(accepted.acceptedAtMs != null) { "acceptance time is set" }
    bounded { sam.syncNow() }

    for ((me, other) in listOf(alex to sam, sam to alex)) {
        val who = me.memberId()
        val checkins = me.checkins()
        assertEquals(2, checkins.size, "$who sees both check-ins")
        assertEquals(setOf(me.memberId(), other.memberId()), checkins.map { it.author }.toSet(), "$who: authors")
        assertEquals(me.memberId(), checkins.single { it.byMe }.author, "$who: byMe")

        val agreement = me.agreements().single()
        assertEquals(agreementId, agreement.id, "$who: agreement id")
        assertEquals("Phones away at dinner", agreement.text, "$who: agreement text")
        assertEquals(alex.memberId(), agreement.proposedBy, "$who: proposer")
        assertEquals(me === alex, agreement.proposedByMe, "$who: proposedByMe")
        check(agreement.inForce) { "$who: the agreement is in force" }
    }

    val alexOwn = alex.checkins().single { it.byMe }
    assertEquals("good week", alexOwn.note, "note")
    assertEquals(listOf("calm"), alexOwn.moods, "moods")
    assertEquals(Triple(8, 8, 8), Triple(alexOwn.safety, alexOwn.trust, alexOwn.connection), "scores")
    assertEquals(alex.checkins().map { it.id }.sorted(), sam.checkins().map { it.id }.sorted(), "same check-in ids")
}

suspend fun scoreOutOfRangeIsInvalidInput(devices: Devices) {
    val alex = devices.open("Alex")
    val sam = devices.open("Sam")
    pair(alex, sam)
    val e = assertThrows<KintsugiException.InvalidInput>("score 11") { alex.recordCheckin(checkin(11)) }
    check(e.message.orEmpty().contains("11")) { "the message names the refused score: ${e.message}" }
    check(alex.checkins().isEmpty()) { "nothing was recorded" }
}

suspend fun malformedCodeIsInvalidInput(devices: Devices) {
    val sam = devices.open("Sam")
    assertThrows<KintsugiException.InvalidInput>("join(\"not a code\")") { bounded { sam.join("not a code") } }
    check(sam.partner() == null) { "no partner after a failed join" }
}

suspend fun unknownAgreementIsNotFound(devices: Devices) {
    val alex = devices.open("Alex")
    val sam = devices.open("Sam")
    pair(alex, sam)
    assertThrows<KintsugiException.NotFound>("accept unknown id") { sam.acceptAgreement("no-such-agreement") }
}

suspend fun checkinBeforePairingIsNotPaired(devices: Devices) {
    val alex = devices.open("Alex")
    assertThrows<KintsugiException.NotPaired>("check-in before pairing") { alex.recordCheckin(checkin(5)) }
}

suspend fun usedCodeIsRefused(devices: Devices) {
    val alex = devices.open("Alex")
    val sam = devices.open("Sam")
    val pairing = pair(alex, sam)
    val kim = devices.open("Kim")
    assertThrows<KintsugiException.PairingRefused>("join with a used code") {
        bounded { kim.join(pairing.invite.payload) }
    }
    check(kim.partner() == null) { "the refused device has no partner" }
    assertEquals(sam.memberId(), alex.partner()?.memberId, "the inviter keeps its partner")
}

suspend fun onlyTheHurtPartnerMovesThePhaseForward(devices: Devices) {
    val (alex, sam) = paired(devices)
    assertEquals(Role.BROKE_TRUST, sam.role(), "Sam's role")
    assertEquals(Role.HURT, sam.members().single { !it.isMe }.role, "Sam sees Alex's role")
    assertThrows<KintsugiException.NotAllowed>("Sam moves the phase forward") { sam.setPhase(Phase.ATTUNE) }
    assertEquals(Phase.ATONE, sam.phase(), "phase after the refusal")

    alex.setPhase(Phase.ATTUNE, note = "we are talking again")
    sync(sam)
    assertEquals(Phase.ATTUNE, sam.phase(), "Sam sees the phase Alex set")
    val change = sam.phaseChanges().single()
    assertEquals(Phase.ATONE to Phase.ATTUNE, change.fromPhase to change.toPhase, "the change")
    check(!change.byMe) { "Alex made the change" }
    sam.setPhase(Phase.ATONE) // either partner may move it back
}

suspend fun requestDoneAndAcknowledged(devices: Devices) {
    val (alex, sam) = paired(devices)
    val requestId = alex.makeRequest("Text me when you leave work")
    sync(sam)
    assertThrows<KintsugiException.NotAllowed>("the asker logs it done") { alex.logRequestDone(requestId) }
    val doneId = sam.logRequestDone(requestId, note = "left at six")
    sync(sam)

    val seen = alex.requests().single()
    check(seen.byMe) { "Alex asked" }
    assertEquals(listOf(doneId), seen.done.map { it.id }, "Alex sees the done entry")
    check(seen.done.single().acknowledgement == null) { "not acknowledged yet" }

    alex.acknowledgeDone(requestId, doneId, landed = true)
    sync(alex)
    val ack = sam.requests().single().done.single().acknowledgement
    check(ack != null && ack.landed) { "Sam sees it landed: $ack" }
}

suspend fun questionScheduledThenAnswered(devices: Devices) {
    val (alex, sam) = paired(devices)
    val questionId = alex.askQuestion("Where did you go that weekend?", topic = "weekend")
    sync(sam)
    val window = inDays(3)
    assertThrows<KintsugiException.NotAllowed>("the asker schedules") {
        alex.respondToQuestion(questionId, QuestionResponse.Schedule(window))
    }
    sam.respondToQuestion(questionId, QuestionResponse.Schedule(day = window))
    sync(sam)
    val scheduled = alex.questions().single()
    assertEquals(QuestionStatus.SCHEDULED, scheduled.status, "status")
    assertEquals(window, scheduled.scheduledFor, "window")

    sam.respondToQuestion(questionId, QuestionResponse.Answer(text = "To my brother's."))
    sync(sam)
    val answered = alex.questions().single()
    assertEquals(QuestionStatus.ANSWERED, answered.status, "status")
    val answer = when (val r = answered.responses.last().response) {
        is QuestionResponse.Answer -> r.text
        else -> throw AssertionError("the last response is not an answer: $r")
    }
    assertEquals("To my brother's.", answer, "answer text")
}

suspend fun offerWithdrawnByItsOwnerOnly(devices: Devices) {
    val (alex, sam) = paired(devices)
    val offerId = sam.offerTransparency("My phone is open to you this month", 30)
    sync(sam)
    val offer = alex.offers().single()
    check(offer.active && !offer.byMe) { "Alex sees Sam's active offer: $offer" }
    assertThrows<KintsugiException.NotAllowed>("Alex withdraws Sam's offer") { alex.withdrawOffer(offerId) }
    sam.withdrawOffer(offerId)
    sync(sam)
    for (me in listOf(alex, sam)) {
        val after = me.offers().single()
        check(!after.active && after.withdrawnAtMs != null) { "withdrawn everywhere: $after" }
    }
}

suspend fun revisedAgreementKeepsBothVersions(devices: Devices) {
    val (alex, sam) = paired(devices)
    val id = alex.proposeAgreement("No contact with her", reviewOn = inDays(30))
    sync(sam)
    sam.acceptAgreement(id)
    sam.reviseAgreement(id, "No contact with her, and I tell you if she writes")
    sync(sam)
    val pending = alex.agreements().single()
    assertEquals(AgreementStatus.REVISION_PENDING, pending.status, "status before Alex accepts")
    assertEquals("No contact with her", pending.text, "the version in force")
    assertEquals(listOf(1, 2), pending.versions.map { it.number }, "version numbers")
    assertEquals(listOf(true, false), pending.versions.map { it.acceptedByMe }, "accepted by Alex")
    val accepted = alex.acceptAgreement(id)
    assertEquals(AgreementStatus.IN_FORCE, accepted.status, "status after Alex accepts")
    assertEquals("No contact with her, and I tell you if she writes", accepted.text, "new wording in force")
}

suspend fun privateJournalStaysOnTheDevice(devices: Devices) {
    val (alex, sam) = paired(devices)
    alex.writeJournal("I do not want to say this out loud yet")
    alex.addPrivateNote("For me", "Things I noticed today")
    alex.recordCheckin(checkin(6))
    sync(sam)
    sync(alex)
    check(sam.journal().isEmpty() && sam.privateNotes().isEmpty()) { "nothing private reached Sam" }
    assertEquals(1, sam.checkins().size, "the shared check-in reached Sam")
    assertEquals(listOf("I do not want to say this out loud yet"), alex.journal().map { it.text }, "Alex's journal")
    check(sam.timeline(TimelineFilter()).none { it.summary.contains("out loud") }) { "not in Sam's timeline" }
}

/** The app's lock, here a flag; a real one shows a biometric prompt. */
class FlagLock(@Volatile var open: Boolean = false) : PrivateSpaceLock {
    @Volatile var asked = 0
    override fun unlock(): Boolean {
        asked++
        return open
    }
}

suspend fun aPrivateLockGuardsTheJournalAndAThrowingOneCountsAsShut(devices: Devices) {
    val alex = devices.open("Alex")
    val entry = alex.writeJournal("not ready to forgive")
    val lock = FlagLock()
    alex.setPrivateLock(lock)
    assertThrows<KintsugiException.PrivateLocked>("journal while locked") { alex.journal() }
    assertThrows<KintsugiException.PrivateLocked>("notes while locked") { alex.privateNotes() }
    assertThrows<KintsugiException.PrivateLocked>("export with the private space") { alex.exportJson(true) }
    assertThrows<KintsugiException.PrivateLocked>("its size") { alex.storageInfoWithPrivate() }
    assertThrows<KintsugiException.PrivateLocked>("delete while locked") { alex.deleteJournal(entry) }
    assertThrows<KintsugiException.PrivateLocked>("remove the lock") { alex.setPrivateLock(null) }
    assertEquals(6, lock.asked, "asked once per call")
    alex.writeJournal("written while locked")
    check(alex.storageInfo().private == null) { "no private size without asking" }
    lock.open = true
    alex.editJournal(entry.take(8), "still not ready")
    assertEquals(listOf("still not ready", "written while locked"), alex.journal().map { it.text }.sorted(), "the journal once open")
    alex.setPrivateLock(object : PrivateSpaceLock {
        override fun unlock(): Boolean = throw IllegalStateException("no biometrics enrolled")
    })
    assertThrows<KintsugiException.PrivateLocked>("a lock that throws") { alex.journal() }
}

suspend fun viewsOfACalmCouple(devices: Devices) {
    val (alex, sam) = paired(devices)
    check("hopeful" in moodVocabulary()) { "the vocabulary offers hopeful" }
    alex.recordCheckin(
        CheckInInput(safety = 7, trust = 6, connection = 7, moods = listOf("hopeful"), heard = 8, day = inDays(-1)),
    )
    alex.recordCheckin(CheckInInput(safety = 8, trust = 7, connection = 8))
    sam.recordCheckin(checkin(7))
    sam.appreciate("Thank you for listening last night")
    sync(sam)

    val timeline = alex.timeline(TimelineFilter())
    check(timeline.zipWithNext().all { (a, b) -> a.atMs >= b.atMs }) { "timeline newest first: $timeline" }
    assertEquals(EntryKind.APPRECIATION, timeline.first().kind, "newest entry")
    val checkIns = alex.timeline(TimelineFilter(kinds = listOf(RecordKind.CHECK_IN)))
    assertEquals(3, checkIns.size, "check-in entries")

    val bands = alex.weeklyBands()
    assertEquals(setOf(true, false), bands.map { it.isMe }.toSet(), "bands for both partners")
    check(bands.all { it.checkins >= 1 }) { "every band holds a check-in" }
    check(alex.counsellingPrompt() == null) { "no counselling prompt for a calm couple" }
    assertEquals(6, alex.signsOfProgress().signs.size, "three signs per partner")
    assertEquals(2, alex.consistency(2).size, "two consistency windows")
}

suspend fun syncCarriesContentFreeNotices(devices: Devices) {
    val (alex, sam) = paired(devices)
    alex.appreciate("You remembered the anniversary of my father's death")
    val summary = sync(sam)
    val notice = summary.notices.single()
    assertEquals(NoticeKind.APPRECIATION, notice.kind, "notice kind")
    assertEquals(1, notice.count, "notice count")
    check(!notice.text.contains("father")) { "the notice carries no content: ${notice.text}" }
    check(sam.noticesSinceLastCall().isEmpty()) { "each notice is reported once" }
}

suspend fun sameKeyReopensTheData(devices: Devices) {
    val dir = devices.newDataDir("Alex")
    val key = generateStorageKey()
    check(key.startsWith("AGE-SECRET-KEY-1")) { "the storage key is an age identity" }
    check(key != generateStorageKey()) { "each storage key is new" }
    val alex = devices.open("Alex", dir, key)
    val memberId = alex.memberId()
    alex.writeJournal("the night it came out")
    devices.close(alex)

    val again = devices.open("Alex", dir, key)
    assertEquals(memberId, again.memberId(), "member id after reopening")
    assertEquals(listOf("the night it came out"), again.journal().map { it.text }, "journal after reopening")
}

suspend fun anotherKeyIsWrongKeyAndTheDataStays(devices: Devices) {
    val dir = devices.newDataDir("Alex")
    val key = generateStorageKey()
    val alex = devices.open("Alex", dir, key)
    alex.writeJournal("still here")
    devices.close(alex)

    val e = assertThrows<KintsugiException.WrongKey>("open with another key") {
        devices.open("Alex", dir, generateStorageKey())
    }
    check(!e.message.orEmpty().contains("AGE-SECRET-KEY")) { "the message shows no key: ${e.message}" }
    assertThrows<KintsugiException.InvalidInput>("open with a malformed key") { devices.open("Alex", dir, "not a key") }
    val again = devices.open("Alex", dir, key)
    assertEquals(listOf("still here"), again.journal().map { it.text }, "journal with the right key")
}

suspend fun exportAutomergeAndImportItBack(devices: Devices) {
    val (alex, sam) = paired(devices)
    alex.recordCheckin(checkin(6))
    val document = alex.exportAutomerge()
    check(document.size > 4 && document.copyOfRange(0, 4).contentEquals(AUTOMERGE_MAGIC)) {
        "the export starts with Automerge's magic bytes: ${document.take(4)}"
    }
    assertEquals(0uL, alex.importAutomerge(document), "new changes from its own export")
    // Sam's phone is offline, so live sync cannot carry it before the import does.
    bounded { sam.shutdown() }
    sam.recordCheckin(checkin(4, note = "written on the train"))
    check(alex.importAutomerge(sam.exportAutomerge()) > 0uL) { "the partner's export brings changes" }
    check(alex.checkins().any { it.note == "written on the train" }) { "Alex sees Sam's check-in" }
    assertThrows<KintsugiException.InvalidInput>("import of bytes that are no document") {
        alex.importAutomerge("not an automerge document".toByteArray())
    }
}

suspend fun exportJsonHoldsTheCheckinNote(devices: Devices) {
    val (alex, _) = paired(devices)
    alex.recordCheckin(checkin(5, note = "we talked until two"))
    alex.writeJournal("only for me")
    val shared = alex.exportJson(false)
    check(shared.contains("\"kintsugi-export\"")) { "the export names its format" }
    check(shared.contains("we talked until two")) { "the export holds the note" }
    check(!shared.contains("only for me")) { "the journal stays out without includePrivate" }
    check(alex.exportJson(true).contains("only for me")) { "the journal is in with includePrivate" }
}

suspend fun storageInfoAndCompact(devices: Devices) {
    val (alex, _) = paired(devices)
    for (day in 1L..7L) {
        alex.recordCheckin(CheckInInput(safety = 5, trust = 5, connection = 5, day = inDays(-day)))
    }
    alex.writeJournal("mine")
    // Without asking, the private space is not counted.
    val info = alex.storageInfo()
    check(info.shared.totalBytes > 0uL && info.private == null) { "the shared space only: $info" }
    assertEquals(info.shared.totalBytes, info.totalBytes, "total without the private space")
    val full = alex.storageInfoWithPrivate()
    val private = checkNotNull(full.private) { "asked for: $full" }
    check(private.totalBytes > 0uL) { "the journal takes room: $full" }
    for (doc in listOf(full.shared, private)) {
        assertEquals(doc.snapshotBytes + doc.chunkBytes, doc.totalBytes, "total of $doc")
    }
    assertEquals(full.shared.totalBytes + private.totalBytes, full.totalBytes, "total")

    val compacted = alex.compact()
    check(compacted.private == null) { "compact reports the shared space only: $compacted" }
    for (doc in listOf(compacted.shared, checkNotNull(alex.storageInfoWithPrivate().private))) {
        assertEquals(1 to 0, doc.snapshots to doc.chunks, "snapshots and chunks after compact")
        check(doc.snapshotBytes > 0uL) { "a snapshot has bytes: $doc" }
    }
    assertEquals(compacted, alex.storageInfo(), "storage info after compact")
    assertEquals(7, alex.checkins().count { it.byMe }, "check-ins after compact")
    check(alex.damagedFiles().isEmpty()) { "nothing damaged" }
}

suspend fun wipeRemovesTheDataAndLaterCallsFail(devices: Devices) {
    val dir = devices.newDataDir("Alex")
    val key = generateStorageKey()
    val alex = devices.open("Alex", dir, key)
    val sam = devices.open("Sam")
    pair(alex, sam)
    alex.recordCheckin(checkin(7))
    alex.writeJournal("gone soon")

    val summary = bounded { alex.wipe() }
    check(summary.removedFiles > 0) { "files were removed: $summary" }
    assertEquals(emptyList<String>(), summary.left, "files left")
    check(!dir.exists()) { "the data directory is gone" }

    val e = assertThrows<KintsugiException.NotAllowed>("check-ins after wipe") { alex.checkins() }
    check(e.message.orEmpty().contains("wiped")) { "the message says why: ${e.message}" }
    assertThrows<KintsugiException.NotAllowed>("journal after wipe") { alex.journal() }
    assertThrows<KintsugiException.NotAllowed>("check-in after wipe") { alex.recordCheckin(checkin(7)) }
    assertThrows<KintsugiException.NotAllowed>("export after wipe") { alex.exportAutomerge() }
    assertThrows<KintsugiException.NotAllowed>("sync after wipe") { bounded { alex.syncNow() } }
    check(!dir.exists()) { "no call after the wipe recreated the data directory" }
    assertEquals(0, bounded { alex.wipe() }.removedFiles, "a second wipe")
    assertEquals(2, sam.members().size, "the partner keeps the shared space")

    val fresh = devices.open("Alex", dir, key)
    check(fresh.journal().isEmpty()) { "a new companion starts empty" }
}

suspend fun wipeDataDirWhenTheKeyIsLost(devices: Devices) {
    val dir = devices.newDataDir("Alex")
    val alex = devices.open("Alex", dir)
    alex.writeJournal("the key is lost")
    devices.close(alex)

    check(wipeDataDir(dir.path).removedFiles > 0) { "files were removed" }
    check(!dir.exists()) { "the data directory is gone" }
    assertEquals(0, wipeDataDir(dir.path).removedFiles, "wiping a wiped directory")
    check(devices.open("Alex", dir, generateStorageKey()).journal().isEmpty()) { "a new key starts afresh" }
}

/** Keeps every event an observer hears; throws on the first [failFirst]. */
class Recorder(private var failFirst: Int = 0) : CompanionObserver {
    val events = java.util.concurrent.CopyOnWriteArrayList<CompanionEvent>()

    override fun onEvent(event: CompanionEvent) {
        events += event
        if (failFirst > 0) {
            failFirst--
            throw IllegalStateException("the app's observer threw")
        }
    }

    inline fun <reified T : CompanionEvent> of(): List<T> = events.filterIsInstance<T>()

    fun statuses(): List<SyncStatusInfo> =
        of<CompanionEvent.Current>().map { it.state.syncStatus } + of<CompanionEvent.SyncStatusChanged>().map { it.status }

    fun changed(kind: RecordKind, fromPartner: Boolean): Boolean =
        of<CompanionEvent.DocumentChanged>().any { it.kinds == listOf(kind) && it.fromPartner == fromPartner }
}

/** Polls [condition] every 20 ms, for at most one step. */
suspend fun eventually(what: String, condition: () -> Boolean) {
    bounded {
        while (!condition()) kotlinx.coroutines.delay(20)
    }
    check(condition()) { what }
}

suspend fun liveSyncObserverAndUnpair(devices: Devices) {
    val alex = devices.open("Alex")
    val sam = devices.open("Sam")
    pair(alex, sam)
    val recorder = Recorder()
    val subscription = alex.subscribe(recorder)
    eventually("the current state comes first") { recorder.events.isNotEmpty() }
    val first = recorder.events.first()
    check(first is CompanionEvent.Current && first.state.partner?.name == "Sam") { "first event: $first" }
    bounded { alex.appForegrounded() }
    bounded { sam.appForegrounded() }
    eventually("Alex's status reaches up to date") {
        recorder.statuses().any { it.state == SyncStateKind.UP_TO_DATE }
    }
    sam.recordCheckin(checkin(7, "a good walk"))
    eventually("the observer hears Sam's check-in with no syncNow") { recorder.changed(RecordKind.CHECK_IN, true) }
    check(alex.checkins().size == 1) { "the check-in is there to read" }
    val samHears = Recorder()
    val samSubscription = sam.subscribe(samHears)
    // Alex ends the pairing; both observers hear it, Sam's device forgets Alex.
    check(bounded { alex.unpair(true, false) }) { "Sam's device was told" }
    check(alex.partner() == null) { "Alex forgot Sam" }
    eventually("Alex hears Unpaired") { recorder.of<CompanionEvent.Unpaired>().isNotEmpty() }
    eventually("Sam hears Unpaired") { samHears.of<CompanionEvent.Unpaired>().isNotEmpty() }
    check(sam.partner() == null) { "Sam forgot Alex" }
    check(sam.archives().size == 1) { "Sam keeps the shared history, read-only" }
    subscription.cancel()
    subscription.close()
    samSubscription.close()
}

suspend fun observersHearThePairingAndAThrowingOneGoesOn(devices: Devices) = kotlinx.coroutines.coroutineScope {
    val alex = devices.open("Alex")
    val sam = devices.open("Sam")
    val alexHears = Recorder(failFirst = 2)
    val samHears = Recorder()
    val alexSubscription = alex.subscribe(alexHears)
    val samSubscription = sam.subscribe(samHears)
    val invite = bounded { alex.createInvite() }
    // Nobody awaits nextPairingRequest: the observer hears the request.
    val joinersCode = bounded { sam.join(invite.payload) }
    eventually("Alex hears the pairing request") {
        alexHears.of<CompanionEvent.PairingRequested>().any { it.code.code == joinersCode.code }
    }
    eventually("Sam hears his side of the request") { samHears.of<CompanionEvent.PairingRequested>().isNotEmpty() }
    val alexConfirms = async { bounded { alex.confirmPairing() } }
    bounded { sam.confirmPairing() }
    alexConfirms.await()
    eventually("Alex hears Paired") { alexHears.of<CompanionEvent.Paired>().any { it.partner.name == "Sam" } }
    eventually("Sam hears Paired") { samHears.of<CompanionEvent.Paired>().any { it.partner.name == "Alex" } }
    eventually("Sam hears the shared space arrive") {
        samHears.of<CompanionEvent.DocumentChanged>().any { it.membersChanged && it.fromPartner }
    }
    // A closed subscription hears nothing more.
    samSubscription.close()
    // No call starts after close(); one already running may still finish.
    kotlinx.coroutines.delay(200)
    val heard = samHears.events.size
    alex.recordCheckin(checkin(6))
    sync(alex)
    eventually("Alex's observer, which threw, still hears his own check-in") { alexHears.changed(RecordKind.CHECK_IN, false) }
    kotlinx.coroutines.delay(300)
    assertEquals(heard, samHears.events.size, "events after close")
    alexSubscription.close()
}

suspend fun aCancelledCallLeavesTheCompanionUsable(devices: Devices) = kotlinx.coroutines.coroutineScope {
    val alex = devices.open("Alex")
    val sam = devices.open("Sam")
    // Nobody joins yet: the wait is cancelled midway (the Rust future is dropped).
    check(withTimeoutOrNull(300) { alex.waitForPartner() } == null) { "nobody had joined" }
    pair(alex, sam)
    // A sync cancelled at once, then one that runs to the end.
    val cancelled = async { sam.syncNow() }
    kotlinx.coroutines.yield()
    cancelled.cancel()
    try {
        cancelled.await()
    } catch (e: CancellationException) {
        // expected
    }
    sam.recordCheckin(checkin(6))
    sync(sam)
    assertEquals(1, alex.checkins().size, "the later sync carried the check-in")
    assertEquals("Sam", bounded { alex.waitForPartner() }.name, "the later wait resolves")
}

suspend fun eachErrorKindIsAKintsugiExceptionWithAMessage(devices: Devices) {
    val alex = devices.open("Alex")
    val notPaired = assertThrows<KintsugiException.NotPaired>("check-in alone") { alex.recordCheckin(checkin(5)) }
    val badKey = assertThrows<KintsugiException.InvalidInput>("a key that is not one") { devices.open("Alex", key = "not a key") }
    // The data directory cannot be made: a file is in the way.
    val blocker = File(devices.newDataDir("Kim").parentFile, "file").apply { writeText("not a directory") }
    val storage = assertThrows<KintsugiException.Storage>("data dir under a file") { devices.open("Kim", File(blocker, "data")) }
    val sam = devices.open("Sam")
    pair(alex, sam)
    val notFound = assertThrows<KintsugiException.NotFound>("unknown id") { alex.acceptAgreement("no-such-agreement") }
    val notAllowed = assertThrows<KintsugiException.NotAllowed>("confirm with nothing waiting") { bounded { alex.confirmPairing() } }
    val wrongKey = run {
        val dir = devices.newDataDir("Lee")
        devices.close(devices.open("Lee", dir))
        assertThrows<KintsugiException.WrongKey>("another key") { devices.open("Lee", dir) }
    }
    for (e in listOf<KintsugiException>(notPaired, badKey, storage, notFound, notAllowed, wrongKey)) {
        check(!e.message.isNullOrBlank()) { "${e::class.simpleName} has a message" }
    }
    check(notAllowed.message.orEmpty().contains("no pairing")) { "the message says why: ${notAllowed.message}" }
}

suspend fun everyOtherFamilyRoundTrips(devices: Devices) {
    val (alex, sam) = paired(devices)
    val disclosure = sam.disclose("She wrote to me today")
    sam.updateDisclosureAction(disclosure, "I did not reply and blocked her")
    val trigger = alex.logTrigger("A song from that summer", 6)
    val plan = alex.planTogether(TogetherKind.RECREATE_MEMORY, "Dinner where we met", inDays(5))
    val commitment = sam.makeCommitment(CommitmentKind.NO_CONTACT, "No contact with her")
    sam.logCommitment(commitment, true, note = "nothing today")
    alex.answerSurvey(listOf(3, 3, 3, 3, 3, 3))
    alex.appreciate("Thank you for telling me")
    sync(sam)
    assertThrows<KintsugiException.NotAllowed>("Alex repairs her own trigger") { alex.respondToTrigger(trigger, "here") }
    sam.respondToTrigger(trigger, "I am sorry. Shall we walk?")
    sam.recordTogetherOutcome(plan, true, felt = 8)
    sync(sam)

    val d = alex.disclosures().single()
    assertEquals("I did not reply and blocked her", d.actionTaken, "disclosure action")
    check(!d.byMe) { "Sam disclosed it" }
    assertEquals(listOf("I am sorry. Shall we walk?"), alex.triggers().single().repairs.map { it.text }, "repairs")
    assertEquals(listOf(8), alex.timeTogether().single().outcomes.map { it.felt }, "outcome")
    assertEquals(listOf(true), alex.commitments().single().log.map { it.kept }, "commitment log")
    assertEquals(List(6) { 3 }, sam.surveys().single().answers, "survey answers")
    assertEquals("Thank you for telling me", sam.appreciations().single().text, "appreciation")
}

class CollectingSink : LogSink {
    val records = java.util.concurrent.CopyOnWriteArrayList<Triple<LogLevel, String, String>>()
    override fun log(level: LogLevel, target: String, message: String) {
        records += Triple(level, target, message)
    }
}

suspend fun initLoggingRoutesRecordsToASink(devices: Devices) {
    val sink = CollectingSink()
    initLogging(LogLevel.DEBUG, sink)
    initLogging(LogLevel.DEBUG, object : LogSink {
        override fun log(level: LogLevel, target: String, message: String) = throw IllegalStateException("full")
    })
    initLogging(LogLevel.DEBUG, sink)
    val alex = devices.open("Alex")
    try {
        bounded { alex.createInvite() }
        eventually("the sink hears the core") { sink.records.isNotEmpty() }
        check(sink.records.any { it.second.startsWith("kintsugi") || it.second.startsWith("iroh") }) {
            "targets: ${sink.records.take(5)}"
        }
    } finally {
        initLogging(LogLevel.WARN, null)
    }
    check(!androidContextInstalled()) { "no Android context on the JVM" }
}

/** Keeps every progress report; throws on each one with [throws]. */
class Steps(private val throws: Boolean = false) : ProgressListener {
    val seen = java.util.concurrent.CopyOnWriteArrayList<Triple<ProgressStep, ULong, ULong>>()

    override fun onProgress(step: ProgressStep, done: ULong, total: ULong) {
        seen += Triple(step, done, total)
        if (throws) throw IllegalStateException("the app's progress bar threw")
    }

    fun steps(): Set<ProgressStep> = seen.map { it.first }.toSet()

    /** Within a run of one step, `done` never goes back nor passes `total`. */
    fun checkMonotonic() {
        seen.zipWithNext().forEach { (a, b) ->
            check(a.first != b.first || b.second >= a.second) { "progress went back: $seen" }
        }
        check(seen.all { it.second <= it.third }) { "done past total: $seen" }
    }
}

/** The check-in notes and appreciations a companion holds, sorted. */
fun notes(companion: Companion): List<String> =
    (companion.checkins().mapNotNull { it.note } + companion.appreciations().map { it.text }).sorted()

/** Alex and Sam paired, then with networking off on both phones: only bundles carry anything now. */
suspend fun apart(devices: Devices): Pair<Companion, Companion> {
    val (alex, sam) = paired(devices)
    bounded { alex.shutdown() }
    bounded { sam.shutdown() }
    return alex to sam
}

suspend fun bundlesCarryCheckinsWithNetworkingOff(devices: Devices) {
    val (alex, sam) = apart(devices)
    alex.recordCheckin(checkin(4, "written on the plane"))
    sam.recordCheckin(checkin(6, "night shift again"))

    val steps = Steps()
    val bundle = bounded { alex.createBundle(listener = steps) }
    assertEquals(1uL, bundle.seq, "the first bundle's number")
    check(bundle.changes >= 1uL) { "the bundle carries the check-in: $bundle" }
    val opened = bounded { sam.openBundle(bundle.bytes, steps) }
    check(opened.newChanges >= 1uL && !opened.alreadyOpened) { "opened: $opened" }
    assertEquals("Alex", opened.partnerName, "who made it")
    assertEquals(listOf(NoticeKind.CHECKED_IN), opened.notices.map { it.kind }, "notices")
    check(steps.steps().containsAll(listOf(ProgressStep.SEALING, ProgressStep.OPENING, ProgressStep.APPLYING))) {
        "progress steps: ${steps.seen}"
    }
    steps.checkMonotonic()

    val back = bounded { sam.createBundle() }
    bounded { alex.openBundle(back.bytes) }
    val both = listOf("night shift again", "written on the plane")
    assertEquals(both, notes(alex), "Alex holds both")
    assertEquals(both, notes(sam), "Sam holds both")
    val again = bounded { sam.openBundle(bundle.bytes) }
    check(again.alreadyOpened && again.newChanges == 0uL) { "opened twice: $again" }
    assertEquals(0uL, bounded { alex.createBundle() }.changes, "nothing new for Sam")
}

suspend fun strangerOrTamperedBundleIsInvalidInput(devices: Devices) {
    val (alex, sam) = apart(devices)
    val kim = devices.open("Kim")
    val lee = devices.open("Lee")
    pair(kim, lee)
    sync(lee)
    kim.recordCheckin(checkin(3, "not yours"))
    val strangers = bounded { kim.createBundle() }
    alex.recordCheckin(checkin(5, "a quiet day"))
    val bundle = bounded { alex.createBundle() }
    val tampered = bundle.bytes.copyOf().also { it[it.size / 2] = (it[it.size / 2].toInt() xor 1).toByte() }
    val before = sam.exportAutomerge()
    for ((what, bytes) in listOf("a stranger's" to strangers.bytes, "a tampered" to tampered)) {
        assertThrows<KintsugiException.InvalidInput>("$what bundle") { bounded { sam.openBundle(bytes) } }
        check(sam.exportAutomerge().contentEquals(before)) { "$what bundle changed Sam's space" }
    }
    check(notes(sam).isEmpty()) { "nothing arrived" }
    bounded { sam.openBundle(bundle.bytes) }
    assertEquals(listOf("a quiet day"), notes(sam), "the real bundle still opens")
}

suspend fun backupRestoresWithTheRecoveryKeyOnly(devices: Devices) {
    val (alex, sam) = paired(devices)
    alex.recordCheckin(checkin(4, "before the backup"))
    alex.writeJournal("only mine")
    val steps = Steps(throws = true) // a listener that throws: the work goes on
    val backup = bounded { alex.createBackup(BackupOptions(includePrivate = true), steps) }
    check(backup.includesPrivate) { "the journal is inside" }
    check(ProgressStep.SEALING in steps.steps()) { "progress: ${steps.seen}" }
    steps.checkMonotonic()
    val key = alex.recoveryKey()
    check(key.startsWith("AGE-SECRET-KEY-1")) { "a recovery key" }

    val dir = devices.newDataDir("Restored")
    fun config() = CompanionConfig(dir.path, "not used", NetworkMode.LOOPBACK, generateStorageKey())
    assertThrows<KintsugiException.WrongKey>("Sam's recovery key") {
        bounded { restoreFromBackup(config(), backup.bytes, sam.recoveryKey(), true) }
    }
    assertThrows<KintsugiException.InvalidInput>("not a recovery key") {
        bounded { restoreFromBackup(config(), backup.bytes, "my dog's name", true) }
    }
    check(!dir.exists()) { "a refused restore wrote files" }

    val restoring = Steps()
    val back = devices.adopt(bounded { restoreFromBackup(config(), backup.bytes, key, true, restoring) })
    assertEquals("Sam", back.partner()?.name, "partner")
    assertEquals(listOf("Alex"), back.members().filter { it.isMe }.map { it.name }, "name")
    check(ProgressStep.OPENING in restoring.steps()) { "progress: ${restoring.seen}" }
    restoring.checkMonotonic()
    assertEquals(alex.memberId(), back.memberId(), "the same member")
    assertEquals(listOf("only mine"), back.journal().map { it.text }, "journal")
    assertEquals(listOf("before the backup"), notes(back), "shared space")
    back.appreciate("thank you for waiting")
    sync(back)
    check("thank you for waiting" in notes(sam)) { "the restored phone syncs with Sam" }
    assertThrows<KintsugiException.NotAllowed>("a second restore into the same place") {
        bounded { restoreFromBackup(config(), backup.bytes, key, true) }
    }
}

suspend fun summaryHoldsTheChosenRecordsOnly(devices: Devices) {
    val (alex, sam) = paired(devices)
    alex.recordCheckin(checkin(3, "the drive home was hard"))
    sam.appreciate("Thank you for staying")
    sync(sam)
    val chosen = alex.writeJournal("I keep replaying the phone call")
    alex.writeJournal("Not for anyone else")
    fun choice(private: List<String> = emptyList()) =
        SummaryChoice(firstDay = inDays(-7), lastDay = inDays(0), kinds = listOf(RecordKind.CHECK_IN), privateEntries = private)

    val rendered = alex.therapistSummary(choice(listOf(chosen)))
    assertEquals("Alex", rendered.summary.preparedBy.name, "prepared by")
    assertEquals(listOf(RecordKind.CHECK_IN), rendered.summary.sections.map { it.kind }, "sections")
    assertEquals(listOf(chosen), rendered.summary.privateEntries.map { it.recordId }, "private entries")
    for (text in listOf(rendered.markdown, rendered.html)) {
        check("the drive home was hard" in text) { "the chosen check-in is there" }
        check("replaying the phone call" in text) { "the chosen private entry is there" }
        check("Not for anyone else" !in text) { "an unchosen private entry leaked" }
        check("Thank you for staying" !in text) { "a kind left out leaked" }
    }
    val plain = alex.therapistSummary(choice())
    check(plain.summary.privateEntries.isEmpty() && "replaying" !in plain.html) { "nothing private unless chosen" }
    val sealed = alex.sealedTherapistSummary(choice(), "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
    check(String(sealed.htmlSealed, Charsets.ISO_8859_1).startsWith("age-encryption.org/v1")) { "sealed with age" }
    check("the drive home" !in String(sealed.markdownSealed, Charsets.ISO_8859_1)) { "nothing readable" }
    assertThrows<KintsugiException.InvalidInput>("not a recipient") { alex.sealedTherapistSummary(choice(), "2026-09-01") }
}

val scenarios: List<Pair<String, suspend (Devices) -> Unit>> = listOf(
    "pair, check in, agree and sync" to ::pairCheckInAgreeAndSync,
    "live sync, observer and unpair" to ::liveSyncObserverAndUnpair,
    "observers hear the pairing; a throwing one goes on" to ::observersHearThePairingAndAThrowingOneGoesOn,
    "a cancelled call leaves the companion usable" to ::aCancelledCallLeavesTheCompanionUsable,
    "each error kind is a KintsugiException with a message" to ::eachErrorKindIsAKintsugiExceptionWithAMessage,
    "every other record family round-trips" to ::everyOtherFamilyRoundTrips,
    "initLogging routes records to a sink" to ::initLoggingRoutesRecordsToASink,
    "score 11 is InvalidInput" to ::scoreOutOfRangeIsInvalidInput,
    "malformed code is InvalidInput" to ::malformedCodeIsInvalidInput,
    "unknown agreement id is NotFound" to ::unknownAgreementIsNotFound,
    "check-in before pairing is NotPaired" to ::checkinBeforePairingIsNotPaired,
    "used code is PairingRefused" to ::usedCodeIsRefused,
    "only the hurt partner moves the phase forward" to ::onlyTheHurtPartnerMovesThePhaseForward,
    "request done by one, acknowledged by the other" to ::requestDoneAndAcknowledged,
    "question scheduled, then answered" to ::questionScheduledThenAnswered,
    "offer withdrawn by its owner only" to ::offerWithdrawnByItsOwnerOnly,
    "revised agreement keeps both versions" to ::revisedAgreementKeepsBothVersions,
    "private journal stays on the device" to ::privateJournalStaysOnTheDevice,
    "a private lock guards the journal; a throwing one counts as shut" to ::aPrivateLockGuardsTheJournalAndAThrowingOneCountsAsShut,
    "views of a calm couple" to ::viewsOfACalmCouple,
    "sync carries content-free notices" to ::syncCarriesContentFreeNotices,
    "the same storage key reopens the data" to ::sameKeyReopensTheData,
    "another key is WrongKey and the data stays" to ::anotherKeyIsWrongKeyAndTheDataStays,
    "export Automerge, import it back" to ::exportAutomergeAndImportItBack,
    "export JSON holds the check-in note" to ::exportJsonHoldsTheCheckinNote,
    "storage info and compact" to ::storageInfoAndCompact,
    "wipe removes the data, later calls fail" to ::wipeRemovesTheDataAndLaterCallsFail,
    "wipeDataDir when the key is lost" to ::wipeDataDirWhenTheKeyIsLost,
    "bundles carry check-ins with networking off" to ::bundlesCarryCheckinsWithNetworkingOff,
    "a stranger's or tampered bundle is InvalidInput" to ::strangerOrTamperedBundleIsInvalidInput,
    "a backup restores with the recovery key only" to ::backupRestoresWithTheRecoveryKeyOnly,
    "the summary holds the chosen records only" to ::summaryHoldsTheChosenRecordsOnly,
)

fun main() {
    var passed = 0
    var failed = 0
    for ((name, scenario) in scenarios) {
        val started = System.nanoTime()
        try {
            Devices().use { devices ->
                runBlocking { withTimeout(TEST_TIMEOUT_MS) { scenario(devices) } }
            }
            passed++
            println("ok    $name (${(System.nanoTime() - started) / 1_000_000} ms)")
        } catch (e: Throwable) {
            failed++
            println("FAIL  $name: $e")
            e.printStackTrace(System.out)
        }
    }
    println("$passed passed, $failed failed")
    System.out.flush()
    exitProcess(if (failed == 0) 0 else 1)
}
