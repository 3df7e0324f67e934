//! The pairing exchange of `kintsugi/pair/3`, without a network: the pure
//! derivations (proof, commitment, confirmation code, hello signature) and
//! one small state machine per side. Messages go in, messages and effects
//! come out; the driver in `pairing.rs` moves them over the QUIC stream and
//! carries out the effects (checking the open invites, asking the user,
//! storing the partner).
//!
//! The order is commit-then-reveal, as in Matrix's SAS and ZRTP:
//!
//! 1. joiner → inviter: `commit`, the proof of the QR code's secret and
//!    `C = H(nonce_j)`;
//! 2. inviter → joiner: `nonce`, its own fresh `nonce_i`, sent only once the
//!    proof held (which burns the secret);
//! 3. joiner → inviter: `reveal`, `nonce_j`; the inviter refuses it unless
//!    `H(nonce_j) = C`;
//! 4. both show `code(exporter, inviter id, joiner id, nonce_i, nonce_j)`.
//!
//! Each side's nonce is fixed before it sees the other's: the joiner's by
//! its commitment, the inviter's by being sent first. Someone in the middle,
//! holding a connection to each, therefore cannot steer either code: each
//! attempt is one guess in 10^6 (and costs the inviter's secret).
//!
//! Nothing that says who the two people are (names, roles, member and actor
//! ids, keys, addresses) is sent before both confirmed: the inviter's
//! [`Hello`] goes in `confirmed`, after both decisions, and the joiner's
//! after that.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::SyncError;

/// Digits of the confirmation code the two people compare.
pub const DIGITS: u32 = 6;
/// TLS exporter label of the material the proof of the secret is bound to.
pub const PROOF_LABEL: &[u8] = b"kintsugi pairing v3";
/// TLS exporter label of the material the confirmation code is bound to.
pub const CODE_LABEL: &[u8] = b"kintsugi confirmation code v3";
/// BLAKE3 `derive_key` context of the joiner's commitment.
pub const COMMIT_CONTEXT: &str = "kintsugi pairing v3 commitment";
/// BLAKE3 `derive_key` context of the confirmation code.
pub const CODE_CONTEXT: &str = "kintsugi pairing v3 confirmation code";
/// Prefix of the message each device signs over its hello.
pub const HELLO_CONTEXT: &[u8] = b"kintsugi pairing v3 hello\0";
/// Bytes of each side's nonce.
pub const NONCE_LEN: usize = 32;

pub type Nonce = [u8; NONCE_LEN];

/// What one pairing is bound to: the two endpoint ids (as the TLS handshake
/// authenticated them) and keying material exported from that very TLS
/// session (RFC 8446 §7.5, context `inviter ‖ joiner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub inviter: [u8; 32],
    pub joiner: [u8; 32],
    /// `TLS-Exporter(PROOF_LABEL, inviter ‖ joiner, 32)`.
    pub proof_material: [u8; 32],
    /// `TLS-Exporter(CODE_LABEL, inviter ‖ joiner, 32)`.
    pub code_material: [u8; 32],
}

impl Binding {
    /// The exporter context: the inviter's endpoint id, then the joiner's.
    pub fn context(inviter: &[u8; 32], joiner: &[u8; 32]) -> [u8; 64] {
        let mut context = [0u8; 64];
        context[..32].copy_from_slice(inviter);
        context[32..].copy_from_slice(joiner);
        context
    }
}

/// The joiner's proof that it read the QR code: the secret never travels.
pub fn proof(secret: &[u8; 32], binding: &Binding) -> blake3::Hash {
    blake3::keyed_hash(secret, &binding.proof_material)
}

/// The joiner's commitment to its nonce, sent before it sees the inviter's.
pub fn commitment(nonce: &Nonce) -> blake3::Hash {
    blake3::Hash::from_bytes(blake3::derive_key(COMMIT_CONTEXT, nonce))
}

/// The confirmation code as a number below `10^digits` (`digits` from 1 to
/// 18; production uses [`DIGITS`]). Depends on the connection (its exporter
/// material and both endpoint ids) and on both nonces.
pub fn code_number(binding: &Binding, nonce_i: &Nonce, nonce_j: &Nonce, digits: u32) -> u64 {
    let mut input = [0u8; 32 * 5];
    input[..32].copy_from_slice(&binding.code_material);
    input[32..64].copy_from_slice(&binding.inviter);
    input[64..96].copy_from_slice(&binding.joiner);
    input[96..128].copy_from_slice(nonce_i);
    input[128..].copy_from_slice(nonce_j);
    let out = blake3::derive_key(CODE_CONTEXT, &input);
    let mut first = [0u8; 8];
    first.copy_from_slice(&out[..8]);
    u64::from_le_bytes(first) % 10u64.pow(digits.clamp(1, 18))
}

