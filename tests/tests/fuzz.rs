//! Bounded fuzzing of everything a peer's bytes meet, run by `cargo test`:
//!
//! - frame decoding (`framing::decode_frames`, the codec `FrameReader` uses),
//!   checked against a reference decoder written from the wire format;
//! - sync message handling: `kintsugi_core::decode_sync_message` (the
//!   budget check on the raw bytes, then Automerge's decoder), then
//!   `CoupleDoc::receive_sync_message` on a real document, then the answer;
//! - pairing payload parsing (`Invite::parse`).
//!
//! Each target mixes arbitrary input with mutations (bit flips, byte
//! overwrites, truncations, insertions, deletions, duplicated runs) of real
//! valid inputs: frames of real sizes, messages of a real sync session, a
//! payload shown by a real node (on 127.0.0.1).
//!
//! By default each target runs for about a second with a fixed seed, so
//! `cargo test` stays quick and repeatable. A longer run, for example:
//!
//! ```text
//! KINTSUGI_FUZZ_CASES=200000 KINTSUGI_FUZZ_SEED=random \
//!     cargo test --release -p kintsugi-tests --test fuzz -- --nocapture
//! ```
//!
//! `KINTSUGI_FUZZ_CASES` sets the cases per target (and lifts the time
//! budget); `KINTSUGI_FUZZ_SEED` is a number, or `random`. A failure names the
//! target, seed, case and input (hex), which replays with the same seed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use anyhow::Result;
use automerge::sync::{BloomFilter, ChunkList, Message, MessageVersion, State, SyncDoc};
use automerge::{ActorId, ChangeHash};
use kintsugi_core::{CheckInInput, CoreError, CoupleDoc};
use kintsugi_sync::framing::{MAX_FRAME, decode_frames};
use kintsugi_sync::{Invite, SyncError};
use kintsugi_tests::Phone;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

// ------------------------------------------------------------- the harness

/// Cases and time for one target.
struct Budget {
    cases: u64,
    time: Option<Duration>,
}

fn budget(default_cases: u64) -> Budget {
    match std::env::var("KINTSUGI_FUZZ_CASES") {
        Ok(n) => Budget {
            cases: n.parse().expect("KINTSUGI_FUZZ_CASES is a number"),
            time: None,
        },
        // Debug builds are slow: stop early rather than slow `cargo test` down.
        Err(_) => Budget {
            cases: default_cases,
            time: Some(Duration::from_secs(1)),
        },
    }
}

fn seed() -> u64 {
    match std::env::var("KINTSUGI_FUZZ_SEED").as_deref() {
        Ok("random") => rand::random(),
        Ok(n) => n
            .parse()
            .expect("KINTSUGI_FUZZ_SEED is a number or `random`"),
        Err(_) => 0x6b69_6e74_7375_6769, // "kintsugi"
    }
}

/// Runs `check` on `budget` inputs made by `input`; a panic anywhere inside
/// fails the test with what replays it.
fn fuzz(
    target: &str,
    budget: Budget,
    mut input: impl FnMut(&mut StdRng) -> Vec<u8>,
    mut check: impl FnMut(&[u8]),
) {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let mut ran = 0;
    for case in 0..budget.cases {
        if budget.time.is_some_and(|t| started.elapsed() > t) {
            break;
        }
        let bytes = input(&mut rng);
        if catch_unwind(AssertUnwindSafe(|| check(&bytes))).is_err() {
            panic!(
                "{target}: case {case} of seed {seed} failed on input ({} bytes) {}",
                bytes.len(),
                hex(&bytes)
            );
        }
        ran += 1;
    }
    eprintln!(
        "{target}: {ran} cases in {:?} (seed {seed})",
        started.elapsed()
    );
    assert!(ran > 0);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes worth trying where a length, count or type byte is read.
const INTERESTING: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x42, 0x43, 0x85];

/// A few random edits of `seed`.
fn mutate(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = out.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] = INTERESTING[rng.random_range(0..INTERESTING.len())];
            }
            2 if len > 0 => out.truncate(rng.random_range(0..len)),
            3 => {
                let at = rng.random_range(0..=len);
                let extra: Vec<u8> = (0..rng.random_range(1..16)).map(|_| rng.random()).collect();
                out.splice(at..at, extra);
            }
            4 if len > 0 => {
                let from = rng.random_range(0..len);
                let to = rng.random_range(from..=len.min(from + 32));
                out.drain(from..to);
            }
            5 if len > 0 => {
                let from = rng.random_range(0..len);
                let to = rng.random_range(from..=len.min(from + 64));
                let run = out[from..to].to_vec();
                let at = rng.random_range(0..=len);
                out.splice(at..at, run);
            }
            _ => {
                let at = rng.random_range(0..=len);
                out.insert(at, rng.random());
            }
        }
    }
    out
}

