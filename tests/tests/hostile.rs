//! Hostile input against a real node, over real iroh endpoints on 127.0.0.1
//! with relays, address lookup and port mapping off.
//!
//! Two attackers. A stranger (a fresh endpoint key) talks to the pairing
//! protocol of a phone showing a code. A hostile partner talks to the sync
//! protocol with the paired partner's own endpoint key: the real Ben is
//! paired with Ana, his node is shut down, and a raw endpoint takes his key
//! from his data directory, so Ana admits it and reads whatever it sends.
//! Each attack must be refused by Ana closing the connection, change nothing
//! on Ana's side (document heads and every file in her data directory), panic
//! nowhere, and leave Ana working with the real Ben afterwards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use automerge::sync::{Message, State, SyncDoc};
use automerge::{ActorId, ChangeHash};
use iroh::endpoint::{Connection, ConnectionError, PortmapperConfig, VarInt, presets};
use iroh::{Endpoint, SecretKey};
use kintsugi_core::storage::files::ENDPOINT_KEY;
use kintsugi_core::{CoupleDoc, Device, sync_budget};
use kintsugi_sync::framing::{FrameReader, FrameWriter, MAX_FRAME, decode_frames};
use kintsugi_sync::pairing::PAIR_ALPN;
use kintsugi_sync::protocol::{SYNC_ALPN, TURN_TIMEOUT};
use kintsugi_tests::bench::storage::memory_kib;
use kintsugi_tests::fixture::{CoupleFixture, DAY_MS};
use kintsugi_tests::{Phone, bounded, checkin_on, join_confirmed, pair, unlock};
use tempfile::TempDir;

/// The first bytes of every Automerge document and change chunk: a reply
/// holding them would be document bytes.
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

// ------------------------------------------------------------- panics

/// Panics raised anywhere but in this file's own assertions (the node's
/// tasks run on the test's runtime, and tokio would swallow their panics).
static FOREIGN_PANICS: AtomicUsize = AtomicUsize::new(0);

fn watch_panics() {
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ours = info
                .location()
                .is_some_and(|l| l.file().ends_with("hostile.rs"));
            if !ours {
                FOREIGN_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info);
        }));
    });
}

fn assert_no_panics() {
    assert_eq!(
        FOREIGN_PANICS.load(Ordering::SeqCst),
        0,
        "something panicked while handling hostile input (see the output above)"
    );
}

// ------------------------------------------------------------- endpoints and frames

/// A raw endpoint on 127.0.0.1 that sends nothing anywhere else.
async fn raw_endpoint(key: Option<SecretKey>) -> Result<Endpoint> {
    let mut builder = Endpoint::builder(presets::Minimal)
        .relay_mode(iroh::RelayMode::Disabled)
        .clear_relay_transports()
        .portmapper_config(PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0")?;
    if let Some(key) = key {
        builder = builder.secret_key(key);
    }
    Ok(builder.bind().await?)
}

/// One length-delimited frame as the codec writes it: 4-byte big-endian length.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(payload.len())
        .expect("test frames are small")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(payload);
    out
}

/// A length header alone, claiming `len` bytes that never come.
fn header(len: u32) -> Vec<u8> {
    len.to_be_bytes().to_vec()
}

/// What the attacker does once its bytes are out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    /// Finish the stream: the peer sees the end.
    Finish,
    /// Keep the stream open and say nothing more, so only the bytes already
    /// sent can explain a refusal.
    Stall,
}

/// What the attacker saw of one attempt.
#[derive(Debug)]
struct Attempt {
    /// Every byte the node wrote back before the stream or connection ended.
    reply: Vec<u8>,
    /// Why the connection ended.
    closed: ConnectionError,
    /// From the attacker's first byte to the connection's end.
    elapsed: Duration,
}

impl Attempt {
    /// The node closed the connection itself, as a failure (code 0 is
    /// "done", what a finished session sends).
    fn assert_closed_by_node(&self) {
        match &self.closed {
            ConnectionError::ApplicationClosed(close) => {
                assert_ne!(close.error_code, VarInt::from_u32(0), "{close:?}")
            }
            other => panic!("expected the node to close the connection, got {other:?}"),
        }
    }

    /// No frame the node sent back holds document bytes.
    fn assert_no_document_bytes(&self) {
        let frames = decode_frames(&self.reply, MAX_FRAME).unwrap_or_default();
        for f in &frames {
            assert!(
                !f.windows(4).any(|w| w == AUTOMERGE_MAGIC),
                "the node sent Automerge data: {} bytes",
                f.len()
            );
        }
        assert!(
            !self.reply.windows(4).any(|w| w == AUTOMERGE_MAGIC),
            "the node sent Automerge data"
        );
    }
}