/// `n` as `digits` digits, in groups of three from the left ("123 456").
pub fn format_code(n: u64, digits: u32) -> String {
    let digits = digits.clamp(1, 18) as usize;
    let plain = format!("{n:0digits$}");
    let mut out = String::with_capacity(digits + digits / 3);
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && i.is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The code both screens show.
pub fn confirmation_code(
    binding: &Binding,
    nonce_i: &Nonce,
    nonce_j: &Nonce,
    digits: u32,
) -> String {
    format_code(code_number(binding, nonce_i, nonce_j, digits), digits)
}

/// Which side of the pairing a device is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Inviter,
    Joiner,
}

/// What a device signs with its signing key over its hello: it binds its
/// member id and Automerge actor id to its keys and to these two endpoints.
///
/// `HELLO_CONTEXT ‖ inviter id (32) ‖ joiner id (32) ‖ side (01 inviter, 02
/// joiner) ‖ field(member_id) ‖ field(actor_id) ‖ field(signing_key) ‖
/// field(age_recipient)`, where `field(s)` is the length of `s` in bytes as
/// a u32, big-endian, then its UTF-8 bytes.
pub fn hello_message(
    binding: &Binding,
    side: Side,
    member_id: &str,
    actor_id: &str,
    signing_key: &str,
    age_recipient: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(HELLO_CONTEXT);
    out.extend_from_slice(&binding.inviter);
    out.extend_from_slice(&binding.joiner);
    out.push(match side {
        Side::Inviter => 1,
        Side::Joiner => 2,
    });
    for field in [member_id, actor_id, signing_key, age_recipient] {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// `N` bytes on the wire as lowercase hex (readers accept either case).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hex<const N: usize>(pub [u8; N]);

impl<const N: usize> std::fmt::Debug for Hex<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl<const N: usize> Serialize for Hex<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de, const N: usize> Deserialize<'de> for Hex<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let mut out = [0u8; N];
        hex::decode_to_slice(&text, &mut out)
            .map_err(|_| serde::de::Error::custom(format!("expected {} hex characters", N * 2)))?;
        Ok(Hex(out))
    }
}

impl From<blake3::Hash> for Hex<32> {
    fn from(h: blake3::Hash) -> Self {
        Hex(*h.as_bytes())
    }
}

/// What each device tells the other about itself, once both people have
/// confirmed the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The device's name, 1 to `MAX_NAME_CHARS` characters.
    pub name: String,
    /// Its member id in the shared space (hex).
    pub member_id: String,
    /// The Automerge actor id it writes with (hex).
    pub actor_id: String,
    /// Its role in the shared space, if it has one yet.
    pub role: Option<String>,
    /// An endpoint ticket: where to reach this device later.
    pub addr: String,
    /// Its age X25519 recipient (`age1…`): what bundles are sealed to.
    pub age_recipient: String,
    /// Its ed25519 public signing key (z-base-32): what its bundles are checked against.
    pub signing_key: String,
    /// Its signing key's signature over [`hello_message`].
    pub signature: Hex<64>,
}

/// The fields of a hello before it is signed.
#[derive(Debug, Clone)]
pub struct Unsigned {
    pub name: String,
    pub member_id: String,
    pub actor_id: String,
    pub role: Option<String>,
    pub addr: String,
    pub age_recipient: String,
    pub signing_key: String,
}

impl Unsigned {
    /// Signs with `sign` (the device's `Identity::sign`) for `side` of `binding`.
    pub fn sign(
        self,
        binding: &Binding,
        side: Side,
        sign: impl FnOnce(&[u8]) -> iroh::Signature,
    ) -> Hello {
        let message = hello_message(
            binding,
            side,
            &self.member_id,
            &self.actor_id,
            &self.signing_key,
            &self.age_recipient,
        );
        Hello {
            signature: Hex(sign(&message).to_bytes()),
            name: self.name,
            member_id: self.member_id,
            actor_id: self.actor_id,
            role: self.role,
            addr: self.addr,
            age_recipient: self.age_recipient,
            signing_key: self.signing_key,
        }
    }
}

