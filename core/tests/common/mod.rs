//! Two replicas of one shared space, as two phones hold it.
#![allow(dead_code)]

use kintsugi_core::automerge::ActorId;
use kintsugi_core::{CoupleDoc, Role};

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

    pub fn sync(&mut self) {
        let a = self.ana.save();
        let b = self.ben.save();
        self.ana.merge_bytes(&b).unwrap();
        self.ben.merge_bytes(&a).unwrap();
    }
}
