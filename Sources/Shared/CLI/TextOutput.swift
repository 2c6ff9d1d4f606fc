import Foundation

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

/// A number in a short form for reports: integers without a fraction, others with 4
/// significant digits.
public func shortNumber(_ value: Double) -> String {
  if value.isFinite && value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
  return String(format: "%.4g", value)
}
