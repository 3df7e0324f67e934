//! Message catalogs: every sentence the core hands to a person comes from a
//! Project Fluent catalog (`core/locales/<locale>/*.ftl`), looked up by
//! message id. The views return typed data plus text rendered from here, so
//! an app in another language replaces the words, never the rules.
//!
//! Lookup order for a message: the host's own catalog text for the locale
//! (if it supplied one), then the catalog the core ships for that locale,
//! then the English one. English is complete (a test checks every id), so a
//! lookup always yields a sentence. A message whose host text cannot be
//! formatted (say it names a variable the core does not pass) falls back to
//! the next layer rather than showing a half-made sentence.

use std::sync::{Arc, OnceLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The locale every lookup falls back to.
pub const FALLBACK_LOCALE: &str = "en";

/// The catalogs the core ships, per locale: (locale, file name, text).
const SHIPPED: &[(&str, &str, &str)] = &[
    (
        "en",
        "counselling.ftl",
        include_str!("../locales/en/counselling.ftl"),
    ),
    (
        "en",
        "notices.ftl",
        include_str!("../locales/en/notices.ftl"),
    ),
    (
        "es",
        "counselling.ftl",
        include_str!("../locales/es/counselling.ftl"),
    ),
    (
        "es",
        "notices.ftl",
        include_str!("../locales/es/notices.ftl"),
    ),
];

/// Every message id the core looks up. A host translating the app supplies
/// these (any it leaves out show in English).
pub const MESSAGE_IDS: &[&str] = &[
    // views/counselling.rs
    "counselling-message",
    "counselling-safety-message",
    "counselling-reason-topic",
    "counselling-reason-trigger",
    "counselling-reason-unheard",
    "counselling-reason-pain",
    "counselling-reason-own-safety",
    "counselling-measure-safety",
    "counselling-measure-trust",
    "counselling-someone",
    "counselling-resource-individual",
    "counselling-resource-support-service",
    "counselling-resource-emergency",
    "counselling-resource-trusted-person",
    // notice_gate.rs
    "os-notification-title",
    "os-notification-body",
    // notify.rs
    "notice-checked-in",
    "notice-agreement-proposed",
    "notice-agreement-accepted",
    "notice-request-made",
    "notice-request-done",
    "notice-request-acknowledged",
    "notice-disclosure",
    "notice-question-asked",
    "notice-question-response",
    "notice-trigger",
    "notice-trigger-repair",
    "notice-appreciation",
    "notice-time-together",
    "notice-phase-changed",
    "notice-offer-made",
    "notice-commitment-update",
    "notice-role-changed",
    "notice-request-answered",
    "notice-summary-prepared",
    "notice-words-in-summaries-changed",
];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{value:?} is not a locale (expected a language tag such as en or pt-BR)")]
    Locale { value: String },
    #[error("the catalog for {locale} is not valid Fluent: {errors}")]
    Syntax { locale: String, errors: String },
    #[error("the catalog for {locale} defines {id} twice")]
    Duplicate { locale: String, id: String },
}

type Bundle = FluentBundle<FluentResource>;

