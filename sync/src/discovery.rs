//! Finding the partner's phone on the same local network (mDNS), with no
//! internet and no server: what lets two phones on a home Wi-Fi sync when the
//! internet is down.
//!
//! [`NetworkConfig`](crate::NetworkConfig) installs the lookup service on the
//! endpoint when `local_discovery` is on. iroh then uses it by itself when it
//! dials the partner; [`LocalDiscovery::watch_partner`] additionally tells the
//! node *when* the partner shows up, so it can sync right away.

use std::sync::{Arc, OnceLock, Weak};

use iroh::address_lookup::{
    AddressLookup, AddressLookupBuilder, AddressLookupBuilderError, EndpointData,
    Error as LookupError, Item,
};
use iroh::{Endpoint, EndpointAddr, EndpointId};
use iroh_mdns_address_lookup::{DiscoveryEvent, MdnsAddressLookup};
use n0_future::StreamExt;
use n0_future::boxed::BoxStream;
use n0_future::task::AbortOnDropHandle;
use tokio::sync::watch;

/// The DNS-SD service type this device announces and browses
/// (`<endpoint id>._irohv1._udp.local.`). It is iroh's generic one on
/// purpose: someone on the same café Wi-Fi sees "an iroh app", not "a
/// Kintsugi user". iOS apps list it in `NSBonjourServices`.
pub const SERVICE_TYPE: &str = "_irohv1._udp";

/// What local discovery learnt about the partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerSighting {
    /// The partner announced itself on the local network, for the first time
    /// or at new addresses: a good moment to sync. iroh already knows these
    /// addresses, so dialling the partner's id (`sync_now`) uses them.
    Nearby(EndpointAddr),
    /// The partner's announcements stopped: it left the network or slept.
    Gone,
}

/// Handle on this device's local-network discovery. Cheap to clone.
///
/// It does not keep the discovery running: that belongs to the endpoint, and
/// stops (no more multicast) when the endpoint closes, whatever handles remain.
#[derive(Debug, Clone, Default)]
pub struct LocalDiscovery {
    running: Arc<OnceLock<Weak<MdnsAddressLookup>>>,
}

impl LocalDiscovery {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// What to pass to `endpoint::Builder::address_lookup`: it starts mDNS
    /// when the endpoint binds and reports it to this handle.
    pub(crate) fn installer(&self) -> Installer {
        Installer(self.clone())
    }

    /// True while mDNS runs: after the endpoint bound (and the network allowed
    /// multicast) and before it closed.
    pub fn is_active(&self) -> bool {
        self.mdns().is_some()
    }

    fn mdns(&self) -> Option<Arc<MdnsAddressLookup>> {
        self.running.get().and_then(Weak::upgrade)
    }

    /// Watches for `partner` on the local network. Returns `None` when local
    /// discovery is not running (see [`Self::is_active`]). The first sighting
    /// comes at once if the partner was already announcing itself.
    ///
    /// Must be called within a tokio runtime. Dropping the result stops the watch.
    pub fn watch_partner(&self, partner: EndpointId) -> Option<PartnerSightings> {
        let mdns = self.mdns()?;
        let (tx, rx) = watch::channel(None);
        let task = tokio::spawn(forward_sightings(mdns, partner, tx));
        Some(PartnerSightings {
            rx,
            _task: AbortOnDropHandle::new(task),
        })
    }
}

/// The partner's comings and goings on the local network, latest first:
/// sightings that arrive while nobody reads are folded into the newest one,
/// which is what a "sync when the partner shows up" loop needs.
#[derive(Debug)]
pub struct PartnerSightings {
    rx: watch::Receiver<Option<PartnerSighting>>,
    _task: AbortOnDropHandle<()>,
}

impl PartnerSightings {
    /// Waits for the next sighting. `None` once discovery has stopped (the
    /// endpoint closed).
    pub async fn recv(&mut self) -> Option<PartnerSighting> {
        loop {
            self.rx.changed().await.ok()?;
            if let Some(sighting) = self.rx.borrow_and_update().clone() {
                return Some(sighting);
            }
        }
    }
}

async fn forward_sightings(
    mdns: Arc<MdnsAddressLookup>,
    partner: EndpointId,
    tx: watch::Sender<Option<PartnerSighting>>,
) {
    let mut events = mdns.subscribe().await;
    // Subscribers hear only of changes, so ask the cache too: it answers at
    // once if the partner announced itself before we subscribed. While this
    // lookup is open (about 10 s) mDNS reports the partner to it rather than
    // to the subscription, so both are read.
    let mut lookup: Option<BoxStream<Result<Item, LookupError>>> = mdns.resolve(partner);
    // Only the endpoint may keep mDNS alive; the streams end when it stops.
    drop(mdns);
    loop {
        let sighting = tokio::select! {
            item = next_or_never(&mut lookup) => match item {
                Some(Ok(item)) => Some(PartnerSighting::Nearby(item.into_endpoint_addr())),
                Some(Err(e)) => {
                    tracing::debug!("local discovery lookup: {e}");
                    None
                }
                None => {
                    lookup = None;
                    None
                }
            },
            event = events.next() => match event {
                Some(event) => sighting_of(partner, event),
                None => return,
            },
        };
        if let Some(sighting) = sighting
            && tx.send(Some(sighting)).is_err()
        {
            return;
        }
    }
}