fn arbitrary(rng: &mut StdRng, max_len: usize) -> Vec<u8> {
    (0..rng.random_range(0..=max_len))
        .map(|_| rng.random())
        .collect()
}

/// Mostly mutated seeds, sometimes a seed as is, sometimes noise.
fn pick(rng: &mut StdRng, seeds: &[Vec<u8>], max_len: usize) -> Vec<u8> {
    let seed = &seeds[rng.random_range(0..seeds.len())];
    match rng.random_range(0..10) {
        0 => arbitrary(rng, max_len),
        1 => seed.clone(),
        _ => mutate(rng, seed),
    }
}

// ------------------------------------------------------------- frames

fn encode_frames(frames: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        out.extend_from_slice(&(f.len() as u32).to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// The wire format, read the plain way: 4-byte big-endian length, then
/// that many bytes; a length over `max` or a stream ending inside a frame
/// is refused.
fn reference_frames(mut bytes: &[u8], max: usize) -> Option<Vec<Vec<u8>>> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
        let len = u32::from_be_bytes(head) as usize;
        if len > max {
            return None;
        }
        frames.push(bytes.get(4..4 + len)?.to_vec());
        bytes = &bytes[4 + len..];
    }
    Some(frames)
}

#[test]
fn fuzz_frame_decoding() {
    // A small limit puts the boundary within reach of mutations; the real
    // one shows huge claimed lengths are refused without reading on.
    const SMALL: usize = 64;
    let seeds: Vec<Vec<u8>> = vec![
        Vec::new(),
        encode_frames(&[b""]),
        encode_frames(&[b"\x42hello", b"", &[7; SMALL]]),
        encode_frames(&[&[1; SMALL + 1]]),
        encode_frames(&[&[0x43; 40], &[0x42; 3], b"", b"x"]),
        (MAX_FRAME as u32 + 1).to_be_bytes().to_vec(),
        u32::MAX.to_be_bytes().to_vec(),
    ];
    fuzz(
        "frames",
        budget(200_000),
        |rng| pick(rng, &seeds, 200),
        |bytes| {
            for max in [SMALL, MAX_FRAME] {
                let decoded = decode_frames(bytes, max);
                let expected = reference_frames(bytes, max);
                match (&decoded, &expected) {
                    (Ok(frames), Some(reference)) => {
                        assert!(frames.iter().all(|f| f.len() <= max));
                        let frames: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
                        assert_eq!(frames, *reference);
                        assert_eq!(encode_frames(&frames), bytes);
                    }
                    (Err(SyncError::Protocol(_)), None) => {}
                    _ => panic!("decoder and wire format disagree: {decoded:?} vs {expected:?}"),
                }
            }
        },
    );
}

// ------------------------------------------------------------- sync messages

const T0: i64 = 1_767_571_200_000;
const DAY: i64 = 86_400_000;

fn checkin(day: i64, note: &str) -> CheckInInput {
    CheckInInput {
        day: Some(format!("2026-01-{:02}", 5 + day)),
        safety: 5,
        trust: 5,
        connection: 6,
        moods: vec!["hopeful".into()],
        note: Some(note.into()),
        ..Default::default()
    }
}

/// Ana's document and actor, and the messages of a real session in which
/// Ben brings her what he wrote while apart (plus a few crafted ones).
struct SyncCorpus {
    ana: Vec<u8>,
    ana_actor: ActorId,
    messages: Vec<Vec<u8>>,
    /// Every change hash either side holds, for heads, needs and summaries.
    hashes: Vec<ChangeHash>,
}

fn ana_door() -> kintsugi_core::Door {
    kintsugi_tests::door_between(&"0a".repeat(16), &"0b".repeat(16))
}

fn ben_door() -> kintsugi_core::Door {
    kintsugi_tests::door_between(&"0b".repeat(16), &"0a".repeat(16))
}