/// Dials `target` on `alpn`, opens a stream, writes `bytes`, then does
/// `then`; returns once the node has closed the connection.
async fn attempt(
    from: &Endpoint,
    target: iroh::EndpointAddr,
    alpn: &[u8],
    bytes: &[u8],
    then: Then,
) -> Result<Attempt> {
    let conn = bounded("dial", from.connect(target, alpn)).await??;
    let started = Instant::now();
    let (mut send, mut recv) = conn.open_bi().await?;
    send.write_all(bytes).await?;
    if then == Then::Finish {
        send.finish()?;
    }
    // A refusal arrives as a finished stream, a reset, or the connection
    // closing: all that matters is what was written before it.
    let reply = bounded("the node's reply", recv.read_to_end(1 << 20))
        .await?
        .unwrap_or_default();
    let closed = bounded("the node closing", conn.closed()).await?;
    Ok(Attempt {
        reply,
        closed,
        elapsed: started.elapsed(),
    })
}

// ------------------------------------------------------------- a hostile partner

/// Ana, paired with Ben, and Ben's endpoint key taken from his data
/// directory while his node is down.
struct Scene {
    _root: TempDir,
    ana: Phone,
    ben_dir: PathBuf,
    ben_key: SecretKey,
    /// Ana's state before the attack.
    before: AnaState,
}

#[derive(Debug, PartialEq, Eq)]
struct AnaState {
    heads: Vec<ChangeHash>,
    files: BTreeMap<PathBuf, Vec<u8>>,
}

fn ana_state(ana: &Phone) -> Result<AnaState> {
    let mut heads = ana.device().doc_mut()?.heads();
    heads.sort();
    let mut files = BTreeMap::new();
    read_tree(&ana.dir, &ana.dir, &mut files)?;
    Ok(AnaState { heads, files })
}

fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            read_tree(root, &path, out)?;
        } else {
            let name = path.strip_prefix(root)?.to_owned();
            // The pause marker is the refusal's own doing (the status it
            // shows), not a change to what Ana holds.
            if name.as_path() != Path::new(kintsugi_core::storage::files::SYNC_PAUSED) {
                out.insert(name, std::fs::read(&path)?);
            }
        }
    }
    Ok(())
}

impl Scene {
    async fn new() -> Result<Scene> {
        watch_panics();
        let root = tempfile::tempdir()?;
        let ana = Phone::new(&root, "Ana").await?;
        let ben = Phone::new(&root, "Ben").await?;
        pair(&ana, &ben).await?;
        ana.device()
            .record_checkin(&checkin_on(1, 4, "Ana's, before"))?;
        ben.device()
            .record_checkin(&checkin_on(1, 6, "Ben's, before"))?;
        bounded("sync", ben.node.sync_now()).await??;
        ensure!(
            ana.device().doc_mut()?.heads() == ben.device().doc_mut()?.heads(),
            "the two phones did not converge"
        );
        let ben_dir = ben.dir.clone();
        ben.close().await;
        let ben_key = endpoint_key(&ben_dir)?;
        let before = ana_state(&ana)?;
        Ok(Scene {
            _root: root,
            ana,
            ben_dir,
            ben_key,
            before,
        })
    }

    /// A raw endpoint holding Ben's key: Ana admits it as her partner.
    async fn as_ben(&self) -> Result<Endpoint> {
        raw_endpoint(Some(self.ben_key.clone())).await
    }

    async fn attack(&self, bytes: &[u8], then: Then) -> Result<Attempt> {
        let hostile = self.as_ben().await?;
        let outcome = attempt(&hostile, self.ana.node.addr(), SYNC_ALPN, bytes, then).await;
        hostile.close().await;
        outcome
    }

    /// Nothing changed on Ana's side, and nothing panicked.
    fn assert_untouched(&self) -> Result<()> {
        let now = ana_state(&self.ana)?;
        assert_eq!(now.heads, self.before.heads, "Ana's document changed");
        let changed: Vec<_> = now
            .files
            .keys()
            .chain(self.before.files.keys())
            .filter(|k| now.files.get(*k) != self.before.files.get(*k))
            .collect();
        assert!(
            changed.is_empty(),
            "files changed in Ana's data directory: {changed:?}"
        );
        assert_no_panics();
        Ok(())
    }

    /// The real Ben comes back and, once Ana asks to sync again (a refusal
    /// paused it), both directions of sync work.
    async fn real_ben_still_syncs(self) -> Result<()> {
        self.ana.node.resume()?;
        let ben = Phone::open(&self.ben_dir).await?;
        ben.device()
            .record_checkin(&checkin_on(2, 7, "Ben's, after"))?;
        bounded("Ben syncs", ben.node.sync_now()).await??;
        self.ana
            .device()
            .record_checkin(&checkin_on(2, 5, "Ana's, after"))?;
        bounded("Ana syncs", self.ana.node.sync_now()).await??;
        let notes = |phone: &Phone| -> Result<Vec<String>> {
            let mut notes: Vec<String> = phone
                .device()
                .checkins()?
                .into_iter()
                .filter_map(|c| c.note)
                .collect();
            notes.sort();
            Ok(notes)
        };
        let expected = [
            "Ana's, after",
            "Ana's, before",
            "Ben's, after",
            "Ben's, before",
        ];
        assert_eq!(notes(&self.ana)?, expected);
        assert_eq!(notes(&ben)?, expected);
        assert_no_panics();
        ben.close().await;
        self.ana.close().await;
        Ok(())
    }
}

