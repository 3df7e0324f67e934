//! Two replicas of one shared space, as two phones hold it.
#![allow(dead_code)]

use kintsugi_core::automerge::ActorId;
use kintsugi_core::{CoupleDoc, Door, Role, Roster, RosterMember};

/// Ana's member id in [`Couple`] (her actor, `0a` × 16).
pub fn ana_id() -> String {
    "0a".repeat(16)
}

/// Ben's member id in [`Couple`].
pub fn ben_id() -> String {
    "0b".repeat(16)
}

/// Ana's door: Ben is her partner.
pub fn ana_door() -> Door {
    Door::partner(
        Roster::new(RosterMember::new(ana_id())).with_partner(RosterMember::new(ben_id())),
    )
}

/// Ben's door: Ana is his partner.
pub fn ben_door() -> Door {
    Door::partner(
        Roster::new(RosterMember::new(ben_id())).with_partner(RosterMember::new(ana_id())),
    )
}

/// What pairing tells `me` about who may write: itself and `partner`.
pub fn door(me: &CoupleDoc, partner: &CoupleDoc) -> Door {
    Door::partner(
        Roster::new(RosterMember::new(me.me())).with_partner(RosterMember::new(partner.me())),
    )
}

pub const DAY: i64 = 86_400_000;
/// 2026-01-05 00:00 UTC, a Monday.
pub const T0: i64 = 1_767_571_200_000;

pub struct Couple {
    pub ana: CoupleDoc,
    pub ben: CoupleDoc,
}

impl Couple {
    /// Ana (hurt) invited Ben (broke the trust); they synced once.
    pub fn new() -> Couple {
        let mut ana = CoupleDoc::create(&ActorId::from(vec![0xa; 16]), "Ana", T0).unwrap();
        let mut ben = CoupleDoc::load(&ana.save(), &ActorId::from(vec![0xb; 16])).unwrap();
        ben.set_my_name("Ben", T0 + 1).unwrap();
        ana.set_my_role(Role::Hurt, T0 + 2).unwrap();
        ben.set_my_role(Role::BrokeTrust, T0 + 3).unwrap();
        let mut couple = Couple { ana, ben };
        couple.sync();
        couple
    }

    /// Syncs the two phones with Automerge's protocol, every message through
    /// the receiver's door, as kintsugi-sync does.
    pub fn sync(&mut self) {
        use kintsugi_core::automerge::sync::{State, SyncDoc};
        let (mut to_ben, mut to_ana) = (State::new(), State::new());
        for _ in 0..50 {
            let for_ben = self
                .ana
                .automerge_mut()
                .sync()
                .generate_sync_message(&mut to_ben);
            let for_ana = self
                .ben
                .automerge_mut()
                .sync()
                .generate_sync_message(&mut to_ana);
            if for_ben.is_none() && for_ana.is_none() {
                return;
            }
            if let Some(m) = for_ben {
                self.ben
                    .receive_sync_message(&mut to_ana, m, T0, &ben_door())
                    .expect("Ben's door admits Ana's honest changes");
            }
            if let Some(m) = for_ana {
                self.ana
                    .receive_sync_message(&mut to_ben, m, T0, &ana_door())
                    .expect("Ana's door admits Ben's honest changes");
            }
        }
        panic!("sync did not settle");
    }

    /// Exchanges whole saved documents, each through the receiver's door
    /// (as pairing, imports and backups do).
    pub fn merge(&mut self) {
        let a = self.ana.save();
        let b = self.ben.save();
        self.ana
            .merge_received(&b, &ana_door())
            .expect("Ana's door admits Ben's document");
        self.ben
            .merge_received(&a, &ben_door())
            .expect("Ben's door admits Ana's document");
    }
}
