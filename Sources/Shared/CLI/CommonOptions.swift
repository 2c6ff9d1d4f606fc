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
    guard isatty(1) == 0 else {
      throw Failure(
        "refusing to write a binary stream to a terminal: redirect stdout, pipe it into another tool (| view --info), or use -o FILE",
        exitCode: ExitStatus.usage)
    }
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
