//! The shape of the shared document as a table the door checks every
//! received operation against: which keys exist where, what type each
//! holds, and who may write it. It mirrors docs/data-model.md; a field the
//! table does not know is refused, so a partner's device cannot smuggle in
//! data no view shows or retype a field the views read.

use crate::doc;
use crate::validate::{MAX_AGREEMENT_CHARS, MAX_MOOD_CHARS, MAX_NAME_CHARS, MAX_NOTE_CHARS};

/// What one field may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    /// Text of at most this many characters.
    Text(usize),
    /// One of these words.
    Word(&'static [&'static str]),
    /// A calendar day, `YYYY-MM-DD`.
    Day,
    /// A month, `YYYY-MM`.
    Month,
    /// Milliseconds (a signed integer).
    Time,
    /// An unsigned integer up to this value.
    Small(u64),
    Bool,
    /// The member id of whoever writes it (author fields, `by`).
    Writer,
    /// The member id of someone in the couple.
    Member,
    /// A map whose entries the table describes at the next level down.
    Map,
    /// A list of words (moods, free words) of at most `MAX_MOOD_CHARS`.
    Words,
    /// A list of small unsigned integers (survey answers).
    Answers,
    /// Lowercase hex of this many bytes (device keys, signatures).
    Hex(usize),
    /// A list of record ids (what a summary drew on).
    RecordIds,
}

/// One known field of a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    /// May be deleted by whoever may write it (an optional value revised away).
    pub(crate) optional: bool,
}

const fn f(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        optional: false,
    }
}

const fn opt(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        optional: true,
    }
}

const ROLES: &[&str] = &["hurt", "broke_trust", "both", "unsaid"];
const PHASES: &[&str] = &["atone", "attune", "attach"];
const RESPONSE_KINDS: &[&str] = &[
    "not_ready_yet",
    "schedule",
    "for_therapist",
    "answer",
    "park",
    "reopen",
];
const ANSWER_KINDS: &[&str] = &["yes", "talk_first", "not_now", "yes_retired"];
const TOGETHER_KINDS: &[&str] = &["date", "ritual", "recreate_memory"];
const COMMITMENT_KINDS: &[&str] = &[
    "no_contact",
    "added_responsibility",
    "small_change",
    "other",
];
/// The longest record id (random ids are 32 hex characters).
pub(crate) const MAX_RECORD_ID: usize = 64;
/// A revision's `field` names a field of the record it belongs to.
const REVISED_FIELDS_MAX: usize = 32;

pub(crate) const MEMBER: &[Field] = &[
    f("name", Ty::Text(MAX_NAME_CHARS)),
    f("joined_at", Ty::Time),
    f("role", Ty::Word(ROLES)),
    f("revisions", Ty::Map),
    f("words_in_summaries", Ty::Bool),
    f("summaries", Ty::Map),
];
/// A summary the member prepared for a therapist: content-free.
pub(crate) const SUMMARY_MADE: &[Field] = &[
    f("at", Ty::Time),
    f("from", Ty::Day),
    f("to", Ty::Day),
    f("kinds", Ty::Words),
    f("questions_only", Ty::Bool),
    f("drew_on", Ty::RecordIds),
    f("partner_words", Ty::Bool),
];

pub(crate) const AGREEMENT: &[Field] = &[
    f("proposed_by", Ty::Writer),
    f("proposed_at", Ty::Time),
    f("versions", Ty::Map),
    f("checks", Ty::Map),
    // Written by whoever steps out (either partner, once in force).
    f("withdrawn_at", Ty::Time),
    f("withdrawn_by", Ty::Writer),
    // Schema 1 kept the wording and one acceptance at the top level.
    f("text", Ty::Text(MAX_AGREEMENT_CHARS)),
    f("accepted_by", Ty::Member),
    f("accepted_at", Ty::Time),
];
pub(crate) const VERSION: &[Field] = &[
    f("number", Ty::Small(u32::MAX as u64)),
    f("text", Ty::Text(MAX_AGREEMENT_CHARS)),
    opt("review_on", Ty::Day),
    f("by", Ty::Writer),
    f("at", Ty::Time),
    f("accepted", Ty::Map),
];
pub(crate) const CHECK: &[Field] = &[
    f("by", Ty::Writer),
    f("at", Ty::Time),
    f("kept", Ty::Bool),
    opt("note", Ty::Text(MAX_NOTE_CHARS)),
];

pub(crate) const OFFER: &[Field] = &[
    f("owner", Ty::Writer),
    f("text", Ty::Text(MAX_AGREEMENT_CHARS)),
    f("offered_at", Ty::Time),
    f("expires_at", Ty::Time),
    f("withdrawn_at", Ty::Time),
    f("withdrawn_by", Ty::Writer),
];

