//! The `simgate` binary: parses the command line and hands over to
//! [`simgate::cli`].

fn main() -> std::process::ExitCode {
    simgate::cli::main()
}
