//! The language of the texts the core writes for the CLI's user (the
//! counselling prompt, the notices of what the partner did): `--lang`, else
//! the system's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, in POSIX order),
//! else English. The CLI's own lines stay English until they move into
//! the catalogs too.

use anyhow::{Context, Result};
use kintsugi_core::i18n::Messages;

/// The catalogs for `flag`, or for the first locale the environment
/// (`env`, a lookup of a variable) names. A bad `--lang` is an error; a
/// locale from the environment the core cannot read ("C", "POSIX", a
/// malformed one) means English.
pub fn messages(flag: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Messages> {
    if let Some(tag) = flag {
        return Messages::for_locale(tag).with_context(|| format!("--lang {tag:?}"));
    }
    let from_env = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(&env)
        .find(|value| !value.trim().is_empty());
    let tag = from_env.as_deref().and_then(language_tag);
    Ok(tag
        .and_then(|tag| Messages::for_locale(&tag).ok())
        .unwrap_or_else(Messages::english))
}

/// A POSIX locale name ("es_ES.UTF-8", "de_DE@euro") as a language tag
/// ("es-ES"); `None` for "C" and "POSIX", which mean no language.
fn language_tag(posix: &str) -> Option<String> {
    let name = posix.split(['.', '@']).next()?.trim();
    if name.is_empty() || name == "C" || name == "POSIX" {
        return None;
    }
    Some(name.replace('_', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_flag_then_the_environment_in_posix_order_then_english() {
        let spanish = [("LANG", "es_ES.UTF-8")];
        assert_eq!(messages(None, env(&spanish)).unwrap().locale(), "es-ES");
        // LC_MESSAGES over LANG, LC_ALL over both.
        let both = [("LANG", "es_ES.UTF-8"), ("LC_MESSAGES", "en_GB.UTF-8")];
        assert_eq!(messages(None, env(&both)).unwrap().locale(), "en-GB");
        let all = [("LC_MESSAGES", "en_GB"), ("LC_ALL", "es_MX.UTF-8@x")];
        assert_eq!(messages(None, env(&all)).unwrap().locale(), "es-MX");
        // The flag over everything.
        assert_eq!(messages(Some("en"), env(&spanish)).unwrap().locale(), "en");
        // No language, or one the core cannot read: English.
        for value in ["C", "POSIX", "C.UTF-8", "", "!!"] {
            let vars = [("LANG", value)];
            assert_eq!(
                messages(None, env(&vars)).unwrap().locale(),
                "en",
                "{value:?}"
            );
        }
        assert_eq!(messages(None, env(&[])).unwrap().locale(), "en");
        // A bad flag is the user's to fix.
        let err = messages(Some("not a tag!"), env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("--lang"), "{err:#}");
    }

    #[test]
    fn spanish_reaches_the_core_texts() {
        let es = messages(None, env(&[("LANG", "es_ES.UTF-8")])).unwrap();
        assert_eq!(
            es.get("notice-trigger", &[]),
            "Tu pareja anotó un momento difícil."
        );
    }
}