pub(crate) const CHECKIN: &[Field] = &[
    f("author", Ty::Writer),
    f("day", Ty::Day),
    f("recorded_at", Ty::Time),
    f("safety", Ty::Small(10)),
    f("trust", Ty::Small(10)),
    f("connection", Ty::Small(10)),
    opt("heard", Ty::Small(10)),
    f("moods", Ty::Words),
    f("free_words", Ty::Words),
    opt("note", Ty::Text(MAX_NOTE_CHARS)),
    f("revisions", Ty::Map),
];

pub(crate) const REQUEST: &[Field] = &[
    f("asker", Ty::Writer),
    f("text", Ty::Text(MAX_AGREEMENT_CHARS)),
    f("created_at", Ty::Time),
    f("retired_at", Ty::Time),
    f("done", Ty::Map),
    f("revisions", Ty::Map),
    f("answers", Ty::Map),
];
/// The asked partner's answer to a request.
pub(crate) const ANSWER: &[Field] = &[
    f("by", Ty::Writer),
    f("at", Ty::Time),
    f("kind", Ty::Word(ANSWER_KINDS)),
    opt("note", Ty::Text(MAX_NOTE_CHARS)),
];
pub(crate) const DONE: &[Field] = &[
    f("by", Ty::Writer),
    f("at", Ty::Time),
    opt("note", Ty::Text(MAX_NOTE_CHARS)),
    f("ack", Ty::Map),
];
/// Written by the request's asker inside the doer's entry.
pub(crate) const ACK: &[Field] = &[
    f("at", Ty::Time),
    f("landed", Ty::Bool),
    opt("note", Ty::Text(MAX_NOTE_CHARS)),
    f("revisions", Ty::Map),
];

pub(crate) const DISCLOSURE: &[Field] = &[
    f("author", Ty::Writer),
    f("at", Ty::Time),
    f("what", Ty::Text(MAX_NOTE_CHARS)),
    opt("action_taken", Ty::Text(MAX_NOTE_CHARS)),
    f("revisions", Ty::Map),
];

pub(crate) const QUESTION: &[Field] = &[
    f("asker", Ty::Writer),
    f("at", Ty::Time),
    f("text", Ty::Text(MAX_NOTE_CHARS)),
    opt("topic", Ty::Text(MAX_MOOD_CHARS)),
    f("responses", Ty::Map),
];
pub(crate) const RESPONSE: &[Field] = &[
    f("by", Ty::Writer),
    f("at", Ty::Time),
    f("kind", Ty::Word(RESPONSE_KINDS)),
    opt("window", Ty::Day),
    opt("text", Ty::Text(MAX_NOTE_CHARS)),
];

pub(crate) const TRIGGER: &[Field] = &[
    f("author", Ty::Writer),
    f("at", Ty::Time),
    f("what", Ty::Text(MAX_NOTE_CHARS)),
    f("intensity", Ty::Small(10)),
    f("repairs", Ty::Map),
];
pub(crate) const REPAIR: &[Field] = &[
    f("by", Ty::Writer),
    f("at", Ty::Time),
    f("text", Ty::Text(MAX_NOTE_CHARS)),
];

pub(crate) const APPRECIATION: &[Field] = &[
    f("author", Ty::Writer),
    f("to", Ty::Member),
    f("at", Ty::Time),
    f("text", Ty::Text(MAX_NOTE_CHARS)),
];

pub(crate) const TOGETHER: &[Field] = &[
    f("planner", Ty::Writer),
    f("created_at", Ty::Time),
    f("kind", Ty::Word(TOGETHER_KINDS)),
    f("title", Ty::Text(MAX_AGREEMENT_CHARS)),
    f("planned_for", Ty::Day),
    f("outcomes", Ty::Map),
];
pub(crate) const OUTCOME: &[Field] = &[
    f("at", Ty::Time),
    f("happened", Ty::Bool),
    opt("felt", Ty::Small(10)),
    opt("note", Ty::Text(MAX_NOTE_CHARS)),
    f("revisions", Ty::Map),
];

pub(crate) const PHASE_CHANGE: &[Field] = &[
    f("by", Ty::Writer),
    f("at", Ty::Time),
    f("from", Ty::Word(PHASES)),
    f("to", Ty::Word(PHASES)),
    opt("note", Ty::Text(MAX_NOTE_CHARS)),
    // The mover's role at that moment; the door checks it.
    f("role", Ty::Word(ROLES)),
];

pub(crate) const SURVEY: &[Field] = &[
    f("author", Ty::Writer),
    f("month", Ty::Month),
    f("at", Ty::Time),
    f("answers", Ty::Answers),
    f("revisions", Ty::Map),
];