/// An id as Kintsugi writes them: hex of 1 to 32 bytes.
fn check_id(what: &str, id: &str) -> Result<(), SyncError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.len().is_multiple_of(2)
        && id.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(SyncError::Protocol(format!("the {what} is not valid")))
    }
}

impl Hello {
    /// Refuses a hello whose fields are not what they claim, or whose
    /// signature does not hold for `side` of this pairing.
    pub fn check(&self, binding: &Binding, side: Side) -> Result<(), SyncError> {
        if crate::identity::parse_recipient(&self.age_recipient).is_none() {
            return Err(SyncError::Protocol("the age recipient is not valid".into()));
        }
        if self.signing_key.parse::<iroh::PublicKey>().is_err() {
            return Err(SyncError::Protocol("the signing key is not valid".into()));
        }
        kintsugi_core::validate::text("name", &self.name, kintsugi_core::validate::MAX_NAME_CHARS)
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        check_id("member id", &self.member_id)?;
        check_id("actor id", &self.actor_id)?;
        let message = hello_message(
            binding,
            side,
            &self.member_id,
            &self.actor_id,
            &self.signing_key,
            &self.age_recipient,
        );
        let signature = iroh::Signature::from_bytes(&self.signature.0);
        if !crate::identity::verify(&self.signing_key, &message, &signature) {
            return Err(SyncError::Protocol(
                "the other device's signature over its details does not verify".into(),
            ));
        }
        Ok(())
    }
}

/// Joiner → inviter, one JSON frame each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// The proof of the QR code's secret and the commitment to `nonce_j`.
    Commit { proof: Hex<32>, commitment: Hex<32> },
    /// `nonce_j`, once the inviter's nonce has arrived.
    Reveal { nonce: Hex<NONCE_LEN> },
    /// Whether the joiner's user saw the same code.
    Decision { confirmed: bool },
    /// The joiner's hello, once both confirmed.
    Hello { hello: Hello },
}

/// Inviter → joiner, one JSON frame each (`accepted` is followed by one
/// frame holding the shared document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Answer {
    /// The proof held (the secret is burnt): `nonce_i`.
    Nonce { nonce: Hex<NONCE_LEN> },
    /// Both people confirmed: the inviter's hello.
    Confirmed { hello: Hello },
    /// The joiner's hello holds, the joiner is stored as partner; the
    /// document follows.
    Accepted,
    /// A sentence for people, then the end of the stream.
    Refused { reason: String },
}

/// The reason the inviter gives when its user said the codes differ.
pub const CANCELLED: &str = "the pairing was cancelled on the other phone";
/// The reason the inviter gives for a revealed nonce that is not the committed one.
pub const COMMITMENT_MISMATCH: &str = "the pairing commitment does not match";

/// What the inviter's driver must do next.
#[derive(Debug)]
pub enum InviterEffect {
    /// Check this proof against the open invites (burning the secret it
    /// matches), then call [`Inviter::redeemed`].
    Redeem(blake3::Hash),
    /// Send this answer to the joiner.
    Send(Answer),
    /// Show this code to the user and ask; then call [`Inviter::decided`].
    ShowCode(String),
    /// Both confirmed and the joiner's hello holds: store the joiner as
    /// partner, then send `Accepted` and the document.
    Accept(Hello),
    /// The pairing ends here, after what was sent before.
    Fail(SyncError),
}

#[derive(Debug)]
enum InviterState {
    AwaitCommit,
    AwaitRedeem {
        commitment: blake3::Hash,
    },
    AwaitReveal {
        commitment: blake3::Hash,
    },
    Deciding {
        mine: Option<bool>,
        theirs: Option<bool>,
    },
    AwaitHello,
    Finished,
}

/// The inviter's half of one pairing.
#[derive(Debug)]
pub struct Inviter {
    binding: Binding,
    nonce: Nonce,
    hello: Hello,
    digits: u32,
    state: InviterState,
}

impl Inviter {
    /// `nonce` must be fresh and random; `hello` is this device's, signed
    /// for [`Side::Inviter`] of `binding`. It is kept until both confirmed.
    pub fn new(binding: Binding, nonce: Nonce, hello: Hello, digits: u32) -> Self {
        Inviter {
            binding,
            nonce,
            hello,
            digits,
            state: InviterState::AwaitCommit,
        }
    }

