//! What the doors cost, each figure beside plain Automerge doing the same
//! without a door:
//!
//! - peak memory of the largest sync message a device accepts, in each
//!   shape a partner's app can send it (counted per thread by
//!   [`crate::counting`], when the binary installs it);
//! - a ten-year first sync (a device restored from a backup taking back the
//!   whole history) as the several messages it is sent as: time through
//!   the door, the largest peak of one message, and the messages, beside
//!   Automerge's own sync of the same document;
//! - a daily sync (one day of the partner's records) received through the
//!   door, beside Automerge receiving the same message.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use automerge::sync::{ChunkList, Message, MessageVersion, State, SyncDoc};
use automerge::{ActorId, AutoCommit, Change, ChangeHash};
use kintsugi_core::sync_budget::{self, MESSAGE};
use kintsugi_core::{CheckInInput, CoupleDoc, Door, Role, Roster, RosterMember, SyncMessageCost};

use super::couple::Couple;
use super::report::{Report, Samples, Target, ms};
use crate::counting::{self, Memory, measure};

/// The bound every door keeps: 64 MiB on top of the open document.
pub const BOUND: i64 = 64 << 20;

const T0: i64 = 1_767_571_200_000;
const DAY: i64 = 86_400_000;
const DAILY_RUNS: usize = 20;

/// The door of the device editing `me`, paired with `partner`'s member.
pub fn door(me: &str, partner: &str) -> Door {
    Door::partner(Roster::new(RosterMember::new(me)).with_partner(RosterMember::new(partner)))
}

/// Ana and Ben as pairing left them.
pub fn paired() -> Result<(CoupleDoc, CoupleDoc)> {
    let mut ana = CoupleDoc::create(&ActorId::from(vec![0xa; 16]), "Ana", T0)?;
    let mut ben = CoupleDoc::load(&ana.save(), &ActorId::from(vec![0xb; 16]))?;
    ben.set_my_name("Ben", T0 + 1)?;
    ana.set_my_role(Role::Hurt, T0 + 2)?;
    ben.set_my_role(Role::BrokeTrust, T0 + 3)?;
    let to_ana = ben.automerge_mut().get_changes(&ana.heads());
    ana.automerge_mut().apply_changes(to_ana)?;
    Ok((ana, ben))
}

/// A sync message carrying `chunks`.
pub fn message_of(chunks: Vec<Vec<u8>>, version: MessageVersion) -> Vec<u8> {
    Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(chunks),
        flags: None,
        version,
    }
    .encode()
}

/// Receives `bytes` as a frame, the way kintsugi-sync does (the frame's own
/// buffer counts too), on the calling thread.
pub fn receive(
    doc: &mut CoupleDoc,
    state: &mut State,
    door: &Door,
    bytes: &[u8],
) -> (Result<usize>, Memory) {
    measure(|| {
        let frame = bytes.to_vec();
        let message = kintsugi_core::decode_sync_message(&frame)?;
        drop(frame);
        Ok(doc.receive_sync_message(state, message, T0 + 1000 * DAY, door)?)
    })
}

/// One shape of the largest message a device accepts.
pub struct Shape {
    pub what: &'static str,
    pub bytes: Vec<u8>,
    /// Changes it brings.
    pub changes: usize,
}

/// Ben writes appreciations of `text_len` characters, one change each, until
/// one more would take a message of them past the message limits: the most
/// an unmodified app can put in one message that Ana's device accepts, in
/// each shape Automerge can send it (a chunk per change, one V2 entry, one
/// document chunk), Ana's device as pairing left it (saved) and Ben's.
pub fn largest_messages(text_len: usize) -> Result<(Vec<Shape>, Vec<u8>, CoupleDoc)> {
    let (mut ana, mut ben) = paired()?;
    let base = ana.heads();
    let before = ben.automerge_mut().get_changes(&[]).len();
    let text: String = "thank you for listening tonight. "
        .chars()
        .cycle()
        .take(text_len)
        .collect();
    let mut spent = SyncMessageCost::default();
    let mut count = 0usize;
    loop {
        ben.appreciate(&text, T0 + DAY + count as i64)?;
        let change = ben
            .automerge_mut()
            .get_last_local_change()
            .context("a change")?
            .raw_bytes()
            .to_vec();
        let mut next = spent;
        next.add(&sync_budget::chunk_cost(&change)?);
        // With room for the message's own bytes around its chunks.
        let mut framed = next;
        framed.bytes += 1024 + 8 * (count as u64 + 1);
        if !framed.fits(&MESSAGE) {
            break;
        }
        spent = next;
        count += 1;
    }
    let changes: Vec<Change> = ben.automerge_mut().get_changes(&base);
    let changes = &changes[..count];
    let chunks: Vec<Vec<u8>> = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
    let joined = chunks.concat();
    // Ben's history as a document, without the last one.
    let mut document = AutoCommit::new();
    document.apply_changes(ben.automerge_mut().get_changes(&[])[..before + count].to_vec())?;
    let shapes = vec![
        Shape {
            what: "a chunk per change",
            bytes: message_of(chunks, MessageVersion::V1),
            changes: count,
        },
        Shape {
            what: "one V2 entry of changes",
            bytes: message_of(vec![joined], MessageVersion::V2),
            changes: count,
        },
        Shape {
            what: "one document chunk",
            bytes: message_of(vec![document.save()], MessageVersion::V2),
            changes: count,
        },
    ];
    Ok((shapes, ana.save(), ben))
}

