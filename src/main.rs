fn main() -> std::process::ExitCode {
    zkc::cli::main()
}
