//! `simgate config check`: loads and validates the settings exactly as
//! `serve` would, and prints the effective values with secrets redacted.

use super::load_settings;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Subcommands of `simgate config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the settings and print the effective values as TOML.
    Check {
        /// TOML settings file; SIMGATE__SECTION__KEY variables override it.
        #[arg(long, short = 'f', env = "SIMGATE_CONFIG")]
        file: Option<PathBuf>,
    },
}

pub(super) fn run(command: ConfigCommand) -> ExitCode {
    match command {
        ConfigCommand::Check { file } => match load_settings(file.as_deref()) {
            Ok(settings) => {
                print!("{}", settings.to_redacted_toml());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
    }
}
