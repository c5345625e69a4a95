//! `mcp-suite`: every connector in one process, each at `/<name>/mcp`, plus
//! `mcp-suite demo`. Run `mcp-suite --help` for every option.

fn main() -> std::process::ExitCode {
    mcp_suite::main()
}