/// The endpoint key a device keeps (encrypted) in its data directory.
fn endpoint_key(dir: &Path) -> Result<SecretKey> {
    let device = Device::open(dir, &unlock())?;
    let bytes = device
        .store()
        .read(ENDPOINT_KEY)?
        .context("the device has no endpoint key")?;
    let bytes: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .context("the endpoint key is not 32 bytes")?;
    Ok(SecretKey::from_bytes(&bytes))
}

// ------------------------------------------------------------- sync: frames

#[tokio::test]
async fn an_oversize_frame_header_is_refused_at_once() -> Result<()> {
    let scene = Scene::new().await?;
    for claimed in [MAX_FRAME as u32 + 1, u32::MAX] {
        // Only the header goes out, and the stream stays open: a node that
        // meant to buffer the claimed size would sit waiting for it.
        let mut bytes = header(claimed);
        bytes.extend_from_slice(b"a few bytes of the body");
        let attempt = scene.attack(&bytes, Then::Stall).await?;
        attempt.assert_closed_by_node();
        assert!(attempt.reply.is_empty(), "{attempt:?}");
        assert!(
            attempt.elapsed < TURN_TIMEOUT,
            "refused only after {:?}: the header alone must do it",
            attempt.elapsed
        );
        scene.assert_untouched()?;
    }
    scene.real_ben_still_syncs().await
}