    /// Whether the exchange has ended (accepted or failed).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, InviterState::Finished)
    }

    fn refuse(&mut self, reason: &str, error: SyncError) -> Vec<InviterEffect> {
        self.state = InviterState::Finished;
        vec![
            InviterEffect::Send(Answer::Refused {
                reason: reason.to_owned(),
            }),
            InviterEffect::Fail(error),
        ]
    }

    fn unexpected(&mut self, what: &str) -> Vec<InviterEffect> {
        let reason = format!("unexpected {what}");
        self.refuse(&reason, SyncError::Protocol(reason.clone()))
    }

    /// A message from the joiner.
    pub fn receive(&mut self, step: Step) -> Vec<InviterEffect> {
        let state = std::mem::replace(&mut self.state, InviterState::Finished);
        match (state, step) {
            (InviterState::AwaitCommit, Step::Commit { proof, commitment }) => {
                self.state = InviterState::AwaitRedeem {
                    commitment: blake3::Hash::from_bytes(commitment.0),
                };
                vec![InviterEffect::Redeem(blake3::Hash::from_bytes(proof.0))]
            }
            (InviterState::AwaitReveal { commitment }, Step::Reveal { nonce }) => {
                // blake3::Hash compares in constant time.
                if self::commitment(&nonce.0) != commitment {
                    let reason = COMMITMENT_MISMATCH;
                    return self.refuse(reason, SyncError::PairingRefused(reason.into()));
                }
                let code = confirmation_code(&self.binding, &self.nonce, &nonce.0, self.digits);
                self.state = InviterState::Deciding {
                    mine: None,
                    theirs: None,
                };
                vec![InviterEffect::ShowCode(code)]
            }
            (InviterState::Deciding { mine, theirs: None }, Step::Decision { confirmed }) => {
                self.decisions(mine, Some(confirmed))
            }
            (InviterState::AwaitHello, Step::Hello { hello }) => {
                match hello.check(&self.binding, Side::Joiner) {
                    Ok(()) => vec![InviterEffect::Accept(hello)],
                    Err(e) => self.refuse("the details this phone sent did not verify", e),
                }
            }
            (InviterState::Finished, _) => vec![],
            (_, step) => {
                let what = match step {
                    Step::Commit { .. } => "commit",
                    Step::Reveal { .. } => "reveal",
                    Step::Decision { .. } => "decision",
                    Step::Hello { .. } => "hello",
                };
                self.unexpected(what)
            }
        }
    }

    /// What checking the proof against the open invites gave.
    pub fn redeemed(&mut self, verdict: Result<(), SyncError>) -> Vec<InviterEffect> {
        let InviterState::AwaitRedeem { commitment } = self.state else {
            return vec![];
        };
        match verdict {
            Ok(()) => {
                self.state = InviterState::AwaitReveal { commitment };
                vec![InviterEffect::Send(Answer::Nonce {
                    nonce: Hex(self.nonce),
                })]
            }
            Err(e) => {
                let reason = match e {
                    // The joiner adds its own "refused" wording: send the bare reason.
                    SyncError::PairingRefused(reason) => reason,
                    other => other.to_string(),
                };
                self.refuse(&reason, SyncError::PairingRefused(reason.clone()))
            }
        }
    }

    /// This device's user decided.
    pub fn decided(&mut self, confirmed: bool) -> Vec<InviterEffect> {
        match self.state {
            InviterState::Deciding { mine: None, theirs } => {
                self.decisions(Some(confirmed), theirs)
            }
            _ => vec![],
        }
    }

    /// A "no" on either side ends it at once; two "yes" send our hello.
    fn decisions(&mut self, mine: Option<bool>, theirs: Option<bool>) -> Vec<InviterEffect> {
        match (mine, theirs) {
            (Some(false), _) => self.refuse(CANCELLED, SyncError::PairingRefused(CANCELLED.into())),
            (_, Some(false)) => {
                self.state = InviterState::Finished;
                vec![InviterEffect::Fail(SyncError::PairingRejected(
                    "your partner did not confirm the code".into(),
                ))]
            }
            (Some(true), Some(true)) => {
                self.state = InviterState::AwaitHello;
                vec![InviterEffect::Send(Answer::Confirmed {
                    hello: self.hello.clone(),
                })]
            }
            (mine, theirs) => {
                self.state = InviterState::Deciding { mine, theirs };
                vec![]
            }
        }
    }
}