/// What a modified app can do that an unmodified one does not: many
/// records in one change (each valid, so the door admits them), as many as
/// one message accepts. Returns the message and Ana's device as pairing
/// left it (saved).
pub fn largest_batched_message() -> Result<(Shape, Vec<u8>)> {
    let (mut ana, mut ben) = paired()?;
    let base = ana.heads();
    let ana_id = ana.me().to_owned();
    let ben_id = ben.me().to_owned();
    let mut records = 0usize;
    let mut step = 2_048usize;
    let mut best: Option<Vec<u8>> = None;
    // Grow the batch while a message of it is accepted.
    loop {
        let mut trial = CoupleDoc::load(&ben.save(), &actor_of(&ben_id)?)?;
        let am = trial.automerge_mut();
        put_appreciations(am, &ben_id, &ana_id, 0..(records + step) as u64)?;
        am.commit();
        let chunks: Vec<Vec<u8>> = am
            .get_changes(&base)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let bytes = message_of(chunks, MessageVersion::V1);
        if kintsugi_core::precheck_sync_message(&bytes).is_ok() {
            records += step;
            best = Some(bytes);
        } else if step > 16 {
            step /= 2;
        } else {
            break;
        }
    }
    let bytes = best.context("no batch fits")?;
    let changes = automerge::sync::Message::decode(&bytes)?.changes.len();
    Ok((
        Shape {
            what: "records batched in one change (a modified app)",
            bytes,
            changes,
        },
        ana.save(),
    ))
}

/// Writes appreciations from `from` to `to` numbered `ids`, each a valid
/// record (5 operations), in the open transaction: how a modified app
/// batches many records into one change.
pub fn put_appreciations(
    am: &mut AutoCommit,
    from: &str,
    to: &str,
    ids: std::ops::Range<u64>,
) -> Result<()> {
    use automerge::transaction::Transactable;
    let (_, root) = automerge::ReadDoc::get(am, automerge::ROOT, "appreciations")?
        .context("the appreciations map")?;
    for n in ids {
        let id = format!("{:032x}", 0x5eed_0000_0000u64 + n);
        let record = am.put_object(&root, id.as_str(), automerge::ObjType::Map)?;
        am.put(&record, "author", from)?;
        am.put(&record, "to", to)?;
        am.put(&record, "at", T0 + DAY + n as i64)?;
        am.put(&record, "text", "thank you for listening tonight.")?;
    }
    Ok(())
}

/// A calm day's check-in, as the daily sync measures it.
pub fn calm_checkin() -> CheckInInput {
    CheckInInput {
        day: Some("2030-01-01".into()),
        safety: 4,
        trust: 3,
        connection: 4,
        note: Some("A calm evening; we walked.".into()),
        ..Default::default()
    }
}