/// The catalogs for one locale, with their fallbacks; cheap to clone and
/// safe to share between threads.
#[derive(Clone)]
pub struct Messages {
    locale: String,
    /// In lookup order; the last is always the shipped English.
    layers: Vec<Arc<Bundle>>,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("locale", &self.locale)
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl Messages {
    /// The shipped English catalogs.
    pub fn english() -> Messages {
        static ENGLISH: OnceLock<Messages> = OnceLock::new();
        ENGLISH
            .get_or_init(|| {
                let english = shipped(FALLBACK_LOCALE)
                    .expect("the shipped English catalogs are valid Fluent (tested)")
                    .expect("English is shipped");
                Messages {
                    locale: FALLBACK_LOCALE.to_owned(),
                    layers: vec![Arc::new(english)],
                }
            })
            .clone()
    }

    /// The shipped catalogs for `locale` (by its language, e.g. `pt-BR`
    /// finds `pt`), falling back to English. A locale the core does not
    /// ship reads English until the host supplies text (`with_host_catalog`).
    pub fn for_locale(locale: &str) -> Result<Messages, CatalogError> {
        Self::build(locale, None)
    }

    /// Like [`Self::for_locale`], with the host's own Fluent text for
    /// `locale` looked up first. Ids it lacks come from the shipped
    /// catalogs; ids the core does not use are ignored.
    pub fn with_host_catalog(locale: &str, ftl: &str) -> Result<Messages, CatalogError> {
        Self::build(locale, Some(ftl))
    }

    fn build(locale: &str, host: Option<&str>) -> Result<Messages, CatalogError> {
        let langid = parse_locale(locale)?;
        let mut layers = Vec::new();
        if let Some(ftl) = host {
            let mut bundle = new_bundle(langid.clone());
            add(&mut bundle, locale, ftl)?;
            layers.push(Arc::new(bundle));
        }
        let language = langid.language.as_str();
        if language != FALLBACK_LOCALE
            && let Some(own) = shipped(language)?
        {
            layers.push(Arc::new(own));
        }
        layers.extend(Self::english().layers);
        Ok(Messages {
            locale: langid.to_string(),
            layers,
        })
    }

    /// The locale these messages are for, as a language tag.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// The message `id` with `args`, from the first layer that has it and
    /// formats it cleanly. An id no layer has (a bug: every id the core
    /// uses is in English, tested) comes back as the id itself.
    pub fn get(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.to_fluent());
        }
        for bundle in self.layers.iter() {
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if errors.is_empty() {
                return text.into_owned();
            }
        }
        id.to_owned()
    }

    /// Whether the first layer (the host's text when supplied, else the
    /// shipped catalog for the locale) defines `id` itself, without falling
    /// back.
    pub fn defines(&self, id: &str) -> bool {
        self.layers.first().is_some_and(|b| b.has_message(id))
    }
}

/// A value passed into a message.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Text(&'a str),
    Number(u64),
}

impl Arg<'_> {
    fn to_fluent(self) -> FluentValue<'static> {
        match self {
            Arg::Text(t) => FluentValue::from(t.to_owned()),
            Arg::Number(n) => FluentValue::from(n),
        }
    }
}

fn parse_locale(locale: &str) -> Result<LanguageIdentifier, CatalogError> {
    locale
        .trim()
        .parse::<LanguageIdentifier>()
        .map_err(|_| CatalogError::Locale {
            value: locale.to_owned(),
        })
}

fn new_bundle(langid: LanguageIdentifier) -> Bundle {
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // No Unicode isolation marks around placeables: the apps show plain
    // text, and the marks would be invisible characters in every sentence.
    bundle.set_use_isolating(false);
    bundle
}

fn add(bundle: &mut Bundle, locale: &str, ftl: &str) -> Result<(), CatalogError> {
    let resource =
        FluentResource::try_new(ftl.to_owned()).map_err(|(_, errors)| CatalogError::Syntax {
            locale: locale.to_owned(),
            errors: errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        })?;
    bundle.add_resource(resource).map_err(|errors| {
        let id = errors
            .iter()
            .find_map(|e| match e {
                fluent_bundle::FluentError::Overriding { id, .. } => Some(id.clone()),
                _ => None,
            })
            .unwrap_or_default();
        CatalogError::Duplicate {
            locale: locale.to_owned(),
            id,
        }
    })
}

/// The catalogs the core ships for `language`, in one bundle; `None` when
/// it ships none.
fn shipped(language: &str) -> Result<Option<Bundle>, CatalogError> {
    let files: Vec<_> = SHIPPED.iter().filter(|(l, _, _)| *l == language).collect();
    if files.is_empty() {
        return Ok(None);
    }
    let mut bundle = new_bundle(parse_locale(language)?);
    for (locale, _, text) in files {
        add(&mut bundle, locale, text)?;
    }
    Ok(Some(bundle))
}

