//! The live progress line: sent, rate and errors, redrawn on a terminal
//! only (hidden when stderr is not a TTY, so logs and CI output stay
//! clean).

use crate::load::stats::{Recorder, lock};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A progress bar over `count` messages, or a spinner when only the
/// duration bounds the run.
#[derive(Debug, Clone)]
pub struct Progress(ProgressBar);

impl Progress {
    /// Shown only when stderr is a terminal.
    pub fn new(count: Option<u64>) -> Self {
        let bar = match count {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::new_spinner(),
        };
        if std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
            let template = if count.is_some() {
                "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}"
            } else {
                "{elapsed_precise} {spinner} {pos} sent {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(250));
        } else {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        Self(bar)
    }

    /// Updates the position and the rate/errors message.
    pub fn update(&self, sent: u64, rate: f64, errors: u64) {
        self.0.set_position(sent);
        self.0.set_message(format!("{rate:.0}/s, {errors} errors"));
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Redraws the progress line from the recorder four times a second.
pub fn spawn_ticker(rec: Arc<Mutex<Recorder>>, progress: Progress) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            let (sent, errors, rate) = {
                let r = lock(&rec);
                let secs = r.start().elapsed().as_secs_f64().max(0.001);
                (r.sent, r.errors, r.ok as f64 / secs)
            };
            progress.update(sent, rate, errors);
        }
    })
}