fn sync_corpus() -> SyncCorpus {
    let ana_actor = ActorId::from(vec![0xa; 16]);
    let mut ana = CoupleDoc::create(&ana_actor, "Ana", T0).unwrap();
    let mut ben = CoupleDoc::load(&ana.save(), &ActorId::from(vec![0xb; 16])).unwrap();
    ben.set_my_name("Ben", T0 + 1).unwrap();
    ana.merge_bytes(&ben.save()).unwrap();
    ben.merge_bytes(&ana.save()).unwrap();
    for day in 0..5 {
        let now = T0 + day * DAY;
        ana.record_checkin(&checkin(day, "a calmer day"), now)
            .unwrap();
        ana.appreciate("Thank you for the walk", now).unwrap();
    }
    ben.merge_bytes(&ana.save()).unwrap();
    let shared = ana.save();
    for day in 5..10 {
        let now = T0 + day * DAY;
        ben.record_checkin(&checkin(day, "hard, but we talked"), now)
            .unwrap();
        ben.appreciate("Thank you for listening", now).unwrap();
        ana.appreciate("Thank you for the coffee", now).unwrap();
    }

    // A whole session, both directions, as the sync protocol runs it.
    let mut messages = Vec::new();
    let (mut ana_side, mut ben_side) = (State::new(), State::new());
    for _ in 0..10 {
        let to_ana = ben
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut ben_side);
        let to_ben = ana
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut ana_side);
        if to_ana.is_none() && to_ben.is_none() {
            break;
        }
        if let Some(m) = to_ana {
            messages.push(m.clone().encode());
            ana.receive_sync_message(&mut ana_side, m, T0, &ana_door())
                .unwrap();
        }
        if let Some(m) = to_ben {
            messages.push(m.clone().encode());
            ben.receive_sync_message(&mut ben_side, m, T0, &ben_door())
                .unwrap();
        }
    }
    // Ben's whole document as one chunk (a V2 "send everything"), and the
    // same changes one chunk each.
    let whole = |changes: Vec<Vec<u8>>, version| Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(changes),
        flags: None,
        version,
    };
    messages.push(whole(vec![ben.save()], MessageVersion::V2).encode());
    let changes = ben.automerge_mut().get_changes(&[]);
    let chunks = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
    messages.push(whole(chunks, MessageVersion::V1).encode());
    // The same changes compressed where Automerge would compress them
    // (chunk type 2), so mutations reach the inflation.
    let compressed = changes
        .into_iter()
        .map(|mut c| c.bytes().to_vec())
        .collect();
    messages.push(whole(compressed, MessageVersion::V1).encode());
    // A forgery in Ana's name.
    let mut forger = CoupleDoc::load(&ben.save(), &ana_actor).unwrap();
    forger.appreciate("Not from Ana", T0 + 20 * DAY).unwrap();
    messages.push(whole(vec![forger.save()], MessageVersion::V2).encode());

    let hashes = forger
        .automerge_mut()
        .get_changes(&[])
        .iter()
        .map(|c| c.hash())
        .collect();
    SyncCorpus {
        ana: shared,
        ana_actor,
        messages,
        hashes,
    }
}

/// A random edit of a decoded message's fields, re-encoded: reaches what
/// byte edits rarely do, such as a Bloom filter's parameters or a second
/// summary.
fn mutate_message(rng: &mut StdRng, seeds: &[Vec<u8>], hashes: &[ChangeHash]) -> Vec<u8> {
    let seed = &seeds[rng.random_range(0..seeds.len())];
    let Ok(mut message) = Message::decode(seed) else {
        return seed.clone();
    };
    let some_hash = |rng: &mut StdRng| {
        if rng.random_bool(0.5) && !hashes.is_empty() {
            hashes[rng.random_range(0..hashes.len())]
        } else {
            ChangeHash(rng.random())
        }
    };
    match rng.random_range(0..7) {
        0 if !message.have.is_empty() => {
            // The filter's own bytes: entries, bits per entry, probes, bits.
            let i = rng.random_range(0..message.have.len());
            let mut bloom = message.have[i].bloom.to_bytes();
            if !bloom.is_empty() && rng.random_bool(0.5) {
                let at = rng.random_range(0..bloom.len().min(3));
                bloom[at] = INTERESTING[rng.random_range(0..INTERESTING.len())];
            } else {
                bloom = mutate(rng, &bloom);
            }
            if let Ok(bloom) = BloomFilter::try_from(&bloom[..]) {
                message.have[i].bloom = bloom;
            }
        }
        1 if !message.have.is_empty() => {
            let copy = message.have[rng.random_range(0..message.have.len())].clone();
            message.have.push(copy);
        }
        2 => {
            let n = rng.random_range(0..4);
            message.need = (0..n).map(|_| some_hash(rng)).collect();
        }
        3 => {
            let n = rng.random_range(0..4);
            message.heads = (0..n).map(|_| some_hash(rng)).collect();
        }
        4 => {
            for have in &mut message.have {
                have.last_sync = (0..rng.random_range(0..3))
                    .map(|_| some_hash(rng))
                    .collect();
            }
        }
        5 if !message.changes.is_empty() => {
            let mut chunks: Vec<Vec<u8>> = message.changes.iter().map(<[u8]>::to_vec).collect();
            let i = rng.random_range(0..chunks.len());
            chunks[i] = mutate(rng, &chunks[i]);
            message.changes = ChunkList::from(chunks);
        }
        _ => {
            message.version = match message.version {
                MessageVersion::V1 => MessageVersion::V2,
                MessageVersion::V2 => MessageVersion::V1,
            };
        }
    }
    // Automerge's encoder insists on sorted hashes; unsorted ones come from
    // the byte mutations instead.
    message.heads.sort();
    message.need.sort();
    for have in &mut message.have {
        have.last_sync.sort();
    }
    message.encode()
}

