import Foundation
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// Writes one line to standard error.
public func printError(_ line: String) {
  var text = line
  text.append("\n")
  text.withUTF8 { bytes in
    _ = write(2, bytes.baseAddress, bytes.count)
  }
}

extension ParsableCommand {
  /// The entry point of every unsup tool.
  ///
  /// Parses the command line, runs the command, and turns errors into one line on stderr
  /// (`tool: message`) and an exit code: `ToolFailure`s carry their own code, a closed
  /// pipe downstream ends the tool quietly with status 0, and argument errors get
  /// ArgumentParser's message on one line (status 64; --help and --version print as
  /// usual). SIGPIPE is ignored so a closed pipe arrives as EPIPE.
  public static func runAsTool() -> Never {
    signal(SIGPIPE, SIG_IGN)
    let tool = configuration.commandName ?? String(describing: Self.self).lowercased()
    do {
      var command = try parseAsRoot()
      try command.run()
      Glibc.exit(0)
    } catch IOFailure.brokenPipe {
      Glibc.exit(0)
    } catch let failure as ToolFailure {
      printError("\(tool): \(failure)")
      Glibc.exit(failure.exitCode)
    } catch {
      // --help and --version arrive as errors with status 0; ArgumentParser prints them.
      let code = exitCode(for: error)
      guard code != .success else { exit(withError: error) }
      printError("\(tool): \(oneLine(message(for: error))) (see \(tool) --help)")
      Glibc.exit(code.rawValue)
    }
  }

  /// This invocation as one string, for the `history` metadata key; a very long command
  /// line (a shell glob over many files) keeps its first 4 KiB and says how much is left out.
  public static var invocation: String { invocation(omitting: []) }

  /// `invocation` without the options named in `omitted` and their values (e.g.
  /// `--threads`, which changes how a tool runs but not what it writes), so that the
  /// history, and with it the output, is the same whatever their values.
  public static func invocation(omitting omitted: Set<String>) -> String {
    var arguments: [String] = []
    var skipValue = false
    for argument in CommandLine.arguments {
      if skipValue {
        skipValue = false
        continue
      }
      if omitted.contains(argument) {
        skipValue = true
        continue
      }
      if let equals = argument.firstIndex(of: "="), omitted.contains(String(argument[..<equals])) { continue }
      arguments.append(argument)
    }
    let name = arguments.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "unsup"
    var text = name
    for (index, argument) in arguments.dropFirst().enumerated() {
      if text.utf8.count > 4096 {
        text += " … (\(arguments.count - 1 - index) more arguments)"
        break
      }
      text += " " + shellQuoted(argument)
    }
    return text
  }
}

/// ArgumentParser's message on one line: a list of allowed values ("- simclr" lines)
/// becomes "simclr, moco-v1, …".
func oneLine(_ message: String) -> String {
  let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  guard let first = lines.first else { return message }
  let rest = lines.dropFirst().map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : $0 }
  return rest.isEmpty ? first : first + " " + rest.joined(separator: ", ")
}

/// `word` quoted for a POSIX shell when it needs quoting.
func shellQuoted(_ word: String) -> String {
  let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
  return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