#[tokio::test]
async fn a_garbage_sync_frame_is_refused() -> Result<()> {
    let scene = Scene::new().await?;
    let garbage: [&[u8]; 3] = [
        // Not a sync message at all.
        &[0xff; 64],
        // The V1 sync message type byte, then nonsense.
        &[0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
        // A V2 message announcing one head, cut short.
        &[0x43, 0x01, 0xaa, 0xbb],
    ];
    for payload in garbage {
        ensure!(Message::decode(payload).is_err(), "{payload:?} decodes");
        let attempt = scene.attack(&frame(payload), Then::Stall).await?;
        attempt.assert_closed_by_node();
        assert!(attempt.reply.is_empty(), "{attempt:?}");
        assert!(attempt.elapsed < TURN_TIMEOUT, "{attempt:?}");
        scene.assert_untouched()?;
    }
    scene.real_ben_still_syncs().await
}

#[tokio::test]
async fn a_frame_cut_midway_is_refused() -> Result<()> {
    let scene = Scene::new().await?;
    let mut ten_of_a_thousand = header(1_000);
    ten_of_a_thousand.extend_from_slice(&[0x42; 10]);
    // The header promises 1,000 bytes, then the stream ends: after 10 of
    // them, right after the header, or inside the header itself.
    for cut in [ten_of_a_thousand, header(1_000), vec![0, 0]] {
        let attempt = scene.attack(&cut, Then::Finish).await?;
        attempt.assert_closed_by_node();
        assert!(attempt.reply.is_empty(), "{attempt:?}");
        assert!(attempt.elapsed < TURN_TIMEOUT, "{attempt:?}");
        scene.assert_untouched()?;
    }
    scene.real_ben_still_syncs().await
}

#[tokio::test]
async fn a_peer_that_stalls_inside_a_frame_is_cut_off_after_the_turn_timeout() -> Result<()> {
    let scene = Scene::new().await?;
    // Half a header: the stream exists for Ana, and her session waits.
    let attempt = scene.attack(&[0, 0], Then::Stall).await?;
    attempt.assert_closed_by_node();
    assert!(attempt.reply.is_empty(), "{attempt:?}");
    assert!(
        attempt.elapsed >= TURN_TIMEOUT - Duration::from_millis(500)
            && attempt.elapsed < TURN_TIMEOUT + Duration::from_secs(5),
        "cut off after {:?}, expected about {TURN_TIMEOUT:?}",
        attempt.elapsed
    );
    scene.assert_untouched()?;
    scene.real_ben_still_syncs().await
}

#[tokio::test]
async fn sync_messages_automerge_would_crash_on_are_refused() -> Result<()> {
    let scene = Scene::new().await?;
    let held = scene.ana.device().doc_mut()?.heads()[0];
    let message = |have: Vec<automerge::sync::Have>, need: Vec<ChangeHash>| Message {
        heads: Vec::new(),
        need,
        have,
        changes: automerge::sync::ChunkList::empty(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    };
    // Automerge 0.12 accepts each, then panics building its answer: a
    // summary whose Bloom filter has one entry and no bits (a division by
    // zero), and a change Ana holds asked for twice.
    let no_bits = automerge::sync::Have {
        last_sync: Vec::new(),
        bloom: automerge::sync::BloomFilter::try_from(&[1u8, 0, 7][..])?,
    };
    for crafted in [
        message(vec![no_bits], Vec::new()),
        message(Vec::new(), vec![held, held]),
    ] {
        let attempt = scene.attack(&frame(&crafted.encode()), Then::Stall).await?;
        attempt.assert_closed_by_node();
        assert!(attempt.reply.is_empty(), "{attempt:?}");
        assert!(attempt.elapsed < TURN_TIMEOUT, "{attempt:?}");
        scene.assert_untouched()?;
    }
    scene.real_ben_still_syncs().await
}

/// A stream the node never sees: QUIC announces a stream with its first
/// byte, so Ana's handler waits for it in `accept_bi`, bounded by
/// `TURN_TIMEOUT`.
#[tokio::test]
async fn a_peer_that_opens_a_stream_and_sends_nothing_is_cut_off() -> Result<()> {
    let scene = Scene::new().await?;
    let hostile = scene.as_ben().await?;
    let conn = bounded("dial", hostile.connect(scene.ana.node.addr(), SYNC_ALPN)).await??;
    let started = Instant::now();
    let (_send, _recv) = conn.open_bi().await?;
    let closed = bounded("Ana closing", conn.closed()).await?;
    let attempt = Attempt {
        reply: Vec::new(),
        closed,
        elapsed: started.elapsed(),
    };
    attempt.assert_closed_by_node();
    assert!(
        attempt.elapsed < TURN_TIMEOUT + Duration::from_secs(5),
        "{attempt:?}"
    );
    hostile.close().await;
    scene.assert_untouched()?;
    scene.real_ben_still_syncs().await
}

// ------------------------------------------------------------- sync: forged actor

/// The dialler's side of a sync session, driven by hand with `doc`.
/// Returns `None` if the session finished normally, or why Ana closed it.
async fn raw_session(
    conn: &Connection,
    doc: &mut automerge::AutoCommit,
) -> Result<Option<ConnectionError>> {
    let (send, recv) = conn.open_bi().await?;
    let mut writer = FrameWriter::new(send, MAX_FRAME);
    let mut reader = FrameReader::new(recv, MAX_FRAME);
    let mut state = State::new();
    for _ in 0..20 {
        let next = doc.sync().generate_sync_message(&mut state);
        let sent = writer
            .send(next.map(Message::encode).unwrap_or_default())
            .await;
        let reply = match sent {
            Ok(()) => bounded("Ana's reply", reader.next()).await?,
            Err(e) => Err(e),
        };
        match reply {
            Ok(Some(frame)) if frame.is_empty() => {}
            Ok(Some(frame)) => doc
                .sync()
                .receive_sync_message(&mut state, Message::decode(&frame)?)?,
            // Ana has nothing more to say: end our side as a node would.
            Ok(None) => {
                writer.finish().await?;
                conn.close(VarInt::from_u32(0), b"done");
                return Ok(None);
            }
            Err(_) => return Ok(Some(bounded("Ana closing", conn.closed()).await?)),
        }
    }
    bail!("the session did not settle")
}

#[tokio::test]
async fn a_change_in_the_receivers_name_is_refused_end_to_end() -> Result<()> {
    let scene = Scene::new().await?;
    let ana_actor: ActorId = scene
        .ana
        .device()
        .doc_mut()?
        .automerge_mut()
        .get_actor()
        .clone();

    // Control: the hand-driven client speaks the protocol. An honest change
    // written on Ben's device (so his own disk holds it) goes through.
    let bens_doc = {
        let mut ben = Device::open(&scene.ben_dir, &unlock())?;
        ben.update(|doc, now| doc.appreciate("Thank you for listening", now))?;
        ben.doc_mut()?.save()
    };
    let hostile = scene.as_ben().await?;
    let conn = bounded("dial", hostile.connect(scene.ana.node.addr(), SYNC_ALPN)).await??;
    let mut honest = automerge::AutoCommit::load(&bens_doc)?;
    assert_eq!(raw_session(&conn, &mut honest).await?, None);
    let texts = |phone: &Phone| -> Result<Vec<String>> {
        Ok(phone
            .device()
            .doc()?
            .appreciations()
            .into_iter()
            .map(|a| a.text)
            .collect())
    };
    assert_eq!(texts(&scene.ana)?, ["Thank you for listening"]);
    let before = ana_state(&scene.ana)?;

    // The forgery: Ben's copy of the document, writing with Ana's actor id
    // (and, since the core writes its own id as author, in her name).
    let mut forger = CoupleDoc::load(&honest.save(), &ana_actor)?;
    forger.appreciate("Nothing you do is enough", kintsugi_core::now_millis())?;
    let conn = bounded("dial", hostile.connect(scene.ana.node.addr(), SYNC_ALPN)).await??;
    let closed = raw_session(&conn, forger.automerge_mut()).await?;
    match closed {
        Some(ConnectionError::ApplicationClosed(close)) => {
            assert_ne!(close.error_code, VarInt::from_u32(0), "{close:?}")
        }
        other => panic!("expected Ana to close the session, got {other:?}"),
    }
    hostile.close().await;

    assert_eq!(ana_state(&scene.ana)?, before, "Ana's side changed");
    assert_eq!(texts(&scene.ana)?, ["Thank you for listening"]);
    assert_no_panics();
    scene.real_ben_still_syncs().await
}

// ------------------------------------------------------------- pairing

/// A request in the shape the joiner sends (the fields of every pairing
/// version, so it parses whichever the node speaks) with a proof that
/// proves nothing.
fn bogus_request(proof: &str) -> Vec<u8> {
    let addr = "endpointaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let hello = serde_json::json!({
        "name": "Eve",
        "member_id": "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0",
        "role": null,
        "addr": addr,
        "age_recipient": age::x25519::Identity::generate().to_public().to_string(),
        "signing_key": SecretKey::generate().public().to_string(),
    });
    let mut request = hello.clone();
    request["hello"] = hello;
    request["proof"] = proof.into();
    request["step"] = "commit".into();
    request["commitment"] = "c".repeat(64).into();
    serde_json::to_vec(&request).expect("serialises")
}

