//! The pairing payload a phone shows as a QR code.
//!
//! Format: `kintsugi:pair?v=2&ticket=<iroh endpoint ticket>&secret=<base32>&exp=<unix seconds>`.
//! The `kintsugi:` scheme lets a phone's camera hand the scanned text to the
//! app. The ticket says how to reach the inviter; the secret proves the
//! joiner saw this QR code (see `pairing.rs`); `exp` is when the code stops
//! working (the inviter enforces it too, whatever the payload says).

use std::str::FromStr;

use data_encoding::BASE32_NOPAD;
use iroh_tickets::endpoint::EndpointTicket;
use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode};

use zeroize::Zeroizing;

use crate::error::{Result, SyncError};

pub const SCHEME: &str = "kintsugi:";
pub const PAYLOAD_VERSION: u32 = 2;
pub const SECRET_LEN: usize = 32;
/// How long a shown code can be used: long enough to scan, short enough
/// that a photo of the screen is soon worthless.
pub const INVITE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(5 * 60);

#[derive(Clone, PartialEq, Eq)]
pub struct Invite {
    pub ticket: EndpointTicket,
    /// Wiped from memory when dropped; never printed by `Debug`.
    pub secret: Zeroizing<[u8; SECRET_LEN]>,
    /// Unix time in seconds after which the code no longer pairs.
    pub expires_at: u64,
}

impl std::fmt::Debug for Invite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invite")
            .field("ticket", &self.ticket)
            .field("secret", &"(hidden)")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Invite {
    pub fn payload(&self) -> String {
        format!(
            "{SCHEME}pair?v={PAYLOAD_VERSION}&ticket={}&secret={}&exp={}",
            self.ticket,
            BASE32_NOPAD.encode(self.secret.as_slice()).to_lowercase(),
            self.expires_at
        )
    }

    /// `InviteExpired` once `now` (unix seconds) is past the expiry.
    pub fn check_fresh(&self, now: u64) -> Result<()> {
        if now > self.expires_at {
            return Err(SyncError::InviteExpired);
        }
        Ok(())
    }

    /// The payload as a QR code drawn with Unicode half blocks, for a terminal.
    pub fn qr_terminal(&self) -> Result<String> {
        Ok(qr(&self.payload())?
            .render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build())
    }

    /// The payload as a standalone SVG image, for an app screen.
    pub fn qr_svg(&self) -> Result<String> {
        Ok(qr(&self.payload())?
            .render::<svg::Color>()
            .min_dimensions(256, 256)
            .quiet_zone(true)
            .build())
    }

    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| SyncError::InvalidPayload(why.to_owned());
        let text = text.trim();
        let rest = text
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("it does not start with kintsugi:"))?;
        let query = rest
            .strip_prefix("pair?")
            .ok_or_else(|| bad("it is not a pairing code"))?;
        let (mut version, mut ticket, mut secret, mut expiry) = (None, None, None, None);
        for part in query.split('&') {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad("a field has no value"))?;
            match key {
                "v" => version = Some(value),
                "ticket" => ticket = Some(value),
                "secret" => secret = Some(value),
                "exp" => expiry = Some(value),
                _ => {} // later versions may add fields
            }
        }
        let version: u32 = version
            .ok_or_else(|| bad("no version"))?
            .parse()
            .map_err(|_| bad("the version is not a number"))?;
        if version != PAYLOAD_VERSION {
            return Err(SyncError::UnsupportedPayloadVersion(version));
        }
        let ticket = EndpointTicket::from_str(ticket.ok_or_else(|| bad("no ticket"))?)
            .map_err(|e| SyncError::InvalidPayload(format!("the ticket is damaged: {e}")))?;
        let secret = Zeroizing::new(secret.ok_or_else(|| bad("no secret"))?.to_uppercase());
        let secret = Zeroizing::new(
            BASE32_NOPAD
                .decode(secret.as_bytes())
                .map_err(|_| bad("the secret is damaged"))?,
        );
        let secret: Zeroizing<[u8; SECRET_LEN]> = Zeroizing::new(
            secret
                .as_slice()
                .try_into()
                .map_err(|_| bad("the secret has the wrong length"))?,
        );
        let expires_at = expiry
            .ok_or_else(|| bad("no expiry"))?
            .parse()
            .map_err(|_| bad("the expiry is not a number"))?;
        Ok(Invite {
            ticket,
            secret,
            expires_at,
        })
    }
}

fn qr(payload: &str) -> Result<QrCode> {
    QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| SyncError::InvalidPayload(format!("cannot draw as QR code: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use iroh::{EndpointAddr, SecretKey, TransportAddr};

    fn invite() -> Invite {
        let id = SecretKey::from_bytes(&[7; 32]).public();
        let addr =
            EndpointAddr::from_parts(id, [TransportAddr::Ip("127.0.0.1:4433".parse().unwrap())]);
        Invite {
            ticket: EndpointTicket::new(addr),
            secret: Zeroizing::new([9; SECRET_LEN]),
            expires_at: 1_800_000_000,
        }
    }

    #[test]
    fn payload_round_trips_and_starts_with_the_scheme() {
        let inv = invite();
        let payload = inv.payload();
        assert!(payload.starts_with("kintsugi:pair?v=2&"));
        assert!(payload.ends_with("&exp=1800000000"));
        assert_eq!(Invite::parse(&payload).unwrap(), inv);
        assert!(inv.qr_svg().unwrap().contains("<svg"));
        assert!(inv.qr_terminal().unwrap().contains('█'));
    }

    #[test]
    fn malformed_payloads_give_typed_errors() {
        let good = invite().payload();
        for bad in [
            "",
            "https://example.com",
            "kintsugi:hello",
            "kintsugi:pair?v=2",
            &good.replace("&exp=1800000000", ""),
            &good.replace("exp=1800000000", "exp=soon"),
            &good.replace("secret=", "secret=zz"),
            &good.replace("ticket=endpoint", "ticket=endpointx"),
        ] {
            assert!(
                matches!(Invite::parse(bad), Err(SyncError::InvalidPayload(_))),
                "{bad}"
            );
        }
        for (other, v) in [("v=9", 9), ("v=1", 1)] {
            assert!(matches!(
                Invite::parse(&good.replace("v=2", other)),
                Err(SyncError::UnsupportedPayloadVersion(found)) if found == v
            ));
        }
    }

    #[test]
    fn a_code_past_its_expiry_is_refused() {
        let inv = invite();
        assert!(inv.check_fresh(1_800_000_000).is_ok());
        assert!(matches!(
            inv.check_fresh(1_800_000_001),
            Err(SyncError::InviteExpired)
        ));
    }
}
