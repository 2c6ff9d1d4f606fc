import ArgumentParser
import Foundation
import Shared

#if canImport(Glibc)
import Glibc
#endif

/// The input and output options every `score` subcommand shares.
struct ReportOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("The stream to read, or - for stdin.", valueName: "file"))
  var input = "-"

  @Flag(help: "Print one JSON object instead of the table.")
  var json = false

  @Flag(name: .shortAndLong, help: "Print no summary on stderr.")
  var quiet = false

  /// Opens the input stream; a terminal on stdin is refused rather than waited on.
  func openReader() throws -> StreamReader {
    guard input != "-" || isatty(0) == 0 else {
      throw Failure(
        "no stream on stdin (it is a terminal): pipe one in (cluster … | score) or name a file", exitCode: ExitStatus.usage)
    }
    return try StreamReader(path: input)
  }

  /// Prints the report: `lines` as text, or `object` as one line of JSON.
  func printReport(lines: [String], object: [String: JSONValue]) throws {
    let text = TextOutput()
    if json {
      try text.line(jsonText(object))
    } else {
      for line in lines { try text.line(line) }
    }
    try text.flush()
  }
}

/// One JSON object on one line, keys sorted.
func jsonText(_ object: [String: JSONValue]) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  return (try? String(decoding: encoder.encode(JSONValue.object(object)), as: UTF8.self)) ?? "{}"
}

extension JSONValue {
  static func integer(_ value: Int) -> JSONValue { .number(Double(value)) }
}

/// Rows of cells laid out in columns two spaces apart; the columns in `leftAligned` are
/// padded on the right, the others (numbers) on the left.
func tableLines(_ rows: [[String]], leftAligned: Set<Int> = [0]) -> [String] {
  let columns = rows.map(\.count).max() ?? 0
  var widths = [Int](repeating: 0, count: columns)
  for row in rows {
    for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) }
  }
  return rows.map { row in
    var line = ""
    for (c, cell) in row.enumerated() {
      let padding = String(repeating: " ", count: widths[c] - cell.count)
      if c > 0 { line += "  " }
      line += leftAligned.contains(c) ? cell + padding : padding + cell
    }
    while line.hasSuffix(" ") { line.removeLast() }
    return line
  }
}

/// A parameter as it appears in the table: integers without a fraction, others with 4
/// significant digits.
func shortNumber(_ value: Double) -> String {
  if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
  return String(format: "%.4g", value)
}

/// A score as it appears in the table: four decimals.
func decimal(_ value: Double) -> String { String(format: "%.4f", value) }

/// `label` followed by its class name from the metadata, when there is one.
func labelName(_ label: Int32, classes: [String]?) -> String {
  guard let classes, label >= 0, Int(label) < classes.count else { return "\(label)" }
  return "\(label) \(classes[Int(label)])"
}

/// Name–value lines, the names padded to one width.
func fieldLines(_ rows: [[String]]) -> [String] { tableLines(rows, leftAligned: [0, 1]) }
