//! A progress bar on stderr for long work (a large bundle, a backup), fed
//! by the sync layer's progress reports. Nothing is drawn when stderr is
//! not a terminal, so scripts and tests see only the result lines.

use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use kintsugi_sync::progress::{Progress, Step};

pub struct Bar {
    bar: ProgressBar,
    step: Mutex<Option<Step>>,
}

impl Bar {
    pub fn new() -> Arc<Bar> {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {percent:>3}%")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        Arc::new(Bar {
            bar,
            step: Mutex::new(None),
        })
    }

    /// Clears the bar before the result is printed.
    pub fn done(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn report(&self, step: Step, done: u64, total: u64) {
        let mut current = self.step.lock().unwrap_or_else(|p| p.into_inner());
        if *current != Some(step) {
            *current = Some(step);
            self.bar.set_message(step.label());
            self.bar.set_length(total.max(1));
        }
        self.bar.set_position(done);
    }
}