#[test]
fn fuzz_sync_message_handling() {
    let corpus = sync_corpus();
    fuzz(
        "sync messages",
        budget(20_000),
        |rng| {
            if rng.random_bool(0.4) {
                mutate_message(rng, &corpus.messages, &corpus.hashes)
            } else {
                pick(rng, &corpus.messages, 300)
            }
        },
        |bytes| {
            let Ok(message) = kintsugi_core::decode_sync_message(bytes) else {
                return;
            };
            let mut ana = CoupleDoc::load(&corpus.ana, &corpus.ana_actor).unwrap();
            let before = ana.heads();
            let saved = ana.save();
            let mut state = State::new();
            match ana.receive_sync_message(&mut state, message, T0, &ana_door()) {
                Ok(_) => {
                    // Whatever came in is the partner's and reads back.
                    let am = ana.automerge_mut();
                    assert!(
                        am.get_changes_meta(&before)
                            .iter()
                            .all(|c| *c.actor != corpus.ana_actor)
                    );
                    let reloaded = CoupleDoc::load(&ana.save(), &corpus.ana_actor).unwrap();
                    let _ = reloaded.snapshot();
                }
                Err(
                    CoreError::ForgedActor { .. }
                    | CoreError::InvalidSyncMessage(_)
                    | CoreError::Automerge(_),
                ) => {
                    // Refused whole: not a byte of the document moved.
                    assert_eq!(ana.heads(), before);
                    assert_eq!(ana.save(), saved);
                }
                Err(other) => panic!("unexpected error: {other:?}"),
            }
            // And Ana can still answer: this is where a hostile summary
            // would make Automerge panic.
            let _ = ana.automerge_mut().sync().generate_sync_message(&mut state);
        },
    );
}

// ------------------------------------------------------------- pairing payloads

#[tokio::test]
async fn fuzz_pairing_payload_parsing() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let real = ana.node.create_invite()?.payload();
    ana.close().await;
    let original = Invite::parse(&real)?;

    // The real payload, and variants with each field at an edge.
    let mut seeds: Vec<Vec<u8>> = vec![real.clone().into_bytes()];
    let (head, tail) = real.split_once("pair?").expect("a pairing payload");
    for (key, values) in [
        ("v", &["0", "1", "99999999999999999999", "-2", ""][..]),
        (
            "exp",
            &["0", "18446744073709551615", "18446744073709551616", "x"][..],
        ),
        ("secret", &["", "aaaa", "AAAA====", "é"][..]),
        ("ticket", &["", "endpoint", "endpointé"][..]),
    ] {
        for value in values {
            let fields: Vec<String> = tail
                .split('&')
                .map(|part| match part.split_once('=') {
                    Some((k, _)) if k == key => format!("{k}={value}"),
                    _ => part.to_owned(),
                })
                .collect();
            seeds.push(format!("{head}pair?{}", fields.join("&")).into_bytes());
        }
    }
    seeds.push(format!("  {real}\n").into_bytes());
    seeds.push(format!("{real}&v=3&extra=1").into_bytes());
    seeds.push(real.to_uppercase().into_bytes());

    fuzz(
        "payloads",
        budget(50_000),
        |rng| pick(rng, &seeds, 400),
        |bytes| {
            let text = String::from_utf8_lossy(bytes);
            match Invite::parse(&text) {
                Ok(invite) => {
                    // What parses prints back to a payload that parses the same.
                    assert_eq!(Invite::parse(&invite.payload()).unwrap(), invite);
                    let _ = invite.check_fresh(0);
                    let _ = invite.check_fresh(u64::MAX);
                }
                Err(SyncError::InvalidPayload(_) | SyncError::UnsupportedPayloadVersion(_)) => {}
                Err(other) => panic!("not a payload error: {other:?}"),
            }
        },
    );
    assert_eq!(Invite::parse(&real)?, original);
    Ok(())
}
