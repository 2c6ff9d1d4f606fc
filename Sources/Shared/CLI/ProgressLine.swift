import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A progress line on stderr for long work.
///
/// On a terminal the line is redrawn in place at most four times a second; elsewhere
/// (logs, CI) only the closing summary is written. `quiet` silences both.
public final class ProgressLine {
  private let tool: String
  private let total: Int?
  private let quiet: Bool
  private let interactive: Bool
  private let start = Date()
  private var lastDraw = Date.distantPast

  public init(tool: String, total: Int? = nil, quiet: Bool) {
    self.tool = tool
    self.total = total
    self.quiet = quiet
    interactive = isatty(2) != 0
  }

  /// Reports `done` units of work finished.
  public func update(_ done: Int, unit: String = "records") {
    status("\(done)\(total.map { "/\($0)" } ?? "") \(unit)")
  }

  /// Shows `text` as the progress line (on a terminal, at most four times a second).
  public func status(_ text: String) {
    guard !quiet, interactive else { return }
    let now = Date()
    guard now.timeIntervalSince(lastDraw) >= 0.25 else { return }
    lastDraw = now
    FileHandle.standardError.write(Data("\r\u{1B}[K\(tool): \(text)".utf8))
  }

  /// Writes `text` as a line of its own, kept (on a terminal or not): a milestone of long
  /// work, such as an epoch's figures.
  public func line(_ text: String) {
    guard !quiet else { return }
    let clear = interactive ? "\r\u{1B}[K" : ""
    FileHandle.standardError.write(Data((clear + "\(tool): \(text)\n").utf8))
  }

  /// Writes the summary line: `tool: <summary> in 1.23 s`.
  public func finish(_ summary: String) {
    guard !quiet else { return }
    let seconds = Date().timeIntervalSince(start)
    let clear = interactive ? "\r\u{1B}[K" : ""
    FileHandle.standardError.write(Data((clear + "\(tool): \(summary) in \(String(format: "%.2f", seconds)) s\n").utf8))
  }
}