/// What the joiner's driver must do next.
#[derive(Debug)]
pub enum JoinerEffect {
    /// Send this message to the inviter.
    Send(Step),
    /// Show this code to the user and ask; then call [`Joiner::decided`].
    ShowCode(String),
    /// The inviter's hello holds and ours is sent: read the document that
    /// follows `accepted`, adopt it and store this partner.
    Adopt(Hello),
    /// The pairing ends here, after what was sent before.
    Fail(SyncError),
}

#[derive(Debug)]
enum JoinerState {
    AwaitNonce,
    Deciding,
    AwaitConfirmed,
    AwaitAccepted(Box<Hello>),
    Finished,
}

/// The joiner's half of one pairing.
#[derive(Debug)]
pub struct Joiner {
    binding: Binding,
    nonce: Nonce,
    hello: Hello,
    digits: u32,
    state: JoinerState,
}

impl Joiner {
    /// Starts the exchange: returns the machine and the `commit` to send.
    /// `nonce` must be fresh and random; `hello` is this device's, signed
    /// for [`Side::Joiner`] of `binding`, kept until both confirmed.
    pub fn start(
        binding: Binding,
        secret: &[u8; 32],
        nonce: Nonce,
        hello: Hello,
        digits: u32,
    ) -> (Self, Vec<JoinerEffect>) {
        let commit = Step::Commit {
            proof: proof(secret, &binding).into(),
            commitment: commitment(&nonce).into(),
        };
        let joiner = Joiner {
            binding,
            nonce,
            hello,
            digits,
            state: JoinerState::AwaitNonce,
        };
        (joiner, vec![JoinerEffect::Send(commit)])
    }

    /// Whether the exchange has ended (adopted or failed).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, JoinerState::Finished)
    }

    fn fail(&mut self, error: SyncError) -> Vec<JoinerEffect> {
        self.state = JoinerState::Finished;
        vec![JoinerEffect::Fail(error)]
    }

    /// An answer from the inviter.
    pub fn receive(&mut self, answer: Answer) -> Vec<JoinerEffect> {
        let state = std::mem::replace(&mut self.state, JoinerState::Finished);
        match (state, answer) {
            (JoinerState::AwaitNonce, Answer::Nonce { nonce }) => {
                let code = confirmation_code(&self.binding, &nonce.0, &self.nonce, self.digits);
                self.state = JoinerState::Deciding;
                vec![
                    JoinerEffect::Send(Step::Reveal {
                        nonce: Hex(self.nonce),
                    }),
                    JoinerEffect::ShowCode(code),
                ]
            }
            (JoinerState::AwaitNonce, Answer::Refused { reason }) => {
                self.fail(SyncError::PairingRefused(reason))
            }
            (JoinerState::AwaitConfirmed, Answer::Confirmed { hello }) => {
                match hello.check(&self.binding, Side::Inviter) {
                    Ok(()) => {
                        self.state = JoinerState::AwaitAccepted(Box::new(hello));
                        vec![JoinerEffect::Send(Step::Hello {
                            hello: self.hello.clone(),
                        })]
                    }
                    // Ours is never sent to a device whose hello does not hold.
                    Err(e) => self.fail(e),
                }
            }
            (JoinerState::AwaitAccepted(partner), Answer::Accepted) => {
                vec![JoinerEffect::Adopt(*partner)]
            }
            (JoinerState::Finished, _) => vec![],
            (
                JoinerState::Deciding | JoinerState::AwaitConfirmed | JoinerState::AwaitAccepted(_),
                Answer::Refused { reason },
            ) => self.fail(SyncError::PairingRejected(reason)),
            (_, answer) => {
                let what = match answer {
                    Answer::Nonce { .. } => "nonce",
                    Answer::Confirmed { .. } => "confirmation",
                    Answer::Accepted => "acceptance",
                    Answer::Refused { .. } => "refusal",
                };
                self.fail(SyncError::Protocol(format!("unexpected {what}")))
            }
        }
    }

    /// This device's user decided.
    pub fn decided(&mut self, confirmed: bool) -> Vec<JoinerEffect> {
        if !matches!(self.state, JoinerState::Deciding) {
            return vec![];
        }
        let send = JoinerEffect::Send(Step::Decision { confirmed });
        if confirmed {
            self.state = JoinerState::AwaitConfirmed;
            vec![send]
        } else {
            self.state = JoinerState::Finished;
            vec![
                send,
                JoinerEffect::Fail(SyncError::PairingRejected(
                    "you did not confirm the code".into(),
                )),
            ]
        }
    }
}

#[cfg(test)]
mod tests;