#[tokio::test]
async fn a_stranger_on_the_pairing_protocol_gets_nothing_and_the_real_code_still_works()
-> Result<()> {
    watch_panics();
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let payload = ana.node.create_invite()?.payload();

    let mut cut = header(500);
    cut.extend_from_slice(b"{\"name\":");
    let attacks: Vec<(&str, Vec<u8>, Then)> = vec![
        ("not JSON", frame(&[0xff; 200]), Then::Finish),
        (
            "a well-formed request, proof of zeros",
            frame(&bogus_request(&"0".repeat(64))),
            Then::Finish,
        ),
        (
            "a proof that is not hex",
            frame(&bogus_request("not a proof")),
            Then::Finish,
        ),
        ("an empty request", frame(b""), Then::Finish),
        (
            "a request over the size limit",
            header(1 << 20),
            Then::Stall,
        ),
        ("a stream cut inside the request", cut, Then::Finish),
    ];
    let stranger = raw_endpoint(None).await?;
    for (what, bytes, then) in attacks {
        let attempt = attempt(&stranger, ana.node.addr(), PAIR_ALPN, &bytes, then)
            .await
            .with_context(|| what.to_owned())?;
        attempt.assert_closed_by_node();
        attempt.assert_no_document_bytes();
        // At most a refusal comes back: never Ana's nonce (the proof held),
        // nor anything after it.
        for reply in decode_frames(&attempt.reply, MAX_FRAME).unwrap_or_default() {
            let answer: serde_json::Value = serde_json::from_slice(&reply)
                .with_context(|| format!("{what}: the answer is not JSON"))?;
            assert_eq!(answer["result"], "refused", "{what}: {answer}");
        }
        assert!(ana.node.partner().is_none(), "{what}");
        assert_eq!(ana.device().members()?.len(), 1, "{what}");
    }
    stranger.close().await;
    assert_no_panics();

    // The code Ana showed still pairs her real partner.
    bounded("join", join_confirmed(&ana, &ben, &payload)).await??;
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Ben".into()));
    assert_no_panics();
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_stranger_stalling_on_the_pairing_protocol_does_not_hold_up_the_partner() -> Result<()> {
    watch_panics();
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let payload = ana.node.create_invite()?.payload();

    // Half a length header, then silence, on an open connection.
    let stranger = raw_endpoint(None).await?;
    let conn = bounded("dial", stranger.connect(ana.node.addr(), PAIR_ALPN)).await??;
    let (mut send, _recv) = conn.open_bi().await?;
    send.write_all(&[0, 0]).await?;

    bounded("join", join_confirmed(&ana, &ben, &payload)).await??;
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Ben".into()));
    stranger.close().await;
    assert_no_panics();
    ana.close().await;
    ben.close().await;
    Ok(())
}

// ------------------------------------------------------------- sync: the message budget

/// A compressed change chunk (type 2) whose deflate data inflates to
/// `change`'s body followed by `zeros` zero bytes (which Automerge would
/// keep as the change's extra bytes): a deflate bomb about 1/160 of its
/// inflated size.
fn compressed_change_bomb(change: &[u8], zeros: u64) -> Vec<u8> {
    // The body follows the magic bytes, checksum, type and LEB128 length.
    let mut at = 9;
    while change[at] & 0x80 != 0 {
        at += 1;
    }
    let body = &change[at + 1..];
    let deflated = deflate_then_zeros(body, zeros);
    let mut chunk = change[..8].to_vec();
    chunk.push(2);
    let mut len = deflated.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            chunk.push(byte);
            break;
        }
        chunk.push(byte | 0x80);
    }
    chunk.extend(deflated);
    chunk
}