pub(crate) const COMMITMENT: &[Field] = &[
    f("author", Ty::Writer),
    f("created_at", Ty::Time),
    f("kind", Ty::Word(COMMITMENT_KINDS)),
    f("text", Ty::Text(MAX_AGREEMENT_CHARS)),
    f("log", Ty::Map),
    f("ended_at", Ty::Time),
];
pub(crate) const LOG_ENTRY: &[Field] = &[
    f("at", Ty::Time),
    f("day", Ty::Day),
    f("kept", Ty::Bool),
    opt("note", Ty::Text(MAX_NOTE_CHARS)),
];

/// One earlier value, kept when its writer changed a field.
pub(crate) const REVISION: &[Field] = &[
    f("at", Ty::Time),
    f("by", Ty::Writer),
    f("field", Ty::Text(REVISED_FIELDS_MAX)),
    // The old value as text (a list or survey answers as JSON).
    f("before", Ty::Text(MAX_NOTE_CHARS)),
];

/// An actor bound to a member by a device key (see `binding.rs`).
pub(crate) const DEVICE: &[Field] = &[
    f("member", Ty::Member),
    f("device", Ty::Hex(32)),
    f("sig", Ty::Hex(64)),
    f("at", Ty::Time),
    opt("introduced_by", Ty::Hex(32)),
    opt("intro_sig", Ty::Hex(64)),
];

/// The root's own scalars, written once when the space is created.
pub(crate) const ROOT_SCALARS: &[Field] = &[
    f("schema_version", Ty::Small(crate::doc::SCHEMA_VERSION)),
    f("couple_id", Ty::Hex(16)),
    f("created_at", Ty::Time),
    f("created_by", Ty::Writer),
];

/// The fields of a record of each root map.
pub(crate) fn record_fields(family: &str) -> Option<&'static [Field]> {
    Some(match family {
        doc::MEMBERS => MEMBER,
        doc::AGREEMENTS => AGREEMENT,
        doc::OFFERS => OFFER,
        doc::CHECKINS => CHECKIN,
        doc::REQUESTS => REQUEST,
        doc::DISCLOSURES => DISCLOSURE,
        doc::QUESTIONS => QUESTION,
        doc::TRIGGERS => TRIGGER,
        doc::APPRECIATIONS => APPRECIATION,
        doc::TOGETHER => TOGETHER,
        doc::PHASE_CHANGES => PHASE_CHANGE,
        doc::SURVEYS => SURVEY,
        doc::COMMITMENTS => COMMITMENT,
        doc::DEVICES => DEVICE,
        _ => return None,
    })
}

pub(crate) fn field(fields: &'static [Field], name: &str) -> Option<&'static Field> {
    fields.iter().find(|f| f.name == name)
}

/// Who may add an entry to a container of entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Adds {
    /// Either member (agreement versions and kept-checks, question responses).
    Anyone,
    /// Only the record's author (commitment log, revisions).
    Owner,
    /// Only the other member (a request's done entries, a trigger's repairs).
    NotOwner,
    /// Each member their own entry, keyed by their member id (time-together outcomes).
    KeyedByWriter,
}

