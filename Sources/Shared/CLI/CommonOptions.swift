import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// Options every stream-writing tool shares: where the stream goes, the seed, quietness.
public struct CommonOptions: ParsableArguments {
  @Option(name: .shortAndLong, help: ArgumentHelp("Write the stream to FILE (atomically: a temporary file renamed on success) instead of stdout.", valueName: "file"))
  public var output: String?

  @Option(help: "Seed for every random choice, so runs are reproducible.")
  public var seed: UInt64 = 0

  @Flag(name: .shortAndLong, help: "Print no progress or summary on stderr.")
  public var quiet = false

  public init() {}

  /// Opens the stream's destination. Refuses to write binary to a terminal.
  public func openOutput() throws -> StreamOutput {
    if let output, output != "-" { return StreamOutput(file: try AtomicFileOutput(path: output)) }
    try refuseTerminalOutput("a binary stream", hint: "pipe it into another tool (| view --info), or use -o FILE")
    return StreamOutput(standardOutput: FileOutput(standardOutput: ()))
  }
}

/// Standard output, or a file that appears only once `commit()` is called.
public final class StreamOutput: ByteOutput {
  private let target: ByteOutput
  private let file: AtomicFileOutput?

  init(file: AtomicFileOutput) {
    target = file
    self.file = file
  }

  init(standardOutput: FileOutput) {
    target = standardOutput
    file = nil
  }

  public var name: String { target.name }

  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    try target.write(bytes)
  }

  /// Puts a file output in place; nothing to do for stdout.
  public func commit() throws {
    try file?.commit()
  }
}

/// Throws a usage error when standard output is a terminal: binary output there would only
/// garble it. `what` names the output, `hint` says what to do instead.
public func refuseTerminalOutput(_ what: String, hint: String) throws {
  guard isatty(1) == 0 else {
    throw Failure("refusing to write \(what) to a terminal: redirect stdout, \(hint)", exitCode: ExitStatus.usage)
  }
}

/// Throws a usage error when `path` is "-" and standard input is a terminal, rather than
/// waiting on it. `example` shows a pipe into the tool, e.g. "decode fashion-mnist | view".
public func refuseTerminalInput(_ path: String, example: String) throws {
  guard path != "-" || isatty(0) == 0 else {
    throw Failure("no stream on stdin (it is a terminal): pipe one in (\(example)) or name a file", exitCode: ExitStatus.usage)
  }
}

/// Opens the stream at `path` ("-" for stdin), refusing a terminal (`refuseTerminalInput`).
public func openStreamInput(_ path: String, example: String) throws -> StreamReader {
  try refuseTerminalInput(path, example: example)
  return try StreamReader(path: path)
}