/// Raw deflate of `prefix` then `zeros` zero bytes, written by hand as one
/// block with the fixed Huffman codes (RFC 1951, 3.2.6): after one literal
/// zero, each 258 zeros are a copy at distance 1 in 13 bits.
fn deflate_then_zeros(prefix: &[u8], zeros: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut pending, mut count) = (0u64, 0u32);
    // Fields go least significant bit first, Huffman codes most significant first.
    let mut push = |value: u32, len: u32, huffman: bool| {
        let value = if huffman {
            value.reverse_bits() >> (32 - len)
        } else {
            value
        };
        pending |= u64::from(value) << count;
        count += len;
        while count >= 8 {
            out.push(pending as u8);
            pending >>= 8;
            count -= 8;
        }
    };
    let literal = |push: &mut dyn FnMut(u32, u32, bool), byte: u8| match byte {
        0..=143 => push(0x30 + u32::from(byte), 8, true),
        _ => push(0x190 + u32::from(byte - 144), 9, true),
    };
    push(0b011, 3, false); // the last block; fixed codes
    for &byte in prefix {
        literal(&mut push, byte);
    }
    let mut left = zeros;
    if left > 0 {
        literal(&mut push, 0);
        left -= 1;
    }
    while left >= 258 {
        push(0b1100_0101, 8, true); // length 258 (symbol 285)
        push(0, 5, true); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        literal(&mut push, 0);
    }
    push(0, 7, true); // end of block (symbol 256)
    push(0, 7, false); // flush the last partial byte
    out
}

/// A V1 sync message carrying `chunks`.
fn message_of(chunks: Vec<Vec<u8>>) -> Vec<u8> {
    Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: automerge::sync::ChunkList::from(chunks),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode()
}

#[tokio::test]
async fn a_deflate_bomb_from_the_partner_is_refused_in_bounded_memory() -> Result<()> {
    let scene = Scene::new().await?;
    // A real change written on Ben's device, inflating to 256 MiB: without
    // the budget Automerge inflates all of it (twice: reading the change,
    // then again in a trial copy), ~780 MB at peak.
    let change = {
        let mut ben = Device::open(&scene.ben_dir, &unlock())?;
        ben.update(|doc, now| doc.appreciate("Thank you for listening", now))?;
        let doc = ben.doc_mut()?.automerge_mut();
        doc.get_last_local_change()
            .context("Ben wrote a change")?
            .raw_bytes()
            .to_vec()
    };
    let inflated: u64 = 256 << 20;
    let bomb = message_of(vec![compressed_change_bomb(&change, inflated)]);
    ensure!(bomb.len() < 2 << 20, "a {}-byte bomb", bomb.len());
    ensure!(Message::decode(&bomb).is_ok(), "Automerge would decode it");

    let (attempt, growth) = {
        let hostile = scene.as_ben().await?;
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let (_, before) = memory_kib();
        let outcome = attempt(
            &hostile,
            scene.ana.node.addr(),
            SYNC_ALPN,
            &frame(&bomb),
            Then::Stall,
        )
        .await;
        let (peak, _) = memory_kib();
        hostile.close().await;
        (outcome?, reset.then(|| peak.saturating_sub(before) / 1000))
    };
    attempt.assert_closed_by_node();
    assert!(attempt.reply.is_empty(), "{attempt:?}");
    assert!(attempt.elapsed < TURN_TIMEOUT, "{attempt:?}");
    scene.assert_untouched()?;
    // The process's peak rose by less than the bomb's inflated size: at most
    // the inflation budget (32 MiB, in a growing buffer) plus what the other
    // tests running beside this one hold. Where the peak cannot be reset,
    // this part is skipped.
    if let Some(mb) = growth {
        println!("peak resident memory during the attack: +{mb} MB");
        assert!(
            mb < inflated >> 20,
            "peak memory rose by {mb} MB during the attack: the bomb was inflated"
        );
    }
    scene.real_ben_still_syncs().await
}

/// 2016-01-04, a Monday: the fixture's first day (as in `kintsugi-bench`).
const FIXTURE_START: i64 = 1_451_865_600_000;

/// Ana's and Ben's replicas after `years` of the fixture, synced weekly and
/// at the end, the document as pairing left it, and the day after the last
/// one lived.
fn fixture_couple(years: u32) -> Result<(CoupleDoc, CoupleDoc, Vec<u8>, u32)> {
    let mut ana = CoupleDoc::create(&ActorId::from(vec![0xa; 16]), "Ana", FIXTURE_START)?;
    let mut ben = CoupleDoc::load(&ana.save(), &ActorId::from(vec![0xb; 16]))?;
    ben.set_my_name("Ben", FIXTURE_START + 1)?;
    ana.merge_bytes(&ben.save())?;
    let paired = ana.save();
    let days = years * 365 + years / 4;
    let mut fx = CoupleFixture::new(&mut ana, &mut ben, 7);
    fx.live(FIXTURE_START, days, 7);
    fx.sync();
    Ok((ana, ben, paired, days))
}

