//! Pairing over real iroh endpoints on 127.0.0.1.

use anyhow::Result;
use kintsugi_sync::SyncError;
use kintsugi_tests::{Phone, bounded, join_confirmed, pair};

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

    // Someone who photographed the same QR code is refused.
    let second = bounded("second join", eve.node.join(&payload)).await?;
    match second {
        Err(SyncError::PairingRefused(reason)) => {
            assert!(reason.contains("already used"), "{reason}")
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
async fn a_device_with_its_own_space_is_refused_before_the_inviter_is_touched() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let cy = Phone::new(&root, "Cy").await?;
    // Ben showed an invite once and even wrote in his space.
    ben.node.create_invite()?;
    ben.device().propose_agreement("A note to myself")?;
    let payload = ana.node.create_invite()?.payload();
    let refused = bounded("join", ben.node.join(&payload)).await?;
    assert!(
        matches!(
            refused,
            Err(SyncError::Core(kintsugi_core::CoreError::AlreadyInCouple))
        ),
        "{refused:?}"
    );
    // Ana was not touched: her code still works for someone else.
    assert!(ana.node.partner().is_none());
    bounded("join", join_confirmed(&ana, &cy, &payload)).await??;
    assert_eq!(ana.node.partner().map(|p| p.name), Some("Cy".into()));
    for phone in [ana, ben, cy] {
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
    assert_eq!(bens.partner_name(), "Ana");
    assert_eq!(anas.partner_name(), "Ben");
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
    assert_eq!(partner_of_ben.role.as_deref(), Some("unsaid"));
    assert_eq!(partner_of_ana.role, None);
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
    // so Ana sees a code on her screen that Ben's phone does not show.
    let bens = bounded("ben joins", ben.node.join(&payload)).await?;
    assert!(
        matches!(&bens, Err(SyncError::PairingRefused(why)) if why.contains("already used")),
        "{bens:?}"
    );
    assert_eq!(anas.partner_name(), "Eve");
    let (eves_outcome, ()) = tokio::join!(eves.confirm(), anas.reject());
    assert!(eves_outcome.is_err());
    assert!(ana.node.partner().is_none());
    assert!(eve.node.partner().is_none() && !eve.device().has_couple());
    for phone in [ana, ben, eve] {
        phone.close().await;
    }
    Ok(())
}
