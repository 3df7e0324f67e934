//! Writes the fuzz targets' fixture and seed corpora from real data (see
//! `docs/fuzzing.md`):
//!
//!   cargo run -p kintsugi-tests --bin fuzz-seeds -- fuzz
//!
//! `fuzz/fixture/ana.automerge` is Ana's document the targets receive into;
//! `fuzz/corpus/<target>/` gets real frames, the messages of a real sync
//! session, real documents and changes, bundle and backup plaintexts as
//! `bundle.rs` and `backup.rs` lay them out, a payload a real node shows
//! (on 127.0.0.1) and the messages of a real pairing exchange. The fixture
//! and the seeds belong together: a new fixture has new change hashes, so
//! write both at once and commit both.

use std::path::PathBuf;

use anyhow::{Context, Result};
use automerge::sync::{ChunkList, Message, MessageVersion, State, SyncDoc};
use kintsugi_core::{CheckInInput, CoupleDoc};
use kintsugi_sync::pairing::exchange::{
    Answer, Inviter, InviterEffect, Joiner, JoinerEffect, Side, Step,
};
use kintsugi_sync::{Invite, Partner};
use kintsugi_tests::Phone;

#[path = "../../../fuzz/src/fixture.rs"]
#[allow(dead_code)] // shared with the fuzz crate; not every item is used here
mod fixture;

use fixture::{ANA, BEN, DAY, T0};

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

struct Seeds {
    root: PathBuf,
    written: usize,
}

impl Seeds {
    fn put(&mut self, target: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let dir = self.root.join("corpus").join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes).with_context(|| format!("{target}/{name}"))?;
        self.written += 1;
        Ok(())
    }
}

fn frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
}

fn framed(payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        frame(&mut out, p);
    }
    out
}

fn whole(changes: Vec<Vec<u8>>, version: MessageVersion) -> Vec<u8> {
    Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(changes),
        flags: None,
        version,
    }
    .encode()
}