/// Where in a record an object sits, and the rule for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A record's own fields.
    Record(&'static [Field]),
    /// A map of entries keyed by id.
    Entries(Adds),
    /// One entry's fields; its creator owns it.
    Entry(&'static [Field]),
    /// A request's acknowledgement: written by the request's asker inside
    /// the doer's done entry.
    Ack,
    /// A version's acceptances: member id → time, each written by that member.
    Acceptances,
    /// A list field of the record or entry (moods, free words, answers).
    List(Ty),
}

/// The place of the object at `rest` inside a record of `family` (`rest`
/// is the path below the record id). `None`: nothing may be there.
pub(crate) fn place(family: &str, rest: &[&str]) -> Option<Place> {
    use Place::*;
    let fields = record_fields(family)?;
    Some(match (family, rest) {
        (_, []) => Record(fields),
        (doc::AGREEMENTS, ["versions"]) => Entries(Adds::Anyone),
        (doc::AGREEMENTS, ["versions", _]) => Entry(VERSION),
        (doc::AGREEMENTS, ["versions", _, "accepted"]) => Acceptances,
        (doc::AGREEMENTS, ["checks"]) => Entries(Adds::Anyone),
        (doc::AGREEMENTS, ["checks", _]) => Entry(CHECK),
        (doc::MEMBERS, ["summaries"]) => Entries(Adds::Owner),
        (doc::MEMBERS, ["summaries", _]) => Entry(SUMMARY_MADE),
        (doc::MEMBERS, ["summaries", _, "kinds"]) => List(Ty::Words),
        (doc::MEMBERS, ["summaries", _, "drew_on"]) => List(Ty::RecordIds),
        (doc::REQUESTS, ["answers"]) => Entries(Adds::NotOwner),
        (doc::REQUESTS, ["answers", _]) => Entry(ANSWER),
        (doc::REQUESTS, ["done"]) => Entries(Adds::NotOwner),
        (doc::REQUESTS, ["done", _]) => Entry(DONE),
        (doc::REQUESTS, ["done", _, "ack"]) => Ack,
        (doc::REQUESTS, ["done", _, "ack", "revisions"]) => Entries(Adds::Owner),
        (doc::REQUESTS, ["done", _, "ack", "revisions", _]) => Entry(REVISION),
        (doc::QUESTIONS, ["responses"]) => Entries(Adds::Anyone),
        (doc::QUESTIONS, ["responses", _]) => Entry(RESPONSE),
        (doc::TRIGGERS, ["repairs"]) => Entries(Adds::NotOwner),
        (doc::TRIGGERS, ["repairs", _]) => Entry(REPAIR),
        (doc::TOGETHER, ["outcomes"]) => Entries(Adds::KeyedByWriter),
        (doc::TOGETHER, ["outcomes", _]) => Entry(OUTCOME),
        (doc::TOGETHER, ["outcomes", _, "revisions"]) => Entries(Adds::Owner),
        (doc::TOGETHER, ["outcomes", _, "revisions", _]) => Entry(REVISION),
        (doc::COMMITMENTS, ["log"]) => Entries(Adds::Owner),
        (doc::COMMITMENTS, ["log", _]) => Entry(LOG_ENTRY),
        (_, ["revisions"]) if field(fields, "revisions").is_some() => Entries(Adds::Owner),
        (_, ["revisions", _]) if field(fields, "revisions").is_some() => Entry(REVISION),
        (_, [list]) => match field(fields, list) {
            Some(Field {
                ty: ty @ (Ty::Words | Ty::Answers),
                ..
            }) => List(*ty),
            _ => return None,
        },
        _ => return None,
    })
}

/// Checks a scalar against a field's type. `writer` is the member id of
/// whoever writes it, `members` every member of the couple.
pub(crate) fn scalar_fits(
    ty: Ty,
    value: &automerge::ScalarValue,
    writer: &str,
    is_member: impl Fn(&str) -> bool,
) -> Result<(), String> {
    use automerge::ScalarValue as S;
    let text = |v: &S| match v {
        S::Str(s) => Some(s.to_string()),
        _ => None,
    };
    let fits = match ty {
        Ty::Text(max) => match text(value) {
            Some(s) => {
                let len = s.chars().count();
                if len > max {
                    return Err(format!("text of {len} characters where at most {max} fit"));
                }
                true
            }
            None => false,
        },
        Ty::Word(words) => text(value).is_some_and(|s| words.contains(&s.as_str())),
        Ty::Day => text(value).is_some_and(|s| s.parse::<jiff::civil::Date>().is_ok()),
        Ty::Month => text(value).is_some_and(|s| {
            s.len() == 7 && format!("{s}-01").parse::<jiff::civil::Date>().is_ok()
        }),
        Ty::Time => matches!(value, S::Int(_)),
        Ty::Small(max) => match value {
            S::Uint(u) => *u <= max,
            S::Int(i) => u64::try_from(*i).is_ok_and(|u| u <= max),
            _ => false,
        },
        Ty::Bool => matches!(value, S::Boolean(_)),
        Ty::Writer => {
            return match text(value) {
                Some(s) if s == writer => Ok(()),
                Some(_) => Err("names someone other than its writer".into()),
                None => Err("is not a member id".into()),
            };
        }
        Ty::Member => text(value).is_some_and(|s| is_member(&s)),
        Ty::Hex(bytes) => text(value).is_some_and(|s| {
            s.len() == bytes * 2 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }),
        Ty::Words => text(value).is_some_and(|s| {
            let n = s.chars().count();
            n > 0 && n <= MAX_MOOD_CHARS
        }),
        Ty::Answers => {
            matches!(value, S::Uint(u) if *u <= 4)
                || matches!(value, S::Int(i) if (0..=4).contains(i))
        }
        Ty::RecordIds => text(value).is_some_and(|s| {
            !s.is_empty()
                && s.len() <= MAX_RECORD_ID
                && s.bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'-' | b'_'))
        }),
        Ty::Map => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("a {} where {ty:?} belongs", kind_of(value)))
    }
}

fn kind_of(value: &automerge::ScalarValue) -> &'static str {
    use automerge::ScalarValue as S;
    match value {
        S::Bytes(_) => "byte string",
        S::Str(_) => "text",
        S::Int(_) => "signed number",
        S::Uint(_) => "unsigned number",
        S::F64(_) => "float",
        S::Counter(_) => "counter",
        S::Timestamp(_) => "timestamp",
        S::Boolean(_) => "boolean",
        S::Unknown { .. } => "value of unknown type",
        S::Null => "null",
    }
}