/// Automerge's own sync between `a` and `b` from the given states until
/// both are quiet: every message sent, encoded.
fn sync_messages(
    a: &mut automerge::AutoCommit,
    b: &mut automerge::AutoCommit,
    mut sa: State,
    mut sb: State,
) -> Result<Vec<Vec<u8>>> {
    fn one_way(
        from: &mut automerge::AutoCommit,
        to: &mut automerge::AutoCommit,
        s_from: &mut State,
        s_to: &mut State,
        sent: &mut Vec<Vec<u8>>,
    ) -> Result<bool> {
        let Some(message) = from.sync().generate_sync_message(s_from) else {
            return Ok(false);
        };
        let bytes = message.encode();
        to.sync()
            .receive_sync_message(s_to, Message::decode(&bytes)?)?;
        sent.push(bytes);
        Ok(true)
    }
    let mut sent = Vec::new();
    for _ in 0..20 {
        let a_spoke = one_way(a, b, &mut sa, &mut sb, &mut sent)?;
        let b_spoke = one_way(b, a, &mut sb, &mut sa, &mut sent)?;
        if !a_spoke && !b_spoke {
            ensure!(
                a.get_heads() == b.get_heads(),
                "the replicas did not converge"
            );
            return Ok(sent);
        }
    }
    bail!("the sync did not settle")
}

/// The two syncs the budget must carry, from `years` of the fixture:
///
/// - the first sync of a device holding only what pairing gave it: Ana
///   sends the whole document as one V2 document chunk;
/// - a catch-up after 30 days apart, from the shared heads both devices
///   persist.
///
/// Returns every message of each.
struct FixtureSyncs {
    first: Vec<Vec<u8>>,
    catch_up: Vec<Vec<u8>>,
}

fn fixture_syncs(years: u32) -> Result<FixtureSyncs> {
    let (mut ana, mut ben, paired, days) = fixture_couple(years)?;
    let mut new_device =
        automerge::AutoCommit::load(&paired)?.with_actor(ActorId::from(vec![0xd; 16]));
    let first = sync_messages(
        ana.automerge_mut(),
        &mut new_device,
        State::new(),
        State::new(),
    )?;
    let mut shared = State::new();
    shared.shared_heads = ana.heads();
    shared.shared_heads.sort();
    {
        let mut fx = CoupleFixture::new(&mut ana, &mut ben, u64::from(days)).after_days(days);
        fx.live(FIXTURE_START + i64::from(days) * DAY_MS, 30, 0);
    }
    let persisted = |s: &State| State::decode(&s.encode());
    let catch_up = sync_messages(
        ana.automerge_mut(),
        ben.automerge_mut(),
        persisted(&shared)?,
        persisted(&shared)?,
    )?;
    Ok(FixtureSyncs { first, catch_up })
}

/// The message of `messages` that carries changes.
fn the_one_with_changes(messages: &[Vec<u8>]) -> Result<&Vec<u8>> {
    let mut with = messages
        .iter()
        .filter(|m| Message::decode(m).is_ok_and(|m| !m.changes.is_empty()));
    let first = with.next().context("no message carried changes")?;
    ensure!(
        with.next().is_none(),
        "changes came in more than one message"
    );
    Ok(first)
}

/// Real messages of a year of the fixture (`KINTSUGI_BUDGET_YEARS` for
/// more; ten take minutes even in a release build) pass the budget with
/// room to spare and decode exactly as Automerge decodes them.
#[test]
fn real_sync_messages_pass_the_budget_unchanged() -> Result<()> {
    let years = std::env::var("KINTSUGI_BUDGET_YEARS")
        .ok()
        .map(|y| y.parse())
        .transpose()?
        .unwrap_or(1);
    let syncs = fixture_syncs(years)?;
    for bytes in syncs.first.iter().chain(&syncs.catch_up) {
        let cost = kintsugi_core::precheck_sync_message(bytes)?;
        assert_eq!(
            kintsugi_core::decode_sync_message(bytes)?,
            Message::decode(bytes)?
        );
        // Room for several times this much.
        assert!(cost.ops <= sync_budget::MAX_OPS / 3, "{cost:?}");
        assert!(cost.changes <= sync_budget::MAX_CHANGES / 3, "{cost:?}");
        assert!(
            cost.inflated_bytes <= sync_budget::MAX_INFLATED_BYTES / 3,
            "{cost:?}"
        );
        assert!(
            cost.text_bytes <= sync_budget::MAX_TEXT_BYTES / 3,
            "{cost:?}"
        );
        assert!(cost.chunks <= sync_budget::MAX_CHUNKS / 3, "{cost:?}");
    }
    let document = Message::decode(the_one_with_changes(&syncs.first)?)?;
    assert_eq!(document.version, automerge::sync::MessageVersion::V2);
    assert_eq!(document.changes.len(), 1);
    let chunk = document.changes.iter().next().context("a chunk")?;
    assert_eq!(chunk[8], 0, "a document chunk");
    Ok(())
}