#[tokio::main]
async fn main() -> Result<()> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz".into()));
    anyhow::ensure!(
        root.join("Cargo.toml").exists(),
        "{} is not the fuzz crate",
        root.display()
    );
    let mut seeds = Seeds {
        root: root.clone(),
        written: 0,
    };

    // ---- the couple: Ana invites, Ben joins, both write, then apart.
    let mut ana = CoupleDoc::create(&fixture::actor(ANA), "Ana", T0)?;
    let skeleton = ana.save();
    let mut ben = CoupleDoc::load(&ana.save(), &fixture::actor(BEN))?;
    ben.set_my_name("Ben", T0 + 1)?;
    ana.merge_bytes(&ben.save())?;
    ben.merge_bytes(&ana.save())?;
    for day in 0..5 {
        let now = T0 + day * DAY;
        ana.record_checkin(&checkin(day, "a calmer day"), now)?;
        ana.appreciate("Thank you for the walk", now)?;
    }
    ben.merge_bytes(&ana.save())?;
    // Ana's document when Ben's bytes arrive: the targets' fixture.
    let shared = ana.save();
    let shared_heads = ana.heads();
    std::fs::create_dir_all(root.join("fixture"))?;
    std::fs::write(root.join("fixture/ana.automerge"), &shared)?;
    for day in 5..10 {
        let now = T0 + day * DAY;
        ben.record_checkin(&checkin(day, "hard, but we talked"), now)?;
        ben.appreciate("Thank you for listening", now)?;
        ben.propose_agreement(
            &kintsugi_core::AgreementDraft::new(format!("No secrets, day {day}")),
            now,
        )?;
    }
    let mut ana_later = CoupleDoc::load(&shared, &fixture::actor(ANA))?;
    ana_later.appreciate("Thank you for the coffee", T0 + 6 * DAY)?;

    // ---- sync_message and frames: a whole session, as the protocol runs it.
    let mut messages = Vec::new();
    let mut session = Vec::new();
    let (mut ana_side, mut ben_side) = (State::new(), State::new());
    let mut ana_copy = CoupleDoc::load(&ana_later.save(), &fixture::actor(ANA))?;
    let mut ben_copy = CoupleDoc::load(&ben.save(), &fixture::actor(BEN))?;
    for _ in 0..10 {
        let to_ana = ben_copy
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut ben_side);
        let to_ben = ana_copy
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut ana_side);
        if to_ana.is_none() && to_ben.is_none() {
            break;
        }
        if let Some(m) = to_ana {
            let bytes = m.clone().encode();
            frame(&mut session, &bytes);
            messages.push(bytes);
            ana_copy.receive_sync_message(&mut ana_side, m, T0, &fixture::door(ANA, BEN))?;
        }
        if let Some(m) = to_ben {
            let bytes = m.clone().encode();
            frame(&mut session, &bytes);
            messages.push(bytes);
            ben_copy.receive_sync_message(&mut ben_side, m, T0, &fixture::door(BEN, ANA))?;
        }
    }
    let new_of_ben: Vec<automerge::Change> = ben
        .automerge_mut()
        .get_changes(&shared_heads)
        .into_iter()
        .collect();
    let raw = |changes: &[automerge::Change]| -> Vec<Vec<u8>> {
        changes.iter().map(|c| c.raw_bytes().to_vec()).collect()
    };
    // Compressed where Automerge compresses (chunk type 2), as bundles carry them.
    let compressed = |changes: &[automerge::Change]| -> Vec<Vec<u8>> {
        changes
            .iter()
            .map(|c| c.clone().bytes().into_owned())
            .collect()
    };
    messages.push(whole(raw(&new_of_ben), MessageVersion::V1));
    messages.push(whole(compressed(&new_of_ben), MessageVersion::V1));
    messages.push(whole(vec![ben.save()], MessageVersion::V2));
    // A forgery in Ana's name: the door must refuse it.
    let mut forger = CoupleDoc::load(&ben.save(), &fixture::actor(ANA))?;
    forger.appreciate("Not from Ana", T0 + 20 * DAY)?;
    let forged_heads = forger.heads();
    let forged: Vec<automerge::Change> = forger
        .automerge_mut()
        .get_changes(&shared_heads)
        .into_iter()
        .collect();
    messages.push(whole(vec![forger.save()], MessageVersion::V2));
    for (i, m) in messages.iter().enumerate() {
        seeds.put("sync_message", &format!("session-{i:02}"), m)?;
    }

    seeds.put("frames", "session", &session)?;
    seeds.put("frames", "empty-frame", &framed(&[b""]))?;
    seeds.put("frames", "three", &framed(&[b"\x42hello", b"", &[7; 64]]))?;
    seeds.put("frames", "over-small-limit", &framed(&[&[1; 65]]))?;
    seeds.put("frames", "cut-after-header", &12u32.to_be_bytes())?;
    seeds.put("frames", "huge-length", &u32::MAX.to_be_bytes())?;

    // ---- first_document: what an inviter sends at pairing, and others.
    seeds.put("first_document", "skeleton", &skeleton)?;
    seeds.put("first_document", "shared", &shared)?;
    seeds.put("first_document", "ana-later", &ana_later.save())?;
    seeds.put("first_document", "ben-own", &ben.save())?;
    seeds.put("first_document", "forged", &forger.save())?;
    // Ana alone for a while before Ben joined: records of every kind Ben's
    // door reads in a first document.
    let mut alone = CoupleDoc::load(&skeleton, &fixture::actor(ANA))?;
    for day in 0..3 {
        alone.record_checkin(&checkin(day, "before we paired"), T0 + day * DAY)?;
    }
    alone.propose_agreement(&kintsugi_core::AgreementDraft::new("Phones stay open"), T0)?;
    seeds.put("first_document", "ana-alone", &alone.save())?;

    // ---- merge_file: exports, incremental saves, changes one after another.
    seeds.put("merge_file", "ben-whole", &ben.save())?;
    seeds.put(
        "merge_file",
        "ben-after-shared",
        &ben.automerge_mut().save_after(&shared_heads),
    )?;
    seeds.put("merge_file", "ben-changes", &raw(&new_of_ben).concat())?;
    seeds.put("merge_file", "forged-whole", &forger.save())?;
    seeds.put("merge_file", "forged-changes", &raw(&forged).concat())?;
    seeds.put("merge_file", "ana-own-export", &ana_later.save())?;

    // ---- bundle: Ben's plaintexts for Ana, as `bundle::create` lays them out.
    let ben_signer = fixture::signer(Side::Joiner);
    let ana_endpoint = [0x11; 32];
    let mut ben_heads = ben.heads();
    ben_heads.sort();
    let bundles = [
        (
            "since-shared",
            1,
            ben_heads.clone(),
            shared_heads.clone(),
            compressed(&new_of_ben),
        ),
        (
            "full",
            2,
            ben_heads.clone(),
            Vec::new(),
            compressed(&ben.automerge_mut().get_changes(&[])),
        ),
        ("nothing-new", 3, ben_heads.clone(), ben_heads, Vec::new()),
        (
            "forged",
            4,
            forged_heads,
            shared_heads.clone(),
            raw(&forged),
        ),
    ];
    for (name, seq, heads, base, changes) in bundles {
        let plaintext = kintsugi_sync::bundle::fuzzing::plaintext(
            &ben_signer,
            ana_endpoint,
            seq,
            heads,
            base,
            changes,
        );
        seeds.put("bundle", name, &plaintext)?;
    }

    // ---- backup: Ben's backups Ana may take in, as `backup::create` lays them out.
    let ana_as_partner = Partner {
        endpoint_id: "ana-endpoint".into(),
        member_id: fixture::hex(ANA),
        name: "Ana".into(),
        paired_at: T0,
        last_addr: None,
        role: Some("hurt".into()),
        age_recipient: None,
        signing_key: Some(fixture::signer(Side::Inviter).public().to_string()),
        last_synced_at: None,
        actor_ids: vec![fixture::hex(ANA)],
    };
    let backups = [
        ("shared", Some(ana_as_partner.clone()), ben.save(), &b""[..]),
        ("forged", Some(ana_as_partner), forger.save(), b""),
        ("unpaired-private", None, ben.save(), b"private journal"),
    ];
    for (name, partner, shared, private) in backups {
        let plaintext = kintsugi_sync::backup::fuzzing::plaintext(
            &ben_signer,
            "Ben",
            &fixture::hex(BEN),
            partner,
            &shared,
            private,
        );
        seeds.put("backup", name, &plaintext)?;
    }

    // ---- invite: a payload a real node shows, and fields at their edges.
    let dir = tempfile::tempdir()?;
    let phone = Phone::new(&dir, "Ana").await?;
    let real = phone.node.create_invite()?.payload();
    phone.close().await;
    Invite::parse(&real)?;
    seeds.put("invite", "real", real.as_bytes())?;
    seeds.put("invite", "padded", format!("  {real}\n").as_bytes())?;
    seeds.put(
        "invite",
        "extra-fields",
        format!("{real}&v=3&x=1").as_bytes(),
    )?;
    seeds.put("invite", "upper", real.to_uppercase().as_bytes())?;
    let (head, tail) = real.split_once("pair?").context("a pairing payload")?;
    for (key, value) in [
        ("v", "1"),
        ("v", "99999999999999999999"),
        ("exp", "18446744073709551616"),
        ("secret", "AAAA===="),
        ("ticket", "endpoint"),
    ] {
        let fields: Vec<String> = tail
            .split('&')
            .map(|part| match part.split_once('=') {
                Some((k, _)) if k == key => format!("{k}={value}"),
                _ => part.to_owned(),
            })
            .collect();
        let payload = format!("{head}pair?{}", fields.join("&"));
        seeds.put("invite", &format!("{key}-edge"), payload.as_bytes())?;
    }

    // ---- pairing: one real exchange between the two state machines.
    let (to_inviter, to_joiner) = pairing_exchange(&ana.save())?;
    let stream = |side: u8, frames: &[Vec<u8>]| -> Vec<u8> {
        let mut out = vec![side];
        for f in frames {
            frame(&mut out, f);
        }
        out
    };
    seeds.put("pairing", "inviter-reads", &stream(0, &to_inviter))?;
    seeds.put("pairing", "joiner-reads", &stream(1, &to_joiner))?;
    seeds.put(
        "pairing",
        "joiner-refused",
        &stream(1, &[br#"{"result":"refused","reason":"no"}"#.to_vec()]),
    )?;
    let mut said_no = to_inviter.clone();
    said_no[2] = serde_json::to_vec(&Step::Decision { confirmed: false })?;
    seeds.put("pairing", "inviter-reads-no", &stream(0, &said_no))?;

    println!(
        "{} seeds under {}",
        seeds.written,
        root.join("corpus").display()
    );
    Ok(())
}

/// Runs both sides' state machines against each other, as `pairing.rs`
/// drives them over the stream, both users confirming: the joiner's steps
/// and the inviter's answers (with the document after `accepted`), as JSON.
/// Frames, one message (or the document) each.
type Frames = Vec<Vec<u8>>;

fn pairing_exchange(document: &[u8]) -> Result<(Frames, Frames)> {
    let binding = fixture::binding();
    let recipient = |_| age::x25519::Identity::generate().to_public().to_string();
    let mut inviter = Inviter::new(
        binding,
        fixture::NONCE_INVITER,
        fixture::hello(Side::Inviter, &recipient(())),
        fixture::CODE_DIGITS,
    );
    let (mut joiner, mut joiner_effects) = Joiner::start(
        binding,
        &fixture::SECRET,
        fixture::NONCE_JOINER,
        fixture::hello(Side::Joiner, &recipient(())),
        fixture::CODE_DIGITS,
    );
    let (mut to_inviter, mut to_joiner) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let mut steps = Vec::new();
        let mut next = Vec::new();
        for effect in joiner_effects.drain(..) {
            match effect {
                JoinerEffect::Send(step) => steps.push(step),
                JoinerEffect::ShowCode(_) => next.extend(joiner.decided(true)),
                JoinerEffect::Adopt(_) => {
                    to_joiner.push(document.to_vec());
                    return Ok((to_inviter, to_joiner));
                }
                JoinerEffect::Fail(e) => anyhow::bail!("the joiner failed: {e}"),
            }
        }
        joiner_effects = next;
        let mut answers: Vec<Answer> = Vec::new();
        for step in steps {
            to_inviter.push(serde_json::to_vec(&step)?);
            let mut effects = inviter.receive(step);
            while !effects.is_empty() {
                let mut more = Vec::new();
                for effect in effects {
                    match effect {
                        InviterEffect::Redeem(_) => more.extend(inviter.redeemed(Ok(()))),
                        InviterEffect::ShowCode(_) => more.extend(inviter.decided(true)),
                        InviterEffect::Send(answer) => answers.push(answer),
                        InviterEffect::Accept(_) => answers.push(Answer::Accepted),
                        InviterEffect::Fail(e) => anyhow::bail!("the inviter failed: {e}"),
                    }
                }
                effects = more;
            }
        }
        for answer in answers {
            to_joiner.push(serde_json::to_vec(&answer)?);
            joiner_effects.extend(joiner.receive(answer));
        }
    }
    anyhow::bail!("the exchange did not finish")
}