/// The catalog text the core ships for `locale` (its files joined), for a
/// translator to start from; `None` when the core ships none for it.
pub fn shipped_catalog(locale: &str) -> Option<String> {
    let language = parse_locale(locale).ok()?.language.as_str().to_owned();
    let texts: Vec<&str> = SHIPPED
        .iter()
        .filter(|(l, _, _)| *l == language)
        .map(|(_, _, text)| *text)
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_has_every_message_id_and_nothing_unused() {
        let english = Messages::english();
        for id in MESSAGE_IDS {
            assert!(english.defines(id), "English lacks {id}");
        }
        // A message starts a line with its id and " =" (Fluent's syntax).
        let shipped = shipped_catalog("en").unwrap();
        let defined: Vec<&str> = shipped
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id))
            .collect();
        assert_eq!(defined.len(), MESSAGE_IDS.len(), "{defined:?}");
        for id in defined {
            assert!(
                MESSAGE_IDS.contains(&id),
                "{id} is in the English catalog but the core never looks it up"
            );
        }
    }

    /// The ids a catalog text defines (a message starts a line with its id
    /// and " =", Fluent's syntax).
    fn defined(ftl: &str) -> Vec<&str> {
        ftl.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id))
            .collect()
    }

    /// Every language the core ships says every message English says, and
    /// nothing else, and each renders with the arguments the core passes
    /// (a misspelt variable would be an error here, English in the app).
    #[test]
    fn every_shipped_language_is_complete_and_renders_every_message() {
        let languages: std::collections::BTreeSet<&str> =
            SHIPPED.iter().map(|(l, _, _)| *l).collect();
        assert!(languages.len() >= 2, "{languages:?}");
        let mut english = defined(&shipped_catalog("en").unwrap())
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        english.sort();
        let mut args = FluentArgs::new();
        for (name, value) in [
            ("topic", FluentValue::from("money")),
            ("what", FluentValue::from("the song in the car")),
            ("name", FluentValue::from("Sam")),
            ("measure", FluentValue::from("trust")),
            ("count", FluentValue::from(4)),
            ("window_weeks", FluentValue::from(8)),
            ("max", FluentValue::from(3)),
            ("weeks", FluentValue::from(5)),
        ] {
            args.set(name, value);
        }
        for language in languages {
            let text = shipped_catalog(language).unwrap();
            let mut ids: Vec<String> = defined(&text).into_iter().map(str::to_owned).collect();
            ids.sort();
            assert_eq!(ids, english, "{language} against English, id by id");
            let bundle = shipped(language).unwrap().unwrap();
            for id in MESSAGE_IDS {
                let pattern = bundle.get_message(id).and_then(|m| m.value()).unwrap();
                let mut errors = Vec::new();
                let out = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{language} {id}: {errors:?}");
                assert!(!out.trim().is_empty(), "{language} {id} is empty");
            }
        }
        // Spanish is what a Spanish locale gets, region or not.
        let es = Messages::for_locale("es-MX").unwrap();
        assert_eq!(
            es.get("notice-checked-in", &[]),
            "Tu pareja hizo su check-in."
        );
        assert!(es.defines("counselling-message"));
    }

    #[test]
    fn a_host_catalog_replaces_the_text_and_english_fills_the_gaps() {
        let host = "os-notification-body = Etwas Neues in Kintsugi\n";
        let de = Messages::with_host_catalog("de-DE", host).unwrap();
        assert_eq!(de.locale(), "de-DE");
        assert_eq!(
            de.get("os-notification-body", &[]),
            "Etwas Neues in Kintsugi"
        );
        // Not in the host's text: English.
        assert_eq!(
            de.get("os-notification-title", &[]),
            Messages::english().get("os-notification-title", &[])
        );
    }

    #[test]
    fn a_host_message_that_cannot_be_formatted_falls_back_to_english() {
        let host = "counselling-measure-trust = { $nonsense }\n";
        let m = Messages::with_host_catalog("fr", host).unwrap();
        assert_eq!(m.get("counselling-measure-trust", &[]), "trust");
    }

    #[test]
    fn bad_catalogs_and_locales_are_refused_with_a_reason() {
        assert!(matches!(
            Messages::with_host_catalog("de", "this is = = not fluent {"),
            Err(CatalogError::Syntax { .. })
        ));
        assert!(matches!(
            Messages::with_host_catalog("de", "a = one\na = two\n"),
            Err(CatalogError::Duplicate { .. })
        ));
        assert!(matches!(
            Messages::for_locale("not a locale!"),
            Err(CatalogError::Locale { .. })
        ));
        // A locale the core does not ship reads English.
        let sv = Messages::for_locale("sv").unwrap();
        assert_eq!(
            sv.get("os-notification-body", &[]),
            Messages::english().get("os-notification-body", &[])
        );
    }
}