/// The largest messages, each received by a device as pairing left it:
/// what each shape costs, and whether all were taken in whole.
pub fn largest_message_costs(text_len: usize) -> Result<Vec<(Shape, SyncMessageCost, Memory)>> {
    let (shapes, ana, ben) = largest_messages(text_len)?;
    let ben_id = ben.me().to_owned();
    let mut shapes: Vec<(Shape, Vec<u8>)> = shapes.into_iter().map(|s| (s, ana.clone())).collect();
    shapes.push(largest_batched_message()?);
    let mut out = Vec::new();
    for (shape, ana) in shapes {
        let cost = kintsugi_core::precheck_sync_message(&shape.bytes)?;
        let mut receiver = CoupleDoc::load(&ana, &ActorId::from(vec![0xa; 16]))?;
        let door = door(receiver.me(), &ben_id);
        let (received, memory) = receive(&mut receiver, &mut State::new(), &door, &shape.bytes);
        let received = received.with_context(|| format!("{}: refused", shape.what))?;
        ensure!(
            received == shape.changes,
            "{}: {received} new changes of {}",
            shape.what,
            shape.changes
        );
        out.push((shape, cost, memory));
    }
    Ok(out)
}

/// A first sync of a whole history through the door, as this app sends it.
#[derive(Debug, Clone, Default)]
pub struct FirstSync {
    pub messages: usize,
    pub changes: usize,
    /// Time receiving, all messages together.
    pub took: Duration,
    /// The largest peak of one message.
    pub memory: Memory,
    /// The same with plain Automerge, no door, no budget.
    pub plain_messages: usize,
    pub plain_took: Duration,
    pub plain_memory: Memory,
}

