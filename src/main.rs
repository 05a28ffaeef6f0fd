//! The `wirefeed` binary: everything lives in the library (`wirefeed::cli`).

fn main() -> std::process::ExitCode {
    wirefeed::cli::main()
}
