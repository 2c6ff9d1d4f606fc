/// Exit codes from sysexits.h, so scripts can tell bad data from a missing file.
public enum ExitStatus {
  /// The command line was wrong.
  public static let usage: Int32 = 64
  /// The input data was malformed.
  public static let dataError: Int32 = 65
  /// An input file did not exist or could not be read.
  public static let noInput: Int32 = 66
  /// An internal error: a bug, not the user's fault.
  public static let software: Int32 = 70
  /// An output file could not be created.
  public static let cannotCreate: Int32 = 73
  /// An I/O error while reading or writing.
  public static let ioError: Int32 = 74
}

/// An error a tool reports as one line on stderr and an exit code.
///
/// `description` is the whole message without the tool's name, e.g.
/// `"train.us: truncated frame at byte 4096: expected 832 more bytes"`.
public protocol ToolFailure: Error, CustomStringConvertible {
  var exitCode: Int32 { get }
}

/// A failure with a message and an exit code, for the few places where a dedicated enum
/// case would only repeat its message.
public struct Failure: ToolFailure {
  public var description: String
  public var exitCode: Int32

  public init(_ description: String, exitCode: Int32 = ExitStatus.dataError) {
    self.description = description
    self.exitCode = exitCode
  }
}