/// A partner's app that floods a conversation with frames (each one a
/// valid, empty-handed sync message) is cut off once past the
/// conversation's rate limit: the node closes the connection at once,
/// long before the frames or its patience run out, keeps nothing, does not
/// pause (a flood is not a refused change), and the real Ben syncs after.
#[tokio::test]
async fn a_flood_of_frames_is_cut_off_by_the_rate_limit() -> Result<()> {
    let scene = Scene::new().await?;
    let mut heads = scene.ana.device().doc_mut()?.heads();
    heads.sort();
    let hello = Message {
        heads,
        need: Vec::new(),
        have: Vec::new(),
        changes: automerge::sync::ChunkList::from(Vec::<Vec<u8>>::new()),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode();
    let sent = 2_000;
    let flood: Vec<u8> = (0..sent).flat_map(|_| frame(&hello)).collect();
    let attempt = scene.attack(&flood, Then::Stall).await?;
    attempt.assert_closed_by_node();
    assert!(attempt.elapsed < TURN_TIMEOUT, "{:?}", attempt.elapsed);
    let answered = decode_frames(&attempt.reply, MAX_FRAME)
        .unwrap_or_default()
        .len();
    assert!(
        answered <= kintsugi_sync::quota::FRAME_BURST as usize + 1,
        "the node answered {answered} of {sent} frames"
    );
    assert!(
        !matches!(
            scene.ana.node.status().borrow().state,
            kintsugi_sync::SyncState::Paused { .. }
        ),
        "a flood paused sync"
    );
    scene.assert_untouched()?;
    scene.real_ben_still_syncs().await
}

/// An unmodified app writing far more than a couple does in a day (here
/// against a quota lowered for the test) fills the partner's growth quota:
/// Ana's device takes in what fits, then leaves Ben's further changes
/// unread, shows the quota status, and still sends its own changes to Ben.
#[tokio::test]
async fn a_partner_writing_past_the_daily_quota_waits_and_ana_still_sends() -> Result<()> {
    let root = tempfile::tempdir()?;
    let quota = kintsugi_sync::quota::Allowance {
        ops: 400,
        changes: 30,
    };
    let config = kintsugi_sync::NetworkConfig {
        growth_quota: quota,
        ..kintsugi_sync::NetworkConfig::loopback()
    };
    let ana = Phone::new_with(&root, "Ana", &config).await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    bounded("first sync", ben.node.sync_now()).await??;

    // A day of 20 appreciations fits; 50 more the next hour do not.
    for i in 0..20 {
        ben.device()
            .update(|doc, now| doc.appreciate(&format!("Thank you, {i}"), now))?;
    }
    bounded("Ben syncs the first day", ben.node.sync_now()).await??;
    assert_eq!(ana.device().doc()?.appreciations().len(), 20);
    for i in 20..70 {
        ben.device()
            .update(|doc, now| doc.appreciate(&format!("Thank you, {i}"), now))?;
    }
    ana.device()
        .record_checkin(&checkin_on(3, 6, "Ana's, during the flood"))?;
    let before = ana.device().doc_mut()?.heads();
    // Ben's sync ends normally: nothing of his new changes is read, and
    // Ana's check-in reaches him in the same conversation.
    let _ = bounded("Ben syncs past the quota", ben.node.sync_now()).await?;
    let mut after = ana.device().doc_mut()?.heads();
    let mut before = before;
    before.sort();
    after.sort();
    assert_eq!(after, before, "Ana took in changes past the quota");
    assert_eq!(ana.device().doc()?.appreciations().len(), 20);
    let state = ana.node.status().borrow().state;
    let kintsugi_sync::SyncState::QuotaReached { until } = state else {
        panic!("Ana's status: {state:?}");
    };
    let now = kintsugi_core::now_millis();
    assert!(until > now && until <= now + kintsugi_sync::quota::WINDOW_MS);
    let notes: Vec<String> = ben
        .device()
        .checkins()?
        .into_iter()
        .filter_map(|c| c.note)
        .collect();
    assert!(
        notes.iter().any(|n| n == "Ana's, during the flood"),
        "Ana's check-in did not reach Ben: {notes:?}"
    );
    // Kept across a restart of Ana's app.
    let saved = ana
        .device()
        .store()
        .read(kintsugi_core::storage::files::SYNC_QUOTA)?
        .context("the quota is saved")?;
    assert!(!saved.is_empty());
    assert_no_panics();
    ana.close().await;
    ben.close().await;
    Ok(())
}
