/// Text for standard output, written with the same error checks as streams (`print`
/// ignores a full disk). A closed pipe ends the tool quietly, as for streams.
public final class TextOutput {
  private let output = FileOutput(standardOutput: ())
  private var buffer: [UInt8] = []

  public init() {}

  /// Adds one line; sends the text once 64 KiB have gathered.
  public func line(_ text: String) throws {
    buffer += text.utf8
    buffer.append(0x0A)
    if buffer.count >= 1 << 16 { try flush() }
  }

  /// Sends what has gathered.
  public func flush() throws {
    guard !buffer.isEmpty else { return }
    try output.write(buffer)
    buffer.removeAll(keepingCapacity: true)
  }
}