/// Ana's `document` (years of history) sent to Ben's device holding only
/// the space's first change, as after a restore that kept the pairing:
/// through Ben's door (recovering, so Ben's own earlier changes come back),
/// message by message; then the same with Automerge alone.
pub fn first_sync(document: &[u8]) -> Result<FirstSync> {
    let mut ana = AutoCommit::load(document)?;
    let all = ana.get_changes(&[]);
    let mut seed = AutoCommit::new();
    seed.apply_changes(all[..1].to_vec())?;
    let seed = seed.save();
    drop(all);
    let members = CoupleDoc::load(document, &ActorId::random())?.members();
    let ana_id = members.first().context("members")?.id.clone();
    let ben_id = members.get(1).context("two members")?.id.clone();
    let mut sender = CoupleDoc::load(document, &actor_of(&ana_id)?)?;
    let mut receiver = CoupleDoc::load(&seed, &ActorId::from(vec![0xd; 16]))?.as_member(&ben_id);
    let receiver_door = Door::partner(
        Roster::new(RosterMember::new(&ben_id))
            .with_partner(RosterMember::new(&ana_id))
            .recovering(true),
    );
    let sender_door = door(&ana_id, &ben_id);
    let mut out = FirstSync::default();
    let (mut to_ben, mut to_ana) = (State::new(), State::new());
    for _ in 0..1_000 {
        let for_ben = sender.generate_sync_message(&mut to_ben);
        let for_ana = receiver.generate_sync_message(&mut to_ana);
        if for_ben.is_none() && for_ana.is_none() {
            break;
        }
        if let Some(m) = for_ben {
            let bytes = m.encode();
            let t = Instant::now();
            let (new, memory) = receive(&mut receiver, &mut to_ana, &receiver_door, &bytes);
            out.took += t.elapsed();
            let new = new?;
            if new > 0 {
                out.messages += 1;
                out.changes += new;
            }
            out.memory = out.memory.max(memory);
        }
        if let Some(m) = for_ana {
            let message = kintsugi_core::decode_sync_message(&m.encode())?;
            sender.receive_sync_message(&mut to_ben, message, T0, &sender_door)?;
        }
    }
    ensure!(
        sorted(sender.heads()) == sorted(receiver.heads()),
        "the first sync did not finish"
    );
    drop((sender, receiver));

    let mut receiver = AutoCommit::load(&seed)?;
    let (mut to_ben, mut to_ana) = (State::new(), State::new());
    for _ in 0..1_000 {
        let for_ben = ana.sync().generate_sync_message(&mut to_ben);
        let for_ana = receiver.sync().generate_sync_message(&mut to_ana);
        if for_ben.is_none() && for_ana.is_none() {
            break;
        }
        if let Some(m) = for_ben {
            let bytes = m.encode();
            let t = Instant::now();
            let (received, memory) = measure(|| {
                let message = Message::decode(&bytes)?;
                receiver.sync().receive_sync_message(&mut to_ana, message)?;
                anyhow::Ok(())
            });
            out.plain_took += t.elapsed();
            received?;
            out.plain_messages += 1;
            out.plain_memory = out.plain_memory.max(memory);
        }
        if let Some(m) = for_ana {
            ana.sync().receive_sync_message(&mut to_ben, m)?;
        }
    }
    Ok(out)
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

/// One day of Ben's records (a check-in, an appreciation) received on
/// Ana's device holding `document`: through the door, and by Automerge
/// alone, each on a fresh copy.
pub fn daily_sync(document: &[u8]) -> Result<(Samples, Samples, Memory)> {
    let members = CoupleDoc::load(document, &ActorId::random())?.members();
    let ana_id = members.first().context("members")?.id.clone();
    let ben_id = members.get(1).context("two members")?.id.clone();
    let mut ben = CoupleDoc::load(document, &actor_of(&ben_id)?)?;
    let base = ben.heads();
    let day = T0 + 20_000 * DAY;
    ben.record_checkin(&calm_checkin(), day)?;
    ben.appreciate("Thank you for the walk.", day + 1)?;
    let chunks: Vec<Vec<u8>> = ben
        .automerge_mut()
        .get_changes(&base)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let bytes = message_of(chunks, MessageVersion::V1);
    let ana = actor_of(&ana_id)?;
    let door = door(&ana_id, &ben_id);
    let (mut through, mut plain) = (Samples::new(), Samples::new());
    let mut memory = Memory::default();
    for _ in 0..DAILY_RUNS {
        let mut copy = CoupleDoc::load(document, &ana)?;
        let t = Instant::now();
        let (new, m) = receive(&mut copy, &mut State::new(), &door, &bytes);
        through.push(t.elapsed());
        ensure!(new? == 2, "the day's two changes");
        memory = memory.max(m);
        drop(copy);

        let mut raw = AutoCommit::load(document)?;
        let t = Instant::now();
        let message = Message::decode(&bytes)?;
        raw.sync()
            .receive_sync_message(&mut State::new(), message)?;
        plain.push(t.elapsed());
    }
    Ok((through, plain, memory))
}

/// The actor whose hex is a member id (a member's first actor).
pub fn actor_of(member: &str) -> Result<ActorId> {
    Ok(ActorId::from(
        data_encoding::HEXLOWER_PERMISSIVE.decode(member.as_bytes())?,
    ))
}

pub fn run(couple: &Couple, report: &mut Report) -> Result<()> {
    let document = couple.document()?;
    let counted = counting::counting();
    let mib = |m: Memory| {
        if counted {
            format!("{:.1} MiB", Memory::mib(m.peak))
        } else {
            "not counted".into()
        }
    };

    eprintln!("doors: the largest accepted sync messages");
    for (shape, cost, memory) in largest_message_costs(40)? {
        report.row(
            format!(
                "peak memory, largest accepted sync message: {} ({} changes, {} operations, {} bytes)",
                shape.what,
                cost.changes,
                cost.ops,
                shape.bytes.len()
            ),
            mib(memory),
            format!("estimate {:.1} MiB", Memory::mib(cost.memory() as i64)),
            "",
            counted.then(|| Target::new("≤ 64 MiB", memory.peak <= BOUND)),
        );
    }

    eprintln!("doors: a first sync of the whole history");
    let first = first_sync(&document)?;
    report.row(
        format!(
            "first sync of the whole history through the door ({} changes as {} messages)",
            first.changes, first.messages
        ),
        ms(first.took),
        format!(
            "Automerge alone, no door: {} ({} messages)",
            ms(first.plain_took),
            first.plain_messages
        ),
        format!(
            "{:.2}×",
            first.took.as_secs_f64() / first.plain_took.as_secs_f64().max(1e-9)
        ),
        None,
    );
    report.row(
        "peak memory of one message of that first sync",
        mib(first.memory),
        format!("Automerge alone: {}", mib(first.plain_memory)),
        "",
        counted.then(|| Target::new("≤ 64 MiB", first.memory.peak <= BOUND)),
    );

    eprintln!("doors: a daily sync, {DAILY_RUNS} times");
    let (through, plain, memory) = daily_sync(&document)?;
    report.row(
        format!("daily sync received through the door ({DAILY_RUNS} runs)"),
        through.p50_p99(),
        format!("Automerge alone: {}", plain.p50_p99()),
        format!(
            "+{} at p50",
            ms(through.median().saturating_sub(plain.median()))
        ),
        None,
    );
    report.row(
        "peak memory of that daily sync",
        mib(memory),
        "",
        "",
        counted.then(|| Target::new("≤ 64 MiB", memory.peak <= BOUND)),
    );
    Ok(())
}
