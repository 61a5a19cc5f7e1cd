import DoorstepCore

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant: \(message())") }
}

/// The plugins doorstepd is built with, so [plugins.NAME] and [[hooks]] sections are read.
let known = ["probe", "roster", "visits", "supplies", "hooks"]

/// A config file through `ConfigLoader.parse` (TOMLReader, then the section checks that give
/// errors their line). Invalid UTF-8 is decoded with replacement
/// characters, as reading the file does.
///
/// Invariants: no trap (a bad file is a `ConfigFileError`, thrown, never a crash of the daemon
/// at start-up or SIGHUP); the error names the file, has a message, and a position, when it
/// has one, of line >= 1 and column >= 1.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let config = try ConfigLoader.parse(text: text, file: "fuzz.toml", knownPlugins: known)
        check(config.file == "fuzz.toml", "config file name \(String(describing: config.file))")
    } catch {
        check(error.file == "fuzz.toml", "error file \(error.file)")
        check(!error.message.isEmpty, "empty error message")
        if let at = error.location {
            check(at.line >= 1 && at.column >= 1, "error position \(at.line):\(at.column) for \(error.message)")
        }
    }
    return 0
}