async fn next_or_never<T>(stream: &mut Option<BoxStream<T>>) -> Option<T> {
    match stream {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

/// What an mDNS event means for the watch on `partner`.
fn sighting_of(partner: EndpointId, event: DiscoveryEvent) -> Option<PartnerSighting> {
    match event {
        DiscoveryEvent::Discovered { endpoint_info, .. }
            if endpoint_info.endpoint_id == partner =>
        {
            Some(PartnerSighting::Nearby(endpoint_info.into_endpoint_addr()))
        }
        DiscoveryEvent::Expired { endpoint_id } if endpoint_id == partner => {
            Some(PartnerSighting::Gone)
        }
        _ => None,
    }
}

/// Starts mDNS when the endpoint binds (it needs the endpoint's id).
#[derive(Debug)]
pub(crate) struct Installer(LocalDiscovery);

impl AddressLookupBuilder for Installer {
    fn into_address_lookup(
        self,
        endpoint: &Endpoint,
    ) -> Result<impl AddressLookup, AddressLookupBuilderError> {
        match MdnsAddressLookup::builder().build(endpoint.id()) {
            Ok(mdns) => {
                let mdns = Arc::new(mdns);
                // A handle is installed on one endpoint only; a second bind
                // with the same handle keeps reporting the first.
                let _ = self.0.running.set(Arc::downgrade(&mdns));
                Ok(Mdns(Some(mdns)))
            }
            // No multicast on this network (no Wi-Fi, a VPN that blocks it,
            // a missing iOS entitlement): the partner is still reachable
            // through relays or the address learnt at pairing, so start anyway.
            Err(e) => {
                tracing::warn!("local network discovery is off: {e}");
                Ok(Mdns(None))
            }
        }
    }
}

/// The endpoint's reference to mDNS: the only strong one, so closing the
/// endpoint (which drops its lookup services) stops the multicast.
#[derive(Debug)]
struct Mdns(Option<Arc<MdnsAddressLookup>>);

impl AddressLookup for Mdns {
    fn publish(&self, data: &EndpointData) {
        if let Some(mdns) = &self.0 {
            mdns.publish(data);
        }
    }

    fn resolve(&self, endpoint_id: EndpointId) -> Option<BoxStream<Result<Item, LookupError>>> {
        self.0.as_ref()?.resolve(endpoint_id)
    }
}

#[cfg(test)]
mod tests {
    use iroh::SecretKey;
    use iroh::endpoint_info::EndpointInfo;

    use super::*;

    fn id(seed: u8) -> EndpointId {
        SecretKey::from_bytes(&[seed; 32]).public()
    }

    fn discovered(who: EndpointId, port: u16) -> DiscoveryEvent {
        let data =
            EndpointData::from_iter([iroh::TransportAddr::Ip(([192, 168, 1, 20], port).into())]);
        DiscoveryEvent::Discovered {
            endpoint_info: EndpointInfo::from_parts(who, data),
            last_updated: None,
        }
    }

    #[test]
    fn only_the_partner_is_reported() {
        let (partner, stranger) = (id(1), id(2));
        let Some(PartnerSighting::Nearby(addr)) = sighting_of(partner, discovered(partner, 4242))
        else {
            panic!("the partner's announcement is a sighting");
        };
        assert_eq!(addr.id, partner);
        assert_eq!(
            addr.ip_addrs().copied().collect::<Vec<_>>(),
            vec![([192, 168, 1, 20], 4242).into()]
        );
        assert_eq!(
            sighting_of(
                partner,
                DiscoveryEvent::Expired {
                    endpoint_id: partner
                }
            ),
            Some(PartnerSighting::Gone)
        );
        // Other devices on the network are none of the node's business.
        assert_eq!(sighting_of(partner, discovered(stranger, 4242)), None);
        assert_eq!(
            sighting_of(
                partner,
                DiscoveryEvent::Expired {
                    endpoint_id: stranger
                }
            ),
            None
        );
    }

    #[tokio::test]
    async fn nothing_runs_before_an_endpoint_binds() {
        let discovery = LocalDiscovery::new();
        assert!(!discovery.is_active());
        assert!(discovery.watch_partner(id(1)).is_none());
    }

    #[tokio::test]
    async fn sightings_fold_into_the_latest_and_end_with_discovery() {
        let (tx, rx) = watch::channel(None);
        let mut sightings = PartnerSightings {
            rx,
            _task: AbortOnDropHandle::new(tokio::spawn(async {})),
        };
        let addr = EndpointAddr::new(id(1));
        tx.send(Some(PartnerSighting::Nearby(addr.clone())))
            .unwrap();
        tx.send(Some(PartnerSighting::Gone)).unwrap();
        tx.send(Some(PartnerSighting::Nearby(addr.clone())))
            .unwrap();
        assert_eq!(sightings.recv().await, Some(PartnerSighting::Nearby(addr)));
        drop(tx);
        assert_eq!(sightings.recv().await, None);
    }
}
