//! Pairing over real iroh endpoints on 127.0.0.1.

use std::time::Duration;

use anyhow::{Context, Result};
use iroh::SecretKey;
use kintsugi_sync::pairing::exchange::{self, Answer, COMMITMENT_MISMATCH, Side, Step};
use kintsugi_sync::pairing::{NOT_SHOWING_A_CODE, PAIR_ALPN, connection_binding};
use kintsugi_sync::partner::PARTNER_FILE;
use kintsugi_sync::{Invite, SyncError};
use kintsugi_tests::{Phone, bounded, join_confirmed, pair};
use wire::{RawJoiner, Stream, assert_none_in, personal, raw_endpoint, speaks};

#[tokio::test]
async fn two_phones_pair_by_qr_payload_and_share_one_space() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;

    let invite = ana.node.create_invite()?;
    let payload = invite.payload();
    assert!(payload.starts_with("kintsugi:"));
    assert!(invite.qr_svg()?.starts_with("<?xml") || invite.qr_svg()?.contains("<svg"));

    let partner_of_ben = bounded("join", join_confirmed(&ana, &ben, &payload)).await??;
    let partner_of_ana = bounded("inviter sees partner", ana.node.wait_for_partner()).await?;
    assert_eq!(partner_of_ben.name, "Ana");
    assert_eq!(partner_of_ana.name, "Ben");
    assert_eq!(
        partner_of_ben.endpoint_id,
        ana.node.endpoint_id().to_string()
    );
    assert_eq!(
        partner_of_ana.endpoint_id,
        ben.node.endpoint_id().to_string()
    );

    // The joiner received the inviter's document rather than making its own.
    let couple_a = ana.device().doc()?.couple_id()?;
    let couple_b = ben.device().doc()?.couple_id()?;
    assert_eq!(couple_a, couple_b);
    // Ben can write straight away; after a sync both see both names.
    ben.device()
        .record_checkin(&kintsugi_tests::checkin(6, "first day"))?;
    bounded("sync", ben.node.sync_now()).await??;
    let names: Vec<String> = ana
        .device()
        .members()?
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, vec!["Ana", "Ben"]);
    assert_eq!(ana.device().checkins()?.len(), 1);

    // The pairing survives a restart: the partner is read back from disk.
    let ana_dir = ana.dir.clone();
    ana.close().await;
    let ana = Phone::open(&ana_dir).await?;
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Ben".into()));
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_pairing_secret_works_once_only() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let eve = Phone::new(&root, "Eve").await?;

    let payload = ana.node.create_invite()?.payload();
    bounded("join", join_confirmed(&ana, &ben, &payload)).await??;

    // Someone who photographed the same QR code is refused: Ana's phone,
    // showing no code any more, does not even speak pairing.
    let second = bounded("second join", eve.node.join(&payload)).await?;
    match second {
        Err(SyncError::PairingRefused(reason)) => {
            assert_eq!(reason, NOT_SHOWING_A_CODE)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(eve.node.partner().is_none());
    assert!(!eve.device().has_couple());
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Ben".into()));
    for phone in [ana, ben, eve] {
        phone.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_the_real_one_still_works() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let eve = Phone::new(&root, "Eve").await?;

    let invite = ana.node.create_invite()?;
    let mut forged = invite.clone();
    forged.secret[0] ^= 1;
    let refused = bounded("forged join", eve.node.join(&forged.payload())).await?;
    assert!(
        matches!(refused, Err(SyncError::PairingRefused(_))),
        "{refused:?}"
    );
    assert!(ana.node.partner().is_none());

    bounded("join", join_confirmed(&ana, &ben, &invite.payload())).await??;
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Ben".into()));
    for phone in [ana, ben, eve] {
        phone.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn pairing_twice_is_refused_on_both_sides() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    assert!(matches!(
        ana.node.create_invite(),
        Err(SyncError::AlreadyPaired(_))
    ));
    let other = Phone::new(&root, "Cy").await?;
    let payload = other.node.create_invite()?.payload();
    assert!(matches!(
        ben.node.join(&payload).await,
        Err(SyncError::AlreadyPaired(_))
    ));
    for phone in [ana, ben, other] {
        phone.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn a_second_open_code_cannot_take_over_a_paired_device() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let eve = Phone::new(&root, "Eve").await?;

    // Ana showed two codes (say, she reopened the pairing screen).
    let first = ana.node.create_invite()?.payload();
    let second = ana.node.create_invite()?.payload();
    bounded("join", join_confirmed(&ana, &ben, &first)).await??;

    let refused = bounded("second code", eve.node.join(&second)).await?;
    match refused {
        Err(SyncError::PairingRefused(reason)) => {
            assert!(
                !reason.contains("refused the pairing"),
                "doubled wording: {reason}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Ben".into()));
    assert!(!eve.device().has_couple());
    for phone in [ana, ben, eve] {
        phone.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn a_device_joining_sets_its_own_space_aside_and_brings_nothing_of_it() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    // Ben showed an invite once and even wrote in his space.
    ben.node.create_invite()?;
    ben.device().propose_agreement("A note to myself")?;
    let payload = ana.node.create_invite()?.payload();
    bounded("join", join_confirmed(&ana, &ben, &payload)).await??;
    // Ben is in Ana's space now; his note stayed behind, read-only, and
    // nothing of it reached Ana.
    assert_eq!(
        ben.device().doc()?.couple_id()?,
        ana.device().doc()?.couple_id()?
    );
    assert!(ben.device().agreements()?.is_empty());
    let archives = ben.device().archives()?;
    assert_eq!(archives.len(), 1);
    assert_eq!(
        ben.device()
            .open_archive(&archives[0].id)?
            .agreements()
            .len(),
        1
    );
    bounded("sync", ben.node.sync_now()).await??;
    assert!(ana.device().agreements()?.is_empty());
    for phone in [ana, ben] {
        phone.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn showing_an_invite_does_not_stop_a_device_from_joining_its_partner() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    // Ben opened the invite screen first, then scanned Ana's code instead.
    let bens_code = ben.node.create_invite()?.payload();
    let payload = ana.node.create_invite()?.payload();
    bounded("join", join_confirmed(&ana, &ben, &payload)).await??;
    assert_eq!(
        ben.device().doc()?.couple_id()?,
        ana.device().doc()?.couple_id()?
    );
    // The code Ben showed earlier is dead now.
    let eve = Phone::new(&root, "Eve").await?;
    assert!(
        bounded("late join", eve.node.join(&bens_code))
            .await?
            .is_err()
    );
    assert!(ben.node.partner().is_some_and(|p| p.name == "Ana"));
    for phone in [ana, ben, eve] {
        phone.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn an_expired_code_is_refused_by_the_joiner_before_dialling() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;

    let mut invite = ana.node.create_invite()?;
    let fresh = invite.payload();
    invite.expires_at = 1_000_000_000; // 2001
    let refused = bounded("stale join", ben.node.join(&invite.payload())).await?;
    assert!(
        matches!(refused, Err(SyncError::InviteExpired)),
        "{refused:?}"
    );
    assert!(refused.unwrap_err().to_string().contains("expired"));
    // Nothing reached Ana: her code still works for Ben.
    assert!(ana.node.partner().is_none());
    bounded("join", join_confirmed(&ana, &ben, &fresh)).await??;
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Ben".into()));
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn the_inviter_refuses_its_expired_code_whatever_the_payload_says() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let eve = Phone::new(&root, "Eve").await?;

    let mut invite = ana
        .node
        .create_invite_valid_for(std::time::Duration::ZERO)?;
    // Another code shown meanwhile keeps pairing spoken on Ana's phone.
    let _other = ana.node.create_invite()?;
    // Expiry is in whole seconds: let the clock pass it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    invite.expires_at = u64::MAX / 2; // a copy of the payload that lies
    let refused = bounded("late join", eve.node.join(&invite.payload())).await?;
    match refused {
        Err(SyncError::PairingRefused(reason)) => assert!(reason.contains("expired"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(ana.node.partner().is_none());
    assert!(eve.node.partner().is_none());
    assert!(!eve.device().has_couple());
    ana.close().await;
    eve.close().await;
    Ok(())
}

#[tokio::test]
async fn pairing_completes_only_when_both_confirm_the_same_code() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;

    // Ben confirms, Ana says the codes differ: nobody is paired.
    let payload = ana.node.create_invite()?.payload();
    let bens = bounded("join", ben.node.join(&payload)).await??;
    let anas = bounded("request", ana.node.next_pairing_request()).await?;
    assert_eq!(bens.code(), anas.code());
    assert_eq!(bens.code().len(), 7, "six digits in two groups");
    let (bens_outcome, ()) = tokio::join!(bens.confirm(), anas.reject());
    assert!(
        matches!(&bens_outcome, Err(SyncError::PairingRejected(why)) if why.contains("cancelled")),
        "{bens_outcome:?}"
    );
    assert!(ana.node.partner().is_none() && ben.node.partner().is_none());
    assert!(!ben.device().has_couple(), "Ben got no document");

    // Now Ben rejects while Ana confirms: again nobody is paired.
    let payload = ana.node.create_invite()?.payload();
    let bens = bounded("join", ben.node.join(&payload)).await??;
    let anas = bounded("request", ana.node.next_pairing_request()).await?;
    let ((), anas_outcome) = tokio::join!(bens.reject(), anas.confirm());
    assert!(
        matches!(anas_outcome, Err(SyncError::PairingRejected(_))),
        "{anas_outcome:?}"
    );
    assert!(ana.node.partner().is_none() && ben.node.partner().is_none());

    // Both confirm: paired, and each holds the other's keys from the channel.
    let payload = ana.node.create_invite()?.payload();
    let partner_of_ben = bounded("join", join_confirmed(&ana, &ben, &payload)).await??;
    let partner_of_ana = bounded("paired", ana.node.wait_for_partner()).await?;
    assert_eq!(
        partner_of_ben.age_recipient.as_deref(),
        Some(ana.node.identity().age_recipient().as_str())
    );
    assert_eq!(
        partner_of_ben.signing_key.as_deref(),
        Some(ana.node.identity().signing_key().as_str())
    );
    assert_eq!(
        partner_of_ana.age_recipient.as_deref(),
        Some(ben.node.identity().age_recipient().as_str())
    );
    assert_eq!(
        partner_of_ana.signing_key.as_deref(),
        Some(ben.node.identity().signing_key().as_str())
    );
    // Ana had a space (and so a role) when she invited; Ben had none yet.
    assert_eq!(partner_of_ben.name, "Ana");
    assert_eq!(partner_of_ana.name, "Ben");
    assert_eq!(partner_of_ben.role.as_deref(), Some("unsaid"));
    assert_eq!(partner_of_ana.role, None);
    // Each holds the other's Automerge actor id, signed at pairing, beside
    // its member id.
    let anas_actor = ana.device().profile().actor_id.clone();
    let bens_actor = ben.device().profile().actor_id.clone();
    assert_eq!(partner_of_ben.actor_ids, [anas_actor]);
    assert_eq!(partner_of_ana.actor_ids, [bens_actor]);
    assert_eq!(partner_of_ben.member_id, ana.device().member_id());
    assert_eq!(partner_of_ana.member_id, ben.device().member_id());
    assert_eq!(
        ana.node.partner().map(|p| p.actor_ids),
        Some(partner_of_ana.actor_ids.clone())
    );
    // The keys survive a restart.
    let ben_dir = ben.dir.clone();
    let recipient = ben.node.identity().age_recipient();
    ben.close().await;
    let ben = Phone::open(&ben_dir).await?;
    assert_eq!(ben.node.identity().age_recipient(), recipient);
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_device_racing_with_a_photographed_code_cannot_get_in() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let eve = Phone::new(&root, "Eve").await?;

    // Eve photographed Ana's screen and scans first.
    let payload = ana.node.create_invite()?.payload();
    let eves = bounded("eve joins", eve.node.join(&payload)).await??;
    let anas = bounded("request", ana.node.next_pairing_request()).await?;
    // Ben, the real partner, is refused: his screen shows no code at all,
    // so Ana sees a code on her screen that Ben's phone does not show. Her
    // phone stopped speaking pairing once Eve's proof burnt the code.
    let bens = bounded("ben joins", ben.node.join(&payload)).await?;
    assert!(
        matches!(&bens, Err(SyncError::PairingRefused(why)) if why == NOT_SHOWING_A_CODE),
        "{bens:?}"
    );
    let (eves_outcome, ()) = tokio::join!(eves.confirm(), anas.reject());
    assert!(eves_outcome.is_err());
    assert!(ana.node.partner().is_none());
    assert!(eve.node.partner().is_none() && !eve.device().has_couple());
    for phone in [ana, ben, eve] {
        phone.close().await;
    }
    Ok(())
}

// ------------------------------------------------------------- adversaries on the wire

mod wire {
    //! Pairing spoken by hand, frame by frame, on raw endpoints.

    use std::time::Duration;

    use anyhow::{Context, Result, bail};
    use iroh::endpoint::{Connection, PortmapperConfig, presets};
    use iroh::{Endpoint, EndpointId, SecretKey};
    use kintsugi_sync::Invite;
    use kintsugi_sync::framing::{FrameReader, FrameWriter, MAX_FRAME};
    use kintsugi_sync::pairing::exchange::{
        self, Answer, Binding, DIGITS, Hello, Hex, Nonce, Side, Step, Unsigned,
    };
    use kintsugi_sync::pairing::{PAIR_ALPN, connection_binding};
    use kintsugi_tests::bounded;

    /// An endpoint on 127.0.0.1 that sends nothing anywhere else and
    /// accepts `alpns`.
    pub async fn raw_endpoint(alpns: Vec<Vec<u8>>) -> Result<Endpoint> {
        Ok(Endpoint::builder(presets::Minimal)
            .relay_mode(iroh::RelayMode::Disabled)
            .clear_relay_transports()
            .portmapper_config(PortmapperConfig::Disabled)
            .clear_ip_transports()
            .bind_addr("127.0.0.1:0")?
            .alpns(alpns)
            .bind()
            .await?)
    }

    /// Whether `endpoint` completes a handshake with `target` on `alpn`.
    pub async fn speaks(
        endpoint: &Endpoint,
        target: iroh::EndpointAddr,
        alpn: &[u8],
    ) -> Result<bool> {
        match bounded("dial", endpoint.connect(target, alpn)).await? {
            Ok(conn) => {
                conn.close(0u32.into(), b"bye");
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    /// One side of a pairing stream, keeping every frame it reads.
    pub struct Stream {
        pub reader: FrameReader,
        pub writer: FrameWriter,
        pub received: Vec<Vec<u8>>,
    }

    impl Stream {
        pub fn new(send: iroh::endpoint::SendStream, recv: iroh::endpoint::RecvStream) -> Stream {
            Stream {
                reader: FrameReader::new(recv, MAX_FRAME),
                writer: FrameWriter::new(send, MAX_FRAME),
                received: Vec::new(),
            }
        }

        pub async fn send(&mut self, step: &Step) -> Result<()> {
            self.writer.send(serde_json::to_vec(step)?).await?;
            Ok(())
        }

        pub async fn send_answer(&mut self, answer: &Answer) -> Result<()> {
            self.writer.send(serde_json::to_vec(answer)?).await?;
            Ok(())
        }

        /// The next frame, or `None` at the end of the stream.
        pub async fn frame(&mut self) -> Result<Option<Vec<u8>>> {
            let frame = bounded("a frame", self.reader.next()).await??;
            let frame = frame.map(|f| f.to_vec());
            self.received.extend(frame.clone());
            Ok(frame)
        }

        pub async fn read(&mut self) -> Result<Answer> {
            let frame = self.frame().await?.context("the stream ended")?;
            Ok(serde_json::from_slice(&frame)?)
        }

        pub async fn read_step(&mut self) -> Result<Step> {
            let frame = self.frame().await?.context("the stream ended")?;
            Ok(serde_json::from_slice(&frame)?)
        }

        /// Whether a frame arrives within `wait`.
        pub async fn silent_for(&mut self, wait: Duration) -> bool {
            tokio::time::timeout(wait, self.reader.next())
                .await
                .is_err()
        }
    }

    /// A joiner made by hand, with keys of its own.
    pub struct RawJoiner {
        pub conn: Connection,
        pub binding: Binding,
        pub stream: Stream,
        pub nonce: Nonce,
        pub signing: SecretKey,
        pub actor_id: String,
    }

    impl RawJoiner {
        /// Dials the inviter of `invite` and opens the pairing stream.
        pub async fn dial(endpoint: &Endpoint, invite: &Invite) -> Result<RawJoiner> {
            let addr = invite.ticket.endpoint_addr().clone();
            let inviter: EndpointId = addr.id;
            let conn = bounded("dial", endpoint.connect(addr, PAIR_ALPN)).await??;
            let binding = connection_binding(&conn, inviter, endpoint.id())?;
            let (send, recv) = conn.open_bi().await?;
            Ok(RawJoiner {
                conn,
                binding,
                stream: Stream::new(send, recv),
                nonce: rand::random(),
                signing: SecretKey::generate(),
                actor_id: rand::random::<[u8; 16]>()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            })
        }

        /// Commit (with `commit_to`), read the inviter's nonce, reveal
        /// `reveal`. Returns the inviter's nonce.
        pub async fn commit_and_reveal(
            &mut self,
            secret: &[u8; 32],
            commit_to: Nonce,
            reveal: Nonce,
        ) -> Result<Nonce> {
            self.stream
                .send(&Step::Commit {
                    proof: exchange::proof(secret, &self.binding).into(),
                    commitment: exchange::commitment(&commit_to).into(),
                })
                .await?;
            let Answer::Nonce { nonce } = self.stream.read().await? else {
                bail!("no nonce came back");
            };
            self.stream
                .send(&Step::Reveal { nonce: Hex(reveal) })
                .await?;
            Ok(nonce.0)
        }

        /// The code this joiner's screen would show.
        pub fn code(&self, nonce_i: &Nonce) -> String {
            exchange::confirmation_code(&self.binding, nonce_i, &self.nonce, DIGITS)
        }

        /// A hello for this joiner, signed for `binding` (its own, or another).
        pub fn hello(&self, binding: &Binding) -> Hello {
            Unsigned {
                name: "Raw".into(),
                member_id: "5a".repeat(16),
                actor_id: self.actor_id.clone(),
                role: None,
                addr: String::new(),
                age_recipient: age::x25519::Identity::generate().to_public().to_string(),
                signing_key: self.signing.public().to_string(),
            }
            .sign(binding, Side::Joiner, |m| self.signing.sign(m))
        }
    }

    /// Every text that would say who a phone is.
    pub fn personal(phone: &kintsugi_tests::Phone, invite: &Invite) -> Vec<String> {
        let device = phone.device();
        let mut out = vec![
            device.profile().name.clone(),
            device.member_id().to_owned(),
            device.profile().actor_id.clone(),
            phone.node.identity().age_recipient(),
            phone.node.identity().signing_key(),
            invite.ticket.to_string(),
        ];
        if let Ok(members) = device.members() {
            out.extend(members.into_iter().map(|m| m.role.as_str().to_owned()));
        }
        out
    }

    /// Asserts that none of `secrets` appears in `frames`.
    pub fn assert_none_in(frames: &[Vec<u8>], secrets: &[String], what: &str) {
        let text = String::from_utf8_lossy(&frames.concat()).into_owned();
        for secret in secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what}: {secret:?} in {text}"
            );
        }
    }
}

/// Neither the node nor its data directory holds a partner.
fn nothing_stored(phone: &Phone) -> Result<()> {
    assert!(phone.node.partner().is_none());
    assert!(phone.device().store().read(PARTNER_FILE)?.is_none());
    Ok(())
}

#[tokio::test]
async fn the_inviter_says_nothing_personal_before_both_confirm() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let invite = ana.node.create_invite()?;
    let secrets = personal(&ana, &invite);
    let endpoint = raw_endpoint(vec![]).await?;
    let mut joiner = RawJoiner::dial(&endpoint, &invite).await?;
    let nonce = joiner.nonce;
    let nonce_i = joiner
        .commit_and_reveal(&invite.secret, nonce, nonce)
        .await?;
    let request = bounded("request", ana.node.next_pairing_request()).await?;
    assert_eq!(
        request.code(),
        joiner.code(&nonce_i),
        "a hand-made joiner shows Ana's code"
    );

    // Ana confirms; the joiner has not decided yet. Nothing more comes, and
    // nothing that came says who Ana is.
    let anas = tokio::spawn(request.confirm());
    assert!(joiner.stream.silent_for(Duration::from_millis(500)).await);
    assert_eq!(joiner.stream.received.len(), 1, "only the nonce");
    assert_none_in(&joiner.stream.received, &secrets, "before both confirmed");

    // Now the joiner confirms: Ana's hello comes, signed for this connection.
    joiner
        .stream
        .send(&Step::Decision { confirmed: true })
        .await?;
    let Answer::Confirmed { hello } = joiner.stream.read().await? else {
        anyhow::bail!("no hello after both confirmed");
    };
    hello.check(&joiner.binding, Side::Inviter)?;
    assert_eq!(hello.name, "Ana");
    assert_eq!(hello.actor_id, ana.device().profile().actor_id);
    assert_eq!(hello.member_id, ana.device().member_id());
    let mine = joiner.hello(&joiner.binding);
    joiner.stream.send(&Step::Hello { hello: mine }).await?;
    joiner.stream.writer.finish().await?;
    assert_eq!(joiner.stream.read().await?, Answer::Accepted);
    let document = joiner.stream.frame().await?.expect("the document");
    assert_eq!(document[..4], [0x85, 0x6f, 0x4a, 0x83]);
    joiner.conn.close(0u32.into(), b"done");
    // Ana stored the joiner with the actor id it signed.
    let partner = bounded("Ana's outcome", anas).await???;
    assert_eq!(partner.actor_ids, [joiner.actor_id.clone()]);
    assert_eq!(partner.member_id, "5a".repeat(16));
    assert_eq!(ana.node.partner(), Some(partner));
    endpoint.close().await;
    ana.close().await;
    Ok(())
}

#[tokio::test]
async fn a_hello_whose_signature_does_not_verify_is_refused_and_nothing_is_kept() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let invite = ana.node.create_invite()?;
    let endpoint = raw_endpoint(vec![]).await?;
    let mut joiner = RawJoiner::dial(&endpoint, &invite).await?;
    let nonce = joiner.nonce;
    joiner
        .commit_and_reveal(&invite.secret, nonce, nonce)
        .await?;
    let request = bounded("request", ana.node.next_pairing_request()).await?;
    let anas = tokio::spawn(request.confirm());
    joiner
        .stream
        .send(&Step::Decision { confirmed: true })
        .await?;
    assert!(matches!(
        joiner.stream.read().await?,
        Answer::Confirmed { .. }
    ));
    // A hello signed for another pair of endpoints (what a relay in the
    // middle would pass on).
    let mut elsewhere = joiner.binding;
    elsewhere.inviter = *SecretKey::generate().public().as_bytes();
    let forged = joiner.hello(&elsewhere);
    joiner.stream.send(&Step::Hello { hello: forged }).await?;
    assert!(
        matches!(joiner.stream.read().await?, Answer::Refused { .. }),
        "refused"
    );
    assert!(bounded("Ana's outcome", anas).await??.is_err());
    nothing_stored(&ana)?;
    endpoint.close().await;
    ana.close().await;
    Ok(())
}

#[tokio::test]
async fn a_revealed_nonce_that_was_not_committed_is_refused_and_nothing_is_kept() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let invite = ana.node.create_invite()?;
    let endpoint = raw_endpoint(vec![]).await?;
    let mut joiner = RawJoiner::dial(&endpoint, &invite).await?;
    let committed = joiner.nonce;
    let mut other = committed;
    other[0] ^= 1;
    joiner
        .commit_and_reveal(&invite.secret, committed, other)
        .await?;
    assert_eq!(
        joiner.stream.read().await?,
        Answer::Refused {
            reason: COMMITMENT_MISMATCH.into()
        }
    );
    // Ana's user was never asked, and nothing was kept.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), ana.node.next_pairing_request())
            .await
            .is_err(),
        "no code was shown"
    );
    nothing_stored(&ana)?;
    assert_eq!(ana.device().members()?.len(), 1);
    endpoint.close().await;
    // The code is burnt; a new one pairs the real partner.
    let payload = ana.node.create_invite()?.payload();
    bounded("join", join_confirmed(&ana, &ben, &payload)).await??;
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Ben".into()));
    ana.close().await;
    ben.close().await;
    Ok(())
}

/// Mallory photographed Ana's code and showed Ben one of his own. He relays
/// between the two: Ben's commitment to Ana, Ana's nonce to Ben, Ben's nonce
/// to Ana, then every frame either way. Returns every frame he saw.
async fn mallory_relays(mallory: iroh::Endpoint, anas: Invite) -> Result<Vec<Vec<u8>>> {
    let incoming = bounded("Ben dials", mallory.accept())
        .await?
        .context("closed")?;
    let conn1 = bounded("Ben's handshake", incoming.into_future()).await??;
    let (send1, recv1) = bounded("Ben's stream", conn1.accept_bi()).await??;
    let mut ben = Stream::new(send1, recv1);
    let Step::Commit { commitment, .. } = ben.read_step().await? else {
        anyhow::bail!("Ben did not commit");
    };
    let ana_addr = anas.ticket.endpoint_addr().clone();
    let ana_id = ana_addr.id;
    let conn2 = bounded("dial Ana", mallory.connect(ana_addr, PAIR_ALPN)).await??;
    let b2 = connection_binding(&conn2, ana_id, mallory.id())?;
    let (send2, recv2) = conn2.open_bi().await?;
    let mut ana = Stream::new(send2, recv2);
    ana.send(&Step::Commit {
        proof: exchange::proof(&anas.secret, &b2).into(),
        commitment,
    })
    .await?;
    let nonce = ana.read().await?;
    ben.send_answer(&nonce).await?;
    let reveal = ben.read_step().await?;
    ana.send(&reveal).await?;
    // From here on, frame for frame, until either side ends.
    loop {
        tokio::select! {
            frame = ben.frame() => match frame? {
                Some(f) => ana.writer.send(f).await?,
                None => break,
            },
            frame = ana.frame() => match frame? {
                Some(f) => ben.writer.send(f).await?,
                None => break,
            },
        }
    }
    conn1.close(0u32.into(), b"bye");
    conn2.close(0u32.into(), b"bye");
    Ok([ben.received, ana.received].concat())
}

/// Ben scans Mallory's code; Mallory relays to Ana. Returns both requests
/// and Mallory's task.
async fn through_mallory(
    ana: &Phone,
    ben: &Phone,
) -> Result<(
    kintsugi_sync::PairingRequest,
    kintsugi_sync::PairingRequest,
    tokio::task::JoinHandle<Result<Vec<Vec<u8>>>>,
    iroh::Endpoint,
)> {
    let anas = ana.node.create_invite()?;
    let mallory = raw_endpoint(vec![PAIR_ALPN.to_vec()]).await?;
    let shown_to_ben = Invite {
        ticket: iroh_tickets::endpoint::EndpointTicket::new(mallory.addr()),
        secret: zeroize::Zeroizing::new(rand::random()),
        expires_at: anas.expires_at,
    };
    let relay = tokio::spawn(mallory_relays(mallory.clone(), anas));
    let bens = bounded("Ben joins", ben.node.join(&shown_to_ben.payload())).await??;
    let anas = bounded("Ana's request", ana.node.next_pairing_request()).await?;
    Ok((bens, anas, relay, mallory))
}

#[tokio::test]
async fn a_man_in_the_middle_with_a_replaced_code_shows_two_codes_and_nothing_is_kept() -> Result<()>
{
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;

    let (bens, anas, relay, mallory) = through_mallory(&ana, &ben).await?;
    // Both screens show a code, and the codes differ: the two compare and reject.
    assert_ne!(bens.code(), anas.code());
    tokio::join!(bens.reject(), anas.reject());
    let seen = bounded("Mallory's relay", relay)
        .await??
        .unwrap_or_default();
    for phone in [&ana, &ben] {
        nothing_stored(phone)?;
    }
    assert!(!ben.device().has_couple(), "Ben got no document");
    // Mallory learnt nothing of who they are.
    let invite = ana.node.create_invite()?;
    for phone in [&ana, &ben] {
        assert_none_in(&seen, &personal(phone, &invite), "relayed");
    }
    mallory.close().await;

    // Even two careless people who confirm different codes do not pair
    // through him: Ana's hello is signed for her connection to Mallory, and
    // Ben's phone refuses it (and sends nothing of its own).
    let (bens, anas, relay, mallory) = through_mallory(&ana, &ben).await?;
    let (bens_outcome, anas_outcome) = tokio::join!(bens.confirm(), anas.confirm());
    assert!(
        matches!(&bens_outcome, Err(SyncError::Protocol(why)) if why.contains("signature")),
        "{bens_outcome:?}"
    );
    assert!(anas_outcome.is_err(), "{anas_outcome:?}");
    let seen = bounded("Mallory's relay", relay)
        .await??
        .unwrap_or_default();
    for phone in [&ana, &ben] {
        nothing_stored(phone)?;
    }
    assert!(!ben.device().has_couple());
    assert_none_in(&seen, &personal(&ben, &invite), "Ben's details");
    mallory.close().await;
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn pairing_is_spoken_only_while_an_invite_is_open() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let stranger = raw_endpoint(vec![]).await?;

    // No invite: the handshake itself fails, as with any endpoint that
    // never spoke pairing. The other protocols are there as ever.
    assert!(!speaks(&stranger, ana.node.addr(), PAIR_ALPN).await?);
    assert!(
        speaks(
            &stranger,
            ana.node.addr(),
            kintsugi_sync::protocol::SYNC_ALPN
        )
        .await?
    );
    // A phone scanning a made-up code for Ana is told she shows none.
    let made_up = Invite {
        ticket: iroh_tickets::endpoint::EndpointTicket::new(ana.node.addr()),
        secret: zeroize::Zeroizing::new(rand::random()),
        expires_at: u64::MAX / 2,
    };
    let refused = bounded("join", ben.node.join(&made_up.payload())).await?;
    assert!(
        matches!(&refused, Err(SyncError::PairingRefused(why)) if why == NOT_SHOWING_A_CODE),
        "{refused:?}"
    );

    // An open invite: pairing is spoken.
    let invite = ana.node.create_invite_valid_for(Duration::from_secs(1))?;
    assert!(speaks(&stranger, ana.node.addr(), PAIR_ALPN).await?);
    // Once it expired, no more.
    let expired = std::time::UNIX_EPOCH + Duration::from_secs(invite.expires_at + 1);
    let wait = expired
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(300)).await;
    assert!(!speaks(&stranger, ana.node.addr(), PAIR_ALPN).await?);

    // Paired: neither phone speaks pairing, and neither ever answers
    // "already paired".
    pair(&ana, &ben).await?;
    for phone in [&ana, &ben] {
        assert!(!speaks(&stranger, phone.node.addr(), PAIR_ALPN).await?);
    }
    stranger.close().await;
    ana.close().await;
    ben.close().await;
    Ok(())
}
