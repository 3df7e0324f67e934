//! Where the core's logs go: `init_logging` installs one `tracing`
//! subscriber for the process. Without a sink it writes to the platform's
//! log (logcat on Android, os_log on iOS, stderr elsewhere); with one, every
//! record goes to the app's `LogSink` instead. Later calls change the level
//! and the sink in place.

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Registry, reload};

use crate::CallbackError;

/// How much the core logs, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed that the user may notice.
    Error,
    /// Something went wrong and was worked around (a dropped connection).
    Warn,
    /// A few lines per sync or pairing (the default for release builds).
    Info,
    /// Detail for a developer.
    Debug,
    /// Everything, including each sync frame (very verbose).
    Trace,
}

/// Receives the core's log records, for an app that keeps its own log.
/// Records carry no content from the shared space (no note, no score), no
/// name and no key, at any level.
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    /// One record: its level, where it comes from (a Rust module path such
    /// as `kintsugi_sync::live`) and the message with its fields. Called
    /// from any thread, possibly many times a second: return quickly.
    /// Whatever it throws is dropped.
    fn log(&self, level: LogLevel, target: String, message: String) -> Result<(), CallbackError>;
}

/// Routes the core's logs (and those of iroh and Automerge) at `level` and
/// above to `sink`, or without one to the platform's log: logcat (tag
/// `kintsugi`) on Android, os_log (subsystem `app.kintsugi`) on iOS, stderr
/// elsewhere. Call it once at startup, before opening a `Companion`; calling
/// it again changes the level and the sink. If the process already had a
/// `tracing` subscriber of its own, that one stays and this call only
/// records the level and sink (nothing is routed).
#[uniffi::export]
pub fn init_logging(level: LogLevel, sink: Option<Arc<dyn LogSink>>) {
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = sink;
    let filter = LevelFilter::from(level);
    let handle = LOGGING.get_or_init(|| {
        if tracing::dispatcher::has_been_set() {
            return None;
        }
        let (layer, handle) = reload::Layer::new(filter);
        let subscriber = tracing_subscriber::registry()
            .with(layer)
            .with(SinkLayer)
            .with(
                platform_layer()
                    .with_filter(tracing_subscriber::filter::filter_fn(|_| !has_sink())),
            );
        // An error here can only mean that another crate already bridged
        // the `log` macros; the subscriber is in place all the same.
        let _ = subscriber.try_init();
        Some(handle)
    });
    if let Some(handle) = handle {
        let _ = handle.modify(|current| *current = filter);
    }
    tracing::callsite::rebuild_interest_cache();
}

impl From<LogLevel> for LevelFilter {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

impl From<&tracing::Level> for LogLevel {
    fn from(level: &tracing::Level) -> Self {
        match *level {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::TRACE => LogLevel::Trace,
        }
    }
}

type LevelHandle = reload::Handle<LevelFilter, Registry>;

/// Set by the first `init_logging`: the level's handle if Kintsugi's
/// subscriber became the process's, `None` if another one was there.
static LOGGING: OnceLock<Option<LevelHandle>> = OnceLock::new();
/// The app's sink, if it gave one.
static SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);

thread_local! {
    /// Set while this thread is inside the sink: whatever the sink logs
    /// itself (through Rust) is dropped rather than sent back to it.
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

fn has_sink() -> bool {
    SINK.read().map(|s| s.is_some()).unwrap_or(false)
}

/// Hands each event to the app's sink, when there is one.
struct SinkLayer;

impl<S: Subscriber> Layer<S> for SinkLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(sink) = SINK.read().ok().and_then(|s| s.clone()) else {
            return;
        };
        if IN_SINK.with(|busy| busy.replace(true)) {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        let meta = event.metadata();
        // A failing sink has nowhere to report to.
        let _ = sink.log(meta.level().into(), meta.target().to_owned(), message.text);
        IN_SINK.with(|busy| busy.set(false));
    }
}

/// An event's message, then its other fields as `name=value`.
#[derive(Default)]
struct Message {
    text: String,
}

impl Message {
    fn push(&mut self, field: &Field, value: std::fmt::Arguments<'_>) {
        if field.name() == "message" {
            if self.text.is_empty() {
                let _ = self.text.write_fmt(value);
            } else {
                self.text = format!("{value} {}", self.text);
            }
        } else {
            if !self.text.is_empty() {
                self.text.push(' ');
            }
            let _ = write!(self.text, "{}={}", field.name(), value);
        }
    }
}

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.push(field, format_args!("{value:?}"));
    }
}

/// The platform's own log, used while the app gave no sink.
#[cfg(target_os = "android")]
fn platform_layer<S>() -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    Box::new(paranoid_android::layer("kintsugi"))
}

/// The platform's own log, used while the app gave no sink.
#[cfg(target_os = "ios")]
fn platform_layer<S>() -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    Box::new(tracing_oslog::OsLogger::new("app.kintsugi", "core"))
}

/// The platform's own log, used while the app gave no sink.
#[cfg(not(any(target_os = "android", target_os = "ios")))]
fn platform_layer<S>() -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    Box::new(
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false),
    )
}
